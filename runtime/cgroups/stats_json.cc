// The JSON shapes of runc's `events --stats` data (types/events.go), shared
// by v1_stats.cc and v2_stats.cc.
#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "runtime/cgroups/internal.h"

namespace skiff::runtime::cgroups_internal {

using json = nlohmann::json;

void SetNonZero(json& j, const char* key, uint64_t v) {
  if (v != 0) j[key] = v;
}

json EmptyStats() {
  return json{
      {"cpu", {{"usage", {{"kernel", 0}, {"user", 0}}}, {"throttling", json::object()}}},
      {"cpuset",
       {{"cpu_exclusive", 0},
        {"mem_hardwall", 0},
        {"mem_exclusive", 0},
        {"memory_migrate", 0},
        {"memory_spread_page", 0},
        {"memory_spread_slab", 0},
        {"memory_pressure", 0},
        {"sched_load_balance", 0},
        {"sched_relax_domain_level", 0}}},
      {"memory",
       {{"usage", MemoryEntryJson(0, 0, 0, 0)},
        {"swap", MemoryEntryJson(0, 0, 0, 0)},
        {"kernel", MemoryEntryJson(0, 0, 0, 0)},
        {"kernelTCP", MemoryEntryJson(0, 0, 0, 0)}}},
      {"pids", json::object()},
      {"blkio", json::object()},
      {"hugetlb", json::object()},
      {"intel_rdt", json::object()},
      {"network_interfaces", nullptr},
  };
}

json MemoryEntryJson(uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt) {
  json j{{"limit", limit}, {"failcnt", failcnt}};
  SetNonZero(j, "usage", usage);
  SetNonZero(j, "max", max);
  return j;
}

json BlkioEntryJson(uint64_t major, uint64_t minor, const std::string& op, uint64_t value) {
  json j = json::object();
  SetNonZero(j, "major", major);
  SetNonZero(j, "minor", minor);
  if (!op.empty()) j["op"] = op;
  SetNonZero(j, "value", value);
  return j;
}

json ParseBlkioEntries(absl::string_view text) {
  json out = json::array();
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    std::vector<absl::string_view> mm;
    if (!f.empty()) mm = absl::StrSplit(f[0], ':');
    uint64_t major, minor, value;
    if (mm.size() != 2 || !absl::SimpleAtoi(mm[0], &major) || !absl::SimpleAtoi(mm[1], &minor)) {
      continue;  // "Total N"
    }
    if (f.size() == 2 && absl::SimpleAtoi(f[1], &value)) {  // "8:0 123" (time, sectors)
      out.push_back(BlkioEntryJson(major, minor, "", value));
    } else if (f.size() == 3 && absl::SimpleAtoi(f[2], &value)) {
      out.push_back(BlkioEntryJson(major, minor, std::string(f[1]), value));
    }
  }
  return out;
}

std::vector<uint64_t> ParseCpuList(absl::string_view text) {
  std::vector<uint64_t> out;
  for (absl::string_view part : absl::StrSplit(Trim(text), ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> ab = absl::StrSplit(part, '-');
    uint64_t a, b;
    if (ab.size() == 1 && absl::SimpleAtoi(ab[0], &a)) {
      out.push_back(a);
    } else if (ab.size() == 2 && absl::SimpleAtoi(ab[0], &a) && absl::SimpleAtoi(ab[1], &b) &&
               a <= b && b - a < 65536) {
      for (uint64_t i = a; i <= b; ++i) out.push_back(i);
    }
  }
  return out;
}

}  // namespace skiff::runtime::cgroups_internal
