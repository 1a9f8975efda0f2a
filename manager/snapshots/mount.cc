#include "manager/snapshots/mount.h"

#include <sys/mount.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"

namespace skiff::manager {

std::string MountString(const Mount& m) {
  return absl::StrCat(m.type, " ", m.source, " (", absl::StrJoin(m.options, ","), ")");
}

absl::Status MountAll(const std::vector<Mount>& mounts, const std::string& target) {
  for (const Mount& m : mounts) {
    unsigned long flags = 0;
    bool bind = m.type == "bind";
    std::vector<std::string> data;
    for (const std::string& o : m.options) {
      if (o == "ro") {
        flags |= MS_RDONLY;
      } else if (o == "rw") {
        flags &= ~static_cast<unsigned long>(MS_RDONLY);
      } else if (o == "bind") {
        bind = true;
        flags |= MS_BIND;
      } else if (o == "rbind") {
        bind = true;
        flags |= MS_BIND | MS_REC;
      } else if (o == "nosuid") {
        flags |= MS_NOSUID;
      } else if (o == "nodev") {
        flags |= MS_NODEV;
      } else if (o == "noexec") {
        flags |= MS_NOEXEC;
      } else {
        data.push_back(o);
      }
    }
    if (bind) flags |= MS_BIND;
    std::string joined = absl::StrJoin(data, ",");
    long page = sysconf(_SC_PAGESIZE);
    if (static_cast<long>(joined.size()) >= page) {
      return absl::FailedPreconditionError(absl::StrCat(
          "mount ", m.type, " on `", target, "`: options are ", joined.size(),
          " bytes, more than the kernel's limit of ", page - 1,
          " (too many layers for one overlay mount; shorten the --root path)"));
    }
    const char* type = bind ? nullptr : m.type.c_str();
    if (mount(m.source.c_str(), target.c_str(), type, flags, joined.empty() ? nullptr : joined.c_str()) != 0) {
      return Errno(absl::StrCat("mount ", MountString(m), " on"), target);
    }
    if (bind && (flags & MS_RDONLY) != 0) {
      unsigned long re = MS_BIND | MS_REMOUNT | MS_RDONLY | (flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC));
      if (mount(nullptr, target.c_str(), nullptr, re, nullptr) != 0) {
        absl::Status st = Errno("remount read-only", target);
        umount2(target.c_str(), MNT_DETACH);
        return st;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status UnmountAll(const std::string& target) {
  for (int i = 0; i < 64; ++i) {
    if (umount2(target.c_str(), MNT_DETACH) != 0) {
      if (errno == EINVAL || errno == ENOENT) return absl::OkStatus();  // nothing (more) mounted
      return Errno("unmount", target);
    }
  }
  return absl::InternalError(absl::StrCat("unmount `", target, "`: still mounted after 64 unmounts"));
}

}  // namespace skiff::manager
