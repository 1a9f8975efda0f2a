// --memory, --cpus, --pids-limit, ... (linux.resources), --ulimit
// (process.rlimits) and --sysctl (linux.sysctl), validated as dockerd does
// before it writes the spec.
#include <unistd.h>

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "manager/containers/spec_parts.h"

namespace skiff::manager::internal {
namespace {

using json = nlohmann::json;

constexpr int64_t kMinMemory = 6 << 20;
constexpr int64_t kDefaultCpuPeriod = 100000;

absl::Status Invalid(const std::string& msg) { return absl::InvalidArgumentError(msg); }

}  // namespace

absl::StatusOr<json> BuildResources(const skiff::v1::Resources& r) {
  json out = json::object();

  json memory = json::object();
  if (r.memory() < 0 || r.memory_reservation() < 0 || r.memory_swap() < -1)
    return Invalid("--memory, --memory-reservation and --memory-swap must not be negative");
  if (r.memory() > 0) {
    if (r.memory() < kMinMemory) return Invalid("--memory: the minimum memory limit is 6MB");
    memory["limit"] = r.memory();
  }
  if (r.memory_reservation() > 0) {
    if (r.memory() > 0 && r.memory_reservation() > r.memory())
      return Invalid("--memory-reservation must not be larger than --memory");
    memory["reservation"] = r.memory_reservation();
  }
  if (r.memory_swap() == -1) {
    memory["swap"] = -1;
  } else if (r.memory_swap() > 0) {
    if (r.memory() == 0) return Invalid("--memory-swap needs --memory as well");
    if (r.memory_swap() < r.memory())
      return Invalid("--memory-swap must be at least --memory (it counts memory plus swap)");
    memory["swap"] = r.memory_swap();
  } else if (r.memory() > 0) {
    // dockerd: a memory limit without a swap limit allows as much swap again.
    memory["swap"] = 2 * r.memory();
  }
  if (r.has_memory_swappiness() && r.memory_swappiness() != -1) {
    if (r.memory_swappiness() < 0 || r.memory_swappiness() > 100)
      return Invalid(
          absl::StrCat("--memory-swappiness: ", r.memory_swappiness(), " is out of range (0-100)"));
    memory["swappiness"] = r.memory_swappiness();
  }
  if (r.oom_kill_disable()) memory["disableOOMKiller"] = true;
  if (!memory.empty()) out["memory"] = std::move(memory);

  json cpu = json::object();
  if (r.nano_cpus() < 0 || r.cpu_shares() < 0 || r.cpu_period() < 0 || r.cpu_quota() < 0)
    return Invalid("--cpus, --cpu-shares, --cpu-period and --cpu-quota must not be negative");
  if (r.nano_cpus() > 0) {
    if (r.cpu_period() > 0 || r.cpu_quota() > 0)
      return Invalid(
          "conflicting options: --cpus cannot be combined with --cpu-period or --cpu-quota");
    const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (r.nano_cpus() < 10000000 || (ncpu > 0 && r.nano_cpus() > ncpu * 1000000000LL))
      return Invalid(absl::StrCat("--cpus: range of CPUs is from 0.01 to ", ncpu,
                                  ".00, as there are only ", ncpu, " CPUs available"));
    cpu["period"] = kDefaultCpuPeriod;
    cpu["quota"] = r.nano_cpus() * kDefaultCpuPeriod / 1000000000LL;
  }
  if (r.cpu_shares() > 0) cpu["shares"] = r.cpu_shares();
  if (r.cpu_period() > 0) {
    if (r.cpu_period() < 1000 || r.cpu_period() > 1000000)
      return Invalid("--cpu-period must be between 1000 (1ms) and 1000000 (1s)");
    cpu["period"] = r.cpu_period();
  }
  if (r.cpu_quota() > 0) {
    if (r.cpu_quota() < 1000) return Invalid("--cpu-quota must be at least 1000 (1ms)");
    cpu["quota"] = r.cpu_quota();
  }
  for (const auto& [flag, value, key] : {std::tuple{"--cpuset-cpus", &r.cpuset_cpus(), "cpus"},
                                         std::tuple{"--cpuset-mems", &r.cpuset_mems(), "mems"}}) {
    if (value->empty()) continue;
    if (value->find_first_not_of("0123456789,-") != std::string::npos)
      return Invalid(absl::StrCat(flag, ": invalid list \"", *value, "\" (like 0-3,5)"));
    cpu[key] = *value;
  }
  if (!cpu.empty()) out["cpu"] = std::move(cpu);

  if (r.has_pids_limit() && r.pids_limit() > 0) out["pids"] = {{"limit", r.pids_limit()}};

  if (r.blkio_weight() != 0) {
    if (r.blkio_weight() < 10 || r.blkio_weight() > 1000)
      return Invalid(
          absl::StrCat("--blkio-weight: ", r.blkio_weight(), " is out of range (10-1000)"));
    out["blockIO"] = {{"weight", r.blkio_weight()}};
  }
  return out;
}

absl::StatusOr<json> BuildRlimits(const skiff::v1::Resources& r) {
  static const std::set<std::string> kNames = {
      "as",   "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue",
      "nice", "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};
  // Keyed by name: a later --ulimit of the same name replaces an earlier one.
  std::map<std::string, json> by_name;
  std::vector<std::string> order;
  for (const auto& u : r.ulimits()) {
    const std::string name = absl::AsciiStrToLower(u.name());
    if (kNames.count(name) == 0)
      return Invalid(absl::StrCat("--ulimit: invalid ulimit type: ", u.name()));
    if (u.soft() < 0 || u.hard() < 0) {
      // -1 is "unlimited" for docker.
      if (u.soft() < -1 || u.hard() < -1)
        return Invalid(absl::StrCat("--ulimit ", name, ": values must be -1 or larger"));
    }
    const uint64_t soft = u.soft() == -1 ? UINT64_MAX : static_cast<uint64_t>(u.soft());
    const uint64_t hard = u.hard() == -1 ? UINT64_MAX : static_cast<uint64_t>(u.hard());
    if (soft > hard)
      return Invalid(absl::StrCat(
          "--ulimit ", name, ": soft limit must be less than or equal to hard limit: ", u.soft(),
          " > ", u.hard()));
    if (!by_name.count(name)) order.push_back(name);
    by_name[name] = {
        {"type", "RLIMIT_" + absl::AsciiStrToUpper(name)}, {"hard", hard}, {"soft", soft}};
  }
  json out = json::array();
  for (const std::string& n : order) out.push_back(by_name[n]);
  return out;
}

absl::StatusOr<json> BuildSysctls(const skiff::v1::HostConfig& host, bool own_ipc, bool own_net) {
  static const std::set<std::string> kIpc = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  json out = json::object();
  std::map<std::string, std::string> sorted(host.sysctls().begin(), host.sysctls().end());
  for (const auto& [key, value] : sorted) {
    if (kIpc.count(key) || absl::StartsWith(key, "fs.mqueue.")) {
      if (!own_ipc)
        return Invalid(absl::StrCat("--sysctl ", key, ": not allowed in the host's IPC namespace"));
    } else if (absl::StartsWith(key, "net.")) {
      if (!own_net)
        return Invalid(
            absl::StrCat("--sysctl ", key, ": not allowed in the host's network namespace"));
    } else {
      return Invalid(absl::StrCat("--sysctl ", key,
                                  ": not allowed (only namespaced ones: kernel.msg*, kernel.sem, "
                                  "kernel.shm*, fs.mqueue.*, net.*)"));
    }
    out[key] = value;
  }
  return out;
}

}  // namespace skiff::manager::internal
