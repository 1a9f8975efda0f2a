#pragma once
// Helpers shared by the v1 and v2 implementations (defined in cgroups.cc).
// Not part of the public interface; exposed for v1.cc, v2.cc and the tests.

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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

// mkdir -p of `base` + `rel` ("/a/b"); `base` must exist. Appends the
// directories it made to `created`, top-down. An existing leaf is fine.
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

// Trims whitespace (cgroupfs values end in '\n').
absl::string_view Trim(absl::string_view s);

}  // namespace skiff::runtime::cgroups_internal
