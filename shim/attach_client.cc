#include "shim/attach_client.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/status.h"

extern char** environ;

namespace skiff::shim {
namespace {

int PollMs(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(absl::ToInt64Milliseconds(left)) + 1;
}

// Reads until EOF or the deadline.
absl::StatusOr<std::string> ReadAll(int fd, absl::Time deadline, const char* what) {
  std::string out;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, PollMs(deadline));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Errno("poll");
    }
    if (r == 0) return absl::DeadlineExceededError(absl::StrCat("timed out waiting for ", what));
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("read", what);
    }
    if (n == 0) return out;
    out.append(buf, n);
  }
}

}  // namespace

std::vector<std::string> OptionsToArgs(const Options& o) {
  std::vector<std::string> a = {"--id", o.id, "--bundle", o.bundle, "--state-dir", o.state_dir};
  Options d;  // defaults
  if (o.runtime.binary != d.runtime.binary) a.insert(a.end(), {"--runtime", o.runtime.binary});
  if (!o.runtime.root.empty()) a.insert(a.end(), {"--runtime-root", o.runtime.root});
  for (const auto& g : o.runtime.global_args) a.insert(a.end(), {"--runtime-arg", g});
  if (o.runtime.timeout_ms != d.runtime.timeout_ms)
    a.insert(a.end(), {"--runtime-timeout", absl::StrCat(o.runtime.timeout_ms / 1000)});
  if (!o.log_path.empty()) a.insert(a.end(), {"--log-path", o.log_path});
  if (o.log_max_size != d.log_max_size)
    a.insert(a.end(), {"--log-max-size", absl::StrCat(o.log_max_size)});
  if (o.log_max_files != d.log_max_files)
    a.insert(a.end(), {"--log-max-files", absl::StrCat(o.log_max_files)});
  if (!o.exit_file.empty()) a.insert(a.end(), {"--exit-file", o.exit_file});
  if (!o.attach_socket.empty()) a.insert(a.end(), {"--attach-socket", o.attach_socket});
  if (!o.control_socket.empty()) a.insert(a.end(), {"--control-socket", o.control_socket});
  if (!o.shim_log.empty()) a.insert(a.end(), {"--shim-log", o.shim_log});
  if (o.exit_linger_ms != d.exit_linger_ms)
    a.insert(a.end(), {"--exit-linger", absl::StrCat(o.exit_linger_ms / 1000)});
  if (o.terminal) a.push_back("--terminal");
  if (o.stdin) a.push_back("--stdin");
  if (o.stdin_once) a.push_back("--stdin-once");
  if (o.foreground) a.push_back("--foreground");
  return a;
}

absl::StatusOr<Launched> LaunchShim(const std::string& binary, const Options& opts,
                                    absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  int sp[2], ep[2];
  if (pipe2(sp, O_CLOEXEC) != 0) return Errno("pipe2");
  UniqueFd sync_r(sp[0]), sync_w(sp[1]);
  if (pipe2(ep, O_CLOEXEC) != 0) return Errno("pipe2");
  UniqueFd err_r(ep[0]), err_w(ep[1]);
  std::vector<std::string> args = {binary};
  for (auto& a : OptionsToArgs(opts)) args.push_back(a);
  args.insert(args.end(), {"--sync-fd", "3"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, err_w.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, err_w.get(), 2);
  posix_spawn_file_actions_adddup2(&fa, sync_w.get(), 3);
  pid_t pid;
  int e = posix_spawn(&pid, binary.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (e != 0) return ErrnoError(e, "run", binary);
  sync_w.reset();
  err_w.reset();

  auto msg = ReadAll(sync_r.get(), deadline, "the shim's handshake");
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (!msg.ok()) return msg.status();
  absl::string_view m = absl::StripTrailingAsciiWhitespace(*msg);
  if (absl::ConsumePrefix(&m, "created ")) {
    Launched l;
    if (!absl::SimpleAtoi(m, &l.container_pid))
      return absl::InternalError(absl::StrCat("bad handshake from the shim: `", *msg, "`"));
    auto text = ReadFile(opts.state_dir + "/shim.pid");
    if (text.ok()) (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &l.shim_pid);
    return l;
  }
  if (absl::ConsumePrefix(&m, "error ")) return absl::UnknownError(std::string(m));
  // No handshake: the shim failed before daemonizing (bad flags); say why.
  int fl = fcntl(err_r.get(), F_GETFL);
  fcntl(err_r.get(), F_SETFL, fl | O_NONBLOCK);
  char buf[4096];
  ssize_t n = read(err_r.get(), buf, sizeof buf);
  std::string err = n > 0
                        ? std::string(absl::StripTrailingAsciiWhitespace(absl::string_view(buf, n)))
                        : std::string();
  return absl::UnknownError(absl::StrCat(binary, " gave no handshake (",
                                         WIFEXITED(st)
                                             ? absl::StrCat("exit status ", WEXITSTATUS(st))
                                             : absl::StrCat("signal ", WTERMSIG(st)),
                                         ")", err.empty() ? "" : ": ", err));
}

absl::StatusOr<UniqueFd> AttachClient::Connect(const std::string& path) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return absl::InvalidArgumentError(absl::StrCat("socket path `", path, "` is too long"));
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Errno("socket");
  if (connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0)
    return Errno("connect", path);
  return fd;
}

absl::Status AttachClient::Send(char type, absl::string_view payload) {
  if (!fd_) return absl::FailedPreconditionError("attach client is closed");
  std::string f;
  AppendFrame(&f, type, payload);
  absl::string_view rest = f;
  while (!rest.empty()) {
    ssize_t n = send(fd_.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("send to the shim");
    }
    rest.remove_prefix(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<Frame> AttachClient::ReadFrame(absl::Time deadline) {
  for (;;) {
    if (auto f = reader_.Next()) return *f;
    if (!reader_.error().ok()) return reader_.error();
    if (!fd_) return absl::FailedPreconditionError("attach client is closed");
    struct pollfd p = {fd_.get(), POLLIN, 0};
    int r = poll(&p, 1, PollMs(deadline));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Errno("poll");
    }
    if (r == 0) return absl::DeadlineExceededError("timed out waiting for the shim");
    char buf[16384];
    ssize_t n = recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNRESET)
        n = 0;
      else
        return Errno("recv from the shim");
    }
    if (n == 0) return absl::UnavailableError("the shim closed the connection");
    reader_.Feed(absl::string_view(buf, n));
  }
}

absl::StatusOr<std::unique_ptr<AttachClient>> AttachClient::Attach(const std::string& socket,
                                                                   const std::string& session,
                                                                   bool stdin,
                                                                   absl::Duration timeout) {
  ASSIGN_OR_RETURN(UniqueFd fd, Connect(socket));
  std::unique_ptr<AttachClient> c(new AttachClient(std::move(fd)));
  RETURN_IF_ERROR(c->Send(kHello, EncodeHello(stdin, session)));
  ASSIGN_OR_RETURN(Frame f, c->ReadFrame(absl::Now() + timeout));
  if (f.type == kError) return absl::FailedPreconditionError(f.payload);
  if (f.type == kExit) {
    // The process has exited already: keep the record for Next().
    std::string rec;
    AppendFrame(&rec, kExit, f.payload);
    c->reader_.Feed(rec);
    return c;
  }
  if (f.type != kOk)
    return absl::InternalError(
        absl::StrCat("unexpected reply '", std::string(1, f.type), "' to hello"));
  return c;
}

absl::StatusOr<AttachClient::ExecResult> AttachClient::Exec(const std::string& control_socket,
                                                            const ExecRequest& req,
                                                            absl::Duration timeout) {
  ASSIGN_OR_RETURN(UniqueFd fd, Connect(control_socket));
  std::unique_ptr<AttachClient> c(new AttachClient(std::move(fd)));
  RETURN_IF_ERROR(c->Send(kExec, EncodeExecRequest(req)));
  ASSIGN_OR_RETURN(Frame f, c->ReadFrame(absl::Now() + timeout));
  if (f.type == kError) return absl::UnknownError(f.payload);
  ExecResult r;
  if (f.type != kOk || !absl::SimpleAtoi(f.payload, &r.pid))
    return absl::InternalError(
        absl::StrCat("unexpected reply to exec: '", std::string(1, f.type), "' ", f.payload));
  if (req.attach) r.client = std::move(c);
  return r;
}

absl::Status AttachClient::SendStdin(absl::string_view data) {
  while (!data.empty()) {
    absl::string_view chunk = data.substr(0, 64 * 1024);
    RETURN_IF_ERROR(Send(kStdin, chunk));
    data.remove_prefix(chunk.size());
  }
  return absl::OkStatus();
}

absl::Status AttachClient::CloseStdin() { return Send(kCloseStdin, ""); }

absl::Status AttachClient::Resize(uint16_t rows, uint16_t cols) {
  return Send(kResize, EncodeResize(rows, cols));
}

absl::Status AttachClient::Detach() {
  absl::Status st = Send(kDetach, "");
  fd_.reset();
  return st;
}

absl::StatusOr<AttachClient::Event> AttachClient::Next(absl::Duration timeout) {
  auto f = ReadFrame(absl::Now() + timeout);
  if (!f.ok()) {
    if (absl::IsUnavailable(f.status())) return Event{Event::Kind::kClosed, ""};
    return f.status();
  }
  switch (f->type) {
    case kStdout:
      return Event{Event::Kind::kStdout, std::move(f->payload)};
    case kStderr:
      return Event{Event::Kind::kStderr, std::move(f->payload)};
    case kExit:
      return Event{Event::Kind::kExit, std::move(f->payload)};
    case kError:
      return Event{Event::Kind::kError, std::move(f->payload)};
    default:
      return absl::InternalError(absl::StrCat("unexpected frame '", std::string(1, f->type), "'"));
  }
}

absl::StatusOr<AttachClient::Output> AttachClient::ReadUntilExit(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  Output o;
  for (;;) {
    ASSIGN_OR_RETURN(Event e, Next(deadline - absl::Now()));
    switch (e.kind) {
      case Event::Kind::kStdout:
        o.out += e.data;
        break;
      case Event::Kind::kStderr:
        o.err += e.data;
        break;
      case Event::Kind::kExit:
        o.exit_record = e.data;
        return o;
      case Event::Kind::kError:
        return absl::UnknownError(e.data);
      case Event::Kind::kClosed:
        return o;
    }
  }
}

}  // namespace skiff::shim
