// CgroupV2::Stats(): runc's `events --stats` data from the unified
// hierarchy's files (cpu.stat, memory.*, pids.*, io.stat, hugetlb.*).
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "runtime/cgroups/internal.h"
#include "runtime/cgroups/v2.h"

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

uint64_t Get(std::map<std::string, uint64_t>& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

json CpuStats(const std::string& dir) {
  std::map<std::string, uint64_t> st = ReadKeyValues(dir + "/cpu.stat");
  json usage{{"kernel", Get(st, "system_usec") * 1000}, {"user", Get(st, "user_usec") * 1000}};
  SetNonZero(usage, "total", Get(st, "usage_usec") * 1000);
  json throttling = json::object();
  SetNonZero(throttling, "periods", Get(st, "nr_periods"));
  SetNonZero(throttling, "throttledPeriods", Get(st, "nr_throttled"));
  SetNonZero(throttling, "throttledTime", Get(st, "throttled_usec") * 1000);
  return json{{"usage", usage}, {"throttling", throttling}};
}

json MemoryStats(const std::string& dir, json j) {
  std::map<std::string, uint64_t> events = ReadKeyValues(dir + "/memory.events");
  const uint64_t limit = U(dir, "memory.max"), usage = U(dir, "memory.current");
  j["usage"] = MemoryEntryJson(limit, usage, U(dir, "memory.peak"), Get(events, "max"));
  // v1 reports swap as memory+swap; runc adds them up for v2 likewise.
  const uint64_t swap_limit = U(dir, "memory.swap.max");
  j["swap"] = MemoryEntryJson(swap_limit == UINT64_MAX ? swap_limit : swap_limit + limit,
                              U(dir, "memory.swap.current") + usage, 0, 0);
  std::map<std::string, uint64_t> raw = ParseKeyValues(Text(dir, "memory.stat"));
  SetNonZero(j, "cache", Get(raw, "file"));
  if (!raw.empty()) j["raw"] = raw;
  return j;
}

json PidsStats(const std::string& dir) {
  json j = json::object();
  SetNonZero(j, "current", U(dir, "pids.current"));
  uint64_t max = U(dir, "pids.max");
  SetNonZero(j, "limit", max == UINT64_MAX ? 0 : max);
  return j;
}

// io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0".
json IoStats(const std::string& dir) {
  json bytes = json::array(), ios = json::array();
  for (absl::string_view line : absl::StrSplit(Text(dir, "io.stat"), '\n', absl::SkipWhitespace())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    std::vector<absl::string_view> mm = absl::StrSplit(f[0], ':');
    uint64_t major, minor;
    if (mm.size() != 2 || !absl::SimpleAtoi(mm[0], &major) || !absl::SimpleAtoi(mm[1], &minor)) {
      continue;
    }
    for (size_t i = 1; i < f.size(); ++i) {
      std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(f[i], '=');
      uint64_t v;
      if (!absl::SimpleAtoi(kv.second, &v)) continue;
      if (kv.first == "rbytes") bytes.push_back(BlkioEntryJson(major, minor, "Read", v));
      if (kv.first == "wbytes") bytes.push_back(BlkioEntryJson(major, minor, "Write", v));
      if (kv.first == "rios") ios.push_back(BlkioEntryJson(major, minor, "Read", v));
      if (kv.first == "wios") ios.push_back(BlkioEntryJson(major, minor, "Write", v));
    }
  }
  json j = json::object();
  if (!bytes.empty()) j["ioServiceBytesRecursive"] = bytes;
  if (!ios.empty()) j["ioServicedRecursive"] = ios;
  return j;
}

json HugetlbStats(const std::string& dir) {
  json j = json::object();
  for (const std::string& size : HugePageSizes()) {
    std::string p = "hugetlb." + size;
    if (access(absl::StrCat(dir, "/", p, ".current").c_str(), F_OK) != 0) continue;
    std::map<std::string, uint64_t> events = ReadKeyValues(absl::StrCat(dir, "/", p, ".events"));
    json e{{"failcnt", Get(events, "max")}};
    SetNonZero(e, "usage", U(dir, p + ".current"));
    j[size] = e;
  }
  return j;
}

}  // namespace

absl::StatusOr<json> CgroupV2::Stats() const {
  if (!Exists()) return absl::NotFoundError(absl::StrCat("cgroup `", dir_, "` does not exist"));
  json j = EmptyStats();
  j["cpu"] = CpuStats(dir_);
  std::vector<uint64_t> cpus = ParseCpuList(Text(dir_, "cpuset.cpus.effective"));
  std::vector<uint64_t> mems = ParseCpuList(Text(dir_, "cpuset.mems.effective"));
  if (!cpus.empty()) j["cpuset"]["cpus"] = cpus;
  if (!mems.empty()) j["cpuset"]["mems"] = mems;
  j["memory"] = MemoryStats(dir_, j["memory"]);
  j["pids"] = PidsStats(dir_);
  j["blkio"] = IoStats(dir_);
  j["hugetlb"] = HugetlbStats(dir_);
  return j;
}

}  // namespace skiff::runtime
