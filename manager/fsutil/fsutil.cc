#include "manager/fsutil/fsutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace skiff::manager {

absl::Status MakeDirs(const std::string& path, int mode) {
  if (path.empty()) return absl::InvalidArgumentError("mkdir: empty path");
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat("mkdir `", path, "`: exists and is not a directory"));
  }
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) RETURN_IF_ERROR(MakeDirs(path.substr(0, slash), mode));
  if (mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return Errno("mkdir", path);
  return absl::OkStatus();
}

absl::Status RemoveChildren(int dirfd, absl::string_view what) {
  int dup = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) return Errno("open", what);
  DIR* dir = fdopendir(dup);
  if (dir == nullptr) {
    close(dup);
    return Errno("opendir", what);
  }
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* e = readdir(dir)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  int err = errno;
  closedir(dir);
  if (err != 0) return ErrnoError(err, "readdir", what);
  for (const std::string& n : names) {
    absl::Status st = RemoveAllAt(dirfd, n);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status RemoveAllAt(int dirfd, const std::string& name) {
  if (unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return absl::OkStatus();
  if (errno != EISDIR && errno != EPERM) return Errno("remove", name);
  // A directory: empty it through an fd opened without following links.
  UniqueFd sub(openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub) {
    if (errno == ENOENT) return absl::OkStatus();
    return Errno("open directory", name);
  }
  RETURN_IF_ERROR(RemoveChildren(sub.get(), name));
  if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return Errno("remove directory", name);
  }
  return absl::OkStatus();
}

absl::Status RemoveAll(const std::string& path) {
  std::string parent = ".", base = path;
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos) {
    parent = slash == 0 ? "/" : path.substr(0, slash);
    base = path.substr(slash + 1);
  }
  if (base.empty() || base == "." || base == "..") {
    return absl::InvalidArgumentError(absl::StrCat("refusing to remove `", path, "`"));
  }
  UniqueFd pfd(open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!pfd) {
    if (errno == ENOENT) return absl::OkStatus();
    return Errno("open", parent);
  }
  return Annotate(RemoveAllAt(pfd.get(), base), absl::StrCat("removing `", path, "`"));
}

absl::Status WriteAll(int fd, absl::string_view data, absl::string_view what) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write", what);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

ssize_t ReadRetry(int fd, void* buf, size_t n) {
  ssize_t r;
  do {
    r = read(fd, buf, n);
  } while (r < 0 && errno == EINTR);
  return r;
}

absl::Status FsyncDir(const std::string& dir) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return Errno("open", dir);
  if (fsync(fd.get()) != 0) return Errno("fsync", dir);
  return absl::OkStatus();
}

absl::Status WriteFileDurable(const std::string& path, absl::string_view data, int mode) {
  std::string tmp = absl::StrCat(path, ".tmp-", getpid());
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return Errno("create", tmp);
  absl::Status st = WriteAll(fd.get(), data, tmp);
  if (st.ok() && fsync(fd.get()) != 0) st = Errno("fsync", tmp);
  if (st.ok() && rename(tmp.c_str(), path.c_str()) != 0) st = Errno("rename into place", path);
  if (!st.ok()) {
    unlink(tmp.c_str());
    return st;
  }
  size_t slash = path.find_last_of('/');
  return FsyncDir(slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash)));
}

namespace {

absl::Status UsageAt(int dirfd, const std::string& what, dev_t dev,
                     std::set<std::pair<dev_t, ino_t>>& seen, DiskUsage& u) {
  int dup = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) return Errno("open", what);
  DIR* dir = fdopendir(dup);
  if (dir == nullptr) {
    close(dup);
    return Errno("opendir", what);
  }
  absl::Status st;
  while (struct dirent* e = readdir(dir)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    struct stat sb;
    if (fstatat(dirfd, n.c_str(), &sb, AT_SYMLINK_NOFOLLOW) != 0) continue;  // raced away
    if (sb.st_dev != dev) continue;
    if (seen.insert({sb.st_dev, sb.st_ino}).second) {
      u.bytes += static_cast<int64_t>(sb.st_blocks) * 512;
      u.inodes++;
    }
    if (S_ISDIR(sb.st_mode)) {
      UniqueFd sub(openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) continue;
      st = UsageAt(sub.get(), what + "/" + n, dev, seen, u);
      if (!st.ok()) break;
    }
  }
  closedir(dir);
  return st;
}

}  // namespace

absl::StatusOr<DiskUsage> DirUsage(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return Errno("open", path);
  struct stat sb;
  if (fstat(fd.get(), &sb) != 0) return Errno("stat", path);
  DiskUsage u;
  u.bytes = static_cast<int64_t>(sb.st_blocks) * 512;
  u.inodes = 1;
  std::set<std::pair<dev_t, ino_t>> seen = {{sb.st_dev, sb.st_ino}};
  RETURN_IF_ERROR(UsageAt(fd.get(), path, sb.st_dev, seen, u));
  return u;
}

absl::StatusOr<std::string> MakeTempDir(const std::string& parent, absl::string_view prefix) {
  std::string tmpl = absl::StrCat(parent, "/", prefix, "XXXXXX");
  if (mkdtemp(tmpl.data()) == nullptr) return Errno("mkdtemp", tmpl);
  return tmpl;
}

}  // namespace skiff::manager
