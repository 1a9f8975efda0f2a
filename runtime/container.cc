#include "runtime/container.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
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
#include "runtime/exec_stub.h"
#include "runtime/hooks.h"
#include "runtime/init.h"
#include "runtime/log.h"
#include "runtime/namespaces.h"
#include "runtime/seccomp.h"
#include "runtime/self_seal.h"
#include "runtime/terminal.h"

namespace skiff::runtime {

namespace {

absl::Status ValidateForCreate(const Spec& spec, const std::string& root) {
  if (!spec.process) return absl::InvalidArgumentError("config.json: process: is required");
  if (!spec.FindNamespace("mount"))
    return absl::InvalidArgumentError(
        "config.json: linux.namespaces: a mount namespace is required");
  struct stat st;
  if (stat(spec.root.path.c_str(), &st) != 0)
    return Annotate(Errno("root.path: stat", spec.root.path), "config.json");
  if (!S_ISDIR(st.st_mode))
    return absl::InvalidArgumentError(
        absl::StrCat("config.json: root.path: `", spec.root.path, "` is not a directory"));
  // Also compiles the filter (through the cache under --root) for the init,
  // a clone of this process, to load.
  if (spec.linux.seccomp) RETURN_IF_ERROR(ValidateSeccomp(*spec.linux.seccomp, root));
  return absl::OkStatus();
}

// After the spec's own rules, the container may always create device nodes
// (mknod) and use the standard devices, its ptys and linux.devices, as runc
// allows.
void AddDefaultDeviceRules(const Spec& spec, Resources& res) {
  if (!spec.linux.resources) return;  // no device rules at all: leave the cgroup open
  auto rule = [&](const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
                  const char* access) {
    DeviceRule r;
    r.allow = true;
    r.type = type;
    r.major = major;
    r.minor = minor;
    r.access = access;
    res.devices.push_back(r);
  };
  rule("c", std::nullopt, std::nullopt, "m");
  rule("b", std::nullopt, std::nullopt, "m");
  for (auto [maj, min] : std::initializer_list<std::pair<int, int>>{
           {1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 2}, {10, 200}})
    rule("c", maj, min, "rwm");
  rule("c", 136, std::nullopt, "rwm");  // /dev/pts/*
  for (const Device& d : spec.linux.devices)
    if (d.type == 'c' || d.type == 'b' || d.type == 'u')
      rule(d.type == 'b' ? "b" : "c", d.major, d.minor, "rwm");
}

pid_t g_child = 0;
void Forward(int sig) {
  if (g_child > 0) kill(g_child, sig);
}

int WaitExit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 255;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

absl::StatusOr<Spec> SavedSpec(const ContainerState& st) {
  return ParseSpec(st.config_json, st.bundle);
}

absl::StatusOr<int> Create(const CreateOptions& opts, CreateMode mode) {
  RETURN_IF_ERROR(ValidateId(opts.id));
  std::string bundle = opts.bundle.empty() ? "." : opts.bundle;
  char real[PATH_MAX];
  if (!realpath(bundle.c_str(), real)) return Errno("bundle", bundle);
  bundle = real;
  auto config_text = ReadFile(bundle + "/config.json");
  if (!config_text.ok()) return config_text.status();
  ASSIGN_OR_RETURN(Spec spec, ParseSpec(*config_text, bundle));
  RETURN_IF_ERROR(ValidateForCreate(spec, opts.root));
  if (spec.process->terminal && opts.console_socket.empty() && mode == CreateMode::kCreate)
    return absl::InvalidArgumentError(
        "process.terminal is true: --console-socket is required to receive the terminal");
  if (!spec.process->terminal && !opts.console_socket.empty())
    return absl::InvalidArgumentError(
        "--console-socket was given but process.terminal is false in config.json");

  if (spec.process->capabilities)
    for (const auto& name : spec.process->capabilities->unknown)
      LogWarning(absl::StrCat("process.capabilities: unknown capability \"", name,
                              "\" ignored"));

  if (NeedsSealedSelf(spec, *spec.process)) RETURN_IF_ERROR(EnsureSealedSelf());

  StateDir dir(opts.root, opts.id);
  RETURN_IF_ERROR(dir.Create());
  ContainerState state;
  state.id = opts.id;
  state.bundle = bundle;
  state.rootfs = spec.root.path;
  state.oci_version = spec.oci_version;
  state.created = NowRfc3339();
  state.owner = geteuid();
  state.annotations = spec.annotations;
  state.own_pid_ns = spec.HasNewNamespace(CLONE_NEWPID);
  state.config_json = *config_text;

  // Everything below is undone on failure, newest first.
  bool ok = false;
  pid_t child = -1;
  std::unique_ptr<Cgroup> cgroup;
  bool cloned = false;
  absl::Cleanup undo = [&] {
    if (ok) return;
    if (child > 0) {
      kill(child, SIGKILL);
      while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    if (cgroup) (void)cgroup->Destroy();
    (void)dir.Remove();
    // A create that failed once the container existed still ends its
    // lifecycle: the poststop hooks run (spec: "continue at step 12").
    if (cloned)
      RunHooksWarnOnly("poststop", spec.hooks.poststop,
                       OciStateJson(state, Status::kStopped).dump());
  };


  UniqueFd fifo;
  if (mode == CreateMode::kCreate) {
    // 0622 whatever the umask: a user-namespaced or non-root init opens it
    // for writing.
    if (mkfifo(dir.fifo().c_str(), 0622) != 0 || chmod(dir.fifo().c_str(), 0622) != 0)
      return Errno("mkfifo", dir.fifo());
    fifo.reset(open(dir.fifo().c_str(), O_PATH | O_CLOEXEC));
    if (!fifo) return Errno("open", dir.fifo());
  }
  UniqueFd console;
  if (!opts.console_socket.empty()) {
    ASSIGN_OR_RETURN(console, ConnectConsoleSocket(opts.console_socket));
  }

  std::vector<std::string> warnings;
  Resources res = spec.linux.resources ? *spec.linux.resources : Resources();
  AddDefaultDeviceRules(spec, res);
  auto cg = Cgroup::Create(spec.linux.cgroups_path, opts.id, &res, &warnings);
  if (cg.ok()) {
    cgroup = std::move(*cg);
    state.cgroup_path = cgroup->path();
  } else if (geteuid() != 0 && absl::IsPermissionDenied(cg.status())) {
    // Rootless without a delegated (writable) cgroup: run without one, as
    // runc does, and say what that costs.
    if (spec.linux.resources &&
        (spec.linux.resources->memory || spec.linux.resources->cpu ||
         spec.linux.resources->pids_limit))
      LogWarning(absl::StrCat("rootless: no writable cgroup (", cg.status().message(),
                              "); linux.resources limits are not applied"));
  } else {
    return Annotate(cg.status(), "cgroup");
  }
  for (const auto& w : warnings) LogWarning(w);

  ASSIGN_OR_RETURN(NamespacePlan plan, PlanNamespaces(spec));
  RETURN_IF_ERROR(EnterParentSideNamespaces(spec, plan));

  SyncSocket parent_sync, child_sync;
  RETURN_IF_ERROR(SyncSocket::Pair(&parent_sync, &child_sync));
  ASSIGN_OR_RETURN(UniqueFd exec_stub, MakeExecStub());

  InitConfig init;
  init.exec_stub_fd = exec_stub.get();
  init.spec = &spec;
  init.state = state;
  init.sync = &child_sync;
  init.fifo_fd = fifo.get();
  init.console_fd = console.get();
  init.relay_pty = spec.process->terminal && !console;
  init.no_pivot = opts.no_pivot;
  init.no_new_keyring = opts.no_new_keyring;
  init.preserve_fds = opts.preserve_fds;
  for (int i = 0; i < 6; ++i) init.join_fds[i] = plan.join[i].get();
  init.joined_user = plan.joined_user;

  child = static_cast<pid_t>(
      syscall(SYS_clone, plan.clone_flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
  if (child < 0) return Errno("clone container init");
  if (child > 0) cloned = true;
  if (child == 0) {
    parent_sync.Close();
    RunInit(init);
  }
  child_sync.Close();
  console.reset();

  LogDebug(absl::StrCat("container ", opts.id, ": init pid ", child, ", clone flags 0x",
                        absl::Hex(plan.clone_flags), ", cgroup ",
                        state.cgroup_path.empty() ? "(none)" : state.cgroup_path));
  if (plan.new_user) RETURN_IF_ERROR(WriteIdMappings(child, spec));
  if (cgroup) RETURN_IF_ERROR(Annotate(cgroup->AddProcess(child), "cgroup"));
  state.pid = child;
  SyncMsg go;
  go.type = SyncType::kGo;
  go.pid = child;
  RETURN_IF_ERROR(parent_sync.Send(go));

  UniqueFd pty_master;
  absl::Status ready = parent_sync.AwaitReady(&pty_master, [&]() -> absl::Status {
    std::string sj = OciStateJson(state, Status::kCreating).dump();
    RETURN_IF_ERROR(RunHooks("prestart", spec.hooks.prestart, sj));
    return RunHooks("createRuntime", spec.hooks.create_runtime, sj);
  });
  if (absl::IsUnavailable(ready)) {
    int status = 0;
    waitpid(child, &status, 0);
    child = -1;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return absl::InternalError(
        absl::StrCat("container init exited before it was ready (status ", code, ")"));
  }
  RETURN_IF_ERROR(ready);

  LogDebug(absl::StrCat("container ", opts.id, ": init ready"));
  state.pid_start_time = ProcessStartTime(child);
  RETURN_IF_ERROR(dir.Save(state));
  if (!opts.pid_file.empty())
    RETURN_IF_ERROR(Annotate(WriteFileAtomic(opts.pid_file, absl::StrCat(child), 0644),
                             "--pid-file"));

  if (mode == CreateMode::kCreate) {
    ok = true;
    return 0;
  }

  // run: release the init directly and learn whether execve worked (the
  // sync socket closes on exec; an Error arrives otherwise).
  if (mode == CreateMode::kRun) {
    // Forward from before the program runs: a signal sent as soon as it
    // is up must reach it, not kill us.
    g_child = child;
    struct sigaction sa = {};
    sa.sa_handler = Forward;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaction(sig, &sa, nullptr);
  }
  RETURN_IF_ERROR(parent_sync.Send(SyncType::kStart));
  auto after = parent_sync.Recv();
  if (after.ok() && after->type == SyncType::kError) return ErrorFromMsg(*after);
  parent_sync.Close();
  ok = true;
  RunHooksWarnOnly("poststart", spec.hooks.poststart, OciStateJson(state, Status::kRunning).dump());
  if (mode == CreateMode::kRunDetached) return 0;

  if (pty_master) RelayTerminal(pty_master.get());
  int code = WaitExit(child);
  g_child = 0;
  absl::Status cs = Cleanup(dir, state);
  if (!cs.ok()) LogWarning(cs.message());
  return code;
}

absl::Status Start(const std::string& root, const std::string& id) {
  StateDir dir(root, id);
  ASSIGN_OR_RETURN(ContainerState st, dir.Load());
  Status s = CurrentStatus(st, dir);
  if (s != Status::kCreated)
    return absl::FailedPreconditionError(
        absl::StrCat("cannot start container `", id, "`: it is ", StatusName(s),
                     s == Status::kStopped ? " (delete it and create it again)" : ""));
  UniqueFd fifo(open(dir.fifo().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) return Errno("open", dir.fifo());
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, st.pid, 0)));
  struct pollfd p[2] = {{fifo.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  for (;;) {
    int r = poll(p, pidfd ? 2 : 1, 10000);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0)
      return absl::DeadlineExceededError(
          absl::StrCat("container `", id, "`: init did not answer on exec.fifo within 10s"));
    if (p[0].revents & POLLIN) break;
    if (pidfd && (p[1].revents & POLLIN))
      return absl::FailedPreconditionError(
          absl::StrCat("container `", id, "`: init exited before start"));
    if (p[0].revents & POLLHUP) {
      // The writer has not opened the fifo yet; wait a little.
      usleep(1000);
    }
  }
  // "0" then EOF once the program is exec'd; "E<message>" if a
  // startContainer hook or the exec failed.
  unlink(dir.fifo().c_str());
  LogDebug(absl::StrCat("container ", id, ": released init ", st.pid));
  fcntl(fifo.get(), F_SETFL, 0);
  std::string got;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fifo.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got.append(buf, n);
  }
  if (got.empty())
    return absl::FailedPreconditionError(
        absl::StrCat("container `", id, "`: init exited before its program started"));
  if (got[0] == 'E')
    return absl::FailedPreconditionError(
        absl::StrCat("start container `", id, "`: ", got.substr(1)));
  auto spec = SavedSpec(st);
  if (spec.ok())
    RunHooksWarnOnly("poststart", spec->hooks.poststart, OciStateJson(st, Status::kRunning).dump());
  return absl::OkStatus();
}

absl::Status Cleanup(const StateDir& dir, const ContainerState& st) {
  std::unique_ptr<Cgroup> cg = Cgroup::Open(st.cgroup_path, st.id);
  absl::Status result;
  if (cg) {
    absl::Status s = cg->Destroy();
    if (!s.ok()) result = Annotate(s, "cgroup");
  }
  auto spec = SavedSpec(st);
  RETURN_IF_ERROR(dir.Remove());
  if (spec.ok())
    RunHooksWarnOnly("poststop", spec->hooks.poststop, OciStateJson(st, Status::kStopped).dump());
  return result;
}

}  // namespace skiff::runtime
