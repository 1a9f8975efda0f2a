#include "runtime/init.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/status.h"
#include "runtime/capabilities.h"
#include "runtime/devices.h"
#include "runtime/exec_check.h"
#include "runtime/hooks.h"
#include "runtime/mounts.h"
#include "runtime/namespaces.h"
#include "runtime/seccomp.h"
#include "runtime/process.h"
#include "runtime/terminal.h"

namespace skiff::runtime {

namespace {

// A failed step: report it and die. The parent turns it into the error.
[[noreturn]] void Fail(InitConfig& cfg, absl::string_view stage, const absl::Status& st,
                       absl::string_view hint = {}) {
  cfg.sync->SendError(stage, st.message(), "", 0, hint);
  _exit(1);
}

#define INIT_CHECK(stage, expr)                     \
  do {                                              \
    absl::Status init_st_ = (expr);                 \
    if (!init_st_.ok()) Fail(cfg, stage, init_st_); \
  } while (0)

ContainerState ContainerStateSeenInside(ContainerState st) {
  st.pid = getpid();
  return st;
}

bool BindMountsDev(const Spec& spec) {
  for (const Mount& m : spec.mounts)
    if ((m.destination == "/dev" || m.destination == "/dev/") && m.bind()) return true;
  return false;
}

absl::Status PrepareRoot(const InitConfig& cfg, MountContext& ctx) {
  const Spec& spec = *cfg.spec;
  // The rootfs' parent must not be shared for pivot_root: rslave keeps host
  // mounts flowing in but nothing of ours flowing out; a config asking for
  // private or unbindable starts from rprivate. linux.rootfsPropagation
  // itself is applied to the new / after pivot_root (an unbindable tree
  // could not be bind-mounted here).
  unsigned long prop = spec.linux.rootfs_propagation_flags;
  unsigned long start = (prop & (MS_PRIVATE | MS_UNBINDABLE)) ? MS_PRIVATE : MS_SLAVE;
  if (mount(nullptr, "/", nullptr, start | MS_REC, nullptr) != 0)
    return Errno(start == MS_PRIVATE ? "make / rprivate" : "make / rslave");
  if (mount(spec.root.path.c_str(), spec.root.path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return Errno("bind mount rootfs", spec.root.path);
  ctx.root_fd = open(spec.root.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ctx.root_fd < 0) return Errno("open rootfs", spec.root.path);
  ctx.rootfs = spec.root.path;
  return absl::OkStatus();
}

absl::Status PivotRoot(const InitConfig& cfg, int root_fd) {
  if (fchdir(root_fd) != 0) return Errno("chdir to rootfs", cfg.spec->root.path);
  if (cfg.no_pivot) {
    if (mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) return Errno("move rootfs to /");
    if (chroot(".") != 0) return Errno("chroot", cfg.spec->root.path);
  } else {
    // pivot_root(".", ".") stacks the old root on top of the new one; the
    // lazy unmount then drops it without needing a directory for it.
    if (syscall(SYS_pivot_root, ".", ".") != 0)
      return Errno("pivot_root", cfg.spec->root.path);
    if (mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
      return Errno("make old root rslave");
    if (umount2(".", MNT_DETACH) != 0) return Errno("unmount old root");
  }
  if (chdir("/") != 0) return Errno("chdir", "/");
  return absl::OkStatus();
}

absl::Status MaskPaths(const Spec& spec) {
  for (const std::string& p : spec.linux.masked_paths) {
    struct stat st;
    if (stat(p.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      return Errno("mask path", p);
    }
    if (S_ISDIR(st.st_mode)) {
      if (mount("tmpfs", p.c_str(), "tmpfs", MS_RDONLY, "size=0") != 0)
        return Errno("mask directory with read-only tmpfs", p);
    } else if (mount("/dev/null", p.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      return Errno("mask file with /dev/null", p);
    }
  }
  return absl::OkStatus();
}

absl::Status ReadonlyPaths(const Spec& spec) {
  for (const std::string& p : spec.linux.readonly_paths) {
    if (mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      if (errno == ENOENT) continue;
      return Errno("bind mount read-only path", p);
    }
    unsigned long keep = LockedFlags(p) & ~MS_RDONLY;
    if (mount(nullptr, p.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, nullptr) != 0)
      return Errno("remount read-only", p);
  }
  return absl::OkStatus();
}

absl::Status ApplySysctls(const Spec& spec) {
  for (const auto& [k, v] : spec.linux.sysctl) {
    // A key with slashes is already a path (and may hold dotted interface
    // names such as eth0.100); a dotted key is converted.
    std::string path = absl::StrCat(
        "/proc/sys/", k.find('/') != std::string::npos ? k : absl::StrReplaceAll(k, {{".", "/"}}));
    RETURN_IF_ERROR(Annotate(WriteFile(path, v), absl::StrCat("linux.sysctl ", k)));
  }
  return absl::OkStatus();
}

}  // namespace

void RunInit(InitConfig& cfg) {
  const Spec& spec = *cfg.spec;
  const Process& proc = *spec.process;
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  auto go = cfg.sync->Recv();
  if (!go.ok() || go->type != SyncType::kGo) _exit(1);
  // Until execve, nothing in the container may open /proc/<init>/exe or
  // ptrace us. Not before kGo: an unprivileged parent writes our uid_map and
  // gid_map, which /proc hands to root once we are not dumpable.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  cfg.state.pid = go->pid;

  if (cfg.join_fds[0] >= 0) {
    if (setns(cfg.join_fds[0], CLONE_NEWUSER) != 0) Fail(cfg, "namespaces", Errno("join user namespace"));
  }
  if (spec.HasNewNamespace(CLONE_NEWUSER) || cfg.join_fds[0] >= 0 || cfg.joined_user) {
    if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0)
      Fail(cfg, "namespaces", Errno("become root in the user namespace"),
           "map container uid 0 and gid 0 in linux.uidMappings/gidMappings");
  }
  for (int i = 1; i < 6; ++i) {
    if (cfg.join_fds[i] >= 0 && setns(cfg.join_fds[i], kJoinOrder[i]) != 0)
      Fail(cfg, "namespaces", Errno("join namespace", spec.linux.namespaces.empty() ? "" : ""));
  }
  if (spec.HasNewNamespace(CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) != 0)
    Fail(cfg, "namespaces", Errno("create cgroup namespace"));

  if (!spec.hostname.empty() && sethostname(spec.hostname.data(), spec.hostname.size()) != 0)
    Fail(cfg, "hostname", Errno("sethostname", spec.hostname));
  if (!spec.domainname.empty() &&
      setdomainname(spec.domainname.data(), spec.domainname.size()) != 0)
    Fail(cfg, "hostname", Errno("setdomainname", spec.domainname));

  if (!cfg.no_new_keyring) {
    std::string name = absl::StrCat("_ses.", cfg.state.id);
    if (syscall(SYS_keyctl, 1 /*KEYCTL_JOIN_SESSION_KEYRING*/, name.c_str()) < 0 &&
        errno != ENOSYS && errno != EACCES && errno != EPERM)
      Fail(cfg, "keyring", Errno("join session keyring"));
  }

  umask(0);
  MountContext ctx;
  ctx.new_user_ns = spec.HasNewNamespace(CLONE_NEWUSER) || cfg.join_fds[0] >= 0 || cfg.joined_user;
  ctx.new_cgroup_ns = spec.HasNewNamespace(CLONE_NEWCGROUP);
  ctx.new_net_ns = spec.HasNewNamespace(CLONE_NEWNET);
  ctx.cgroup_path = cfg.state.cgroup_path;
  INIT_CHECK("rootfs", PrepareRoot(cfg, ctx));
  for (const Mount& m : spec.mounts) INIT_CHECK("mounts", MountEntry(ctx, m));
  if (!BindMountsDev(spec)) {
    INIT_CHECK("devices", CreateDevices(ctx.root_fd, DevicesFor(spec.linux.devices),
                                        ctx.new_user_ns));
    INIT_CHECK("devices", CreateDevSymlinks(ctx.root_fd, proc.terminal));
  }

  // As runc: a missing process.cwd is created (inside the rootfs).
  if (proc.cwd != "/") {
    auto cwd = OpenInRoot(ctx.root_fd, proc.cwd, TargetKind::kDir);
    if (!cwd.ok()) Fail(cfg, "process", Annotate(cwd.status(), "process.cwd"));
  }

  if (!spec.hooks.prestart.empty() || !spec.hooks.create_runtime.empty()) {
    INIT_CHECK("hooks", cfg.sync->Send(SyncType::kRunHooks));
    absl::Status st = cfg.sync->Expect(SyncType::kHooksDone);
    if (!st.ok()) _exit(1);  // the parent reports the hook's failure
  }
  if (!spec.hooks.create_container.empty())
    INIT_CHECK("createContainer hooks",
               RunHooks("createContainer", spec.hooks.create_container,
                        OciStateJson(ContainerStateSeenInside(cfg.state), Status::kCreating)
                            .dump()));

  // Reopening exec.fifo later needs a /proc that shows our fds; the host's
  // is still reachable here, and stays so through the fd after pivot_root.
  int proc_fd = -1;
  if (cfg.fifo_fd >= 0) {
    proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (proc_fd < 0) Fail(cfg, "rootfs", Errno("open", "/proc/self/fd"));
  }

  // The seccomp agent's socket is a host path: connect before pivot_root.
  int seccomp_listener = -1;
  if (spec.linux.seccomp) {
    auto l = ConnectSeccompListener(*spec.linux.seccomp);
    if (!l.ok()) Fail(cfg, "seccomp", l.status());
    seccomp_listener = *l;
  }
  INIT_CHECK("rootfs", PivotRoot(cfg, ctx.root_fd));
  close(ctx.root_fd);
  // Sysctls go in before /proc/sys turns read-only.
  INIT_CHECK("sysctl", ApplySysctls(spec));
  INIT_CHECK("masked paths", MaskPaths(spec));
  INIT_CHECK("read-only paths", ReadonlyPaths(spec));
  if (spec.root.readonly) {
    unsigned long keep = LockedFlags("/") & ~MS_RDONLY;
    if (mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, nullptr) != 0)
      Fail(cfg, "rootfs", Errno("remount root read-only (root.readonly)", "/"));
  }
  if (spec.linux.rootfs_propagation_flags &&
      mount(nullptr, "/", nullptr, spec.linux.rootfs_propagation_flags, nullptr) != 0)
    Fail(cfg, "rootfs", Errno("set rootfs propagation", spec.linux.rootfs_propagation));

  ProcessStart ps;
  ps.process = &proc;
  ps.seccomp = spec.linux.seccomp ? &*spec.linux.seccomp : nullptr;
  ps.seccomp_listener_fd = seccomp_listener;
  if (seccomp_listener >= 0) ps.seccomp_state = OciStateJson(cfg.state, Status::kCreating);
  ps.sync = cfg.sync;
  ps.console_fd = cfg.console_fd;
  ps.mount_console = true;
  ps.preserve_fds = cfg.preserve_fds;
  ps.exec_stub_fd = cfg.exec_stub_fd;
  ps.before_exec = [&] {
    // Hooks that run in the container see the pid the container sees.
    ContainerState hook_state = cfg.state;
    hook_state.pid = getpid();
    int fifo_w = -1;
    if (cfg.fifo_fd >= 0) {
      fifo_w = openat(proc_fd, std::to_string(cfg.fifo_fd).c_str(), O_WRONLY | O_CLOEXEC);
      if (fifo_w < 0) {
        // `create` has returned: the container's stderr is all we have.
        dprintf(2, "ocirun: init: open exec.fifo for writing: %s\n", strerror(errno));
        _exit(1);
      }
      close(proc_fd);
      close(cfg.fifo_fd);
    } else {
      auto start = cfg.sync->Recv();
      if (!start.ok() || start->type != SyncType::kStart) _exit(1);
    }
    if (!spec.hooks.start_container.empty()) {
      absl::Status st = RunHooks("startContainer", spec.hooks.start_container,
                                 OciStateJson(hook_state, Status::kCreated).dump());
      if (!st.ok()) {
        if (fifo_w >= 0) {
          std::string msg = absl::StrCat("E", st.message());
          (void)!write(fifo_w, msg.data(), msg.size());
          _exit(1);
        }
        Fail(cfg, "startContainer hooks", st);
      }
    }
    // `start` reads "0", then waits for EOF: the fifo closes on execve
    // (O_CLOEXEC), so poststart hooks run only once the program runs.
    if (fifo_w >= 0 && write(fifo_w, "0", 1) != 1) _exit(1);
    ps.report_fd = fifo_w;
  };
  if (proc.oom_score_adj)
    INIT_CHECK("process", Annotate(WriteFile("/proc/self/oom_score_adj",
                                             absl::StrCat(*proc.oom_score_adj)),
                                   "process.oomScoreAdj"));
  StartProcess(ps);
}

}  // namespace skiff::runtime
