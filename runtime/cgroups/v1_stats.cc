// CgroupV1::Stats(): runc's `events --stats` data from the v1 controller
// files (cpuacct/cpu, cpuset, memory, pids, blkio, hugetlb).
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "runtime/cgroups/internal.h"
#include "runtime/cgroups/v1.h"

namespace skiff::runtime {

using namespace cgroups_internal;  // NOLINT
using json = nlohmann::json;

namespace {

uint64_t U(const std::string& dir, absl::string_view file) {
  absl::StatusOr<uint64_t> v = ReadUint(absl::StrCat(dir, "/", file));
  return v.ok() ? *v : 0;
}

std::string Text(const std::string& dir, absl::string_view file) {
  absl::StatusOr<std::string> t = ReadFile(absl::StrCat(dir, "/", file));
  return t.ok() ? *t : "";
}

json CpuStats(const std::string& cpuacct, const std::string& cpu) {
  json usage = json::object();
  if (!cpuacct.empty()) {
    SetNonZero(usage, "total", U(cpuacct, "cpuacct.usage"));
    json percpu = json::array();
    for (absl::string_view v : absl::StrSplit(Text(cpuacct, "cpuacct.usage_percpu"), ' ',
                                              absl::SkipWhitespace())) {
      uint64_t n;
      if (absl::SimpleAtoi(v, &n)) percpu.push_back(n);
    }
    if (!percpu.empty()) usage["percpu"] = percpu;
    // "cpu user system" then one line per cpu.
    json pk = json::array(), pu = json::array();
    for (absl::string_view line :
         absl::StrSplit(Text(cpuacct, "cpuacct.usage_all"), '\n', absl::SkipWhitespace())) {
      std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      uint64_t c, user, sys;
      if (f.size() == 3 && absl::SimpleAtoi(f[0], &c) && absl::SimpleAtoi(f[1], &user) &&
          absl::SimpleAtoi(f[2], &sys)) {
        pu.push_back(user);
        pk.push_back(sys);
      }
    }
    if (!pk.empty()) usage["percpu_kernel"] = pk;
    if (!pu.empty()) usage["percpu_user"] = pu;
    // cpuacct.stat counts clock ticks.
    std::map<std::string, uint64_t> st = ParseKeyValues(Text(cpuacct, "cpuacct.stat"));
    const uint64_t ns_per_tick = 1000000000ULL / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
    usage["kernel"] = st["system"] * ns_per_tick;
    usage["user"] = st["user"] * ns_per_tick;
  } else {
    usage["kernel"] = 0;
    usage["user"] = 0;
  }
  json throttling = json::object();
  if (!cpu.empty()) {
    std::map<std::string, uint64_t> st = ReadKeyValues(cpu + "/cpu.stat");
    SetNonZero(throttling, "periods", st["nr_periods"]);
    SetNonZero(throttling, "throttledPeriods", st["nr_throttled"]);
    SetNonZero(throttling, "throttledTime", st["throttled_time"]);
  }
  return json{{"usage", usage}, {"throttling", throttling}};
}

json CpusetStats(const std::string& dir, json j) {
  if (dir.empty()) return j;
  std::vector<uint64_t> cpus = ParseCpuList(Text(dir, "cpuset.cpus"));
  std::vector<uint64_t> mems = ParseCpuList(Text(dir, "cpuset.mems"));
  if (!cpus.empty()) j["cpus"] = cpus;
  if (!mems.empty()) j["mems"] = mems;
  for (const char* f : {"cpu_exclusive", "mem_hardwall", "mem_exclusive", "memory_migrate",
                        "memory_spread_page", "memory_spread_slab", "memory_pressure",
                        "sched_load_balance"}) {
    j[f] = U(dir, absl::StrCat("cpuset.", f));
  }
  int64_t level;
  if (!absl::SimpleAtoi(Trim(Text(dir, "cpuset.sched_relax_domain_level")), &level)) level = 0;
  j["sched_relax_domain_level"] = level;
  return j;
}

json MemoryStats(const std::string& dir, json j) {
  if (dir.empty()) return j;
  auto entry = [&](const std::string& prefix) {
    return MemoryEntryJson(U(dir, prefix + ".limit_in_bytes"), U(dir, prefix + ".usage_in_bytes"),
                           U(dir, prefix + ".max_usage_in_bytes"), U(dir, prefix + ".failcnt"));
  };
  j["usage"] = entry("memory");
  j["swap"] = entry("memory.memsw");
  j["kernel"] = entry("memory.kmem");
  j["kernelTCP"] = entry("memory.kmem.tcp");
  std::map<std::string, uint64_t> raw = ParseKeyValues(Text(dir, "memory.stat"));
  SetNonZero(j, "cache", raw.count("cache") ? raw["cache"] : 0);
  if (!raw.empty()) j["raw"] = raw;
  return j;
}

json PidsStats(const std::string& dir) {
  json j = json::object();
  if (dir.empty()) return j;
  SetNonZero(j, "current", U(dir, "pids.current"));
  uint64_t max = U(dir, "pids.max");
  SetNonZero(j, "limit", max == UINT64_MAX ? 0 : max);  // runc: no limit is 0
  return j;
}

// BFQ's counters when they have data, else CFQ's, else the throttling
// layer's (which sees every I/O), as runc picks them.
json BlkioStats(const std::string& dir) {
  json j = json::object();
  if (dir.empty()) return j;
  struct Source {
    const char* prefix;
    std::vector<std::pair<const char*, const char*>> files;  // json key, file suffix
  };
  const Source sources[] = {
      {"blkio.bfq.",
       {{"ioServiceBytesRecursive", "io_service_bytes_recursive"},
        {"ioServicedRecursive", "io_serviced_recursive"}}},
      {"blkio.",
       {{"ioServiceBytesRecursive", "io_service_bytes_recursive"},
        {"ioServicedRecursive", "io_serviced_recursive"},
        {"ioQueueRecursive", "io_queued_recursive"},
        {"ioServiceTimeRecursive", "io_service_time_recursive"},
        {"ioWaitTimeRecursive", "io_wait_time_recursive"},
        {"ioMergedRecursive", "io_merged_recursive"},
        {"ioTimeRecursive", "time_recursive"},
        {"sectorsRecursive", "sectors_recursive"}}},
      {"blkio.throttle.",
       {{"ioServiceBytesRecursive", "io_service_bytes_recursive"},
        {"ioServicedRecursive", "io_serviced_recursive"}}},
  };
  for (const Source& s : sources) {
    json candidate = json::object();
    bool any = false;
    for (const auto& [key, suffix] : s.files) {
      json entries = ParseBlkioEntries(Text(dir, absl::StrCat(s.prefix, suffix)));
      if (entries.empty()) continue;
      candidate[key] = entries;
      any = true;
    }
    if (any) return candidate;
  }
  return j;
}

json HugetlbStats(const std::string& dir) {
  json j = json::object();
  if (dir.empty()) return j;
  for (const std::string& size : HugePageSizes()) {
    std::string p = "hugetlb." + size;
    json e{{"failcnt", U(dir, p + ".failcnt")}};
    SetNonZero(e, "usage", U(dir, p + ".usage_in_bytes"));
    SetNonZero(e, "max", U(dir, p + ".max_usage_in_bytes"));
    j[size] = e;
  }
  return j;
}

}  // namespace

absl::StatusOr<json> CgroupV1::Stats() const {
  if (!Exists()) {
    return absl::NotFoundError(absl::StrCat(
        "cgroup `", hierarchies_.empty() ? path_ : hierarchies_[0].mount + path_,
        "` does not exist"));
  }
  json j = EmptyStats();
  j["cpu"] = CpuStats(Dir("cpuacct"), Dir("cpu"));
  j["cpuset"] = CpusetStats(Dir("cpuset"), j["cpuset"]);
  j["memory"] = MemoryStats(Dir("memory"), j["memory"]);
  j["pids"] = PidsStats(Dir("pids"));
  j["blkio"] = BlkioStats(Dir("blkio"));
  j["hugetlb"] = HugetlbStats(Dir("hugetlb"));
  return j;
}

}  // namespace skiff::runtime
