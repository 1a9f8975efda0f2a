#pragma once
// What a snapshotter hands out: mounts that present a snapshot's tree, in
// the shape of mount(8)'s arguments, to be mounted onto a target by the
// caller (the daemon, for a container's rootfs).
//
//   {type: "bind",    source: "/var/lib/skiff/snapshots/7/fs", options: {"rbind", "rw"}}
//   {type: "overlay", source: "overlay",
//    options: {"workdir=...", "upperdir=...", "lowerdir=/.../6/fs:/.../5/fs"}}
//
// MountAll/UnmountAll need CAP_SYS_ADMIN in the target's mount namespace.

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace skiff::manager {

struct Mount {
  std::string type;
  std::string source;
  std::vector<std::string> options;

  friend bool operator==(const Mount& a, const Mount& b) {
    return a.type == b.type && a.source == b.source && a.options == b.options;
  }
};

// `mount -t type -o options source target` for each mount, in order. "ro",
// "rw", "rbind"/"bind", "nosuid", "nodev", "noexec" become flags; other
// options are passed as data. Bind mounts that ask for "ro" are remounted
// read-only (the kernel ignores MS_RDONLY on the first bind). An overlay
// whose options exceed the kernel's one page of mount data is an error that
// says so, instead of EINVAL.
[[nodiscard]] absl::Status MountAll(const std::vector<Mount>& mounts, const std::string& target);

// Unmounts everything stacked on `target` (lazily, MNT_DETACH). OK when
// nothing is mounted there.
[[nodiscard]] absl::Status UnmountAll(const std::string& target);

// "overlay on <target> (workdir=...,upperdir=...)": for messages.
std::string MountString(const Mount& m);

}  // namespace skiff::manager
