#include "runtime/devices.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "runtime/mounts.h"

namespace skiff::runtime {

std::vector<Device> DevicesFor(const std::vector<Device>& extra) {
  std::vector<Device> out = {
      {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
      {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
      {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
  };
  for (const Device& d : extra) {
    bool replaced = false;
    for (Device& o : out)
      if (o.path == d.path) o = d, replaced = true;
    if (!replaced) out.push_back(d);
  }
  return out;
}

absl::Status CreateDevices(int root_fd, const std::vector<Device>& devices, bool bind_from_host) {
  for (const Device& d : devices) {
    std::string dir = d.path.substr(0, d.path.rfind('/'));
    std::string name = d.path.substr(d.path.rfind('/') + 1);
    ASSIGN_OR_RETURN(UniqueFd dirfd, OpenInRoot(root_fd, dir.empty() ? "/" : dir,
                                                TargetKind::kDir));
    // An O_PATH fd cannot be used for mknodat's mode semantics on every
    // kernel, so open the directory for real; it was resolved in the root.
    UniqueFd real(openat(dirfd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!real) return Errno("open device directory", dir);
    unlinkat(real.get(), name.c_str(), 0);
    if (bind_from_host) {
      int f = openat(real.get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
      if (f < 0) return Errno("create device mount point", d.path);
      close(f);
      UniqueFd target(openat(real.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!target) return Errno("open device mount point", d.path);
      if (mount(d.path.c_str(), FdPath(target.get()).c_str(), nullptr, MS_BIND, nullptr) != 0)
        return Errno("bind mount host device", d.path);
      continue;
    }
    mode_t type = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
    mode_t mode = (d.file_mode ? *d.file_mode : 0666) & 07777;
    if (mknodat(real.get(), name.c_str(), type | mode,
                makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor))) != 0)
      return Errno("mknod device", d.path);
    if (d.uid || d.gid) {
      if (fchownat(real.get(), name.c_str(), d.uid.value_or(0), d.gid.value_or(0),
                   AT_SYMLINK_NOFOLLOW) != 0)
        return Errno("chown device", d.path);
    }
  }
  return absl::OkStatus();
}

absl::Status CreateDevSymlinks(int root_fd, bool with_console) {
  ASSIGN_OR_RETURN(UniqueFd dev, OpenInRoot(root_fd, "/dev", TargetKind::kDir));
  UniqueFd real(openat(dev.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!real) return Errno("open", "/dev");
  static const char* const kLinks[][2] = {{"/proc/self/fd", "fd"},
                                          {"/proc/self/fd/0", "stdin"},
                                          {"/proc/self/fd/1", "stdout"},
                                          {"/proc/self/fd/2", "stderr"},
                                          {"pts/ptmx", "ptmx"}};
  for (const auto& l : kLinks) {
    if (symlinkat(l[0], real.get(), l[1]) != 0 && errno != EEXIST) {
      if (strcmp(l[1], "ptmx") == 0 && errno == EEXIST) continue;
      return Errno("symlink", absl::StrCat("/dev/", l[1]));
    }
  }
  // /dev/ptmx must point at the container's devpts instance even when the
  // rootfs shipped a device node there.
  struct stat st;
  if (fstatat(real.get(), "ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(st.st_mode)) {
    unlinkat(real.get(), "ptmx", 0);
    if (symlinkat("pts/ptmx", real.get(), "ptmx") != 0) return Errno("symlink", "/dev/ptmx");
  }
  if (access("/proc/kcore", F_OK) == 0) (void)!symlinkat("/proc/kcore", real.get(), "core");
  if (with_console) {
    int f = openat(real.get(), "console", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (f < 0) return Errno("create", "/dev/console");
    close(f);
  }
  return absl::OkStatus();
}

}  // namespace skiff::runtime
