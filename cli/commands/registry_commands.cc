// The registry verbs: pull, push, login, logout. Output and exit codes as
// docker's: 125 for a usage error, 1 when the daemon says no.

#include "cli/commands/registry_commands.h"

#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/commands/parse_flags.h"
#include "cli/flags.h"
#include "cli/render/progress.h"
#include "cli/terminal.h"

namespace skiff::cli {
namespace {

namespace v1 = ::skiff::v1;
using Args = std::vector<std::string>;

// Whether `ref` names a tag or digest; a ':' before the last '/' is a port.
bool HasTagOrDigest(const std::string& ref) {
  if (ref.find('@') != std::string::npos) return true;
  size_t slash = ref.rfind('/');
  return ref.find(':', slash == std::string::npos ? 0 : slash) != std::string::npos;
}

// The repository part of a reference: "host:5000/ns/app" of "host:5000/ns/app:1".
std::string Repository(const std::string& ref) {
  std::string r = ref.substr(0, ref.find('@'));
  size_t slash = r.rfind('/');
  size_t colon = r.find(':', slash == std::string::npos ? 0 : slash);
  return colon == std::string::npos ? r : r.substr(0, colon);
}

std::string TagOf(const std::string& ref) {
  std::string r = ref.substr(0, ref.find('@'));
  size_t slash = r.rfind('/');
  size_t colon = r.find(':', slash == std::string::npos ? 0 : slash);
  return colon == std::string::npos ? "latest" : r.substr(colon + 1);
}

// docker's "<tag>: Pulling from <path>": the repository without its
// registry host (a first component with '.' or ':', or "localhost").
std::string PullingFromLine(const std::string& ref) {
  size_t at = ref.find('@');
  std::string what = at != std::string::npos ? ref.substr(at + 1) : TagOf(ref);
  std::string path = Repository(ref);
  size_t slash = path.find('/');
  if (slash != std::string::npos) {
    std::string first = path.substr(0, slash);
    if (first.find_first_of(".:") != std::string::npos || first == "localhost") {
      path = path.substr(slash + 1);
    }
  }
  return absl::StrCat(what, ": Pulling from ", path);
}

absl::StatusOr<v1::Platform> ParsePlatformFlag(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid platform: \"", text, "\": expected os/arch[/variant], e.g. linux/amd64"));
  }
  v1::Platform p;
  p.set_os(parts[0]);
  p.set_architecture(parts[1]);
  if (parts.size() == 3) p.set_variant(parts[2]);
  return p;
}

int TerminalWidth(int fd) {
  auto ws = GetWindowSize(fd);
  return ws.ok() && ws->columns > 0 ? ws->columns : 200;
}

// The image id `ref` names locally, or "" when none.
std::string LocalImageId(Context& ctx, const std::string& ref) {
  grpc::ClientContext cctx;
  v1::InspectImageRequest req;
  req.set_ref(ref);
  v1::InspectImageResponse resp;
  if (!ctx.images().Inspect(&cctx, req, &resp).ok()) return "";
  return resp.image().id();
}

// A daemon older than the registry RPCs answers UNIMPLEMENTED with no words.
grpc::Status Explain(const grpc::Status& st, const std::string& verb) {
  if (st.error_code() != grpc::StatusCode::UNIMPLEMENTED) return st;
  return grpc::Status(st.error_code(), absl::StrCat("this skiffd cannot ", verb, " (UNIMPLEMENTED",
                                                    st.error_message().empty() ? "" : ": ",
                                                    st.error_message(), "): upgrade skiffd"));
}

// A whole-operation failure: the RPC's status reports it.
bool IsSummary(const v1::Progress& p) { return p.id().empty() && !p.error().empty(); }

// ---- push

int PushCommand(Context& ctx, const Args& args, const std::string& cmd) {
  bool quiet = false;
  FlagSet fs(absl::StrCat("skiff ", cmd, " [OPTIONS] NAME[:TAG]"), "Upload an image to a registry");
  fs.Bool("quiet", 'q', &quiet, "Suppress verbose output");
  Args pos;
  if (int rc = ParseFlags(ctx, fs, cmd, args, &pos); rc >= 0) return rc;
  if (pos.size() != 1) return ArgCountError(ctx, cmd, "exactly 1 argument");
  std::string ref = pos[0];
  if (ref.find('@') != std::string::npos) {
    ctx.err() << "invalid reference format: cannot push a digest reference: " << ref << "\n";
    return 1;
  }
  if (!HasTagOrDigest(ref)) {
    if (!quiet) ctx.out() << "Using default tag: latest\n";
    ref += ":latest";
  }
  if (!quiet) ctx.out() << "The push refers to repository [" << Repository(ref) << "]\n";
  ProgressRenderer renderer(ctx.out(), ctx.stdout_is_tty(),
                            ctx.stdout_is_tty() ? TerminalWidth(STDOUT_FILENO) : 200);
  grpc::ClientContext cctx;
  v1::PushImageRequest req;
  req.set_ref(ref);
  auto reader = ctx.images().Push(&cctx, req);
  v1::PushImageResponse msg;
  std::string digest;
  int64_t size = 0;
  while (reader->Read(&msg)) {
    // The summary line (on the message with the digest) and a failure are
    // printed once, below, not as progress.
    if (msg.has_progress() && !quiet && msg.digest().empty() && !IsSummary(msg.progress()) &&
        !absl::StartsWith(msg.progress().status(), "The push refers to repository")) {
      renderer.Update(msg.progress());
    }
    if (!msg.digest().empty()) {
      digest = msg.digest();
      size = msg.size();
    }
  }
  grpc::Status st = reader->Finish();
  if (!st.ok()) return ctx.Fail(Explain(st, "push"));
  if (quiet) {
    ctx.out() << ref << "\n";
  } else {
    ctx.out() << TagOf(ref) << ": digest: " << digest << " size: " << size << "\n";
  }
  ctx.out().flush();
  return 0;
}

// ---- pull

int PullCommand(Context& ctx, const Args& args, const std::string& cmd) {
  PullOptions opts;
  FlagSet fs(absl::StrCat("skiff ", cmd, " [OPTIONS] NAME[:TAG|@DIGEST]"),
             "Download an image from a registry");
  fs.Bool("quiet", 'q', &opts.quiet, "Suppress verbose output");
  fs.String("platform", 0, &opts.platform, "Set platform if server is multi-platform capable");
  Args pos;
  if (int rc = ParseFlags(ctx, fs, cmd, args, &pos); rc >= 0) return rc;
  if (pos.size() != 1) return ArgCountError(ctx, cmd, "exactly 1 argument");
  opts.ref = pos[0];
  opts.out = &ctx.out();
  opts.terminal = ctx.stdout_is_tty();
  if (opts.terminal) opts.width = TerminalWidth(STDOUT_FILENO);
  if (!opts.platform.empty()) {
    if (auto p = ParsePlatformFlag(opts.platform); !p.ok()) {
      return ctx.UsageError(cmd, std::string(p.status().message()));
    }
  }
  grpc::Status st = PullImage(ctx, opts);
  if (!st.ok()) return ctx.Fail(st);
  return 0;
}

// ---- login / logout

// Reads one line from `fd` (without its newline); with `echo` false the
// terminal does not show what is typed.
absl::StatusOr<std::string> ReadLine(int fd, bool echo) {
  struct termios saved;
  bool restore = false;
  if (!echo && tcgetattr(fd, &saved) == 0) {
    struct termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    restore = tcsetattr(fd, TCSANOW, &quiet) == 0;
  }
  std::string line;
  int err = 0;
  for (;;) {
    char c;
    ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n <= 0 || c == '\n') break;
    line += c;
  }
  if (restore) tcsetattr(fd, TCSANOW, &saved);
  if (err != 0) return absl::UnavailableError(absl::StrCat("read stdin: ", strerror(err)));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

int LoginCommand(Context& ctx, const Args& args, const std::string& cmd) {
  std::string username, password;
  bool password_stdin = false;
  FlagSet fs(absl::StrCat("skiff ", cmd, " [OPTIONS] [SERVER]"),
             "Log in to a registry.\nIf no server is specified, the default is defined by the "
             "daemon.");
  fs.String("username", 'u', &username, "Username");
  fs.String("password", 'p', &password, "Password");
  fs.Bool("password-stdin", 0, &password_stdin, "Take the password from stdin");
  Args pos;
  if (int rc = ParseFlags(ctx, fs, cmd, args, &pos); rc >= 0) return rc;
  if (pos.size() > 1) return ArgCountError(ctx, cmd, "at most 1 argument");
  if (!password.empty()) {
    ctx.err() << "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n";
    if (password_stdin) {
      ctx.err() << "--password and --password-stdin are mutually exclusive\n";
      return 1;
    }
  }
  if (password_stdin) {
    if (username.empty()) {
      ctx.err() << "Must provide --username with --password-stdin\n";
      return 1;
    }
    std::string all;
    char buf[4096];
    for (;;) {
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ctx.err() << "read stdin: " << strerror(errno) << "\n";
        return 1;
      }
      if (n == 0) break;
      all.append(buf, static_cast<size_t>(n));
    }
    password = std::string(absl::StripTrailingAsciiWhitespace(all));
  }
  if (username.empty() || password.empty()) {
    if (!ctx.stdin_is_tty()) {
      ctx.err() << "Error: Cannot perform an interactive login from a non TTY device\n";
      return 1;
    }
    if (username.empty()) {
      ctx.out() << "Username: ";
      ctx.out().flush();
      auto line = ReadLine(STDIN_FILENO, /*echo=*/true);
      if (!line.ok()) {
        ctx.err() << line.status().message() << "\n";
        return 1;
      }
      username = std::string(absl::StripAsciiWhitespace(*line));
      if (username.empty()) {
        ctx.err() << "Error: Non-null Username Required\n";
        return 1;
      }
    }
    if (password.empty()) {
      ctx.out() << "Password: ";
      ctx.out().flush();
      auto line = ReadLine(STDIN_FILENO, /*echo=*/false);
      ctx.out() << "\n";
      if (!line.ok()) {
        ctx.err() << line.status().message() << "\n";
        return 1;
      }
      password = *line;
      if (password.empty()) {
        ctx.err() << "Error: Password Required\n";
        return 1;
      }
    }
  }
  grpc::ClientContext cctx;
  v1::LoginRequest req;
  req.set_server(pos.empty() ? "" : pos[0]);
  req.set_username(username);
  req.set_password(password);
  v1::LoginResponse resp;
  grpc::Status st = ctx.images().Login(&cctx, req, &resp);
  if (!st.ok()) return ctx.Fail(Explain(st, "log in"));
  ctx.out() << (resp.status().empty() ? "Login Succeeded" : resp.status()) << "\n";
  return 0;
}

int LogoutCommand(Context& ctx, const Args& args, const std::string& cmd) {
  FlagSet fs(absl::StrCat("skiff ", cmd, " [SERVER]"),
             "Log out from a registry.\nIf no server is specified, the default is defined by the "
             "daemon.");
  Args pos;
  if (int rc = ParseFlags(ctx, fs, cmd, args, &pos); rc >= 0) return rc;
  if (pos.size() > 1) return ArgCountError(ctx, cmd, "at most 1 argument");
  std::string server = pos.empty() ? "" : pos[0];
  grpc::ClientContext cctx;
  v1::LogoutRequest req;
  req.set_server(server);
  v1::LogoutResponse resp;
  grpc::Status st = ctx.images().Logout(&cctx, req, &resp);
  if (!st.ok()) return ctx.Fail(Explain(st, "log out"));
  std::string shown = server.empty() ? "the default registry" : server;
  if (resp.removed()) {
    ctx.out() << "Removing login credentials for " << shown << "\n";
  } else {
    ctx.out() << "Not logged in to " << shown << "\n";
  }
  return 0;
}

}  // namespace

grpc::Status PullImage(Context& ctx, const PullOptions& opts) {
  std::ostream& out = opts.out != nullptr ? *opts.out : ctx.out();
  std::string ref = opts.ref;
  // Held back until the daemon answers: a daemon without Pull leaves no
  // half-told story (run then reports its own error).
  std::string pending = opts.quiet ? "" : opts.preface;
  if (!HasTagOrDigest(ref)) {
    if (!opts.quiet) pending += "Using default tag: latest\n";
    ref += ":latest";
  }
  v1::PullImageRequest req;
  req.set_ref(ref);
  if (!opts.platform.empty()) {
    auto p = ParsePlatformFlag(opts.platform);
    if (!p.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(p.status().message()));
    }
    *req.mutable_platform() = *p;
  }
  // docker says "up to date" when the name already meant this image.
  std::string before = LocalImageId(ctx, ref);

  // "<tag>: Pulling from <repo>" only once the daemon streams: a pull that
  // fails before (a registry it cannot reach) pulled from nowhere.
  const std::string pulling = opts.quiet ? "" : PullingFromLine(ref) + "\n";
  auto tell = [&] {
    out << pending;
    pending.clear();
  };
  ProgressRenderer renderer(out, opts.terminal, opts.width);
  grpc::ClientContext cctx;
  auto reader = ctx.images().Pull(&cctx, req);
  v1::PullImageResponse msg, last;
  bool daemon_digest = false, daemon_status = false;
  bool answered = false;
  bool pulling_told = false;
  while (reader->Read(&msg)) {
    answered = true;
    // skiffd sends a failure as a last summary message too; that is no
    // sign the pull got anywhere.
    if (!pulling_told && !(msg.has_progress() && IsSummary(msg.progress()))) {
      pending += pulling;
      pulling_told = true;
    }
    tell();
    if (msg.has_progress() && !opts.quiet && !IsSummary(msg.progress()) &&
        !absl::StrContains(msg.progress().status(), "Pulling from ")) {
      const v1::Progress& p = msg.progress();
      // A daemon that words the summary itself is not repeated.
      if (p.id().empty() && absl::StartsWith(p.status(), "Digest: ")) daemon_digest = true;
      if (p.id().empty() && absl::StartsWith(p.status(), "Status: ")) daemon_status = true;
      renderer.Update(p);
    }
    if (!msg.image_id().empty() || !msg.digest().empty() || !msg.reference().empty()) last = msg;
  }
  grpc::Status st = reader->Finish();
  if (!st.ok()) {
    if (answered || st.error_code() != grpc::StatusCode::UNIMPLEMENTED) tell();
    out.flush();
    return Explain(st, "pull");
  }
  tell();
  std::string reference = last.reference().empty() ? ref : last.reference();
  if (!opts.quiet) {
    if (!daemon_digest && !last.digest().empty()) out << "Digest: " << last.digest() << "\n";
    if (!daemon_status) {
      bool up_to_date = !before.empty() && before == last.image_id();
      out << "Status: " << (up_to_date ? "Image is up to date for " : "Downloaded newer image for ")
          << ref << "\n";
    }
  }
  if (opts.print_reference) out << reference << "\n";
  out.flush();
  return grpc::Status::OK;
}

int Pull(Context& ctx, const Args& args) { return PullCommand(ctx, args, "pull"); }
int Push(Context& ctx, const Args& args) { return PushCommand(ctx, args, "push"); }
int Login(Context& ctx, const Args& args) { return LoginCommand(ctx, args, "login"); }
int Logout(Context& ctx, const Args& args) { return LogoutCommand(ctx, args, "logout"); }

void AddRegistryCommands(std::vector<Command>& commands) {
  commands.push_back({"pull", "Download an image from a registry", Pull});
  commands.push_back({"image pull", "Download an image from a registry",
                      [](Context& c, const Args& a) { return PullCommand(c, a, "image pull"); }});
  commands.push_back({"push", "Upload an image to a registry", Push});
  commands.push_back({"image push", "Upload an image to a registry",
                      [](Context& c, const Args& a) { return PushCommand(c, a, "image push"); }});
  commands.push_back({"login", "Log in to a registry", Login});
  commands.push_back({"logout", "Log out from a registry", Logout});
}

}  // namespace skiff::cli
