#pragma once
// Which cgroup hierarchies a host has, read from /proc/self/mountinfo:
//   v1      only cgroup (v1) hierarchies, one per controller group;
//   hybrid  v1 hierarchies plus a cgroup2 mount elsewhere (systemd's
//           <root>/unified), which has no controllers of its own;
//   v2      cgroup2 mounted at the cgroup root ("/sys/fs/cgroup").
// Controllers come from each v1 mount's super options and, on v2, from
// <mount>/cgroup.controllers.

#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace skiff::manager {

struct CgroupMounts {
  enum class Mode { kNone, kV1, kHybrid, kV2 };
  Mode mode = Mode::kNone;
  // v1 controller ("memory", "cpu", "name=systemd") -> its mount point.
  std::map<std::string, std::string> v1;
  // The cgroup2 mount point, empty when none.
  std::string unified;
  // Controllers enabled at the cgroup2 root (v2 mode only).
  std::set<std::string> v2;

  // "1" for v1 and hybrid (containers use the v1 controllers), "2" for v2,
  // "" when no cgroup filesystem is mounted.
  std::string Version() const;
  // Whether containers can be limited by `controller` on this host.
  bool Has(const std::string& controller) const;
};

// Parses mountinfo text; `cgroup_root` is where a unified hierarchy makes the
// host v2. Reads <unified>/cgroup.controllers in v2 mode (a missing file
// leaves the set empty).
CgroupMounts ParseCgroupMounts(absl::string_view mountinfo,
                               absl::string_view cgroup_root = "/sys/fs/cgroup");

// Reads `mountinfo_path` (normally /proc/self/mountinfo) and parses it.
absl::StatusOr<CgroupMounts> DetectCgroups(const std::string& mountinfo_path,
                                           const std::string& cgroup_root);

}  // namespace skiff::manager
