#include "runtime/cgroups/v2.h"

#include <linux/magic.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "runtime/cgroups/device_rules.h"
#include "runtime/cgroups/devices_bpf.h"
#include "runtime/cgroups/internal.h"

namespace skiff::runtime {

using namespace cgroups_internal;  // NOLINT

uint64_t CpuSharesToWeight(uint64_t shares) {
  if (shares == 0) return 0;
  shares = std::clamp<uint64_t>(shares, 2, 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

absl::StatusOr<int64_t> MemorySwapToV2(int64_t swap, int64_t limit) {
  if (limit == -1 && swap == 0) return -1;
  if (swap == -1 || swap == 0) return swap;
  if (limit == 0 || limit == -1) {
    return absl::InvalidArgumentError(
        "linux.resources.memory.swap: a swap limit needs a memory limit on cgroup v2");
  }
  if (limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("linux.resources.memory.limit: invalid value ", limit));
  }
  if (swap < limit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "linux.resources.memory.swap (", swap, ") must be at least linux.resources.memory.limit (",
        limit, "): it limits memory plus swap"));
  }
  return swap - limit;
}

uint64_t BlkioWeightToIoWeight(uint16_t weight) {
  if (weight == 0) return 0;
  uint64_t w = std::clamp<uint64_t>(weight, 10, 1000);
  return 1 + (w - 10) * 9999 / 990;
}

absl::Status CheckV2Resources(const Resources& r) {
  for (const auto& [key, value] : r.unified) RETURN_IF_ERROR(ValidateUnifiedKey(key));
  if (r.network && (r.network->class_id || !r.network->priorities.empty())) {
    return absl::InvalidArgumentError(
        "linux.resources.network (net_cls classID, net_prio priorities) is not supported on "
        "cgroup v2");
  }
  if (r.block_io) {
    auto check = [](std::optional<uint16_t> w, const std::string& field) -> absl::Status {
      if (w.value_or(0) != 0 && (*w < 10 || *w > 1000)) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": ", *w, " is out of range 10-1000"));
      }
      return absl::OkStatus();
    };
    RETURN_IF_ERROR(check(r.block_io->weight, "linux.resources.blockIO.weight"));
    for (size_t i = 0; i < r.block_io->weight_device.size(); ++i) {
      RETURN_IF_ERROR(check(r.block_io->weight_device[i].weight,
                            absl::StrCat("linux.resources.blockIO.weightDevice[", i, "].weight")));
    }
  }
  if (!r.hugepage_limits.empty()) RETURN_IF_ERROR(CheckHugePageSizes(r, HugePageSizes()));
  return absl::OkStatus();
}

std::string CpuMaxValue(int64_t quota, uint64_t period) {
  if (quota == 0 && period == 0) return "";
  std::string v = quota > 0 ? absl::StrCat(quota) : "max";
  if (period != 0) absl::StrAppend(&v, " ", period);
  return v;
}

bool IsDefaultDeviceRules(const std::vector<DeviceRule>& rules) {
  struct Std {
    char type;
    int64_t major, minor;  // -1: any
  };
  static constexpr Std kStandard[] = {
      {'c', -1, -1},  {'b', -1, -1},  // mknod of anything ("m" only, checked below)
      {'c', 1, 3},    {'c', 1, 5},    {'c', 1, 7},   {'c', 1, 8}, {'c', 1, 9},
      {'c', 5, 0},    {'c', 5, 1},    {'c', 5, 2},   {'c', 136, -1}, {'c', 10, 200},
  };
  auto num = [](const std::optional<int64_t>& v) { return v && *v >= 0 ? *v : -1; };
  for (const DeviceRule& r : rules) {
    const std::string type = r.type.empty() ? "a" : r.type;
    const int64_t major = num(r.major), minor = num(r.minor);
    if (type == "a" && major == -1 && minor == -1) continue;  // deny-all / allow-all
    if (!r.allow || type.size() != 1) return false;
    const std::string access = r.access.empty() ? "rwm" : r.access;
    bool standard = false;
    for (const Std& s : kStandard) {
      if (s.type != type[0] || s.major != major || s.minor != minor) continue;
      standard = s.major != -1 || access.find_first_not_of('m') == std::string::npos;
    }
    if (!standard) return false;
  }
  return true;
}

absl::Status ValidateUnifiedKey(const std::string& key) {
  if (key.empty() || key.find('/') != std::string::npos || key.find("..") != std::string::npos ||
      key.find('\0') != std::string::npos || key == ".") {
    return absl::InvalidArgumentError(absl::StrCat(
        "linux.resources.unified: key \"", key, "\" is not a cgroup file name"));
  }
  return absl::OkStatus();
}

namespace {

// Controllers enabled for the container's parent when available, so that
// later updates and stats work; those the config needs must be available.
constexpr absl::string_view kDefaultControllers[] = {"cpu", "cpuset", "io", "memory", "pids"};

struct Needed {
  std::string controller, field;
};

std::vector<Needed> NeededControllers(const Resources& r) {
  std::vector<Needed> out;
  auto add = [&](std::string c, std::string field) {
    for (const Needed& n : out) {
      if (n.controller == c) return;
    }
    out.push_back({std::move(c), std::move(field)});
  };
  if (r.memory) {
    const MemoryResources& m = *r.memory;
    if (m.limit.value_or(0) != 0 || m.reservation.value_or(0) != 0 || m.swap.value_or(0) != 0) {
      add("memory", "linux.resources.memory");
    }
  }
  if (r.cpu) {
    const CpuResources& c = *r.cpu;
    if (c.shares.value_or(0) != 0 || c.quota.value_or(0) != 0 || c.period.value_or(0) != 0 ||
        c.idle) {
      add("cpu", "linux.resources.cpu");
    }
  }
  if (NeedsCpuset(r)) add("cpuset", "linux.resources.cpu.cpus/mems");
  if (r.pids_limit) add("pids", "linux.resources.pids");
  if (NeedsBlkio(r)) add("io", "linux.resources.blockIO");
  if (!r.hugepage_limits.empty()) add("hugetlb", "linux.resources.hugepageLimits");
  if (!r.rdma.empty()) add("rdma", "linux.resources.rdma");
  for (const auto& [key, value] : r.unified) {
    std::string c = key.substr(0, key.find('.'));
    if (c != "cgroup" && c != key) add(c, absl::StrCat("linux.resources.unified[\"", key, "\"]"));
  }
  return out;
}

void SplitNeeded(const Resources& r, std::vector<std::string>* names,
                 std::vector<std::string>* fields) {
  for (const Needed& n : NeededControllers(r)) {
    names->push_back(n.controller);
    fields->push_back(n.field);
  }
}

bool Contains(const std::vector<std::string>& v, absl::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::vector<std::string> Words(absl::string_view text) {
  return absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty());
}

}  // namespace

absl::StatusOr<std::unique_ptr<CgroupV2>> CgroupV2::Create(const std::string& root,
                                                           const std::string& path,
                                                           const Resources* r,
                                                           std::vector<std::string>* warnings) {
  std::vector<std::string> needed_names, needed_fields;
  if (r) {
    RETURN_IF_ERROR(CheckV2Resources(*r));
    SplitNeeded(*r, &needed_names, &needed_fields);
  }
  // Only a cgroup2 mount is a v2 hierarchy (see DetectCgroupMode).
  ASSIGN_OR_RETURN(int64_t type, StatfsType(root));
  if (type != CGROUP2_SUPER_MAGIC) {
    return absl::FailedPreconditionError(absl::StrCat("create cgroup `", root, path, "`: `", root,
                                                      "` is ", FsTypeName(type),
                                                      ", not a cgroup2 filesystem"));
  }
  auto cg = std::make_unique<CgroupV2>(root, path);
  std::vector<std::string> created;
  absl::Status st = cg->Setup(r, needed_names, needed_fields, warnings, &created);
  if (!st.ok()) {
    RemoveCreated(created);
    return st;
  }
  return cg;
}

absl::Status CgroupV2::Setup(const Resources* r, const std::vector<std::string>& needed,
                             const std::vector<std::string>& fields,
                             std::vector<std::string>* warnings,
                             std::vector<std::string>* created) {
  RETURN_IF_ERROR(MkdirAll(root_, path_, created));
  const bool fresh = !created->empty();
  RETURN_IF_ERROR(EnableControllers(needed, fields, /*parent_existed=*/created->size() <= 1));
  if (r) RETURN_IF_ERROR(Apply(*r, fresh, warnings));
  return absl::OkStatus();
}

// Enables the controllers in cgroup.subtree_control of every ancestor, from
// the root down to the leaf's parent (not the leaf: it holds processes).
absl::Status CgroupV2::EnableControllers(const std::vector<std::string>& needed,
                                         const std::vector<std::string>& fields,
                                         bool parent_existed) {
  if (parent_existed) {
    const std::string parent = dir_.substr(0, dir_.rfind('/'));
    // Usually a previous container set the parent up already: one read.
    absl::StatusOr<std::string> enabled = ReadFile(parent + "/cgroup.subtree_control");
    if (enabled.ok()) {
      std::vector<std::string> on = Words(*enabled);
      if (!on.empty() && std::all_of(needed.begin(), needed.end(),
                                     [&](const std::string& c) { return Contains(on, c); })) {
        return absl::OkStatus();
      }
    }
  }
  const std::string avail_file = root_ + "/cgroup.controllers";
  ASSIGN_OR_RETURN(std::string avail_text, ReadFile(avail_file));
  std::vector<std::string> avail = Words(avail_text);
  std::vector<std::string> wanted;
  for (size_t i = 0; i < needed.size(); ++i) {
    if (!Contains(avail, needed[i])) {
      return absl::FailedPreconditionError(absl::StrCat(
          fields[i], " needs the cgroup v2 \"", needed[i], "\" controller, which `", avail_file,
          "` does not list (available: \"", absl::StrJoin(avail, " "), "\")"));
    }
    wanted.push_back(needed[i]);
  }
  for (absl::string_view c : kDefaultControllers) {
    if (Contains(avail, c) && !Contains(wanted, c)) wanted.emplace_back(c);
  }
  if (wanted.empty()) return absl::OkStatus();

  auto line = [](const std::vector<std::string>& cs) {
    return absl::StrCat("+", absl::StrJoin(cs, " +"));
  };
  std::vector<std::string> ancestors{root_};
  for (absl::string_view part : absl::StrSplit(path_, '/', absl::SkipEmpty())) {
    ancestors.push_back(absl::StrCat(ancestors.back(), "/", part));
  }
  ancestors.pop_back();  // the leaf
  for (const std::string& dir : ancestors) {
    std::string file = dir + "/cgroup.subtree_control";
    if (WriteFile(file, line(wanted)).ok()) continue;
    // One at a time: the optional ones may be refused, the needed ones not.
    std::vector<std::string> kept;
    for (const std::string& c : wanted) {
      absl::Status st = WriteFile(file, "+" + c);
      if (st.ok()) {
        kept.push_back(c);
        continue;
      }
      auto it = std::find(needed.begin(), needed.end(), c);
      if (it != needed.end()) {
        return Annotate(st, absl::StrCat("enabling the cgroup \"", c, "\" controller for ",
                                         fields[it - needed.begin()]));
      }
    }
    wanted = std::move(kept);
    if (wanted.empty()) break;
  }
  return absl::OkStatus();
}

absl::Status CgroupV2::Apply(const Resources& r, bool fresh, std::vector<std::string>* warnings) {
  WarnUnsupported(r, warnings);
  if (r.memory) {
    const MemoryResources& m = *r.memory;
    if (m.kernel) {
      Warn(warnings, "linux.resources.memory.kernel is deprecated and not applied; ignoring");
    }
    if (m.kernel_tcp) {
      Warn(warnings, "linux.resources.memory.kernelTCP is not supported on cgroup v2; ignoring");
    }
    if (m.swappiness && *m.swappiness != UINT64_MAX) {
      Warn(warnings, "linux.resources.memory.swappiness is not supported on cgroup v2; ignoring");
    }
    if (m.disable_oom_killer.value_or(false)) {
      Warn(warnings,
           "linux.resources.memory.disableOOMKiller is not supported on cgroup v2; ignoring");
    }
    const int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0);
    ASSIGN_OR_RETURN(int64_t swap_v2, MemorySwapToV2(swap, limit));
    std::string swap_str = swap_v2 == -1  ? "max"
                           : swap_v2 != 0 ? absl::StrCat(swap_v2)
                           : swap > 0     ? "0"  // swap == limit: no swap at all
                                          : "";
    // New cgroups start at "max".
    if (!swap_str.empty() && !(fresh && swap_str == "max")) {
      absl::Status st = SetFile(dir_, "memory.swap.max", swap_str, "linux.resources.memory.swap");
      if (absl::IsNotFound(st)) {
        if (swap_str != "max" && swap_str != "0") {
          Warn(warnings,
               "linux.resources.memory.swap is not applied: swap accounting is disabled on this "
               "host (no memory.swap.max); ignoring");
        }
      } else if (!st.ok()) {
        return st;
      }
    }
    if (limit != 0 && !(fresh && limit == -1)) {
      RETURN_IF_ERROR(SetFile(dir_, "memory.max", limit == -1 ? "max" : absl::StrCat(limit),
                              "linux.resources.memory.limit"));
    }
    if (int64_t res = m.reservation.value_or(0); res != 0) {
      RETURN_IF_ERROR(SetFile(dir_, "memory.low", res == -1 ? "max" : absl::StrCat(res),
                              "linux.resources.memory.reservation"));
    }
  }
  if (r.cpu) {
    const CpuResources& c = *r.cpu;
    if (uint64_t weight = CpuSharesToWeight(c.shares.value_or(0)); weight != 0) {
      RETURN_IF_ERROR(
          SetFile(dir_, "cpu.weight", absl::StrCat(weight), "linux.resources.cpu.shares"));
    }
    std::string max = CpuMaxValue(c.quota.value_or(0), c.period.value_or(0));
    if (!max.empty() && !(fresh && max == "max")) {
      RETURN_IF_ERROR(SetFile(dir_, "cpu.max", max, "linux.resources.cpu.quota/period"));
    }
    if (c.realtime_runtime.value_or(0) != 0 || c.realtime_period.value_or(0) != 0) {
      Warn(warnings,
           "linux.resources.cpu.realtimeRuntime/realtimePeriod are not supported on cgroup v2; "
           "ignoring");
    }
    if (c.idle && !(fresh && *c.idle == 0)) {
      RETURN_IF_ERROR(SetFile(dir_, "cpu.idle", absl::StrCat(*c.idle), "linux.resources.cpu.idle"));
    }
    if (!c.cpus.empty()) {
      RETURN_IF_ERROR(SetFile(dir_, "cpuset.cpus", c.cpus, "linux.resources.cpu.cpus"));
    }
    if (!c.mems.empty()) {
      RETURN_IF_ERROR(SetFile(dir_, "cpuset.mems", c.mems, "linux.resources.cpu.mems"));
    }
  }
  if (r.pids_limit && !(fresh && *r.pids_limit <= 0)) {
    RETURN_IF_ERROR(SetFile(dir_, "pids.max",
                            *r.pids_limit > 0 ? absl::StrCat(*r.pids_limit) : "max",
                            "linux.resources.pids.limit"));
  }
  if (r.block_io) RETURN_IF_ERROR(ApplyIo(*r.block_io, warnings));
  for (size_t i = 0; i < r.hugepage_limits.size(); ++i) {
    const HugepageLimit& l = r.hugepage_limits[i];
    std::string field = absl::StrCat("linux.resources.hugepageLimits[", i, "]");
    std::string v = absl::StrCat(l.limit);
    RETURN_IF_ERROR(SetFile(dir_, absl::StrCat("hugetlb.", l.page_size, ".max"), v, field));
    std::string rsvd = absl::StrCat("hugetlb.", l.page_size, ".rsvd.max");
    if (access(absl::StrCat(dir_, "/", rsvd).c_str(), F_OK) == 0) {
      RETURN_IF_ERROR(SetFile(dir_, rsvd, v, field));
    }
  }
  for (const auto& [device, limit] : r.rdma) {
    if (!limit.hca_handles && !limit.hca_objects) continue;
    RETURN_IF_ERROR(SetFile(dir_, "rdma.max", RdmaMaxLine(device, limit),
                            absl::StrCat("linux.resources.rdma[\"", device, "\"]")));
  }
  for (const auto& [key, value] : r.unified) {
    RETURN_IF_ERROR(
        SetFile(dir_, key, value, absl::StrCat("linux.resources.unified[\"", key, "\"]")));
  }
  if (!r.devices.empty()) RETURN_IF_ERROR(ApplyDevices(r.devices, warnings));
  return absl::OkStatus();
}

// io.bfq.weight takes the blkio weight as is (and per-device weights) when
// BFQ is there; otherwise io.weight takes the converted weight.
absl::Status CgroupV2::ApplyIo(const BlockIoResources& b, std::vector<std::string>* warnings) {
  const bool bfq = access((dir_ + "/io.bfq.weight").c_str(), F_OK) == 0;
  if (uint16_t w = b.weight.value_or(0); w != 0) {
    if (bfq) {
      RETURN_IF_ERROR(SetFile(dir_, "io.bfq.weight", absl::StrCat(w),
                              "linux.resources.blockIO.weight"));
    } else if (access((dir_ + "/io.weight").c_str(), F_OK) == 0) {
      RETURN_IF_ERROR(SetFile(dir_, "io.weight", absl::StrCat(BlkioWeightToIoWeight(w)),
                              "linux.resources.blockIO.weight"));
    } else {
      Warn(warnings, absl::StrCat("linux.resources.blockIO.weight is not applied: `", dir_,
                                  "` has neither io.bfq.weight nor io.weight; ignoring"));
    }
  }
  if (b.leaf_weight.value_or(0) != 0) {
    Warn(warnings, "linux.resources.blockIO.leafWeight is not supported on cgroup v2; ignoring");
  }
  bool warned_leaf = false, warned_weight = false;
  for (size_t i = 0; i < b.weight_device.size(); ++i) {
    const WeightDevice& d = b.weight_device[i];
    std::string field = absl::StrCat("linux.resources.blockIO.weightDevice[", i, "]");
    if (d.leaf_weight.value_or(0) != 0 && !warned_leaf) {
      Warn(warnings, field + ".leafWeight is not supported on cgroup v2; ignoring");
      warned_leaf = true;
    }
    if (d.weight.value_or(0) == 0) continue;
    if (!bfq) {
      if (!warned_weight) {
        Warn(warnings, absl::StrCat(field, ".weight is not applied: per-device weights need the "
                                           "BFQ I/O scheduler (no io.bfq.weight); ignoring"));
        warned_weight = true;
      }
      continue;
    }
    RETURN_IF_ERROR(SetFile(dir_, "io.bfq.weight",
                            absl::StrCat(MajorMinor(d.major, d.minor), " ", *d.weight),
                            field + ".weight"));
  }
  struct Throttle {
    const std::vector<ThrottleDevice>* list;
    const char* key;
    const char* field;
  };
  const Throttle throttles[] = {
      {&b.throttle_read_bps, "rbps", "throttleReadBpsDevice"},
      {&b.throttle_write_bps, "wbps", "throttleWriteBpsDevice"},
      {&b.throttle_read_iops, "riops", "throttleReadIOPSDevice"},
      {&b.throttle_write_iops, "wiops", "throttleWriteIOPSDevice"},
  };
  for (const Throttle& t : throttles) {
    for (size_t i = 0; i < t.list->size(); ++i) {
      const ThrottleDevice& d = (*t.list)[i];
      // 0 removes a v1 limit; v2 spells that "max".
      std::string rate = d.rate == 0 ? std::string("max") : absl::StrCat(d.rate);
      RETURN_IF_ERROR(SetFile(dir_, "io.max",
                              absl::StrCat(MajorMinor(d.major, d.minor), " ", t.key, "=", rate),
                              absl::StrCat("linux.resources.blockIO.", t.field, "[", i, "]")));
    }
  }
  return absl::OkStatus();
}

// The eBPF filter replaces any attached before. When the kernel refuses
// BPF and the rules are only what every container gets anyway, a warning
// does; otherwise it is an error (a rule would silently not hold).
absl::Status CgroupV2::ApplyDevices(const std::vector<DeviceRule>& rules,
                                    std::vector<std::string>* warnings) {
  ASSIGN_OR_RETURN(DeviceState state, EmulateDeviceRules(rules));
  absl::Status st = ApplyDeviceFilter(dir_, state);
  if (st.ok()) return absl::OkStatus();
  if (IsDefaultDeviceRules(rules)) {
    Warn(warnings, absl::StrCat("device cgroup rules are not enforced: ", st.message()));
    return absl::OkStatus();
  }
  return Annotate(st, "linux.resources.devices");
}

absl::Status CgroupV2::Update(const Resources& in, std::vector<std::string>* warnings) {
  Resources r = DropZeroFields(in);
  RETURN_IF_ERROR(CheckV2Resources(r));
  if (!Exists()) return absl::NotFoundError(absl::StrCat("cgroup `", dir_, "` does not exist"));
  std::vector<std::string> needed, fields;
  SplitNeeded(r, &needed, &fields);
  RETURN_IF_ERROR(EnableControllers(needed, fields, /*parent_existed=*/true));
  // Pairs the v2 files hold together: keep the half that is not updated.
  if (r.memory && r.memory->swap && !r.memory->limit) {
    absl::StatusOr<uint64_t> cur = ReadUint(dir_ + "/memory.max");
    if (cur.ok()) r.memory->limit = *cur == UINT64_MAX ? -1 : static_cast<int64_t>(*cur);
  }
  if (r.cpu && r.cpu->period && !r.cpu->quota) {
    absl::StatusOr<std::string> cur = ReadFile(dir_ + "/cpu.max");
    int64_t quota;
    std::vector<std::string> w = cur.ok() ? Words(*cur) : std::vector<std::string>{};
    if (!w.empty() && absl::SimpleAtoi(w[0], &quota)) r.cpu->quota = quota;  // "max": unset
  }
  return Apply(r, /*fresh=*/false, warnings);
}

absl::Status CgroupV2::SetFrozen(bool frozen) {
  const std::string events = dir_ + "/cgroup.events";
  const std::string want = frozen ? "frozen 1" : "frozen 0";
  RETURN_IF_ERROR(SetFile(dir_, "cgroup.freeze", frozen ? "1" : "0",
                          frozen ? "freezing cgroup" : "thawing cgroup"));
  std::string last;
  auto reached = [&] {
    absl::StatusOr<std::string> text = ReadFile(events);
    if (!text.ok()) return false;
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      if (absl::StartsWith(line, "frozen ")) {
        last = std::string(line);
        return line == want;
      }
    }
    return false;
  };
  if (PollUntil(reached, 5000)) return absl::OkStatus();
  if (frozen) (void)WriteFile(dir_ + "/cgroup.freeze", "0");
  return absl::DeadlineExceededError(absl::StrCat(frozen ? "freezing" : "thawing", " `", dir_,
                                                  "`: cgroup.events still says \"", last,
                                                  "\" after 5s"));
}

bool CgroupV2::IsFrozen() const {
  absl::StatusOr<std::string> s = ReadFile(dir_ + "/cgroup.freeze");
  return s.ok() && Trim(*s) == "1";
}

namespace {

uint64_t OomKills(const std::string& file) {
  std::map<std::string, uint64_t> ev = ReadKeyValues(file);
  return ev.count("oom_kill") ? ev["oom_kill"] : 0;
}

// inotify on memory.events; each rise of "oom_kill" is an OOM event.
class V2OomNotifier final : public Cgroup::OomNotifier {
 public:
  V2OomNotifier(UniqueFd fd, std::string file)
      : fd_(std::move(fd)), file_(std::move(file)), last_(OomKills(file_)) {}
  int fd() const override { return fd_.get(); }
  absl::StatusOr<uint64_t> Consume() override {
    char buf[4096];
    while (read(fd_.get(), buf, sizeof(buf)) > 0) {
    }
    uint64_t now = OomKills(file_);
    uint64_t n = now > last_ ? now - last_ : 0;
    last_ = now;
    return n;
  }

 private:
  UniqueFd fd_;
  std::string file_;
  uint64_t last_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Cgroup::OomNotifier>> CgroupV2::NotifyOom() const {
  const std::string file = dir_ + "/memory.events";
  if (access(file.c_str(), F_OK) != 0) {
    return Annotate(Errno("OOM events need", file), "the cgroup v2 memory controller");
  }
  UniqueFd fd(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!fd) return Errno("inotify_init1 for", file);
  if (inotify_add_watch(fd.get(), file.c_str(), IN_MODIFY) < 0) {
    return Errno("inotify_add_watch", file);
  }
  return std::unique_ptr<Cgroup::OomNotifier>(new V2OomNotifier(std::move(fd), file));
}

absl::Status CgroupV2::AddProcess(pid_t pid) { return AddPid(dir_, pid); }

absl::StatusOr<std::vector<pid_t>> CgroupV2::Pids() const { return ReadPids(dir_); }

absl::Status CgroupV2::Destroy() { return RemoveDirs({dir_}); }

bool CgroupV2::Exists() const {
  struct stat st;
  return stat(dir_.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace skiff::runtime
