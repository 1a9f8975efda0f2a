// run, create, start and attach: the verbs that create a container or connect
// the terminal to it.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <iterator>
#include <memory>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cli/commands/container_common.h"
#include "cli/commands/registry_commands.h"
#include "cli/foreground.h"
#include "cli/run_options.h"
#include "cli/stream.h"
#include "cli/terminal.h"

namespace skiff::cli::container {
namespace {

namespace v1 = ::skiff::v1;

// docker's reportError: "skiff: <text>." and, for usage-like failures,
// "See 'skiff run --help'.".
int Report(Context& ctx, const std::string& cmd, std::string text, bool with_help, int code) {
  text = std::string(absl::StripSuffix(text, ".")) + ".";
  ctx.err() << "skiff: " << text << "\n";
  if (with_help) ctx.err() << "See 'skiff " << cmd << " --help'.\n";
  ctx.err().flush();
  return code;
}

// docker's sig-proxy for a container without a terminal: signals that would
// end skiff are sent to the container instead, which then decides. A handler
// (process-wide, whichever thread gets the signal) writes the number to a
// pipe; a thread turns it into a Kill.
int g_proxy_pipe = -1;

void OnProxiedSignal(int sig) {
  int saved = errno;
  unsigned char c = static_cast<unsigned char>(sig);
  if (g_proxy_pipe >= 0) (void)!write(g_proxy_pipe, &c, 1);
  errno = saved;
}

class SignalProxy {
 public:
  SignalProxy(Context& ctx, std::string id) : ctx_(ctx), id_(std::move(id)) {
    if (pipe2(pipe_, O_CLOEXEC) != 0) return;
    g_proxy_pipe = pipe_[1];
    struct sigaction sa = {};
    sa.sa_handler = OnProxiedSignal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &sa, &old_[i]);
    thread_ = std::thread([this] {
      unsigned char c;
      while (read(pipe_[0], &c, 1) == 1 && c != 0) {
        grpc::ClientContext kctx;
        v1::KillContainerRequest req;
        req.set_id(id_);
        req.set_signal(std::to_string(c));
        v1::KillContainerResponse resp;
        (void)ctx_.containers().Kill(&kctx, req, &resp);
      }
    });
  }
  ~SignalProxy() {
    if (!thread_.joinable()) return;
    for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &old_[i], nullptr);
    g_proxy_pipe = -1;
    unsigned char stop = 0;
    (void)!write(pipe_[1], &stop, 1);
    thread_.join();
    close(pipe_[0]);
    close(pipe_[1]);
  }

 private:
  static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  Context& ctx_;
  std::string id_;
  int pipe_[2] = {-1, -1};
  struct sigaction old_[std::size(kSignals)];
  std::thread thread_;
};

// Attaches the terminal to `id`, starts it (unless `start` is false: attach
// only) and returns the exit code to use.
struct Terminal {
  bool tty = false;    // the container has a terminal
  bool stdin = false;  // forward our stdin
  std::string detach_keys;
  bool sig_proxy = true;
};

StreamOptions StreamOpts(Context& ctx, const Terminal& t) {
  StreamOptions o;
  o.stdin_fd = t.stdin ? STDIN_FILENO : -1;
  o.tty = t.tty && (ctx.stdout_is_tty() || ctx.stdin_is_tty());
  o.tty_fd = ctx.stdout_is_tty() ? STDOUT_FILENO : STDIN_FILENO;
  return o;
}

void FillSize(Context& ctx, const Terminal& t, v1::TerminalSize* size) {
  if (!t.tty) return;
  auto ws = GetWindowSize(ctx.stdout_is_tty() ? STDOUT_FILENO : STDIN_FILENO);
  if (!ws.ok()) return;
  size->set_rows(ws->rows);
  size->set_columns(ws->columns);
}

std::unique_ptr<RawMode> MaybeRaw(Context& ctx, const Terminal& t) {
  if (!t.tty || !t.stdin || !ctx.stdin_is_tty()) return nullptr;
  auto raw = RawMode::Enable(STDIN_FILENO);
  return raw.ok() ? std::move(*raw) : nullptr;
}

ForegroundResult Foreground(Context& ctx, const std::string& id, const Terminal& t,
                            bool wait_removed) {
  ForegroundOptions o;
  o.attach.set_id(id);
  o.attach.set_stdin(t.stdin);
  o.attach.set_stdout(true);
  o.attach.set_stderr(true);
  o.attach.set_detach_keys(t.detach_keys);
  FillSize(ctx, t, o.attach.mutable_size());
  o.stream = StreamOpts(ctx, t);
  o.wait_removed = wait_removed;
  ctx.out().flush();
  std::unique_ptr<SignalProxy> proxy;
  if (!t.tty && t.sig_proxy) proxy = std::make_unique<SignalProxy>(ctx, id);
  auto raw = MaybeRaw(ctx, t);
  return RunInForeground(ctx.containers(), o);
}

int RunOrCreate(Context& ctx, const std::vector<std::string>& args, bool run) {
  const std::string cmd = run ? "run" : "create";
  RunOptions opts;
  FlagSet fs(absl::StrCat("skiff ", cmd, " [OPTIONS] IMAGE [COMMAND] [ARG...]"),
             run ? "Create and run a new container from an image" : "Create a new container");
  opts.Register(fs, run);
  int exit = 0;
  auto pos = Parse(ctx, fs, cmd, args, &exit, 1, SIZE_MAX, /*interspersed=*/false);
  if (!pos) return exit;
  auto req = BuildCreateRequest(opts, fs, *pos);
  if (!req.ok()) return Report(ctx, cmd, std::string(req.status().message()), true, 125);
  if (run && opts.tty && opts.interactive && !opts.detach && !ctx.stdin_is_tty()) {
    ctx.err() << "the input device is not a TTY\n";
    return 1;
  }
  if (opts.tty) {
    auto ws = GetWindowSize(ctx.stdout_is_tty() ? STDOUT_FILENO : STDIN_FILENO);
    if (ws.ok()) {
      req->mutable_host_config()->set_console_height(ws->rows);
      req->mutable_host_config()->set_console_width(ws->columns);
    }
  }

  // docker's --pull: "always" pulls first, "missing" pulls when Create
  // says the image is not there, then creates again.
  std::string shown = req->config().image();  // with docker's default tag
  size_t slash = shown.rfind('/');
  if (shown.find('@') == std::string::npos &&
      shown.find(':', slash == std::string::npos ? 0 : slash) == std::string::npos) {
    shown += ":latest";
  }
  std::ostream discard(nullptr);  // run -q shows nothing of the pull
  auto pull = [&](std::string preface) {
    PullOptions po;
    po.ref = shown;
    po.preface = std::move(preface);
    po.platform = opts.platform;
    po.quiet = opts.quiet;
    po.print_reference = false;
    po.out = opts.quiet ? &discard : &ctx.err();
    po.terminal = isatty(STDERR_FILENO) == 1;
    if (po.terminal) {
      auto ws = GetWindowSize(STDERR_FILENO);
      if (ws.ok() && ws->columns > 0) po.width = ws->columns;
    }
    return PullImage(ctx, po);
  };
  if (opts.pull == "always") {
    if (grpc::Status ps = pull(""); !ps.ok()) {
      return Report(ctx, cmd, ctx.ErrorText(ps), false, 125);
    }
  }
  v1::CreateContainerResponse created;
  grpc::Status s;
  {
    grpc::ClientContext cctx;
    s = ctx.containers().Create(&cctx, *req, &created);
  }
  if (!s.ok() && opts.pull == "missing" && s.error_code() == grpc::StatusCode::NOT_FOUND &&
      absl::StrContains(s.error_message(), "no such image")) {
    grpc::Status ps = pull(absl::StrCat("Unable to find image '", shown, "' locally\n"));
    // A daemon that cannot pull: its "no such image" is the answer.
    if (!ps.ok() && ps.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
      return Report(ctx, cmd, ctx.ErrorText(ps), false, 125);
    }
    if (ps.ok()) {
      grpc::ClientContext cctx;
      created.Clear();
      s = ctx.containers().Create(&cctx, *req, &created);
    }
  }
  if (!s.ok()) return Report(ctx, cmd, ctx.ErrorText(s), true, 125);
  for (const auto& w : created.warnings()) ctx.err() << "WARNING: " << w << "\n";
  const std::string& id = created.id();
  if (!run) {
    ctx.out() << id << "\n";
    return 0;
  }

  auto remove_after_failed_start = [&] {
    if (!opts.rm) return;
    grpc::ClientContext rctx;
    v1::RemoveContainerRequest rm;
    rm.set_id(id);
    rm.set_force(true);
    v1::RemoveContainerResponse resp;
    (void)ctx.containers().Remove(&rctx, rm, &resp);
  };

  if (opts.detach) {
    grpc::ClientContext sctx;
    v1::StartContainerRequest start;
    start.set_id(id);
    v1::StartContainerResponse resp;
    s = ctx.containers().Start(&sctx, start, &resp);
    if (!s.ok()) {
      v1::ErrorDetail detail;
      bool has = ReadErrorDetail(sctx, &detail);
      remove_after_failed_start();
      return Report(ctx, cmd, ctx.ErrorText(s), false,
                    StartFailureExitCode(s, has ? &detail : nullptr));
    }
    ctx.out() << id << "\n";
    return 0;
  }

  Terminal t;
  t.tty = opts.tty;
  t.stdin = opts.interactive;
  t.detach_keys = opts.detach_keys;
  ForegroundResult r = Foreground(ctx, id, t, opts.rm);
  if (r.detached) return 0;
  if (r.failed_call == "start" || r.failed_call == "wait") {
    if (r.failed_call == "start") remove_after_failed_start();
    return Report(ctx, cmd, ctx.ErrorText(r.error), false, r.exit_code);
  }
  if (r.failed_call == "attach") ctx.err() << ctx.ErrorText(r.error) << "\n";
  return r.exit_code;
}

}  // namespace

int Run(Context& ctx, const std::vector<std::string>& args) { return RunOrCreate(ctx, args, true); }

int Create(Context& ctx, const std::vector<std::string>& args) {
  return RunOrCreate(ctx, args, false);
}

int Start(Context& ctx, const std::vector<std::string>& args) {
  bool attach = false, interactive = false;
  std::string detach_keys;
  FlagSet fs("skiff start [OPTIONS] CONTAINER [CONTAINER...]",
             "Start one or more stopped containers");
  fs.Bool("attach", 'a', &attach, "Attach STDOUT/STDERR and forward signals");
  fs.Bool("interactive", 'i', &interactive, "Attach container's STDIN");
  fs.String("detach-keys", 0, &detach_keys, "Override the key sequence for detaching a container");
  int exit = 0;
  auto refs = Parse(ctx, fs, "start", args, &exit, 1);
  if (!refs) return exit;

  if (attach || interactive) {
    if (refs->size() > 1) {
      ctx.err() << "you cannot start and attach multiple containers at once\n";
      return 1;
    }
    grpc::ClientContext ictx;
    v1::InspectContainerRequest ireq;
    ireq.set_id((*refs)[0]);
    v1::InspectContainerResponse info;
    grpc::Status s = ctx.containers().Inspect(&ictx, ireq, &info);
    if (!s.ok()) return ctx.Fail(s);
    Terminal t;
    t.tty = info.container().config().tty();
    t.stdin = interactive && info.container().config().open_stdin();
    t.detach_keys = detach_keys;
    ForegroundResult r = Foreground(ctx, info.container().id(), t, false);
    if (r.detached) return 0;
    if (!r.failed_call.empty() && r.failed_call != "attach") {
      ctx.Fail(r.error);
      return r.exit_code == 125 ? 1 : r.exit_code;
    }
    return r.exit_code;
  }

  std::vector<std::string> failed;
  for (const std::string& ref : *refs) {
    grpc::ClientContext c;
    v1::StartContainerRequest req;
    req.set_id(ref);
    v1::StartContainerResponse resp;
    grpc::Status s = ctx.containers().Start(&c, req, &resp);
    if (s.ok()) {
      ctx.out() << ref << "\n";
    } else {
      ctx.Fail(s);
      failed.push_back(ref);
    }
  }
  if (failed.empty()) return 0;
  ctx.err() << "Error: failed to start containers: " << absl::StrJoin(failed, ", ") << "\n";
  return 1;
}

int Attach(Context& ctx, const std::vector<std::string>& args) {
  bool no_stdin = false, sig_proxy = true;
  std::string detach_keys;
  FlagSet fs("skiff attach [OPTIONS] CONTAINER",
             "Attach local standard input, output, and error streams to a running container");
  fs.Bool("no-stdin", 0, &no_stdin, "Do not attach STDIN");
  fs.Bool("sig-proxy", 0, &sig_proxy, "Proxy all received signals to the process");
  fs.String("detach-keys", 0, &detach_keys, "Override the key sequence for detaching a container");
  int exit = 0;
  auto refs = Parse(ctx, fs, "attach", args, &exit, 1, 1);
  if (!refs) return exit;

  grpc::ClientContext ictx;
  v1::InspectContainerRequest ireq;
  ireq.set_id((*refs)[0]);
  v1::InspectContainerResponse info;
  grpc::Status s = ctx.containers().Inspect(&ictx, ireq, &info);
  if (!s.ok()) return ctx.Fail(s);
  const v1::ContainerInfo& c = info.container();
  if (c.state().paused()) {
    ctx.err() << "You cannot attach to a paused container, unpause it first\n";
    return 1;
  }
  if (!c.state().running()) {
    ctx.err() << "You cannot attach to a stopped container, start it first\n";
    return 1;
  }
  Terminal t;
  t.tty = c.config().tty();
  t.stdin = !no_stdin && c.config().open_stdin();
  if (t.stdin && t.tty && !ctx.stdin_is_tty()) {
    ctx.err() << "the input device is not a TTY\n";
    return 1;
  }
  v1::AttachStart start;
  start.set_id(c.id());
  start.set_stdin(t.stdin);
  start.set_stdout(true);
  start.set_stderr(true);
  start.set_detach_keys(detach_keys);
  FillSize(ctx, t, start.mutable_size());

  std::unique_ptr<SignalProxy> proxy;
  if (!t.tty && sig_proxy) proxy = std::make_unique<SignalProxy>(ctx, c.id());
  auto raw = MaybeRaw(ctx, t);
  AttachPump pump(ctx.containers(), start, StreamOpts(ctx, t));
  StreamResult r = pump.Finish();
  raw.reset();
  if (r.detached) {
    // docker's attach reports the detach as its error (term.EscapeError).
    ctx.err() << "read escape sequence\n";
    return 1;
  }
  if (!r.status.ok()) return ctx.Fail(r.status);
  return r.exited ? r.exit.exit_code() : 0;
}

}  // namespace skiff::cli::container
