#include "runtime/cgroups/v1.h"

#include <fcntl.h>
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

absl::StatusOr<std::unique_ptr<CgroupV1>> CgroupV1::Create(const std::string& path,
                                                           std::vector<V1Hierarchy> hierarchies,
                                                           const Resources* r,
                                                           std::vector<std::string>* warnings) {
  // Everything that can be checked without cgroupfs comes first.
  if (r) {
    if (!r->unified.empty()) {
      return absl::InvalidArgumentError(
          "linux.resources.unified requires cgroup v2; this host uses cgroup v1");
    }
    struct Need {
      bool needed;
      const char* controller;
      const char* field;
    };
    const Need needs[] = {
        {NeedsMemory(*r), "memory", "memory"},
        {NeedsCpu(*r), "cpu", "cpu"},
        {NeedsCpuset(*r), "cpuset", "cpu.cpus/mems"},
        {r->pids_limit.has_value(), "pids", "pids"},
        {!r->devices.empty(), "devices", "devices"},
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
  }
  auto cg = std::make_unique<CgroupV1>(path, std::move(hierarchies));
  std::vector<std::string> created;
  absl::Status st = cg->Setup(r, warnings, &created);
  if (!st.ok()) {
    RemoveCreated(created);
    return st;
  }
  return cg;
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
  if (!r.devices.empty()) RETURN_IF_ERROR(ApplyDevices(r.devices, Dir("devices")));
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
    RETURN_IF_ERROR(SetFile(dir, "cpu.idle", absl::StrCat(*c.idle), "linux.resources.cpu.idle"));
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
