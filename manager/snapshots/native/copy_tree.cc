#include "manager/snapshots/native/copy_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "manager/fsutil/fsutil.h"

namespace skiff::manager {

namespace {

struct Copier {
  bool root = geteuid() == 0;
  dev_t dev = 0;
  // src inode -> (dst dir fd, name) of its first copy, for hardlinks.
  std::map<std::pair<dev_t, ino_t>, std::pair<int, std::string>> links;
  std::vector<UniqueFd> keep;  // dir fds that `links` refers to

  // Copies extended attributes between two fds opened on regular files or
  // directories. Attributes a file system refuses are skipped.
  absl::Status CopyXattrs(int from, int to, const std::string& what) {
    ssize_t n = flistxattr(from, nullptr, 0);
    if (n <= 0) return absl::OkStatus();
    std::string names(static_cast<size_t>(n), '\0');
    n = flistxattr(from, names.data(), names.size());
    if (n < 0) return absl::OkStatus();
    names.resize(static_cast<size_t>(n));
    for (size_t i = 0; i < names.size();) {
      std::string name(names.c_str() + i);
      i += name.size() + 1;
      ssize_t vn = fgetxattr(from, name.c_str(), nullptr, 0);
      if (vn < 0) continue;
      std::string value(static_cast<size_t>(vn), '\0');
      vn = fgetxattr(from, name.c_str(), value.data(), value.size());
      if (vn < 0) continue;
      value.resize(static_cast<size_t>(vn));
      if (fsetxattr(to, name.c_str(), value.data(), value.size(), 0) != 0 && errno != ENOTSUP &&
          errno != EPERM && errno != EOPNOTSUPP) {
        return Errno(absl::StrCat("set xattr ", name, " on"), what);
      }
    }
    return absl::OkStatus();
  }

  absl::Status Attrs(int dst_dir, const std::string& name, const struct stat& st, int fd,
                     const std::string& what) {
    if (root && fchownat(dst_dir, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return Errno("chown", what);
    }
    if (!S_ISLNK(st.st_mode)) {
      int r = fd >= 0 ? fchmod(fd, st.st_mode & 07777) : fchmodat(dst_dir, name.c_str(), st.st_mode & 07777, 0);
      if (r != 0) return Errno("chmod", what);
    }
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    int r = fd >= 0 ? futimens(fd, ts) : utimensat(dst_dir, name.c_str(), ts, AT_SYMLINK_NOFOLLOW);
    if (r != 0) return Errno("set times of", what);
    return absl::OkStatus();
  }

  absl::Status CopyFile(int src_dir, int dst_dir, const std::string& name, const struct stat& st,
                        const std::string& what) {
    UniqueFd in(openat(src_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in) return Errno("open", what);
    UniqueFd out(openat(dst_dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) return Errno("create", what);
    off_t left = st.st_size;
    while (left > 0) {
      ssize_t n = copy_file_range(in.get(), nullptr, out.get(), nullptr, static_cast<size_t>(left), 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
        n = CopyChunk(in.get(), out.get(), left);
      }
      if (n < 0) return Errno("copy", what);
      if (n == 0) break;  // the file shrank
      left -= n;
    }
    RETURN_IF_ERROR(CopyXattrs(in.get(), out.get(), what));
    return Attrs(dst_dir, name, st, out.get(), what);
  }

  static ssize_t CopyChunk(int in, int out, off_t max) {
    char buf[1 << 16];
    ssize_t n = ReadRetry(in, buf, static_cast<size_t>(std::min<off_t>(max, sizeof buf)));
    if (n <= 0) return n;
    if (!WriteAll(out, absl::string_view(buf, static_cast<size_t>(n)), "copy").ok()) return -1;
    return n;
  }

  absl::Status CopyDir(int src_dir, int dst_dir, const std::string& what) {
    int dup = openat(src_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dup < 0) return Errno("open", what);
    DIR* d = fdopendir(dup);
    if (d == nullptr) {
      close(dup);
      return Errno("opendir", what);
    }
    std::vector<std::string> names;
    while (struct dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    closedir(d);
    int kept = -1;  // a dup of dst_dir that outlives this call, for `links`
    for (const std::string& name : names) {
      std::string path = what + "/" + name;
      struct stat st;
      if (fstatat(src_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return Errno("stat", path);
      if (st.st_dev != dev) continue;  // a mount below the tree: not ours to copy
      if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
        auto it = links.find({st.st_dev, st.st_ino});
        if (it != links.end()) {
          if (linkat(it->second.first, it->second.second.c_str(), dst_dir, name.c_str(), 0) != 0) {
            return Errno("hardlink", path);
          }
          continue;
        }
      }
      if (S_ISDIR(st.st_mode)) {
        if (mkdirat(dst_dir, name.c_str(), 0700) != 0) return Errno("mkdir", path);
        UniqueFd s(openat(src_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        UniqueFd t(openat(dst_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!s || !t) return Errno("open", path);
        RETURN_IF_ERROR(CopyDir(s.get(), t.get(), path));
        RETURN_IF_ERROR(CopyXattrs(s.get(), t.get(), path));
        RETURN_IF_ERROR(Attrs(dst_dir, name, st, t.get(), path));
        continue;
      } else if (S_ISREG(st.st_mode)) {
        RETURN_IF_ERROR(CopyFile(src_dir, dst_dir, name, st, path));
      } else if (S_ISLNK(st.st_mode)) {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        ssize_t n = readlinkat(src_dir, name.c_str(), target.data(), target.size());
        if (n < 0) return Errno("readlink", path);
        target.resize(static_cast<size_t>(n));
        if (symlinkat(target.c_str(), dst_dir, name.c_str()) != 0) return Errno("symlink", path);
        RETURN_IF_ERROR(Attrs(dst_dir, name, st, -1, path));
      } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
        if (mknodat(dst_dir, name.c_str(), st.st_mode, st.st_rdev) != 0) {
          if (errno == EPERM && !root) continue;  // device nodes need root
          return Errno("mknod", path);
        }
        RETURN_IF_ERROR(Attrs(dst_dir, name, st, -1, path));
      } else {
        continue;  // sockets belong to a running process, not to a snapshot
      }
      if (st.st_nlink > 1) {
        if (kept < 0) {
          kept = fcntl(dst_dir, F_DUPFD_CLOEXEC, 0);
          if (kept < 0) return Errno("dup directory fd of", what);
          keep.emplace_back(kept);
        }
        links[{st.st_dev, st.st_ino}] = {kept, name};
      }
    }
    return absl::OkStatus();
  }
};

}  // namespace

absl::Status CopyTree(const std::string& src, const std::string& dst) {
  UniqueFd s(open(src.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!s) return Errno("open", src);
  UniqueFd d(open(dst.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!d) return Errno("open", dst);
  struct stat st;
  if (fstat(s.get(), &st) != 0) return Errno("stat", src);
  Copier c;
  c.dev = st.st_dev;
  RETURN_IF_ERROR(Annotate(c.CopyDir(s.get(), d.get(), src), absl::StrCat("copying `", src, "` to `", dst, "`")));
  RETURN_IF_ERROR(c.CopyXattrs(s.get(), d.get(), dst));
  if (c.root && fchown(d.get(), st.st_uid, st.st_gid) != 0) return Errno("chown", dst);
  if (fchmod(d.get(), st.st_mode & 07777) != 0) return Errno("chmod", dst);
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  if (futimens(d.get(), ts) != 0) return Errno("set times of", dst);
  return absl::OkStatus();
}

}  // namespace skiff::manager
