#pragma once
// Mounting inside the container's root without ever leaving it.
//
// Every target is resolved with openat2(RESOLVE_IN_ROOT) against an fd of
// the rootfs, missing components are created under their resolved parent,
// and the mount goes onto /proc/self/fd/N of the resolved target. A symlink
// planted in the rootfs (`/rootfs/evil -> /etc`) therefore resolves to
// `/rootfs/etc`, never to the host's `/etc` (CVE-2021-30465).

#include <string>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "runtime/spec.h"

namespace skiff::runtime {

enum class TargetKind { kDir, kFile };

// Opens `path` (absolute, as seen inside the container) beneath `root_fd`
// as an O_PATH fd, creating missing directories (and the last component as
// `kind`) with mode 0755 / 0644.
absl::StatusOr<UniqueFd> OpenInRoot(int root_fd, const std::string& path, TargetKind kind,
                                    bool create = true);

// "/proc/self/fd/N" for an fd.
std::string FdPath(int fd);

struct MountContext {
  int root_fd = -1;
  std::string rootfs;          // host path of the rootfs
  bool new_user_ns = false;    // mknod and some fs types are not allowed
  bool new_cgroup_ns = false;
  bool new_net_ns = false;
  std::string cgroup_path;     // container's cgroup relative to hierarchy roots
};

// Mounts one entry of config.json's `mounts` (bind, proc, sysfs, tmpfs,
// devpts, mqueue, cgroup, ...), applying flags, a read-only/flag remount for
// binds, and propagation.
absl::Status MountEntry(const MountContext& ctx, const Mount& m);

// MS_* flags a bind remount has to keep because the kernel locks them.
unsigned long LockedFlags(const std::string& host_path_or_fdpath);

}  // namespace skiff::runtime
