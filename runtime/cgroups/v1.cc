#include "runtime/cgroups/v1.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "runtime/cgroups/device_rules.h"
#include "runtime/cgroups/internal.h"

namespace skiff::runtime {

using namespace cgroups_internal;  // NOLINT

bool V1Hierarchy::Has(absl::string_view controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

std::string CgroupV1::Dir(absl::string_view controller) const {
  for (const V1Hierarchy& h : hierarchies_) {
    if (h.Has(controller)) return h.mount + path_;
  }
  return "";
}

absl::Status CheckV1Resources(const Resources& r, const std::vector<V1Hierarchy>& hierarchies) {
  if (!r.unified.empty()) {
    return absl::InvalidArgumentError(
        "linux.resources.unified requires cgroup v2; this host uses cgroup v1");
  }
  struct Need {
    bool needed;
    const char* controller;
    const char* field;
  };
  const Need needs[] = {
      {NeedsMemory(r), "memory", "memory"},
      {NeedsCpu(r), "cpu", "cpu"},
      {NeedsCpuset(r), "cpuset", "cpu.cpus/mems"},
      {r.pids_limit.has_value(), "pids", "pids"},
      {!r.devices.empty(), "devices", "devices"},
      {NeedsBlkio(r), "blkio", "blockIO"},
      {!r.hugepage_limits.empty(), "hugetlb", "hugepageLimits"},
      {NeedsNetCls(r), "net_cls", "network.classID"},
      {NeedsNetPrio(r), "net_prio", "network.priorities"},
      {!r.rdma.empty(), "rdma", "rdma"},
  };
  for (const Need& n : needs) {
    if (!n.needed) continue;
    bool mounted = std::any_of(hierarchies.begin(), hierarchies.end(),
                               [&](const V1Hierarchy& h) { return h.Has(n.controller); });
    if (!mounted) {
      return absl::FailedPreconditionError(
          absl::StrCat("linux.resources.", n.field, " needs the cgroup \"", n.controller,
                       "\" controller, which is not mounted on this host"));
    }
  }
  if (!r.hugepage_limits.empty()) RETURN_IF_ERROR(CheckHugePageSizes(r, HugePageSizes()));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<CgroupV1>> CgroupV1::Create(const std::string& path,
                                                           std::vector<V1Hierarchy> hierarchies,
                                                           const Resources* r,
                                                           std::vector<std::string>* warnings) {
  // Everything that can be checked without cgroupfs comes first.
  if (r) RETURN_IF_ERROR(CheckV1Resources(*r, hierarchies));
  auto cg = std::make_unique<CgroupV1>(path, std::move(hierarchies));
  std::vector<std::string> created;
  absl::Status st = cg->Setup(r, warnings, &created);
  if (!st.ok()) {
    RemoveCreated(created);
    return st;
  }
  return cg;
}

absl::Status CgroupV1::Update(const Resources& in, std::vector<std::string>* warnings) {
  const Resources r = DropZeroFields(in);
  RETURN_IF_ERROR(CheckV1Resources(r, hierarchies_));
  if (!Exists()) {
    return absl::NotFoundError(
        absl::StrCat("cgroup `", hierarchies_.empty() ? path_ : hierarchies_[0].mount + path_,
                     "` does not exist"));
  }
  return Apply(r, std::vector<bool>(hierarchies_.size(), false), warnings);
}

absl::Status CgroupV1::Setup(const Resources* r, std::vector<std::string>* warnings,
                             std::vector<std::string>* created) {
  std::vector<bool> fresh(hierarchies_.size());
  for (size_t i = 0; i < hierarchies_.size(); ++i) {
    const V1Hierarchy& h = hierarchies_[i];
    size_t before = created->size();
    RETURN_IF_ERROR(MkdirAll(h.mount, path_, created));
    size_t n = created->size() - before;
    fresh[i] = n > 0;
    // Without cpus and mems a cpuset cannot take processes (ENOSPC).
    if (h.Has("cpuset")) RETURN_IF_ERROR(EnsureCpuset(h, n, r));
  }
  if (r) RETURN_IF_ERROR(Apply(*r, fresh, warnings));
  return absl::OkStatus();
}

// Fills empty cpuset.cpus/cpuset.mems from the parent, top-down from the
// first directory created (runc's copyIfNeeded), skipping the leaf's values
// the spec sets anyway.
absl::Status CgroupV1::EnsureCpuset(const V1Hierarchy& h, size_t n_created, const Resources* r) {
  std::vector<std::string> dirs{h.mount};
  for (absl::string_view part : absl::StrSplit(path_, '/', absl::SkipEmpty())) {
    dirs.push_back(absl::StrCat(dirs.back(), "/", part));
  }
  const size_t k = dirs.size() - 1;  // the leaf
  n_created = std::min(n_created, k);
  const bool spec_cpus = r && r->cpu && !r->cpu->cpus.empty();
  const bool spec_mems = r && r->cpu && !r->cpu->mems.empty();
  const size_t first = k + 1 - n_created;  // first created; k + 1 when none
  // Only the leaf is new (or none is) and the spec sets both: nothing to copy.
  if (first >= k && spec_cpus && spec_mems) return absl::OkStatus();

  // Read upwards from the first created one's parent (or the existing leaf)
  // until both values are set.
  struct Values {
    std::string cpus, mems;
  };
  std::vector<Values> read(k + 1);
  size_t i = first - 1;
  for (;; --i) {
    ASSIGN_OR_RETURN(std::string cpus, ReadFile(dirs[i] + "/cpuset.cpus"));
    ASSIGN_OR_RETURN(std::string mems, ReadFile(dirs[i] + "/cpuset.mems"));
    read[i] = {std::string(Trim(cpus)), std::string(Trim(mems))};
    if (!read[i].cpus.empty() && !read[i].mems.empty()) break;
    if (i == 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cpuset.cpus or cpuset.mems of `", h.mount, "` is empty; cannot initialise cpuset"));
    }
  }
  std::string cpus = read[i].cpus, mems = read[i].mems;
  for (size_t j = i + 1; j <= k; ++j) {
    // Directories that existed were read above; keep what they have.
    bool existed = j < first;
    if (existed && !read[j].cpus.empty()) {
      cpus = read[j].cpus;
    } else if (!(j == k && spec_cpus)) {
      RETURN_IF_ERROR(SetFile(dirs[j], "cpuset.cpus", cpus, "initialising cpuset"));
    }
    if (existed && !read[j].mems.empty()) {
      mems = read[j].mems;
    } else if (!(j == k && spec_mems)) {
      RETURN_IF_ERROR(SetFile(dirs[j], "cpuset.mems", mems, "initialising cpuset"));
    }
  }
  return absl::OkStatus();
}

absl::Status CgroupV1::Apply(const Resources& r, const std::vector<bool>& fresh,
                             std::vector<std::string>* warnings) {
  WarnUnsupported(r, warnings);
  auto is_fresh = [&](absl::string_view controller) {
    for (size_t i = 0; i < hierarchies_.size(); ++i) {
      if (hierarchies_[i].Has(controller)) return static_cast<bool>(fresh[i]);
    }
    return false;
  };
  if (NeedsCpuset(r)) {
    std::string dir = Dir("cpuset");
    if (!r.cpu->cpus.empty()) {
      RETURN_IF_ERROR(SetFile(dir, "cpuset.cpus", r.cpu->cpus, "linux.resources.cpu.cpus"));
    }
    if (!r.cpu->mems.empty()) {
      RETURN_IF_ERROR(SetFile(dir, "cpuset.mems", r.cpu->mems, "linux.resources.cpu.mems"));
    }
  }
  if (!r.devices.empty()) {
    if (is_fresh("devices")) {
      RETURN_IF_ERROR(ApplyDevices(r.devices, Dir("devices")));
    } else {
      RETURN_IF_ERROR(UpdateDevices(r.devices, Dir("devices")));
    }
  }
  if (r.memory && r.memory->kernel) {
    Warn(warnings, "linux.resources.memory.kernel is deprecated and not applied; ignoring");
  }
  if (NeedsMemory(r)) {
    RETURN_IF_ERROR(ApplyMemory(*r.memory, Dir("memory"), is_fresh("memory"), warnings));
  }
  if (NeedsCpu(r)) RETURN_IF_ERROR(ApplyCpu(*r.cpu, Dir("cpu"), is_fresh("cpu")));
  if (r.pids_limit) {
    // A new cgroup starts at "max".
    if (*r.pids_limit > 0 || !is_fresh("pids")) {
      std::string v = *r.pids_limit > 0 ? absl::StrCat(*r.pids_limit) : "max";
      RETURN_IF_ERROR(SetFile(Dir("pids"), "pids.max", v, "linux.resources.pids.limit"));
    }
  }
  if (r.block_io) RETURN_IF_ERROR(ApplyBlkio(*r.block_io, Dir("blkio"), warnings));
  if (!r.hugepage_limits.empty()) RETURN_IF_ERROR(ApplyHugetlb(r.hugepage_limits, Dir("hugetlb")));
  if (r.network) RETURN_IF_ERROR(ApplyNetwork(*r.network));
  if (!r.rdma.empty()) RETURN_IF_ERROR(ApplyRdma(r.rdma, Dir("rdma")));
  return absl::OkStatus();
}

namespace {

bool FileExists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

}  // namespace

// Weights go to BFQ's files when the cgroup has them (blk-mq), else to
// CFQ's; with neither (no weight-capable scheduler) a requested weight is
// skipped with a warning, as runc does. Throttling is always there.
absl::Status CgroupV1::ApplyBlkio(const BlockIoResources& b, const std::string& dir,
                                  std::vector<std::string>* warnings) {
  const bool bfq = FileExists(dir + "/blkio.bfq.weight");
  const std::string weight_file = bfq ? "blkio.bfq.weight" : "blkio.weight";
  const std::string weight_device_file = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";
  auto missing = [&](const std::string& file, const char* field) {
    if (FileExists(absl::StrCat(dir, "/", file))) return false;
    Warn(warnings, absl::StrCat("linux.resources.blockIO.", field, " is not applied: `", dir, "/",
                                file, "` does not exist (no CFQ/BFQ I/O scheduler); ignoring"));
    return true;
  };
  if (uint16_t w = b.weight.value_or(0); w != 0 && !missing(weight_file, "weight")) {
    RETURN_IF_ERROR(SetFile(dir, weight_file, absl::StrCat(w), "linux.resources.blockIO.weight"));
  }
  if (uint16_t w = b.leaf_weight.value_or(0); w != 0 && !missing("blkio.leaf_weight", "leafWeight")) {
    RETURN_IF_ERROR(
        SetFile(dir, "blkio.leaf_weight", absl::StrCat(w), "linux.resources.blockIO.leafWeight"));
  }
  bool weight_device_missing = false, leaf_device_missing = false;
  for (size_t i = 0; i < b.weight_device.size(); ++i) {
    const WeightDevice& d = b.weight_device[i];
    std::string field = absl::StrCat("linux.resources.blockIO.weightDevice[", i, "]");
    if (d.weight.value_or(0) != 0) {
      if (!weight_device_missing) {
        weight_device_missing = missing(weight_device_file, "weightDevice");
      }
      if (!weight_device_missing) {
        RETURN_IF_ERROR(SetFile(dir, weight_device_file,
                                absl::StrCat(MajorMinor(d.major, d.minor), " ", *d.weight),
                                field + ".weight"));
      }
    }
    if (d.leaf_weight.value_or(0) != 0) {
      if (!leaf_device_missing) {
        leaf_device_missing = missing("blkio.leaf_weight_device", "weightDevice[].leafWeight");
      }
      if (!leaf_device_missing) {
        RETURN_IF_ERROR(SetFile(dir, "blkio.leaf_weight_device",
                                absl::StrCat(MajorMinor(d.major, d.minor), " ", *d.leaf_weight),
                                field + ".leafWeight"));
      }
    }
  }
  struct Throttle {
    const std::vector<ThrottleDevice>* list;
    const char* file;
    const char* field;
  };
  const Throttle throttles[] = {
      {&b.throttle_read_bps, "blkio.throttle.read_bps_device", "throttleReadBpsDevice"},
      {&b.throttle_write_bps, "blkio.throttle.write_bps_device", "throttleWriteBpsDevice"},
      {&b.throttle_read_iops, "blkio.throttle.read_iops_device", "throttleReadIOPSDevice"},
      {&b.throttle_write_iops, "blkio.throttle.write_iops_device", "throttleWriteIOPSDevice"},
  };
  for (const Throttle& t : throttles) {
    for (size_t i = 0; i < t.list->size(); ++i) {
      const ThrottleDevice& d = (*t.list)[i];
      RETURN_IF_ERROR(SetFile(dir, t.file, absl::StrCat(MajorMinor(d.major, d.minor), " ", d.rate),
                              absl::StrCat("linux.resources.blockIO.", t.field, "[", i, "]")));
    }
  }
  return absl::OkStatus();
}

absl::Status CgroupV1::ApplyHugetlb(const std::vector<HugepageLimit>& limits,
                                    const std::string& dir) {
  for (size_t i = 0; i < limits.size(); ++i) {
    const HugepageLimit& l = limits[i];
    std::string field = absl::StrCat("linux.resources.hugepageLimits[", i, "]");
    std::string v = absl::StrCat(l.limit);
    RETURN_IF_ERROR(
        SetFile(dir, absl::StrCat("hugetlb.", l.page_size, ".limit_in_bytes"), v, field));
    // Reservations too, where the kernel has them (5.7+), as runc does.
    std::string rsvd = absl::StrCat("hugetlb.", l.page_size, ".rsvd.limit_in_bytes");
    if (FileExists(absl::StrCat(dir, "/", rsvd))) RETURN_IF_ERROR(SetFile(dir, rsvd, v, field));
  }
  return absl::OkStatus();
}

absl::Status CgroupV1::ApplyNetwork(const NetworkResources& n) {
  if (n.class_id) {
    RETURN_IF_ERROR(SetFile(Dir("net_cls"), "net_cls.classid", absl::StrCat(*n.class_id),
                            "linux.resources.network.classID"));
  }
  for (size_t i = 0; i < n.priorities.size(); ++i) {
    const NetworkPriority& p = n.priorities[i];
    RETURN_IF_ERROR(SetFile(Dir("net_prio"), "net_prio.ifpriomap",
                            absl::StrCat(p.name, " ", p.priority),
                            absl::StrCat("linux.resources.network.priorities[", i, "]")));
  }
  return absl::OkStatus();
}

absl::Status CgroupV1::ApplyRdma(const std::map<std::string, RdmaLimit>& rdma,
                                 const std::string& dir) {
  for (const auto& [device, limit] : rdma) {
    if (!limit.hca_handles && !limit.hca_objects) continue;
    RETURN_IF_ERROR(SetFile(dir, "rdma.max", RdmaMaxLine(device, limit),
                            absl::StrCat("linux.resources.rdma[\"", device, "\"]")));
  }
  return absl::OkStatus();
}

absl::Status CgroupV1::ApplyMemory(const MemoryResources& m, const std::string& dir, bool fresh,
                                   std::vector<std::string>* warnings) {
  int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0);
  // runc: unlimited memory with swap unset means unlimited swap too.
  if (limit == -1 && swap == 0) swap = -1;
  if (limit > 0 && swap > 0 && swap < limit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "linux.resources.memory.swap (", swap, ") must be at least linux.resources.memory.limit (",
        limit, "): it limits memory plus swap"));
  }
  // A new cgroup starts unlimited; -1 needs no write there.
  auto write_limit = [&]() -> absl::Status {
    if (limit == 0 || (fresh && limit == -1)) return absl::OkStatus();
    return SetFile(dir, "memory.limit_in_bytes", absl::StrCat(limit),
                   "linux.resources.memory.limit");
  };
  auto write_swap = [&]() -> absl::Status {
    if (swap == 0 || (fresh && swap == -1)) return absl::OkStatus();
    absl::Status st = SetFile(dir, "memory.memsw.limit_in_bytes", absl::StrCat(swap),
                              "linux.resources.memory.swap");
    if (absl::IsNotFound(st)) {
      if (swap != -1) {
        Warn(warnings,
             "linux.resources.memory.swap is not applied: swap accounting is disabled on this "
             "host (no memory.memsw.limit_in_bytes); ignoring");
      }
      return absl::OkStatus();
    }
    return st;
  };
  // memsw must stay >= the memory limit at every step: raise memsw first when
  // the new memsw is above the current limit (runc's order).
  bool swap_first = false;
  if (limit != 0 && swap != 0 && !fresh) {
    if (swap == -1) {
      swap_first = true;
    } else {
      std::string file = dir + "/memory.limit_in_bytes";
      ASSIGN_OR_RETURN(std::string cur_text, ReadFile(file));
      uint64_t cur;
      if (!absl::SimpleAtoi(Trim(cur_text), &cur)) {
        return absl::InternalError(absl::StrCat("parse `", file, "`: \"", Trim(cur_text), "\""));
      }
      swap_first = cur < static_cast<uint64_t>(swap);
    }
  }
  if (swap_first) {
    RETURN_IF_ERROR(write_swap());
    RETURN_IF_ERROR(write_limit());
  } else {
    RETURN_IF_ERROR(write_limit());
    RETURN_IF_ERROR(write_swap());
  }
  if (int64_t res = m.reservation.value_or(0); res != 0 && !(fresh && res == -1)) {
    RETURN_IF_ERROR(SetFile(dir, "memory.soft_limit_in_bytes", absl::StrCat(res),
                            "linux.resources.memory.reservation"));
  }
  if (m.kernel_tcp && *m.kernel_tcp != 0) {
    RETURN_IF_ERROR(SetFile(dir, "memory.kmem.tcp.limit_in_bytes", absl::StrCat(*m.kernel_tcp),
                            "linux.resources.memory.kernelTCP"));
  }
  // -1 in a uint64 field reads as "unset", as in runc.
  if (m.swappiness && *m.swappiness != UINT64_MAX) {
    if (*m.swappiness > 100) {
      return absl::InvalidArgumentError(absl::StrCat(
          "linux.resources.memory.swappiness: ", *m.swappiness, " is out of range 0-100"));
    }
    RETURN_IF_ERROR(SetFile(dir, "memory.swappiness", absl::StrCat(*m.swappiness),
                            "linux.resources.memory.swappiness"));
  }
  if (m.disable_oom_killer.value_or(false)) {
    RETURN_IF_ERROR(
        SetFile(dir, "memory.oom_control", "1", "linux.resources.memory.disableOOMKiller"));
  }
  return absl::OkStatus();
}

namespace {

// Writes a pair of interdependent files (cfs period/quota, rt period/runtime)
// as runc does: the period first; if the kernel rejects it (EINVAL: the old
// quota no longer fits the new period) and the second value is being set
// too, the period is retried after it.
absl::Status SetPeriodPair(const std::string& dir, const char* period_file, uint64_t period,
                           const char* period_field, const char* other_file, int64_t other,
                           const char* other_field) {
  bool retry_period = false;
  if (period != 0) {
    absl::Status st = SetFile(dir, period_file, absl::StrCat(period), period_field);
    if (!st.ok()) {
      if (!absl::IsInvalidArgument(st) || other == 0) return st;
      retry_period = true;
    }
  }
  if (other != 0) {
    RETURN_IF_ERROR(SetFile(dir, other_file, absl::StrCat(other), other_field));
    if (retry_period) {
      RETURN_IF_ERROR(SetFile(dir, period_file, absl::StrCat(period), period_field));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CgroupV1::ApplyCpu(const CpuResources& c, const std::string& dir, bool fresh) {
  if (uint64_t shares = c.shares.value_or(0); shares != 0) {
    RETURN_IF_ERROR(
        SetFile(dir, "cpu.shares", absl::StrCat(shares), "linux.resources.cpu.shares"));
  }
  RETURN_IF_ERROR(SetPeriodPair(dir, "cpu.cfs_period_us", c.period.value_or(0),
                                "linux.resources.cpu.period", "cpu.cfs_quota_us",
                                c.quota.value_or(0), "linux.resources.cpu.quota"));
  RETURN_IF_ERROR(SetPeriodPair(dir, "cpu.rt_period_us", c.realtime_period.value_or(0),
                                "linux.resources.cpu.realtimePeriod", "cpu.rt_runtime_us",
                                c.realtime_runtime.value_or(0),
                                "linux.resources.cpu.realtimeRuntime"));
  if (c.idle && !(fresh && *c.idle == 0)) {
    absl::Status st = SetFile(dir, "cpu.idle", absl::StrCat(*c.idle), "linux.resources.cpu.idle");
    // Kernels before 5.15 have no cpu.idle; "not idle" is what they do anyway.
    if (!(absl::IsNotFound(st) && *c.idle == 0)) RETURN_IF_ERROR(st);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> V1DeviceLines(const DeviceRule& rule) {
  const std::string type = rule.type.empty() ? "a" : rule.type;
  if (type != "a" && type != "b" && type != "c") {
    return absl::InvalidArgumentError(
        absl::StrCat("type \"", type, "\" is not one of \"a\", \"b\", \"c\""));
  }
  std::string access;
  const std::string& given = rule.access.empty() ? std::string("rwm") : rule.access;
  for (char ch : given) {
    if (ch != 'r' && ch != 'w' && ch != 'm') {
      return absl::InvalidArgumentError(
          absl::StrCat("access \"", rule.access, "\" may only contain r, w and m"));
    }
  }
  for (char ch : {'r', 'w', 'm'}) {
    if (given.find(ch) != std::string::npos) access += ch;
  }
  auto num = [](const std::optional<int64_t>& v) {
    return !v || *v < 0 ? std::string("*") : absl::StrCat(*v);
  };
  std::string rest = absl::StrCat(num(rule.major), ":", num(rule.minor), " ", access);
  if (type == "a") {
    // The kernel reads any "a ..." as "all devices, all access".
    if (rest == "*:* rwm") return std::vector<std::string>{"a"};
    return std::vector<std::string>{"c " + rest, "b " + rest};
  }
  return std::vector<std::string>{type + " " + rest};
}

// Rules go in order, each its own write(2) (the kernel takes one rule per
// write); the two files are opened once each.
absl::Status CgroupV1::ApplyDevices(const std::vector<DeviceRule>& rules,
                                    const std::string& dir) {
  UniqueFd allow_fd, deny_fd;
  for (size_t i = 0; i < rules.size(); ++i) {
    const DeviceRule& rule = rules[i];
    std::string field = absl::StrCat("linux.resources.devices[", i, "]");
    absl::StatusOr<std::vector<std::string>> lines = V1DeviceLines(rule);
    if (!lines.ok()) return Annotate(lines.status(), field);
    std::string file = dir + (rule.allow ? "/devices.allow" : "/devices.deny");
    UniqueFd& fd = rule.allow ? allow_fd : deny_fd;
    if (!fd) {
      fd.reset(open(file.c_str(), O_WRONLY | O_CLOEXEC));
      if (!fd) return Annotate(Errno("open", file), field);
    }
    for (const std::string& line : *lines) {
      ssize_t n;
      do {
        n = write(fd.get(), line.data(), line.size());
      } while (n < 0 && errno == EINTR);
      if (n < 0) return Annotate(Errno(absl::StrCat("write \"", line, "\" to"), file), field);
    }
  }
  return absl::OkStatus();
}

absl::Status CgroupV1::UpdateDevices(const std::vector<DeviceRule>& rules,
                                     const std::string& dir) {
  ASSIGN_OR_RETURN(DeviceState to, EmulateDeviceRules(rules));
  const std::string list_file = dir + "/devices.list";
  ASSIGN_OR_RETURN(std::string list, ReadFile(list_file));
  absl::StatusOr<DeviceState> from = ParseDevicesList(list);
  if (!from.ok()) return Annotate(from.status(), absl::StrCat("parse `", list_file, "`"));
  for (const DeviceWrite& w : DeviceTransition(*from, to)) {
    RETURN_IF_ERROR(SetFile(dir, w.allow ? "devices.allow" : "devices.deny", w.line,
                            "linux.resources.devices"));
  }
  return absl::OkStatus();
}

absl::Status CgroupV1::SetFrozen(bool frozen) {
  const std::string dir = Dir("freezer");
  if (dir.empty()) {
    return absl::FailedPreconditionError(
        "pausing needs the cgroup \"freezer\" controller, which is not mounted on this host");
  }
  const std::string file = dir + "/freezer.state";
  const char* want = frozen ? "FROZEN" : "THAWED";
  std::string last;
  auto reached = [&] {
    absl::StatusOr<std::string> cur = ReadFile(file);
    last = cur.ok() ? std::string(Trim(*cur)) : cur.status().ToString();
    return last == want;
  };
  // Writing FROZEN again nudges tasks that were busy in the kernel (runc
  // retries the same way); give up after a few seconds.
  for (int attempt = 0; attempt < 50; ++attempt) {
    RETURN_IF_ERROR(SetFile(dir, "freezer.state", want, frozen ? "freezing cgroup" : "thawing cgroup"));
    if (PollUntil(reached, 100)) return absl::OkStatus();
  }
  if (frozen) (void)WriteFile(file, "THAWED");
  return absl::DeadlineExceededError(absl::StrCat(frozen ? "freezing" : "thawing", " `", file,
                                                  "`: still \"", last, "\" after 5s"));
}

bool CgroupV1::IsFrozen() const {
  const std::string dir = Dir("freezer");
  if (dir.empty()) return false;
  absl::StatusOr<std::string> s = ReadFile(dir + "/freezer.state");
  return s.ok() && Trim(*s) == "FROZEN";
}

namespace {

// An eventfd signalled for every OOM in a v1 memory cgroup (and once when
// the cgroup is removed, which Consume() does not count).
class V1OomNotifier final : public Cgroup::OomNotifier {
 public:
  V1OomNotifier(UniqueFd efd, std::string dir) : efd_(std::move(efd)), dir_(std::move(dir)) {}
  int fd() const override { return efd_.get(); }
  absl::StatusOr<uint64_t> Consume() override {
    uint64_t n = 0;
    ssize_t r;
    do {
      r = read(efd_.get(), &n, sizeof(n));
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      if (errno == EAGAIN) return 0;
      return Errno("read OOM eventfd of", dir_);
    }
    // The eventfd fires when the cgroup goes away, too.
    if (access((dir_ + "/memory.oom_control").c_str(), F_OK) != 0) return 0;
    return n;
  }

 private:
  UniqueFd efd_;
  std::string dir_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Cgroup::OomNotifier>> CgroupV1::NotifyOom() const {
  const std::string dir = Dir("memory");
  if (dir.empty()) {
    return absl::FailedPreconditionError(
        "OOM events need the cgroup \"memory\" controller, which is not mounted on this host");
  }
  UniqueFd efd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!efd) return Errno("eventfd for OOM events of", dir);
  const std::string oom_file = dir + "/memory.oom_control";
  UniqueFd ofd(open(oom_file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ofd) return Errno("open", oom_file);
  RETURN_IF_ERROR(SetFile(dir, "cgroup.event_control",
                          absl::StrCat(efd.get(), " ", ofd.get()), "registering for OOM events"));
  // The registration lives as long as the eventfd; the control file's fd
  // may go.
  return std::unique_ptr<Cgroup::OomNotifier>(new V1OomNotifier(std::move(efd), dir));
}

absl::Status CgroupV1::AddProcess(pid_t pid) {
  for (const V1Hierarchy& h : hierarchies_) RETURN_IF_ERROR(AddPid(h.mount + path_, pid));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<pid_t>> CgroupV1::Pids() const {
  for (const char* c : {"pids", "freezer", "memory"}) {
    std::string dir = Dir(c);
    if (!dir.empty()) return ReadPids(dir);
  }
  if (hierarchies_.empty()) return absl::FailedPreconditionError("no cgroup hierarchy");
  return ReadPids(hierarchies_[0].mount + path_);
}

absl::Status CgroupV1::Destroy() {
  std::vector<std::string> dirs;
  dirs.reserve(hierarchies_.size());
  for (const V1Hierarchy& h : hierarchies_) dirs.push_back(h.mount + path_);
  return RemoveDirs(dirs);
}

bool CgroupV1::Exists() const {
  if (hierarchies_.empty()) return false;
  struct stat st;
  return stat((hierarchies_[0].mount + path_).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace skiff::runtime
