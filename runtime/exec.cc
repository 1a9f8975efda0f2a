#include "runtime/exec.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status.h"
#include "runtime/cgroups/cgroups.h"
#include "runtime/container.h"
#include "runtime/exec_stub.h"
#include "runtime/namespaces.h"
#include "runtime/process.h"
#include "runtime/seccomp.h"
#include "runtime/self_seal.h"
#include "runtime/state.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"

namespace skiff::runtime {

namespace {

struct NsEntry {
  const char* name;  // /proc/<pid>/ns/<name>
  int flag;
};
// setns order in the child: user first (it grants the rights for the rest),
// mount last (it changes our root).
constexpr NsEntry kChildNs[] = {{"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC},
                                {"uts", CLONE_NEWUTS},   {"net", CLONE_NEWNET},
                                {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS}};

bool SameNamespace(pid_t pid, const char* name) {
  struct stat a, b;
  std::string theirs = absl::StrCat("/proc/", pid, "/ns/", name);
  std::string ours = absl::StrCat("/proc/self/ns/", name);
  if (stat(theirs.c_str(), &a) != 0 || stat(ours.c_str(), &b) != 0) return true;
  return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

absl::StatusOr<UniqueFd> OpenNs(pid_t pid, const char* name) {
  std::string p = absl::StrCat("/proc/", pid, "/ns/", name);
  UniqueFd fd(open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Errno(absl::StrCat("open ", name, " namespace of the container"), p);
  return fd;
}

pid_t g_exec_child = 0;
void ForwardToExec(int sig) {
  if (g_exec_child > 0) kill(g_exec_child, sig);
}

}  // namespace

absl::StatusOr<int> Exec(const ExecOptions& opts, const Process& process) {
  StateDir dir(opts.root, opts.id);
  ASSIGN_OR_RETURN(ContainerState st, dir.Load());
  Status status = CurrentStatus(st, dir);
  if (status == Status::kStopped)
    return absl::FailedPreconditionError(
        absl::StrCat("cannot exec in container `", opts.id, "`: it is stopped"));
  if (status == Status::kPaused && !opts.ignore_paused)
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot exec in container `", opts.id, "`: it is paused (resume it, or --ignore-paused)"));
  if (process.terminal && opts.console_socket.empty() && opts.detach)
    return absl::InvalidArgumentError(
        "process.terminal is true with --detach: --console-socket is required");
  ASSIGN_OR_RETURN(Spec spec, SavedSpec(st));
  if (NeedsSealedSelf(spec, process)) RETURN_IF_ERROR(EnsureSealedSelf());
  // Compiled here (through the cache under --root) so that the child, a
  // clone of this process, only loads it. An error is left for the child's
  // ApplySeccomp to report, at the "seccomp" stage as before.
  if (spec.linux.seccomp) (void)ValidateSeccomp(*spec.linux.seccomp, opts.root);

  // If the init died and its pid was reused while we opened these
  // namespaces, the start time check below catches it.
  pid_t init = st.pid;
  UniqueFd child_ns[6];
  for (int i = 0; i < 6; ++i) {
    if (SameNamespace(init, kChildNs[i].name)) continue;
    ASSIGN_OR_RETURN(child_ns[i], OpenNs(init, kChildNs[i].name));
  }
  UniqueFd pid_ns, time_ns;
  if (!SameNamespace(init, "pid")) {
    ASSIGN_OR_RETURN(pid_ns, OpenNs(init, "pid"));
  }
  if (!SameNamespace(init, "time")) {
    ASSIGN_OR_RETURN(time_ns, OpenNs(init, "time"));
  }
  if (ProcessStartTime(init) != st.pid_start_time)
    return absl::FailedPreconditionError(
        absl::StrCat("cannot exec in container `", opts.id, "`: it stopped meanwhile"));

  UniqueFd console;
  if (!opts.console_socket.empty()) {
    ASSIGN_OR_RETURN(console, ConnectConsoleSocket(opts.console_socket));
  }

  // Rootless: only inside the container's user namespace may we join its
  // pid namespace, so the parent enters the user namespace first.
  bool parent_joined_user = false;
  if (geteuid() != 0 && child_ns[0]) {
    if (setns(child_ns[0].get(), CLONE_NEWUSER) != 0)
      return Errno("join the container's user namespace");
    child_ns[0].reset();
    parent_joined_user = true;
  }
  if (pid_ns && setns(pid_ns.get(), CLONE_NEWPID) != 0) return Errno("join pid namespace");
  if (time_ns && setns(time_ns.get(), CLONE_NEWTIME) != 0) return Errno("join time namespace");

  SyncSocket parent_sync, child_sync;
  RETURN_IF_ERROR(SyncSocket::Pair(&parent_sync, &child_sync));
  ASSIGN_OR_RETURN(UniqueFd exec_stub, MakeExecStub());

  pid_t child = static_cast<pid_t>(
      syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, nullptr));
  if (child < 0) return Errno("clone exec process");
  if (child == 0) {
    parent_sync.Close();
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    auto go = child_sync.Recv();
    if (!go.ok() || go->type != SyncType::kGo) _exit(1);
    // The seccomp agent's socket is a host path: connect before entering
    // the container's mount namespace.
    int seccomp_listener = -1;
    if (spec.linux.seccomp) {
      auto l = ConnectSeccompListener(*spec.linux.seccomp);
      if (!l.ok()) FailStart(&child_sync, "seccomp", l.status());
      seccomp_listener = *l;
    }
    if (parent_joined_user && (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0))
      FailStart(&child_sync, "namespaces", Errno("become root in the user namespace"));
    for (int i = 0; i < 6; ++i) {
      if (!child_ns[i]) continue;
      if (setns(child_ns[i].get(), kChildNs[i].flag) != 0)
        FailStart(&child_sync, "namespaces",
                  Errno(absl::StrCat("join the container's ", kChildNs[i].name, " namespace")));
      if (kChildNs[i].flag == CLONE_NEWUSER && (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0))
        FailStart(&child_sync, "namespaces", Errno("become root in the user namespace"));
      child_ns[i].reset();
    }
    ProcessStart ps;
    ps.process = &process;
    ps.seccomp = spec.linux.seccomp ? &*spec.linux.seccomp : nullptr;
    ps.seccomp_listener_fd = seccomp_listener;
    if (seccomp_listener >= 0) {
      ContainerState exec_state = st;
      exec_state.pid = go->pid;
      ps.seccomp_state = OciStateJson(exec_state, Status::kRunning);
    }
    ps.sync = &child_sync;
    ps.console_fd = console.get();
    ps.preserve_fds = opts.preserve_fds;
    ps.exec_stub_fd = exec_stub.get();
    StartProcess(ps);
  }
  child_sync.Close();
  console.reset();
  bool ok = false;
  absl::Cleanup undo = [&] {
    if (ok) return;
    kill(child, SIGKILL);
    while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
    }
  };

  if (std::unique_ptr<Cgroup> cg = Cgroup::Open(st.cgroup_path, st.id))
    RETURN_IF_ERROR(Annotate(cg->AddProcess(child), "join the container's cgroup"));
  if (!opts.detach) {
    // Forward from before the program runs: a signal sent as soon as it
    // is up must reach it, not kill us.
    g_exec_child = child;
    struct sigaction sa = {};
    sa.sa_handler = ForwardToExec;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaction(sig, &sa, nullptr);
  }
  SyncMsg go;
  go.type = SyncType::kGo;
  go.pid = child;
  RETURN_IF_ERROR(parent_sync.Send(go));

  UniqueFd pty_master;
  absl::Status ready = parent_sync.AwaitReady(&pty_master);
  if (absl::IsUnavailable(ready)) return absl::InternalError("exec process exited before it was ready");
  RETURN_IF_ERROR(ready);
  // The socket closes at execve; an error arrives otherwise.
  auto after = parent_sync.Recv();
  if (after.ok() && after->type == SyncType::kError) return ErrorFromMsg(*after);
  parent_sync.Close();
  ok = true;
  if (!opts.pid_file.empty())
    RETURN_IF_ERROR(Annotate(WriteFileAtomic(opts.pid_file, absl::StrCat(child), 0644),
                             "--pid-file"));
  if (opts.detach) return 0;

  if (pty_master) RelayTerminal(pty_master.get());
  int wstatus = 0;
  while (waitpid(child, &wstatus, 0) < 0) {
    if (errno != EINTR) return Errno("wait for exec process");
  }
  g_exec_child = 0;
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return 255;
}

}  // namespace skiff::runtime
