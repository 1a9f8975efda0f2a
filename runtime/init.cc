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

bool BindMountsDev(const Spec& spec) {
  for (const Mount& m : spec.mounts)
    if ((m.destination == "/dev" || m.destination == "/dev/") && m.bind()) return true;
  return false;
}

absl::Status PrepareRoot(const InitConfig& cfg, MountContext& ctx) {
  const Spec& spec = *cfg.spec;
  unsigned long prop = spec.linux.rootfs_propagation_flags
                           ? spec.linux.rootfs_propagation_flags
                           : (MS_SLAVE | MS_REC);
  // The rootfs' parent must not be shared for pivot_root; rslave keeps host
  // mounts flowing in but nothing of ours flowing out.
  if (mount(nullptr, "/", nullptr, (prop & ~MS_SHARED) | MS_REC | (prop & MS_SHARED ? MS_SLAVE : 0),
            nullptr) != 0)
    return Errno("make / rslave");
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

absl::Status ApplyRlimits(const Process& p) {
  for (const Rlimit& r : p.rlimits) {
    struct rlimit rl = {r.soft, r.hard};
    if (setrlimit(r.resource, &rl) != 0)
      return Errno(absl::StrCat("setrlimit ", r.type, " soft=", r.soft, " hard=", r.hard),
                   errno == EPERM ? "(raising a hard limit needs CAP_SYS_RESOURCE)" : "");
  }
  return absl::OkStatus();
}

absl::Status SwitchUser(const Process& p) {
  const User& u = p.user;
  if (p.capabilities) {
    RETURN_IF_ERROR(DropBoundingSet(*p.capabilities));
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Errno("prctl PR_SET_KEEPCAPS");
  }
  if (setgroups(u.additional_gids.size(), u.additional_gids.data()) != 0 && errno != EPERM)
    return Errno("setgroups");
  if (setresgid(u.gid, u.gid, u.gid) != 0) return Errno(absl::StrCat("setgid ", u.gid));
  if (setresuid(u.uid, u.uid, u.uid) != 0) return Errno(absl::StrCat("setuid ", u.uid));
  if (p.capabilities) {
    RETURN_IF_ERROR(ApplyCapabilities(*p.capabilities));
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  }
  umask(u.umask ? *u.umask : 0022);
  return absl::OkStatus();
}

std::vector<std::string> ProcessEnv(const Process& p) {
  std::vector<std::string> env = p.env;
  bool has_home = false;
  for (const auto& e : env)
    if (absl::StartsWith(e, "HOME=")) has_home = true;
  if (!has_home) {
    // As runc: HOME from the container's /etc/passwd, else "/".
    std::string home = "/";
    auto passwd = ReadFile("/etc/passwd");
    if (passwd.ok()) {
      for (absl::string_view line : absl::StrSplit(*passwd, '\n')) {
        std::vector<absl::string_view> f = absl::StrSplit(line, ':');
        if (f.size() >= 6 && f[2] == absl::StrCat(p.user.uid)) {
          home = std::string(f[5]);
          break;
        }
      }
    }
    env.push_back("HOME=" + home);
  }
  return env;
}

}  // namespace

void RunInit(InitConfig& cfg) {
  const Spec& spec = *cfg.spec;
  const Process& proc = *spec.process;
  // Until execve, nothing in the container may open /proc/<init>/exe (our
  // binary) or ptrace us.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

  auto go = cfg.sync->Recv();
  if (!go.ok() || go->type != SyncType::kGo) _exit(1);
  cfg.state.pid = go->pid;

  if (cfg.join_fds[0] >= 0) {
    if (setns(cfg.join_fds[0], CLONE_NEWUSER) != 0) Fail(cfg, "namespaces", Errno("join user namespace"));
  }
  if (spec.HasNewNamespace(CLONE_NEWUSER) || cfg.join_fds[0] >= 0) {
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
  ctx.new_user_ns = spec.HasNewNamespace(CLONE_NEWUSER) || cfg.join_fds[0] >= 0;
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
                        OciStateJson(cfg.state, Status::kCreating).dump()));

  // Reopening exec.fifo later needs a /proc that shows our fds; the host's
  // is still reachable here, and stays so through the fd after pivot_root.
  int proc_fd = -1;
  if (cfg.fifo_fd >= 0) {
    proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (proc_fd < 0) Fail(cfg, "rootfs", Errno("open", "/proc/self/fd"));
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

  if (setsid() < 0) Fail(cfg, "terminal", Errno("setsid"));
  if (proc.terminal) {
    auto pty = OpenPty(proc.console_height, proc.console_width);
    if (!pty.ok()) Fail(cfg, "terminal", pty.status());
    if (cfg.console_fd >= 0) {
      INIT_CHECK("terminal", SendFd(cfg.console_fd, pty->master.get(), pty->slave_path));
      close(cfg.console_fd);
    } else {
      INIT_CHECK("terminal", cfg.sync->Send(SyncType::kPty, pty->master.get()));
    }
    INIT_CHECK("terminal", SetupConsole(*pty, true));
  }

  if (proc.oom_score_adj)
    INIT_CHECK("process", Annotate(WriteFile("/proc/self/oom_score_adj",
                                             absl::StrCat(*proc.oom_score_adj)),
                                   "process.oomScoreAdj"));
  INIT_CHECK("process", ApplyRlimits(proc));
  if (chdir(proc.cwd.c_str()) != 0) Fail(cfg, "process", Errno("chdir to process.cwd", proc.cwd));
  INIT_CHECK("user", SwitchUser(proc));

  std::vector<std::string> env = ProcessEnv(proc);
  auto exe = ResolveExecutable(proc.args[0], env);
  if (!exe.ok()) Fail(cfg, "exec", exe.status());

  if (proc.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    Fail(cfg, "process", Errno("prctl PR_SET_NO_NEW_PRIVS"));
  if (spec.linux.seccomp) INIT_CHECK("seccomp", ApplySeccomp(*spec.linux.seccomp));

  // Nothing but stdio and the preserved fds reaches the program
  // (CVE-2024-21626): everything else closes at exec.
  for (int fd = 3; fd < 3 + cfg.preserve_fds; ++fd) {
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0) fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }
  syscall(SYS_close_range, 3 + cfg.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);

  // The init outlives `ocirun create`: it must not die with it.
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  INIT_CHECK("sync", cfg.sync->Send(SyncType::kReady));
  if (cfg.fifo_fd >= 0) {
    int w = openat(proc_fd, std::to_string(cfg.fifo_fd).c_str(), O_WRONLY | O_CLOEXEC);
    if (w < 0 || write(w, "0", 1) != 1) {
      // `create` has returned: the container's stderr is all we have.
      dprintf(2, "ocirun: init: open exec.fifo for writing: %s\n", strerror(errno));
      _exit(1);
    }
    close(w);
    close(proc_fd);
    close(cfg.fifo_fd);
  } else {
    auto start = cfg.sync->Recv();
    if (!start.ok() || start->type != SyncType::kStart) _exit(1);
  }
  if (!spec.hooks.start_container.empty()) {
    absl::Status st = RunHooks("startContainer", spec.hooks.start_container,
                               OciStateJson(cfg.state, Status::kCreated).dump());
    if (!st.ok()) Fail(cfg, "startContainer hooks", st);
  }

  // The program starts with default signal dispositions and an empty mask,
  // whatever ocirun's caller left us with.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  std::vector<char*> argv, envp;
  for (const auto& a : proc.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  execve(exe->c_str(), argv.data(), envp.data());
  absl::Status st = Errno("exec", *exe);
  cfg.sync->SendError("exec", st.message(), "", 0);
  dprintf(2, "ocirun: exec: %s\n", std::string(st.message()).c_str());
  _exit(127);
}

}  // namespace skiff::runtime
