#pragma once
// Helpers shared by the v1 and v2 implementations (defined in cgroups.cc).
// Not part of the public interface; exposed for v1.cc, v2.cc and the tests.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "runtime/cgroups/cgroups.h"
#include "runtime/spec.h"

namespace skiff::runtime::cgroups_internal {

// One cgroup or cgroup2 mount from /proc/self/mountinfo.
struct CgroupMount {
  std::string mount_point;               // unescaped: "/sys/fs/cgroup/memory"
  bool v2 = false;                       // fstype cgroup2
  std::vector<std::string> controllers;  // v1 known controllers: {"cpu","cpuacct"}, {"name=systemd"}
};

// Parses mountinfo text, keeping cgroup/cgroup2 mounts in file order.
std::vector<CgroupMount> ParseCgroupMounts(absl::string_view mountinfo);

// The cgroup mounts of /proc/self/mountinfo, read once per process.
const std::vector<CgroupMount>& SelfCgroupMounts();

// The filesystem type of `path` (statfs(2) f_type: CGROUP_SUPER_MAGIC,
// CGROUP2_SUPER_MAGIC, TMPFS_MAGIC, ...). Detection takes it as a parameter
// so that tests can describe any host layout.
using FsTypeFn = std::function<absl::StatusOr<int64_t>(const std::string& path)>;
absl::StatusOr<int64_t> StatfsType(const std::string& path);

// "tmpfs", "cgroup2", ... or the hex magic, for messages.
std::string FsTypeName(int64_t type);

// DetectCgroupMode() over the given mounts: a cgroup2 entry in `mounts`
// counts only while statfs says that directory really is cgroup2. Once it is
// unmounted (or shadowed), what remains there is a plain directory of the
// tmpfs below, and never the v2 hierarchy.
CgroupMode DetectCgroupMode(const std::string& cgroup_root, const std::vector<CgroupMount>& mounts,
                            const FsTypeFn& fs_type);

// mkdir -p of `base` + `rel` ("/a/b"); `base` must exist and be on a cgroup
// or cgroup2 filesystem: anywhere else a "cgroup" would be a plain directory
// that limits nothing and that no rmdir of a cgroup removes, so that is an
// error and nothing is created. Appends the directories it made to
// `created`, top-down. An existing leaf is fine.
absl::Status MkdirAll(const std::string& base, const std::string& rel,
                      std::vector<std::string>* created);

// Removes `created` bottom-up, ignoring errors (create failed midway).
void RemoveCreated(const std::vector<std::string>& created);

// rmdir(2) of each of `dirs`, EBUSY ones retried together for ~100ms;
// ENOENT is success. Returns the first error.
absl::Status RemoveDirs(const std::vector<std::string>& dirs);

absl::Status AddPid(const std::string& dir, pid_t pid);
absl::StatusOr<std::vector<pid_t>> ReadPids(const std::string& dir);

// Writes `value` to dir/file; errors start with `field` ("linux.resources.memory.limit: ").
absl::Status SetFile(const std::string& dir, absl::string_view file, absl::string_view value,
                     absl::string_view field);

void Warn(std::vector<std::string>* warnings, std::string msg);

// One warning per Resources::unsupported entry.
void WarnUnsupported(const Resources& r, std::vector<std::string>* warnings);

// Whether r.memory has anything that needs the memory controller.
bool NeedsMemory(const Resources& r);
bool NeedsCpu(const Resources& r);
bool NeedsCpuset(const Resources& r);
bool NeedsBlkio(const Resources& r);
bool NeedsNetCls(const Resources& r);
bool NeedsNetPrio(const Resources& r);

// runc's update semantics: zero means "leave as is" for every numeric
// field (pids.limit 0 included). Returns a copy with those fields unset.
Resources DropZeroFields(const Resources& r);

// The huge page sizes of this host, smallest first, named as the cgroup
// files name them ("2MB", "1GB"), from <sysfs>/hugepages-<N>kB.
std::vector<std::string> HugePageSizes(const std::string& sysfs = "/sys/kernel/mm/hugepages");
// 2048 -> "2MB", 1048576 -> "1GB", 64 -> "64KB".
std::string HugePageSizeName(uint64_t kb);
// Every linux.resources.hugepageLimits[].pageSize must be one of `sizes`.
absl::Status CheckHugePageSizes(const Resources& r, const std::vector<std::string>& sizes);

// "8:0" for a device; blkio/io files take this form.
std::string MajorMinor(int64_t major, int64_t minor);

// The rdma.max line for one device: "mlx5_0 hca_handle=3 hca_object=max".
std::string RdmaMaxLine(const std::string& device, const RdmaLimit& l);

// A cgroup file holding one number ("max" reads as UINT64_MAX).
absl::StatusOr<uint64_t> ReadUint(const std::string& path);
// "key value" lines (memory.stat, cpu.stat) as a map; unparsable lines are skipped.
std::map<std::string, uint64_t> ParseKeyValues(absl::string_view text);
// ReadFile + ParseKeyValues; an empty map when the file is missing.
std::map<std::string, uint64_t> ReadKeyValues(const std::string& path);
// Polls `done` every few ms (backing off) until it is true or `timeout_ms`
// passes; returns its last value.
bool PollUntil(const std::function<bool()>& done, int timeout_ms);

// --- Stats JSON (stats_json.cc): runc's types/events.go shapes. ---

// Go's omitempty for a number: sets j[key] only when v is not zero.
void SetNonZero(nlohmann::json& j, const char* key, uint64_t v);
// Every top-level key of runc's Stats with its empty value.
nlohmann::json EmptyStats();
// {"limit": L, "usage": U, "max": M, "failcnt": F} (usage/max omitempty).
nlohmann::json MemoryEntryJson(uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt);
// {"major", "minor", "op", "value"}, each omitempty.
nlohmann::json BlkioEntryJson(uint64_t major, uint64_t minor, const std::string& op,
                              uint64_t value);
// v1 blkio files ("8:0 Read 4096" lines, a "Total" line) as entries.
nlohmann::json ParseBlkioEntries(absl::string_view text);
// "0-2,7" -> [0, 1, 2, 7]; bad parts are skipped.
std::vector<uint64_t> ParseCpuList(absl::string_view text);

// Trims whitespace (cgroupfs values end in '\n').
absl::string_view Trim(absl::string_view s);

}  // namespace skiff::runtime::cgroups_internal
