#include "shim/shim.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status.h"
#include "shim/diag.h"
#include "shim/memory.h"

namespace skiff::shim {
namespace {

const char* PhaseName(Shim::Phase p) {
  switch (p) {
    case Shim::Phase::kCreating:
      return "creating";
    case Shim::Phase::kRunning:
      return "running";
    case Shim::Phase::kExited:
      return "exited";
    case Shim::Phase::kDone:
      return "done";
  }
  return "?";
}

}  // namespace

Shim::Shim(Options opts) : opts_(std::move(opts)), sync_(opts_.sync_fd) {}

Shim::~Shim() {
  // Sessions and servers unregister from the loop; the loop goes last.
  execs_.clear();
  init_.reset();
  attach_.reset();
  control_.reset();
  runtime_.reset();
  reaper_.reset();
  signal_fd_.reset();
  loop_.reset();
}

void Shim::SetPhase(Phase to) {
  bool ok = (phase_ == Phase::kCreating && (to == Phase::kRunning || to == Phase::kDone)) ||
            (phase_ == Phase::kRunning && to == Phase::kExited) ||
            (phase_ == Phase::kExited && to == Phase::kDone);
  if (!ok) {
    DiagError(absl::StrCat("illegal phase change ", PhaseName(phase_), " -> ", PhaseName(to)));
    return;
  }
  phase_ = to;
}

absl::Status Shim::Setup() {
  if (mkdir(opts_.state_dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Errno("create state dir", opts_.state_dir);

  ASSIGN_OR_RETURN(loop_, EventLoop::Create());
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1}) sigaddset(&set, s);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return Errno("sigprocmask");
  signal_fd_.reset(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd_) return Errno("signalfd");
  RETURN_IF_ERROR(loop_->Add(signal_fd_.get(), EPOLLIN, [this](uint32_t) { OnSignal(); }));
  // Once SIGUSR1 is handled: whoever reads the pid may signal it.
  RETURN_IF_ERROR(WriteFileAtomic(opts_.state_dir + "/shim.pid", absl::StrCat(getpid())));
  reaper_ = std::make_unique<Reaper>(*loop_);
  runtime_ = std::make_unique<RuntimeClient>(*loop_, *reaper_, opts_.runtime);

  Session::Config cfg;
  cfg.container_id = opts_.id;
  cfg.terminal = opts_.terminal;
  cfg.stdin = opts_.stdin;
  cfg.stdin_once = opts_.stdin_once;
  cfg.log = LogOptions{opts_.log_path, opts_.log_max_size, opts_.log_max_files};
  cfg.exit_file = opts_.exit_file;
  cfg.console_socket = opts_.state_dir + "/console.sock";
  init_ = std::make_unique<Session>(*loop_, cfg, [this](Session&) { OnSessionChange(); });
  RETURN_IF_ERROR(init_->Prepare());

  attach_ =
      std::make_unique<AttachServer>(*loop_, [this](const std::string& id) { return Lookup(id); });
  RETURN_IF_ERROR(Annotate(attach_->Listen(opts_.attach_socket), "attach socket"));
  control_ = std::make_unique<ControlServer>(
      *loop_,
      [this](const ExecRequest& r, std::shared_ptr<Connection> c) { StartExec(r, std::move(c)); });
  RETURN_IF_ERROR(Annotate(control_->Listen(opts_.control_socket), "control socket"));
  return absl::OkStatus();
}

int Shim::Run() {
  DiagInfo(absl::StrCat("skiff-shim for container ", opts_.id, " (pid ", getpid(), ")"));
  absl::Status st = Setup();
  if (!st.ok()) {
    sync_.Failed(absl::StrCat("skiff-shim: ", st.message()));
    DiagError(st.message());
    unlink((opts_.state_dir + "/shim.pid").c_str());
    return 1;
  }
  runtime_->Run("create",
                runtime_->CreateArgv(opts_.id, opts_.bundle, opts_.state_dir + "/init.pid",
                                     opts_.terminal ? init_->config().console_socket : "",
                                     opts_.state_dir + "/runtime.log"),
                init_->runtime_stdio(), opts_.state_dir + "/init.pid",
                opts_.state_dir + "/runtime.log",
                [this](absl::StatusOr<pid_t> pid) { OnCreated(std::move(pid)); });
  init_->CloseChildEnds();
  st = loop_->Run();
  if (!st.ok()) {
    DiagError(st.message());
    sync_.Failed(absl::StrCat("skiff-shim: ", st.message()));
    return 1;
  }
  attach_->Close();
  control_->Close();
  unlink((opts_.state_dir + "/shim.pid").c_str());
  DiagInfo(absl::StrCat("skiff-shim exits (", exit_status_, ")"));
  return exit_status_;
}

void Shim::OnSignal() {
  struct signalfd_siginfo si;
  while (read(signal_fd_.get(), &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGCHLD) {
      reaper_->ReapAll();
    } else if (si.ssi_signo == SIGUSR1) {
      ReopenLogs(si.ssi_pid);
    } else {
      DiagInfo(absl::StrCat("ignoring signal ", si.ssi_signo, " from pid ", si.ssi_pid,
                            ": the shim lives as long as its container"));
    }
  }
  // A SIGCHLD may have been merged with one that arrived while reaping.
  reaper_->ReapAll();
}

void Shim::ReopenLogs(pid_t from) {
  // The diagnostics first, so that what follows lands in the new file.
  if (!OpenDiagLog(opts_.shim_log.c_str()))
    DiagError(absl::StrCat("reopen `", opts_.shim_log, "`: ", strerror(errno)));
  DiagInfo(absl::StrCat("signal ", SIGUSR1, " from pid ", from, ": reopening the logs"));
  init_->ReopenLog();
  for (auto& [id, s] : execs_) s->ReopenLog();
}

void Shim::FailCreate(const std::string& why, bool cleanup) {
  DiagError(absl::StrCat("create failed: ", why));
  sync_.Failed(why);
  init_->Abort(why);
  if (cleanup) runtime_->RunDetached(runtime_->DeleteArgv(opts_.id), [this] { OnSessionChange(); });
  exit_status_ = 1;
  SetPhase(Phase::kDone);
  OnSessionChange();
}

void Shim::OnCreated(absl::StatusOr<pid_t> pid) {
  if (!pid.ok()) {
    FailCreate(std::string(pid.status().message()),
               pid.status().code() == absl::StatusCode::kDeadlineExceeded);
    return;
  }
  // Before anything can make the process exit: the OOM baseline.
  oom_ = OomCounter::ForPid(*pid);
  init_->oom_base = oom_.Count();
  absl::Status st = init_->Running(*pid);
  if (!st.ok()) {
    FailCreate(std::string(st.message()), /*cleanup=*/true);
    return;
  }
  reaper_->Watch(*pid, [this](int status) { OnInitExit(status); });
  SetPhase(Phase::kRunning);
  DiagInfo(absl::StrCat("created: container pid ", *pid,
                        oom_.available() ? absl::StrCat(", OOM counter ", oom_.path())
                                         : std::string(", no OOM counter")));
  sync_.Created(*pid);
  // When the loop next goes idle, so that little code runs after it.
  loop_->CallBeforeNextWait([] { ReleaseStartupText(); });
}

bool Shim::OomKilled(const Session& s, int wait_status) const {
  return WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL && oom_.Count() > s.oom_base;
}

void Shim::OnInitExit(int wait_status) {
  SetPhase(Phase::kExited);
  init_->ProcessExited(wait_status, OomKilled(*init_, wait_status));
  // Late attach clients still get the exit record; exec requests are refused.
  control_->Close();
  linger_timer_ = loop_->AddTimer(kDrainMs + opts_.exit_linger_ms, [this] {
    DiagInfo("exit linger time is over; exiting with clients or sessions left");
    linger_timer_ = 0;
    SetPhase(Phase::kDone);
    loop_->Stop();
  });
}

Session* Shim::Lookup(const std::string& id) {
  if (id.empty()) return init_.get();
  auto it = execs_.find(id);
  return it == execs_.end() ? nullptr : it->second.get();
}

void Shim::StartExec(const ExecRequest& req, std::shared_ptr<Connection> conn) {
  auto refuse = [&](const std::string& why) {
    DiagError(absl::StrCat("exec ", req.id, " refused: ", why));
    conn->Send(kError, why);
    conn->CloseAfterFlush();
  };
  if (phase_ != Phase::kRunning)
    return refuse(
        absl::StrCat("container `", opts_.id, "` is not running (", PhaseName(phase_), ")"));
  if (execs_.count(req.id)) return refuse(absl::StrCat("exec id `", req.id, "` is in use"));
  if (access(req.process.c_str(), R_OK) != 0)
    return refuse(std::string(Errno("process file", req.process).message()));

  std::string base = absl::StrCat(opts_.state_dir, "/exec-", req.id);
  Session::Config cfg;
  cfg.container_id = opts_.id;
  cfg.exec_id = req.id;
  cfg.terminal = req.tty;
  cfg.stdin = req.stdin;
  cfg.stdin_once = req.stdin_once;
  if (!req.log.empty()) cfg.log = LogOptions{req.log, opts_.log_max_size, opts_.log_max_files};
  cfg.exit_file = req.exit_file.empty() ? base + ".exit" : req.exit_file;
  cfg.console_socket = absl::StrCat(opts_.state_dir, "/e", ++console_counter_, ".sock");
  auto s = std::make_unique<Session>(*loop_, cfg, [this](Session&) { OnSessionChange(); });
  absl::Status st = s->Prepare();
  if (!st.ok()) return refuse(std::string(st.message()));
  s->SetRequester(std::move(conn), req.attach);
  Session* sp = s.get();
  execs_[req.id] = std::move(s);
  std::string id = req.id;
  runtime_->Run(absl::StrCat("exec ", id),
                runtime_->ExecArgv(opts_.id, req.process, base + ".pid",
                                   req.tty ? cfg.console_socket : "", base + ".runtime.log"),
                sp->runtime_stdio(), base + ".pid", base + ".runtime.log",
                [this, id](absl::StatusOr<pid_t> pid) { OnExecStarted(id, std::move(pid)); });
  sp->CloseChildEnds();
}

void Shim::OnExecStarted(const std::string& id, absl::StatusOr<pid_t> pid) {
  Session* s = Lookup(id);
  if (!s) return;
  if (!pid.ok()) {
    s->Abort(std::string(pid.status().message()));
    return;
  }
  s->oom_base = oom_.Count();
  absl::Status st = s->Running(*pid);
  if (!st.ok()) {
    // The process runs without its stdio: stop it (it is our child).
    kill(*pid, SIGKILL);
    reaper_->Watch(*pid, [](int) {});
    s->Abort(std::string(st.message()));
    return;
  }
  DiagInfo(absl::StrCat("exec ", id, " running as pid ", *pid));
  reaper_->Watch(*pid, [this, id](int status) {
    Session* s = Lookup(id);
    if (s) s->ProcessExited(status, OomKilled(*s, status));
  });
}

void Shim::OnSessionChange() {
  if (collect_posted_) return;
  collect_posted_ = true;
  loop_->Post([this] {
    collect_posted_ = false;
    Collect();
  });
}

void Shim::Collect() {
  for (auto it = execs_.begin(); it != execs_.end();) {
    Session& s = *it->second;
    if (s.state() == Session::State::kExited && !s.has_clients()) {
      std::string base = absl::StrCat(opts_.state_dir, "/exec-", s.exec_id());
      unlink((base + ".pid").c_str());
      unlink((base + ".runtime.log").c_str());
      it = execs_.erase(it);
    } else {
      ++it;
    }
  }
  bool init_done = init_->state() == Session::State::kExited && !init_->has_clients();
  if (init_done && execs_.empty() && runtime_->running() == 0) {
    if (phase_ != Phase::kDone) SetPhase(Phase::kDone);
    if (linger_timer_) loop_->CancelTimer(linger_timer_);
    linger_timer_ = 0;
    loop_->Stop();
  }
}

}  // namespace skiff::shim
