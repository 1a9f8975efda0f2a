#include "runtime/mounts.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <deque>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/status.h"

namespace skiff::runtime {

namespace {

int OpenAt2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  struct open_how how = {};
  how.flags = flags;
  how.resolve = resolve;
  return static_cast<int>(syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

constexpr uint64_t kResolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

}  // namespace

std::string FdPath(int fd) { return absl::StrCat("/proc/self/fd/", fd); }

absl::StatusOr<UniqueFd> OpenInRoot(int root_fd, const std::string& path, TargetKind kind,
                                    bool create) {
  std::string rel = path;
  while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
  if (rel.empty()) {
    int fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return Errno("dup rootfs fd");
    return UniqueFd(fd);
  }
  int fd = OpenAt2(root_fd, rel.c_str(), O_PATH | O_CLOEXEC, kResolve);
  if (fd >= 0) return UniqueFd(fd);
  if (errno != ENOENT || !create) return Errno("resolve in rootfs", path);

  // Walk it one component at a time, never following a link in the kernel:
  // `..` stops at the root, and a symlink's target is spliced into the
  // remaining path and resolved from the root (absolute) or its directory
  // (relative), so even a dangling link planted in the rootfs gets its
  // target created inside the rootfs, as RESOLVE_IN_ROOT would read it.
  std::deque<std::string> todo;
  for (absl::string_view c : absl::StrSplit(rel, '/', absl::SkipEmpty())) todo.emplace_back(c);
  std::vector<UniqueFd> stack;  // stack[0] is the root, back() the current directory
  stack.emplace_back(fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (!stack[0]) return Errno("dup rootfs fd");
  int links = 0;
  while (!todo.empty()) {
    std::string comp = std::move(todo.front());
    todo.pop_front();
    if (comp == ".") continue;
    if (comp == "..") {
      if (stack.size() > 1) stack.pop_back();
      continue;
    }
    bool last = todo.empty();
    UniqueFd next(openat(stack.back().get(), comp.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!next && errno == ENOENT) {
      if (last && kind == TargetKind::kFile) {
        int f = openat(stack.back().get(), comp.c_str(),
                       O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f < 0 && errno != EEXIST) return Errno("create mount target", path);
        if (f >= 0) close(f);
      } else if (mkdirat(stack.back().get(), comp.c_str(), 0755) != 0 && errno != EEXIST) {
        return Errno("create directory", path);
      }
      next.reset(openat(stack.back().get(), comp.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    }
    if (!next) return Errno("resolve in rootfs", path);
    struct stat st;
    if (fstat(next.get(), &st) != 0) return Errno("stat in rootfs", path);
    if (S_ISLNK(st.st_mode)) {
      if (++links > 40) return ErrnoError(ELOOP, "resolve in rootfs", path);
      char target[PATH_MAX];
      ssize_t n = readlinkat(next.get(), "", target, sizeof target);
      if (n < 0) return Errno("read symlink in rootfs", path);
      std::string t(target, n);
      std::vector<std::string> tparts = absl::StrSplit(t, '/', absl::SkipEmpty());
      todo.insert(todo.begin(), tparts.begin(), tparts.end());
      if (!t.empty() && t[0] == '/') stack.resize(1);
      continue;
    }
    if (!last && !S_ISDIR(st.st_mode)) return ErrnoError(ENOTDIR, "resolve in rootfs", path);
    stack.push_back(std::move(next));
  }
  return std::move(stack.back());
}

unsigned long LockedFlags(const std::string& path) {
  struct statvfs sv;
  if (statvfs(path.c_str(), &sv) != 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

namespace {

constexpr unsigned long kPropagation = MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE;

absl::Status DoMount(const char* source, const std::string& target, const char* type,
                     unsigned long flags, const std::string& data, const std::string& shown) {
  if (mount(source, target.c_str(), type, flags, data.empty() ? nullptr : data.c_str()) != 0)
    return Errno(absl::StrCat("mount `", source ? source : "", "` (", type ? type : "bind",
                              ") on"),
                 shown);
  return absl::OkStatus();
}

struct CgroupHierarchy {
  std::string mount_point;  // /sys/fs/cgroup/memory
  std::string options;      // "memory" or "name=systemd"
  bool v2 = false;
};

std::vector<CgroupHierarchy> HostCgroupHierarchies() {
  std::vector<CgroupHierarchy> out;
  auto text = ReadFile("/proc/self/mountinfo");
  if (!text.ok()) return out;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    // ... mountpoint ... - fstype source superopts
    auto dash = line.find(" - ");
    if (dash == absl::string_view::npos) continue;
    std::vector<absl::string_view> pre = absl::StrSplit(line.substr(0, dash), ' ');
    std::vector<absl::string_view> post = absl::StrSplit(line.substr(dash + 3), ' ');
    if (pre.size() < 5 || post.size() < 3) continue;
    if (post[0] != "cgroup" && post[0] != "cgroup2") continue;
    CgroupHierarchy h;
    h.mount_point = std::string(pre[4]);
    h.v2 = post[0] == "cgroup2";
    std::vector<std::string> keep;
    for (absl::string_view o : absl::StrSplit(post[2], ',')) {
      if (o == "rw" || o == "ro" || o == "relatime" || o == "nsdelegate" ||
          o == "memory_recursiveprot")
        continue;
      keep.emplace_back(o);
    }
    h.options = absl::StrJoin(keep, ",");
    out.push_back(std::move(h));
  }
  return out;
}

absl::Status MountCgroups(const MountContext& ctx, const Mount& m, int dir_fd) {
  int target_fd = dir_fd;
  auto hier = HostCgroupHierarchies();
  bool pure_v2 = hier.size() == 1 && hier[0].v2 && hier[0].mount_point == "/sys/fs/cgroup";
  unsigned long flags = (m.flags & ~(MS_RDONLY | MS_BIND | MS_REC)) | MS_NOSUID | MS_NODEV |
                        MS_NOEXEC;
  if (pure_v2) {
    if (ctx.new_cgroup_ns)
      return DoMount("cgroup2", FdPath(target_fd), "cgroup2", m.flags & ~(MS_BIND | MS_REC), "",
                     m.destination);
    std::string src = absl::StrCat("/sys/fs/cgroup", ctx.cgroup_path);
    RETURN_IF_ERROR(DoMount(src.c_str(), FdPath(target_fd), nullptr, MS_BIND | MS_REC, "",
                            m.destination));
    if (m.flags & MS_RDONLY) {
      ASSIGN_OR_RETURN(UniqueFd bound,
                       OpenInRoot(ctx.root_fd, m.destination, TargetKind::kDir, false));
      RETURN_IF_ERROR(DoMount(nullptr, FdPath(bound.get()), nullptr,
                              MS_BIND | MS_REMOUNT | MS_RDONLY | flags, "", m.destination));
    }
    return absl::OkStatus();
  }
  // v1 or hybrid: a tmpfs holding one mount per hierarchy, as runc lays out.
  RETURN_IF_ERROR(DoMount("tmpfs", FdPath(target_fd), "tmpfs", flags, "mode=755",
                          m.destination));
  // Address the new tmpfs, not the directory it covers.
  ASSIGN_OR_RETURN(UniqueFd tmpfs, OpenInRoot(ctx.root_fd, m.destination, TargetKind::kDir, false));
  UniqueFd tmpfs_dir(openat(tmpfs.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!tmpfs_dir) return Errno("open", m.destination);
  target_fd = tmpfs_dir.get();
  for (const auto& h : hier) {
    if (h.v2) continue;  // the empty hybrid unified tree is not shown, as runc does
    std::string name = h.mount_point.substr(h.mount_point.rfind('/') + 1);
    if (mkdirat(target_fd, name.c_str(), 0755) != 0 && errno != EEXIST)
      return Errno("create directory", absl::StrCat(m.destination, "/", name));
    UniqueFd sub(openat(target_fd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub) return Errno("open", absl::StrCat(m.destination, "/", name));
    std::string shown = absl::StrCat(m.destination, "/", name);
    absl::Status fresh = absl::UnknownError("no cgroup namespace");
    if (ctx.new_cgroup_ns) {
      fresh = DoMount("cgroup", FdPath(sub.get()), "cgroup", flags | (m.flags & MS_RDONLY),
                      h.options, shown);
      // In a user namespace the kernel refuses new v1 hierarchies: show the
      // host's instead (bound read-only where asked), as runc does rootless.
      if (!fresh.ok() && !ctx.new_user_ns) return fresh;
    }
    if (!fresh.ok()) {
      std::string src = absl::StrCat(h.mount_point, ctx.cgroup_path);
      if (access(src.c_str(), F_OK) != 0) src = h.mount_point;
      RETURN_IF_ERROR(DoMount(src.c_str(), FdPath(sub.get()), nullptr, MS_BIND | MS_REC, "",
                              shown));
      // Remount the new bind mount, not the directory it covers.
      UniqueFd bound(openat(target_fd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!bound) return Errno("open", shown);
      RETURN_IF_ERROR(DoMount(nullptr, FdPath(bound.get()), nullptr,
                              MS_BIND | MS_REMOUNT | flags | (m.flags & MS_RDONLY), "", shown));
    }
    // cpu,cpuacct style combined hierarchies get per-controller symlinks.
    if (name.find(',') != std::string::npos)
      for (absl::string_view c : absl::StrSplit(name, ','))
        (void)!symlinkat(name.c_str(), target_fd, std::string(c).c_str());
  }
  if (m.flags & MS_RDONLY)
    RETURN_IF_ERROR(DoMount(nullptr, FdPath(target_fd), nullptr,
                            MS_REMOUNT | MS_RDONLY | flags, "mode=755", m.destination));
  return absl::OkStatus();
}

// After `mount -t proc` (or sysfs), the destination, reached again by its
// path, must be that file system. If the rootfs had the target swapped
// under us (a rename or symlink race through a volume shared with another
// container), the mount sits somewhere else and the container's /proc would
// be an ordinary directory: the later sysctl writes, masks and read-only
// binds, all done through /proc paths, would then act on files the
// container controls. One open and one fstatfs.
absl::Status CheckMountedFs(int root_fd, const Mount& m) {
  unsigned long want;
  const char* name;
  if (m.type == "proc") {
    want = PROC_SUPER_MAGIC;
    name = "procfs";
  } else if (m.type == "sysfs") {
    want = SYSFS_MAGIC;
    name = "sysfs";
  } else {
    return absl::OkStatus();
  }
  std::string what = absl::StrCat("mount `", m.source.empty() ? m.type : m.source, "` on `",
                                  m.destination, "`");
  auto fd = OpenInRoot(root_fd, m.destination, TargetKind::kDir, /*create=*/false);
  if (!fd.ok())
    return Annotate(fd.status(),
                    absl::StrCat(what, ": the target is gone after mounting (swapped during setup?)"));
  struct statfs sf;
  if (fstatfs(fd->get(), &sf) != 0) return Errno(absl::StrCat(what, ": statfs"), m.destination);
  if (static_cast<unsigned long>(sf.f_type) != want)
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": the target is not ", name, " after mounting (swapped during setup?)"));
  return absl::OkStatus();
}

}  // namespace

absl::Status MountEntry(const MountContext& ctx, const Mount& m) {
  bool bind = m.bind();
  TargetKind kind = TargetKind::kDir;
  if (bind) {
    struct stat st;
    if (stat(m.source.c_str(), &st) != 0) return Errno("bind mount source", m.source);
    if (!S_ISDIR(st.st_mode)) kind = TargetKind::kFile;
  }
  ASSIGN_OR_RETURN(UniqueFd target, OpenInRoot(ctx.root_fd, m.destination, kind));
  std::string tpath = FdPath(target.get());

  if (bind) {
    RETURN_IF_ERROR(DoMount(m.source.c_str(), tpath, nullptr, MS_BIND | (m.flags & MS_REC), "",
                            m.destination));
    unsigned long extra = m.flags & ~(MS_BIND | MS_REC | MS_REMOUNT | kPropagation);
    if (extra) {
      // The remount applies to the new mount; reopen it through the path so
      // that we address the mount, not the directory beneath it.
      ASSIGN_OR_RETURN(UniqueFd mounted, OpenInRoot(ctx.root_fd, m.destination, kind, false));
      std::string mpath = FdPath(mounted.get());
      unsigned long keep = ctx.new_user_ns ? (LockedFlags(mpath) & ~MS_RDONLY) : 0;
      RETURN_IF_ERROR(DoMount(nullptr, mpath, nullptr,
                              MS_BIND | MS_REMOUNT | extra | keep, "", m.destination));
    }
  } else if (m.type == "cgroup" || m.type == "cgroup2") {
    RETURN_IF_ERROR(MountCgroups(ctx, m, target.get()));
  } else {
    std::string source = m.source.empty() ? m.type : m.source;
    absl::Status st = DoMount(source.c_str(), tpath, m.type.c_str(),
                              m.flags & ~(MS_REMOUNT | kPropagation), m.data, m.destination);
    if (!st.ok() && errno == EPERM && (m.type == "sysfs" || m.type == "mqueue")) {
      // Without a private net (sysfs) or ipc (mqueue) namespace the kernel
      // refuses a new instance: show the host's, read-only where asked, as
      // runc does.
      const char* host = m.type == "sysfs" ? "/sys" : "/dev/mqueue";
      st = DoMount(host, tpath, nullptr, MS_BIND | MS_REC, "", m.destination);
      if (st.ok() && (m.flags & ~MS_REC)) {
        ASSIGN_OR_RETURN(UniqueFd mounted, OpenInRoot(ctx.root_fd, m.destination, kind, false));
        st = DoMount(nullptr, FdPath(mounted.get()), nullptr,
                     MS_BIND | MS_REMOUNT | (m.flags & ~(MS_REC | kPropagation)), "",
                     m.destination);
      }
    }
    RETURN_IF_ERROR(st);
    RETURN_IF_ERROR(CheckMountedFs(ctx.root_fd, m));
  }
  if (m.rec_attr_set || m.rec_attr_clr) {
    // "rro", "rnosuid", ...: applied to the whole mount tree at once.
    ASSIGN_OR_RETURN(UniqueFd mounted, OpenInRoot(ctx.root_fd, m.destination, kind, false));
    struct mount_attr attr = {};
    attr.attr_set = m.rec_attr_set;
    attr.attr_clr = m.rec_attr_clr;
    if (syscall(SYS_mount_setattr, mounted.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                sizeof attr) != 0)
      return Errno("set recursive mount attributes on", m.destination);
  }
  if (m.propagation) {
    ASSIGN_OR_RETURN(UniqueFd mounted, OpenInRoot(ctx.root_fd, m.destination, kind, false));
    RETURN_IF_ERROR(DoMount(nullptr, FdPath(mounted.get()), nullptr, m.propagation, "",
                            m.destination));
  }
  return absl::OkStatus();
}

}  // namespace skiff::runtime
