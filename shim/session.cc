#include "shim/session.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "shim/diag.h"
#include "shim/rfc3339.h"
#include "shim/tty_eof.h"

namespace skiff::shim {
namespace {

constexpr size_t kReadChunk = 16 * 1024;
char read_buf[kReadChunk];  // one loop, one buffer

absl::Status SetNonBlocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return Errno("fcntl O_NONBLOCK");
  return absl::OkStatus();
}

absl::Status MakePipe(UniqueFd* r, UniqueFd* w) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return Errno("pipe2");
  r->reset(p[0]);
  w->reset(p[1]);
  return absl::OkStatus();
}

const char* StateName(Session::State s) {
  switch (s) {
    case Session::State::kStarting:
      return "starting";
    case Session::State::kRunning:
      return "running";
    case Session::State::kExiting:
      return "exiting";
    case Session::State::kExited:
      return "exited";
  }
  return "?";
}

}  // namespace

Session::Session(EventLoop& loop, Config config, ChangeCallback on_change)
    : loop_(loop), config_(std::move(config)), on_change_(std::move(on_change)) {
  exit_.id = config_.container_id;
  exit_.exec_id = config_.exec_id;
}

Session::~Session() {
  for (int i = 0; i < 2; i++) ClosePump(i);
  if (stdin_watched_) loop_.Remove(stdin_fd_.get());
  if (drain_timer_) loop_.CancelTimer(drain_timer_);
  CancelPartialTimers();
  for (auto& c : clients_) {
    c->set_frame_handler(nullptr);
    c->set_close_handler(nullptr);
    c->Close();
  }
  if (requester_) {
    requester_->set_close_handler(nullptr);
    requester_->Close();
  }
  if (console_listen_) unlink(config_.console_socket.c_str());
}

std::string Session::name() const {
  return is_exec() ? absl::StrCat("exec ", config_.exec_id) : std::string("container");
}

void Session::SetState(State to) {
  bool ok = (state_ == State::kStarting && (to == State::kRunning || to == State::kExited)) ||
            (state_ == State::kRunning && to == State::kExiting) ||
            (state_ == State::kExiting && to == State::kExited);
  if (!ok) {
    DiagError(
        absl::StrCat(name(), ": illegal state change ", StateName(state_), " -> ", StateName(to)));
    return;
  }
  state_ = to;
}

absl::Status Session::Prepare() {
  if (config_.log) {
    auto log = LogWriter::Open(*config_.log);
    if (!log.ok()) return log.status();
    log_ = std::move(*log);
  }
  if (config_.terminal) {
    ASSIGN_OR_RETURN(console_listen_, ListenUnix(config_.console_socket, 1));
    return absl::OkStatus();
  }
  if (config_.stdin) {
    RETURN_IF_ERROR(MakePipe(&child_in_, &stdin_fd_));
    RETURN_IF_ERROR(SetNonBlocking(stdin_fd_.get()));
  }
  RETURN_IF_ERROR(MakePipe(&pumps_[0].fd, &child_out_));
  RETURN_IF_ERROR(MakePipe(&pumps_[1].fd, &child_err_));
  pumps_[0].stream = LogStream::kStdout;
  pumps_[1].stream = LogStream::kStderr;
  RETURN_IF_ERROR(SetNonBlocking(pumps_[0].fd.get()));
  RETURN_IF_ERROR(SetNonBlocking(pumps_[1].fd.get()));
  return absl::OkStatus();
}

RuntimeStdio Session::runtime_stdio() const {
  return RuntimeStdio{child_in_.get(), child_out_.get(), child_err_.get()};
}

void Session::CloseChildEnds() {
  child_in_.reset();
  child_out_.reset();
  child_err_.reset();
}

absl::StatusOr<UniqueFd> Session::ReceivePtyMaster() {
  UniqueFd conn(accept4(console_listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) {
    if (errno == EAGAIN)
      return absl::FailedPreconditionError(
          "the runtime did not connect to the console socket (is process.terminal true in "
          "config.json?)");
    return Errno("accept", config_.console_socket);
  }
  char data[256];
  struct iovec iov = {data, sizeof data};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } cbuf;
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf.buf;
  msg.msg_controllen = sizeof cbuf.buf;
  ssize_t n;
  do {
    n = recvmsg(conn.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Errno("receive the pty master on", config_.console_socket);
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
      cm->cmsg_len != CMSG_LEN(sizeof(int)))
    return absl::FailedPreconditionError(absl::StrCat(
        "the runtime sent no fd on the console socket `", config_.console_socket, "`"));
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return UniqueFd(fd);
}

absl::Status Session::Running(pid_t pid) {
  if (state_ != State::kStarting)
    return absl::FailedPreconditionError(absl::StrCat(name(), " is ", StateName(state_)));
  pid_ = pid;
  exit_.pid = pid;
  if (config_.terminal) {
    ASSIGN_OR_RETURN(master_, ReceivePtyMaster());
    unlink(config_.console_socket.c_str());
    console_listen_.reset();
    RETURN_IF_ERROR(SetNonBlocking(master_.get()));
    pumps_[0].fd.reset(fcntl(master_.get(), F_DUPFD_CLOEXEC, 3));
    pumps_[0].stream = LogStream::kStdout;
    if (!pumps_[0].fd) return Errno("dup pty master");
    if (config_.stdin) {
      stdin_fd_.reset(fcntl(master_.get(), F_DUPFD_CLOEXEC, 3));
      if (!stdin_fd_) return Errno("dup pty master");
    }
  } else if (!is_exec()) {
    // The container's process has not run yet: this is the runtime's output.
    for (auto& p : pumps_) {
      ssize_t n = read(p.fd.get(), read_buf, sizeof read_buf);
      if (n > 0)
        DiagInfo(absl::StrCat("runtime output during create: ", absl::string_view(read_buf, n)));
    }
  }
  for (int i = 0; i < 2; i++) {
    if (!pumps_[i].fd) continue;
    RETURN_IF_ERROR(
        loop_.Add(pumps_[i].fd.get(), EPOLLIN, [this, i](uint32_t ev) { OnPumpEvent(i, ev); }));
  }
  SetState(State::kRunning);
  if (!stdin_buf_.empty() || stdin_close_pending_) FlushStdin();
  if (requester_) {
    auto r = std::move(requester_);
    requester_.reset();
    r->set_close_handler(nullptr);
    r->Send(kOk, absl::StrCat(pid));
    if (requester_attach_) {
      Attach(r, config_.stdin);
    } else {
      r->CloseAfterFlush();
    }
  }
  return absl::OkStatus();
}

void Session::Abort(const std::string& why) {
  DiagError(absl::StrCat(name(), ": ", why));
  for (int i = 0; i < 2; i++) ClosePump(i);
  CloseChildEnds();
  if (console_listen_) {
    unlink(config_.console_socket.c_str());
    console_listen_.reset();
  }
  if (stdin_watched_) loop_.Remove(stdin_fd_.get());
  stdin_watched_ = false;
  stdin_fd_.reset();
  master_.reset();
  CancelPartialTimers();
  auto clients = std::move(clients_);
  clients_.clear();
  if (requester_) clients.push_back(std::move(requester_));
  requester_.reset();
  for (auto& c : clients) {
    c->set_close_handler(nullptr);
    c->Send(kError, why);
    c->CloseAfterFlush();
  }
  SetState(State::kExited);
  on_change_(*this);
}

void Session::SetRequester(std::shared_ptr<Connection> c, bool attach) {
  requester_ = std::move(c);
  requester_attach_ = attach;
  requester_->set_frame_handler(nullptr);
  requester_->set_close_handler([this](Connection&) {
    requester_.reset();
    on_change_(*this);
  });
}

void Session::ClosePump(int i) {
  if (!pumps_[i].fd) return;
  loop_.Remove(pumps_[i].fd.get());
  pumps_[i].fd.reset();
}

bool Session::ReadPump(int i) {
  ssize_t n;
  do {
    n = read(pumps_[i].fd.get(), read_buf, sizeof read_buf);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    Output(pumps_[i].stream, absl::string_view(read_buf, n));
    return true;
  }
  if (n < 0 && errno == EAGAIN) return true;
  // EOF, or EIO from a pty master whose slave is gone.
  if (log_) log_->Flush(pumps_[i].stream);
  ClosePump(i);
  return false;
}

void Session::OnPumpEvent(int i, uint32_t events) {
  if (!pumps_[i].fd) return;
  if (!ReadPump(i)) MaybeFinishDrain();
}

void Session::Output(LogStream stream, absl::string_view data) {
  if (log_) {
    bool was_pending = log_->has_pending(stream);
    log_->Write(stream, data);
    if (log_->has_pending(stream)) NotePartial(stream, was_pending, data);
  }
  if (clients_.empty()) return;
  std::string frame;
  AppendFrame(&frame, stream == LogStream::kStdout ? kStdout : kStderr, data);
  for (auto& c : clients_) c->SendRaw(frame);  // a slow client drops itself
}

void Session::NotePartial(LogStream stream, bool was_pending, absl::string_view data) {
  int i = static_cast<int>(stream);
  // A new partial line began with this data unless the old one goes on.
  if (!was_pending || memchr(data.data(), '\n', data.size()) != nullptr)
    partial_since_ms_[i] = EventLoop::NowMs();
  if (!partial_timer_[i])
    partial_timer_[i] = loop_.AddTimer(kPartialFlushMs, [this, i] { OnPartialTimer(i); });
}

void Session::OnPartialTimer(int i) {
  partial_timer_[i] = 0;
  auto stream = static_cast<LogStream>(i);
  if (!log_ || !log_->has_pending(stream)) return;
  int64_t waited = EventLoop::NowMs() - partial_since_ms_[i];
  if (waited < kPartialFlushMs) {
    // The line that armed the timer was logged; this one is younger.
    partial_timer_[i] = loop_.AddTimer(kPartialFlushMs - waited, [this, i] { OnPartialTimer(i); });
    return;
  }
  log_->Flush(stream);
}

void Session::CancelPartialTimers() {
  for (auto& t : partial_timer_) {
    if (t) loop_.CancelTimer(t);
    t = 0;
  }
}

void Session::ReopenLog() {
  if (!log_) return;
  absl::Status st = log_->Reopen();
  if (st.ok()) {
    DiagInfo(absl::StrCat(name(), ": log reopened"));
  } else {
    DiagError(absl::StrCat(name(), ": ", st.message(), "; still writing to the old file"));
  }
}

void Session::ProcessExited(int wait_status, bool oom_killed) {
  exit_.wait_status = wait_status;
  exit_.oom_killed = oom_killed;
  exit_.exited_at = RealtimeNow();
  DiagInfo(absl::StrCat(name(), " (pid ", pid_, ") ", DescribeWaitStatus(wait_status),
                        oom_killed ? " (OOM-killed)" : ""));
  SetState(State::kExiting);
  if (!pumps_[0].fd && !pumps_[1].fd) {
    Finish();
    return;
  }
  // Processes that inherited the stdio may keep it open; wait a little.
  drain_timer_ = loop_.AddTimer(kDrainMs, [this] {
    drain_timer_ = 0;
    Finish();
  });
}

void Session::MaybeFinishDrain() {
  if (state_ == State::kExiting && !pumps_[0].fd && !pumps_[1].fd) Finish();
}

void Session::Finish() {
  if (state_ != State::kExiting) return;
  if (drain_timer_) loop_.CancelTimer(drain_timer_);
  drain_timer_ = 0;
  for (int i = 0; i < 2; i++) {
    for (int k = 0; k < 64 && pumps_[i].fd; k++) {
      ssize_t n = read(pumps_[i].fd.get(), read_buf, sizeof read_buf);
      if (n <= 0) break;
      Output(pumps_[i].stream, absl::string_view(read_buf, n));
    }
    ClosePump(i);
  }
  if (log_) log_->Flush();
  CancelPartialTimers();
  if (stdin_watched_) loop_.Remove(stdin_fd_.get());
  stdin_watched_ = false;
  stdin_fd_.reset();
  master_.reset();
  if (!config_.exit_file.empty()) {
    absl::Status st = WriteExitFile(config_.exit_file, exit_);
    if (!st.ok()) DiagError(absl::StrCat(name(), ": ", st.message()));
  }
  exit_frame_ = FormatExitRecord(exit_);
  SetState(State::kExited);
  auto clients = clients_;
  for (auto& c : clients) {
    c->Send(kExit, exit_frame_);
    c->CloseAfterFlush();
  }
  on_change_(*this);
}

void Session::Attach(std::shared_ptr<Connection> c, bool wants_stdin) {
  if (state_ == State::kExited) {
    if (!exit_frame_.empty()) c->Send(kExit, exit_frame_);
    c->CloseAfterFlush();
    return;
  }
  c->session = config_.exec_id;
  c->stdin_client = wants_stdin && config_.stdin && !stdin_closed_ && !tty_eof_queued_;
  if (c->stdin_client) {
    stdin_clients_++;
    stdin_ever_ = true;
    if (stdin_paused_) c->PauseInput(true);
  }
  c->set_frame_handler([this](Connection& conn, Frame& f) { OnClientFrame(conn, f); });
  c->set_close_handler([this](Connection& conn) { RemoveClient(conn); });
  clients_.push_back(std::move(c));
}

void Session::RemoveClient(Connection& c) {
  for (auto it = clients_.begin(); it != clients_.end(); ++it) {
    if (it->get() == &c) {
      clients_.erase(it);
      break;
    }
  }
  if (c.stdin_client) {
    c.stdin_client = false;
    if (--stdin_clients_ == 0 && config_.stdin_once && stdin_ever_) CloseStdin();
  }
  if (!has_clients()) on_change_(*this);
}

void Session::OnClientFrame(Connection& c, Frame& f) {
  switch (f.type) {
    case kStdin:
      if (c.stdin_client) QueueStdin(f.payload);
      return;
    case kCloseStdin:
      if (c.stdin_client) {
        c.stdin_client = false;
        if (--stdin_clients_ == 0 && config_.stdin_once && stdin_ever_) CloseStdin();
      }
      return;
    case kResize: {
      uint16_t rows, cols;
      if (!DecodeResize(f.payload, &rows, &cols)) {
        c.Send(kError, "resize: payload must be 4 bytes (rows, cols)");
        c.CloseAfterFlush();
        return;
      }
      if (!master_) return;  // no tty: nothing to resize
      struct winsize ws = {};
      ws.ws_row = rows;
      ws.ws_col = cols;
      if (ioctl(master_.get(), TIOCSWINSZ, &ws) != 0)
        DiagError(absl::StrCat(name(), ": TIOCSWINSZ: ", strerror(errno)));
      return;
    }
    case kDetach:
      c.CloseAfterFlush();
      return;
    default:
      c.Send(kError, absl::StrCat("unexpected frame type '", std::string(1, f.type), "'"));
      c.CloseAfterFlush();
  }
}

void Session::QueueStdin(absl::string_view data) {
  if (stdin_closed_ || tty_eof_queued_ || state_ == State::kExiting || state_ == State::kExited)
    return;
  stdin_buf_.append(data.data(), data.size());
  if (stdin_fd_) {
    FlushStdin();
  } else if (stdin_buf_.size() > kMaxStdinQueued) {
    PauseStdinClients(true);  // a tty's master comes with Running()
  }
}

void Session::FlushStdin() {
  while (stdin_fd_ && !stdin_buf_.empty()) {
    ssize_t n = write(stdin_fd_.get(), stdin_buf_.data(), stdin_buf_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      // EPIPE: the process closed its stdin; EIO: the tty is gone.
      DiagInfo(absl::StrCat(name(), ": stdin closed by the process (", strerror(errno), ")"));
      stdin_buf_.clear();
      stdin_close_pending_ = true;
      break;
    }
    if (n > 0) stdin_last_ = stdin_buf_[n - 1];
    stdin_buf_.erase(0, n);
  }
  if (!stdin_fd_) return;
  bool want_out = !stdin_buf_.empty();
  if (want_out && !stdin_watched_) {
    absl::Status st = loop_.Add(stdin_fd_.get(), EPOLLOUT, [this](uint32_t) { FlushStdin(); });
    stdin_watched_ = st.ok();
  } else if (!want_out && stdin_watched_) {
    loop_.Remove(stdin_fd_.get());
    stdin_watched_ = false;
  }
  if (stdin_buf_.size() > kMaxStdinQueued) PauseStdinClients(true);
  if (stdin_buf_.size() < kMaxStdinQueued / 2) PauseStdinClients(false);
  if (stdin_buf_.empty()) {
    stdin_buf_.shrink_to_fit();
    if (stdin_close_pending_) CloseStdin();
  }
}

void Session::CloseStdin() {
  if (!stdin_fd_ && config_.terminal && state_ == State::kStarting) {
    stdin_close_pending_ = true;  // when the pty master arrives
    return;
  }
  if (!stdin_buf_.empty() && stdin_fd_) {
    stdin_close_pending_ = true;
    return;
  }
  if (config_.terminal && stdin_fd_ && !tty_eof_queued_ && QueueTtyEof()) return;
  if (stdin_watched_) loop_.Remove(stdin_fd_.get());
  stdin_watched_ = false;
  if (stdin_fd_)
    DiagInfo(absl::StrCat(name(), config_.terminal ? ": stdin ended (end-of-file sent to the tty)"
                                                   : ": stdin closed"));
  stdin_fd_.reset();
  stdin_buf_.clear();
  stdin_closed_ = true;
}

// The master is also the output, so it stays open: the process gets the
// tty's end-of-file sequence. Returns false when there is nothing to send.
bool Session::QueueTtyEof() {
  tty_eof_queued_ = true;
  struct termios t;
  std::string eof;
  if (tcgetattr(stdin_fd_.get(), &t) == 0) {
    eof = TtyEofSequence(t, stdin_last_);
  } else {
    DiagError(absl::StrCat(name(), ": tcgetattr on the pty master: ", strerror(errno)));
  }
  if (eof.empty()) return false;
  stdin_buf_ = std::move(eof);
  stdin_close_pending_ = true;
  FlushStdin();  // closes once written
  return true;
}

void Session::PauseStdinClients(bool pause) {
  if (stdin_paused_ == pause) return;
  stdin_paused_ = pause;
  for (auto& c : clients_)
    if (c->stdin_client) c->PauseInput(pause);
}

}  // namespace skiff::shim
