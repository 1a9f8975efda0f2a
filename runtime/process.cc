#include "runtime/process.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/status.h"
#include "runtime/capabilities.h"
#include "runtime/exec_check.h"
#include "runtime/exec_stub.h"
#include "runtime/seccomp.h"
#include "runtime/terminal.h"

namespace skiff::runtime {

void FailStart(SyncSocket* sync, absl::string_view stage, const absl::Status& st) {
  sync->SendError(stage, st.message(), "", 0);
  _exit(1);
}

#define START_CHECK(stage, expr)                           \
  do {                                                     \
    absl::Status start_st_ = (expr);                       \
    if (!start_st_.ok()) FailStart(ps.sync, stage, start_st_); \
  } while (0)

absl::Status ApplyRlimits(const Process& p) {
  for (const Rlimit& r : p.rlimits) {
    struct rlimit rl = {r.soft, r.hard};
    if (setrlimit(r.resource, &rl) != 0)
      return ErrnoError(errno, absl::StrCat("setrlimit ", r.type, " soft=", r.soft, " hard=", r.hard,
                                            errno == EPERM
                                                ? " (raising a hard limit needs CAP_SYS_RESOURCE)"
                                                : ""));
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

void StartProcess(ProcessStart& ps) {
  const Process& proc = *ps.process;
  if (setsid() < 0) FailStart(ps.sync, "terminal", Errno("setsid"));
  if (proc.terminal) {
    auto pty = OpenPty(proc.console_height, proc.console_width);
    if (!pty.ok()) FailStart(ps.sync, "terminal", pty.status());
    if (ps.console_fd >= 0) {
      START_CHECK("terminal", SendFd(ps.console_fd, pty->master.get(), pty->slave_path));
      close(ps.console_fd);
    } else {
      START_CHECK("terminal", ps.sync->Send(SyncType::kPty, pty->master.get()));
    }
    START_CHECK("terminal", SetupConsole(*pty, ps.mount_console));
  }

  START_CHECK("process", ApplyRlimits(proc));
  if (chdir(proc.cwd.c_str()) != 0)
    FailStart(ps.sync, "process", Errno("chdir to process.cwd", proc.cwd));
  // CVE-2024-21626: a cwd reached through one of our own fds
  // (/proc/self/fd/N) would lie outside the container's root; the kernel
  // then reports it as "(unreachable)/...".
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd) || cwd[0] != '/')
    FailStart(ps.sync, "process",
              absl::PermissionDeniedError(absl::StrCat(
                  "process.cwd `", proc.cwd, "` is outside the container's root filesystem")));
  START_CHECK("user", SwitchUser(proc));

  std::vector<std::string> env = ProcessEnv(proc);
  auto exe = ResolveExecutable(proc.args[0], env);
  if (!exe.ok()) FailStart(ps.sync, "exec", exe.status());

  // Nothing but stdio and the preserved fds reaches the program
  // (CVE-2024-21626): everything else closes at exec. Marked
  // before seccomp, which may not allow close_range.
  for (int fd = 3; fd < 3 + ps.preserve_fds; ++fd) {
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0) fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }
  syscall(SYS_close_range, 3 + ps.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);

  if (proc.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    FailStart(ps.sync, "process", Errno("prctl PR_SET_NO_NEW_PRIVS"));
  if (ps.seccomp)
    START_CHECK("seccomp", ApplySeccomp(*ps.seccomp, {ps.seccomp_listener_fd, ps.seccomp_state}));

  // The process outlives the ocirun that started it: it must not die with it.
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  START_CHECK("sync", ps.sync->Send(SyncType::kReady));
  if (ps.before_exec) ps.before_exec();

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
  absl::Status st;
  if (ps.exec_stub_fd >= 0) {
    st = ExecThroughStub(ps.exec_stub_fd, *exe, argv.data(), envp.data());
  } else {
    execve(exe->c_str(), argv.data(), envp.data());
    st = Errno("exec", *exe);
  }
  ps.sync->SendError("exec", st.message(), "", 0);
  if (ps.report_fd >= 0) {
    std::string msg = absl::StrCat("E", st.message());
    (void)!write(ps.report_fd, msg.data(), msg.size());
  }
  dprintf(2, "ocirun: %s\n", std::string(st.message()).c_str());
  _exit(127);
}

}  // namespace skiff::runtime
