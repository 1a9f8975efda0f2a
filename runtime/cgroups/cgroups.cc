#include "runtime/cgroups/cgroups.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/status.h"
#include "runtime/cgroups/internal.h"
#include "runtime/cgroups/v1.h"
#include "runtime/cgroups/v2.h"

namespace skiff::runtime {
namespace cgroups_internal {
namespace {

// v1 controllers Skiff creates directories for (runc's list plus misc).
constexpr absl::string_view kV1Controllers[] = {
    "cpu",     "cpuacct", "cpuset",  "memory",     "devices", "freezer", "blkio",       "pids",
    "net_cls", "net_prio", "hugetlb", "perf_event", "rdma",    "misc",    "name=systemd",
};

// mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo.
std::string Unescape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7' &&
        s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::vector<CgroupMount> ParseCgroupMounts(absl::string_view mountinfo) {
  std::vector<CgroupMount> out;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
    size_t sep = line.find(" - ");
    if (sep == absl::string_view::npos) continue;
    std::vector<absl::string_view> post = absl::StrSplit(line.substr(sep + 3), ' ');
    if (post.size() < 3 || (post[0] != "cgroup" && post[0] != "cgroup2")) continue;
    std::vector<absl::string_view> pre = absl::StrSplit(line.substr(0, sep), ' ');
    if (pre.size() < 5) continue;
    CgroupMount m;
    m.mount_point = Unescape(pre[4]);
    m.v2 = post[0] == "cgroup2";
    if (!m.v2) {
      for (absl::string_view opt : absl::StrSplit(post[2], ',')) {
        for (absl::string_view known : kV1Controllers) {
          if (opt == known) m.controllers.emplace_back(opt);
        }
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

const std::vector<CgroupMount>& SelfCgroupMounts() {
  static const std::vector<CgroupMount> mounts = [] {
    absl::StatusOr<std::string> text = ReadFile("/proc/self/mountinfo");
    return text.ok() ? ParseCgroupMounts(*text) : std::vector<CgroupMount>{};
  }();
  return mounts;
}

absl::StatusOr<int64_t> StatfsType(const std::string& path) {
  struct statfs st;
  if (statfs(path.c_str(), &st) != 0) return Errno("statfs", path);
  return static_cast<int64_t>(st.f_type);
}

std::string FsTypeName(int64_t type) {
  switch (type) {
    case CGROUP_SUPER_MAGIC:
      return "cgroup";
    case CGROUP2_SUPER_MAGIC:
      return "cgroup2";
    case TMPFS_MAGIC:
      return "tmpfs";
    case SYSFS_MAGIC:
      return "sysfs";
    default:
      return absl::StrCat("filesystem type 0x", absl::Hex(type));
  }
}

absl::Status MkdirAll(const std::string& base, const std::string& rel,
                      std::vector<std::string>* created) {
  std::string full = base + rel;
  ASSIGN_OR_RETURN(int64_t type, StatfsType(base));
  if (type != CGROUP_SUPER_MAGIC && type != CGROUP2_SUPER_MAGIC) {
    return absl::FailedPreconditionError(
        absl::StrCat("create cgroup `", full, "`: `", base, "` is ", FsTypeName(type),
                     ", not a cgroup filesystem (is the cgroup hierarchy unmounted?)"));
  }
  // Common case: the parent exists, one syscall.
  if (mkdir(full.c_str(), 0755) == 0) {
    created->push_back(full);
    return absl::OkStatus();
  }
  if (errno == EEXIST) return absl::OkStatus();
  if (errno != ENOENT) return Errno("mkdir", full);
  // Walk down from the top. ENOENT midway means a concurrent delete removed
  // a parent just made or found; start over a couple of times.
  int err = ENOENT;
  std::string failed = full;
  for (int attempt = 0; attempt < 3; ++attempt) {
    bool retry = false;
    for (size_t pos = 1;; ) {
      size_t next = rel.find('/', pos);
      std::string dir = base + rel.substr(0, next);
      if (mkdir(dir.c_str(), 0755) == 0) {
        created->push_back(dir);
      } else if (errno == ENOENT) {
        err = errno;
        failed = dir;
        retry = true;
        break;
      } else if (errno != EEXIST) {
        return Errno("mkdir", dir);
      }
      if (next == std::string::npos) break;
      pos = next + 1;
    }
    if (!retry) return absl::OkStatus();
  }
  return ErrnoError(err, "mkdir", failed);
}

void RemoveCreated(const std::vector<std::string>& created) {
  for (auto it = created.rbegin(); it != created.rend(); ++it) rmdir(it->c_str());
}

absl::Status RemoveDirs(const std::vector<std::string>& dirs) {
  std::vector<const std::string*> busy;
  absl::Status first;
  auto attempt = [&](const std::string& dir) {
    if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    if (errno == EBUSY) {
      busy.push_back(&dir);
    } else if (first.ok()) {
      first = Errno("rmdir", dir);
    }
  };
  for (const std::string& dir : dirs) attempt(dir);
  // Exited tasks leave the cgroup a little after waitpid() returns.
  long slept_us = 0, delay_us = 1000;
  while (!busy.empty() && slept_us < 100000) {
    struct timespec ts = {0, delay_us * 1000};
    nanosleep(&ts, nullptr);
    slept_us += delay_us;
    delay_us = std::min(delay_us * 2, 20000L);
    std::vector<const std::string*> again;
    again.swap(busy);
    for (const std::string* dir : again) attempt(*dir);
  }
  if (!busy.empty() && first.ok()) {
    first = Annotate(ErrnoError(EBUSY, "rmdir", *busy.front()),
                     "removing cgroup (processes still in it?)");
  }
  return first;
}

absl::Status AddPid(const std::string& dir, pid_t pid) {
  return Annotate(WriteFile(dir + "/cgroup.procs", absl::StrCat(pid)),
                  absl::StrCat("adding process ", pid, " to cgroup"));
}

absl::StatusOr<std::vector<pid_t>> ReadPids(const std::string& dir) {
  std::string file = dir + "/cgroup.procs";
  ASSIGN_OR_RETURN(std::string text, ReadFile(file));
  std::vector<pid_t> pids;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    pid_t pid;
    if (!absl::SimpleAtoi(line, &pid)) {
      return absl::InternalError(absl::StrCat("parse `", file, "`: bad pid \"", line, "\""));
    }
    pids.push_back(pid);
  }
  return pids;
}

absl::Status SetFile(const std::string& dir, absl::string_view file, absl::string_view value,
                     absl::string_view field) {
  return Annotate(WriteFile(absl::StrCat(dir, "/", file), value), field);
}

void Warn(std::vector<std::string>* warnings, std::string msg) {
  if (warnings) warnings->push_back(std::move(msg));
}

void WarnUnsupported(const Resources& r, std::vector<std::string>* warnings) {
  for (const std::string& name : r.unsupported) {
    std::string field = absl::StartsWith(name, "linux.") ? name : "linux.resources." + name;
    Warn(warnings, absl::StrCat(field, " is not applied yet; ignoring"));
  }
}

bool NeedsMemory(const Resources& r) {
  if (!r.memory) return false;
  const MemoryResources& m = *r.memory;
  return (m.limit && *m.limit != 0) || (m.reservation && *m.reservation != 0) ||
         (m.swap && *m.swap != 0) || m.kernel_tcp || m.swappiness ||
         m.disable_oom_killer.value_or(false);
}

bool NeedsCpu(const Resources& r) {
  if (!r.cpu) return false;
  const CpuResources& c = *r.cpu;
  return c.shares.value_or(0) != 0 || c.quota.value_or(0) != 0 || c.period.value_or(0) != 0 ||
         c.realtime_runtime.value_or(0) != 0 || c.realtime_period.value_or(0) != 0 || c.idle;
}

bool NeedsCpuset(const Resources& r) {
  return r.cpu && (!r.cpu->cpus.empty() || !r.cpu->mems.empty());
}

bool NeedsBlkio(const Resources& r) {
  if (!r.block_io) return false;
  const BlockIoResources& b = *r.block_io;
  return b.weight.value_or(0) != 0 || b.leaf_weight.value_or(0) != 0 ||
         !b.weight_device.empty() || !b.throttle_read_bps.empty() ||
         !b.throttle_write_bps.empty() || !b.throttle_read_iops.empty() ||
         !b.throttle_write_iops.empty();
}

bool NeedsNetCls(const Resources& r) { return r.network && r.network->class_id.has_value(); }

bool NeedsNetPrio(const Resources& r) { return r.network && !r.network->priorities.empty(); }

Resources DropZeroFields(const Resources& in) {
  Resources r = in;
  auto drop = [](auto& opt) {
    if (opt && *opt == 0) opt.reset();
  };
  if (r.memory) {
    drop(r.memory->limit);
    drop(r.memory->reservation);
    drop(r.memory->swap);
    drop(r.memory->kernel);
    drop(r.memory->kernel_tcp);
  }
  if (r.cpu) {
    drop(r.cpu->shares);
    drop(r.cpu->quota);
    drop(r.cpu->period);
    drop(r.cpu->realtime_runtime);
    drop(r.cpu->realtime_period);
  }
  drop(r.pids_limit);
  if (r.block_io) {
    drop(r.block_io->weight);
    drop(r.block_io->leaf_weight);
    for (WeightDevice& w : r.block_io->weight_device) {
      drop(w.weight);
      drop(w.leaf_weight);
    }
  }
  return r;
}

std::string HugePageSizeName(uint64_t kb) {
  static constexpr const char* kUnits[] = {"KB", "MB", "GB", "TB", "PB"};
  size_t u = 0;
  while (kb >= 1024 && kb % 1024 == 0 && u + 1 < std::size(kUnits)) {
    kb /= 1024;
    ++u;
  }
  return absl::StrCat(kb, kUnits[u]);
}

std::vector<std::string> HugePageSizes(const std::string& sysfs) {
  std::vector<uint64_t> kbs;
  if (DIR* d = opendir(sysfs.c_str())) {
    while (struct dirent* e = readdir(d)) {
      absl::string_view name = e->d_name;
      uint64_t kb;
      if (absl::ConsumePrefix(&name, "hugepages-") && absl::ConsumeSuffix(&name, "kB") &&
          absl::SimpleAtoi(name, &kb)) {
        kbs.push_back(kb);
      }
    }
    closedir(d);
  }
  std::sort(kbs.begin(), kbs.end());
  std::vector<std::string> out;
  for (uint64_t kb : kbs) out.push_back(HugePageSizeName(kb));
  return out;
}

absl::Status CheckHugePageSizes(const Resources& r, const std::vector<std::string>& sizes) {
  for (size_t i = 0; i < r.hugepage_limits.size(); ++i) {
    const std::string& size = r.hugepage_limits[i].page_size;
    if (std::find(sizes.begin(), sizes.end(), size) == sizes.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "linux.resources.hugepageLimits[", i, "].pageSize: \"", size,
          "\" is not a huge page size of this host (",
          sizes.empty() ? std::string("it has none") : "it has " + absl::StrJoin(sizes, ", "),
          ")"));
    }
  }
  return absl::OkStatus();
}

std::string MajorMinor(int64_t major, int64_t minor) { return absl::StrCat(major, ":", minor); }

std::string RdmaMaxLine(const std::string& device, const RdmaLimit& l) {
  std::string line = device;
  if (l.hca_handles) absl::StrAppend(&line, " hca_handle=", *l.hca_handles);
  if (l.hca_objects) absl::StrAppend(&line, " hca_object=", *l.hca_objects);
  return line;
}

absl::StatusOr<uint64_t> ReadUint(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  absl::string_view v = Trim(text);
  if (v == "max") return UINT64_MAX;
  uint64_t n;
  if (absl::SimpleAtoi(v, &n)) return n;
  // Negative values (v1 cpu.cfs_quota_us -1) read as 0: "no value".
  int64_t i;
  if (absl::SimpleAtoi(v, &i)) return 0;
  return absl::InternalError(absl::StrCat("parse `", path, "`: \"", v, "\" is not a number"));
}

std::map<std::string, uint64_t> ParseKeyValues(absl::string_view text) {
  std::map<std::string, uint64_t> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint64_t v;
    if (f.size() == 2 && absl::SimpleAtoi(f[1], &v)) out[std::string(f[0])] = v;
  }
  return out;
}

std::map<std::string, uint64_t> ReadKeyValues(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  return text.ok() ? ParseKeyValues(*text) : std::map<std::string, uint64_t>{};
}

bool PollUntil(const std::function<bool()>& done, int timeout_ms) {
  long slept_us = 0, delay_us = 500;
  while (!done()) {
    if (slept_us >= timeout_ms * 1000L) return done();
    struct timespec ts = {0, delay_us * 1000};
    nanosleep(&ts, nullptr);
    slept_us += delay_us;
    delay_us = std::min(delay_us * 2, 20000L);
  }
  return true;
}

absl::string_view Trim(absl::string_view s) { return absl::StripAsciiWhitespace(s); }

CgroupMode DetectCgroupMode(const std::string& cgroup_root, const std::vector<CgroupMount>& mounts,
                            const FsTypeFn& fs_type) {
  auto is_cgroup2 = [&](const std::string& dir) {
    absl::StatusOr<int64_t> type = fs_type(dir);
    return type.ok() && *type == CGROUP2_SUPER_MAGIC;
  };
  if (is_cgroup2(cgroup_root)) return CgroupMode::kV2;
  std::string prefix = cgroup_root + "/";
  for (const CgroupMount& m : mounts) {
    if (m.v2 && absl::StartsWith(m.mount_point, prefix) && is_cgroup2(m.mount_point)) {
      return CgroupMode::kHybrid;
    }
  }
  return CgroupMode::kV1;
}

}  // namespace cgroups_internal

using namespace cgroups_internal;  // NOLINT

CgroupMode DetectCgroupMode(const std::string& cgroup_root) {
  return DetectCgroupMode(cgroup_root, SelfCgroupMounts(), StatfsType);
}

absl::StatusOr<std::string> ResolveCgroupPath(const std::string& cgroups_path,
                                              const std::string& id) {
  if (cgroups_path.empty()) {
    if (id.empty() || id.find('/') != std::string::npos || id == "." || id == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("container id \"", id, "\" cannot name a cgroup"));
    }
    return absl::StrCat("/ocirun/", id);
  }
  if (cgroups_path[0] != '/' && std::count(cgroups_path.begin(), cgroups_path.end(), ':') == 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("cgroupsPath \"", cgroups_path,
                     "\" is in systemd form; --systemd-cgroup is not supported on this host"));
  }
  // filepath.Clean of "/" + path: ".." stops at the root.
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(cgroups_path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  if (parts.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cgroupsPath \"", cgroups_path, "\" names the root cgroup"));
  }
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

std::vector<V1Hierarchy> V1Hierarchies(const std::string& cgroup_root) {
  return V1Hierarchies(cgroup_root, SelfCgroupMounts(), StatfsType);
}

std::vector<V1Hierarchy> V1Hierarchies(const std::string& cgroup_root,
                                       const std::vector<CgroupMount>& mounts,
                                       const FsTypeFn& fs_type) {
  std::vector<V1Hierarchy> out;
  std::string prefix = cgroup_root + "/";
  for (const CgroupMount& m : mounts) {
    if (m.v2 || m.controllers.empty() || !absl::StartsWith(m.mount_point, prefix) ||
        m.mount_point.find('/', prefix.size()) != std::string::npos) {
      continue;
    }
    // Mounted over since mountinfo was read, or listed but covered by a
    // later mount on a parent: not a hierarchy to use.
    absl::StatusOr<int64_t> type = fs_type(m.mount_point);
    if (!type.ok() || *type != CGROUP_SUPER_MAGIC) continue;
    // A later mount on the same point hides the earlier one; the same
    // hierarchy mounted twice is used once.
    auto same = std::find_if(out.begin(), out.end(), [&](const V1Hierarchy& h) {
      return h.mount == m.mount_point || h.controllers == m.controllers;
    });
    if (same != out.end()) {
      if (same->mount == m.mount_point) same->controllers = m.controllers;
      continue;
    }
    out.push_back({m.mount_point, m.controllers});
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Cgroup>> Cgroup::Create(const std::string& cgroups_path,
                                                       const std::string& id,
                                                       const Resources* resources,
                                                       std::vector<std::string>* warnings,
                                                       const std::string& cgroup_root) {
  ASSIGN_OR_RETURN(std::string path, ResolveCgroupPath(cgroups_path, id));
  if (DetectCgroupMode(cgroup_root) == CgroupMode::kV2) {
    ASSIGN_OR_RETURN(auto cg, CgroupV2::Create(cgroup_root, path, resources, warnings));
    return std::unique_ptr<Cgroup>(std::move(cg));
  }
  std::vector<V1Hierarchy> hierarchies = V1Hierarchies(cgroup_root);
  if (hierarchies.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no cgroup hierarchy is mounted under ", cgroup_root));
  }
  ASSIGN_OR_RETURN(auto cg, CgroupV1::Create(path, std::move(hierarchies), resources, warnings));
  return std::unique_ptr<Cgroup>(std::move(cg));
}

std::unique_ptr<Cgroup> Cgroup::Open(const std::string& cgroups_path, const std::string& id,
                                     const std::string& cgroup_root) {
  if (cgroups_path.empty()) return nullptr;  // a container without a cgroup (rootless)
  absl::StatusOr<std::string> path = ResolveCgroupPath(cgroups_path, id);
  if (!path.ok()) return nullptr;
  if (DetectCgroupMode(cgroup_root) == CgroupMode::kV2) {
    return std::make_unique<CgroupV2>(cgroup_root, *path);
  }
  std::vector<V1Hierarchy> hierarchies = V1Hierarchies(cgroup_root);
  if (hierarchies.empty()) return nullptr;
  return std::make_unique<CgroupV1>(*path, std::move(hierarchies));
}

}  // namespace skiff::runtime
