// Resource usage samples (docker stats), read through the runtime's
// `events --stats` so every cgroup layout ocirun knows is covered.
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status.h"
#include "manager/lifecycle/container_internal.h"
#include "manager/lifecycle/container_manager.h"
#include "manager/lifecycle/subprocess.h"
#include "nlohmann/json.hpp"

namespace skiff::manager {

namespace v1 = skiff::v1;

namespace {

uint64_t U64(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return 0;
    p = &(*p)[k];
  }
  return p->is_number_unsigned() || p->is_number_integer() ? p->get<uint64_t>() : 0;
}

// Host CPU time in nanoseconds, from the first line of /proc/stat.
uint64_t SystemCpuNs() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;
  uint64_t total = 0, v = 0;
  for (int i = 0; i < 8 && in >> v; ++i) total += v;
  long hz = sysconf(_SC_CLK_TCK);
  return hz > 0 ? total * (1000000000ull / static_cast<uint64_t>(hz)) : 0;
}

}  // namespace

absl::StatusOr<v1::ContainerStats> ContainerManager::Sample(const std::string& ref) {
  ASSIGN_OR_RETURN(ContainerRecord rec, Resolve(ref));
  v1::ContainerStats s;
  s.set_id(rec.id);
  s.set_name(rec.name);
  absl::Time now = absl::Now();
  s.mutable_read()->set_seconds(absl::ToUnixSeconds(now));
  s.set_online_cpus(static_cast<uint32_t>(sysconf(_SC_NPROCESSORS_ONLN)));
  s.set_system_cpu_usage_ns(SystemCpuNs());
  if (rec.state != ContainerState::kRunning && rec.state != ContainerState::kPaused) return s;
  ASSIGN_OR_RETURN(CommandResult r, RunCommand({options_.runtime, "--root", RuntimeRoot(),
                                                "events", "--stats", rec.id},
                                               absl::Seconds(10)));
  if (r.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("ocirun events --stats: ", absl::StripAsciiWhitespace(r.err)));
  }
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_object() || !j.contains("data")) {
    return absl::InternalError("ocirun events --stats printed something that is not its JSON");
  }
  const nlohmann::json& d = j["data"];
  s.set_cpu_usage_ns(U64(d, {"cpu", "usage", "total"}));
  uint64_t cache = U64(d, {"memory", "cache"});
  uint64_t usage = U64(d, {"memory", "usage", "usage"});
  s.set_memory_usage(usage > cache ? usage - cache : usage);
  s.set_memory_cache(cache);
  uint64_t limit = U64(d, {"memory", "usage", "limit"});
  if (limit == 0 || limit >= (1ull << 62)) {
    // Unlimited: docker shows the host's memory.
    limit = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  }
  s.set_memory_limit(limit);
  s.set_pids(U64(d, {"pids", "current"}));
  s.set_pids_limit(U64(d, {"pids", "limit"}));
  if (d.contains("blkio") && d["blkio"].contains("ioServiceBytesRecursive") &&
      d["blkio"]["ioServiceBytesRecursive"].is_array()) {
    for (const auto& e : d["blkio"]["ioServiceBytesRecursive"]) {
      std::string op = e.value("op", "");
      uint64_t v = e.value("value", uint64_t{0});
      if (op == "Read" || op == "read") s.set_block_read_bytes(s.block_read_bytes() + v);
      if (op == "Write" || op == "write") s.set_block_write_bytes(s.block_write_bytes() + v);
    }
  }
  return s;
}

}  // namespace skiff::manager
