#include "shim/flags.h"

#include <unistd.h>

#include <climits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace skiff::shim {

const char kVersion[] = "skiff-shim 0.1.0\n";

const char kUsage[] =
    R"(usage: skiff-shim --id ID --bundle DIR --state-dir DIR [--sync-fd N] [flags]

Monitors one container: runs `RUNTIME create`, keeps the container's stdio,
writes its log and exit record, serves attach clients and exec sessions.
It daemonizes first and outlives its starter; the starter runs
`RUNTIME start ID` itself once the shim reported "created".

Required:
  --id ID                container id (runc's rules: [A-Za-z0-9_+.-])
  --bundle DIR           OCI bundle (config.json + rootfs)
  --state-dir DIR        the shim's own files (created 0700 if missing):
                         shim.pid, init.pid, runtime.log, shim.log, console
                         and exec sockets, exec pid files and exit records
Runtime:
  --runtime PATH         runc-compatible runtime (default: ocirun in PATH)
  --runtime-root DIR     the runtime's --root (default: the runtime's own)
  --runtime-arg ARG      extra global runtime flag, repeatable
  --runtime-timeout SECS kill a create or exec still running after SECS (60)
Stdio:
  --terminal             the container has a pty (process.terminal true);
                         the shim receives the master on a console socket
  --stdin                keep the container's stdin open for attach clients
  --stdin-once           close it when the last stdin client leaves (with
                         --terminal: send the tty's EOF character, ^D)
Files and sockets (defaults inside --state-dir):
  --log-path FILE        container log, CRI format (container.log)
  --log-max-size SIZE    rotate at SIZE bytes, suffix k/M/G (10M; 0: never)
  --log-max-files N      files kept, current one included (3; at least 2)
  --exit-file FILE       exit record, JSON, written atomically (exit)
  --attach-socket PATH   attach socket (attach.sock)
  --control-socket PATH  exec control socket (control.sock)
  --shim-log FILE        the shim's diagnostics (shim.log)
Other:
  --sync-fd N            write end of the handshake pipe (see below)
  --exit-linger SECS     after the exit, how long attach clients get to take
                         the rest of the output (5)
  --foreground           do not daemonize (debugging)
  --help, --version

Handshake: after `create`, the shim writes one line to --sync-fd and closes
it: "created <container pid>\n", or "error <message>\n" with the runtime's
own message (from its --log), then the shim exits 1.

Log: one record per line, "<RFC 3339 UTC time, ns> <stdout|stderr> <F|P>
<content>"; P marks a partial line (longer than 16 KiB, cut by EOF, or
waiting 1 s for its newline).

Signals: SIGUSR1 reopens the logs (container, exec sessions, shim.log) after
an external rotator renamed them. SIGTERM, SIGINT, SIGHUP, SIGQUIT: ignored;
the shim exits after its container.

Exit file: {"id":..,"exec_id":..,"pid":..,"status":"exited|signaled",
"exit_code":..,"signal":..,"core_dumped":..,"exited_at":..,"oom_killed":..}

Attach and control sockets: frames of type(1) length(4, big-endian) payload.
Client: 'h' hello (flags byte: 1 = stdin; then the exec id, "" = container),
'i' stdin, 'c' close stdin, 'r' resize (rows, cols: 2+2 bytes), 'd' detach,
'X' exec request (control socket: key=value lines id, process, tty, stdin,
stdin-once, attach, log, exit-file). Shim: 'o' ok (exec: the pid), 'E' error,
'1' stdout, '2' stderr, 'x' exit record. See docs/skiff-shim.md.
)";

namespace {

std::string Absolute(const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) return p;
  return absl::StrCat(cwd, "/", p);
}

absl::StatusOr<int64_t> ParseInt(const std::string& flag, const std::string& v, int64_t min,
                                 int64_t max) {
  int64_t n;
  if (!absl::SimpleAtoi(v, &n) || n < min || n > max)
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " `", v, "`: want an integer from ", min, " to ", max));
  return n;
}

}  // namespace

bool ValidContainerId(const std::string& id) {
  if (id.empty() || id == "." || id == ".." || id.size() > 1024) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<uint64_t> ParseSize(const std::string& s) {
  std::string num = s;
  uint64_t mult = 1;
  if (!num.empty()) {
    switch (num.back()) {
      case 'k':
      case 'K':
        mult = 1ull << 10;
        break;
      case 'm':
      case 'M':
        mult = 1ull << 20;
        break;
      case 'g':
      case 'G':
        mult = 1ull << 30;
        break;
      default:
        break;
    }
    if (mult != 1) num.pop_back();
  }
  uint64_t n;
  if (!absl::SimpleAtoi(num, &n) || n > (UINT64_MAX / mult))
    return absl::InvalidArgumentError(
        absl::StrCat("size `", s, "`: want a number of bytes, optionally with k, M or G"));
  return n * mult;
}

absl::StatusOr<Options> ParseFlags(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 0; i < args.size(); i++) {
    std::string a = args[i];
    if (a == "-h") a = "--help";
    if (a.rfind("--", 0) != 0)
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument `", a, "` (flags start with --; see --help)"));
    std::string name = a.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    // Booleans.
    bool* flag = nullptr;
    if (name == "terminal") flag = &o.terminal;
    if (name == "stdin") flag = &o.stdin;
    if (name == "stdin-once") flag = &o.stdin_once;
    if (name == "foreground") flag = &o.foreground;
    if (name == "help") flag = &o.help;
    if (name == "version") flag = &o.version;
    if (flag) {
      if (!has_value || value == "true" || value == "1") {
        *flag = true;
      } else if (value == "false" || value == "0") {
        *flag = false;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, "=", value, ": want true or false"));
      }
      continue;
    }
    static const char* const kValueFlags[] = {"id",
                                              "bundle",
                                              "state-dir",
                                              "sync-fd",
                                              "runtime",
                                              "runtime-root",
                                              "runtime-arg",
                                              "runtime-timeout",
                                              "log-path",
                                              "log-max-size",
                                              "log-max-files",
                                              "exit-file",
                                              "attach-socket",
                                              "control-socket",
                                              "shim-log",
                                              "exit-linger"};
    bool known = false;
    for (const char* f : kValueFlags) known = known || name == f;
    if (!known)
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, " (see --help)"));
    if (!has_value) {
      if (i + 1 >= args.size())
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      value = args[++i];
    }
    if (name == "id") {
      o.id = value;
    } else if (name == "bundle") {
      o.bundle = Absolute(value);
    } else if (name == "state-dir") {
      o.state_dir = Absolute(value);
    } else if (name == "sync-fd") {
      auto n = ParseInt(name, value, 0, INT_MAX);
      if (!n.ok()) return n.status();
      o.sync_fd = static_cast<int>(*n);
    } else if (name == "runtime") {
      o.runtime.binary = value.find('/') == std::string::npos ? value : Absolute(value);
    } else if (name == "runtime-root") {
      o.runtime.root = Absolute(value);
    } else if (name == "runtime-arg") {
      o.runtime.global_args.push_back(value);
    } else if (name == "runtime-timeout") {
      auto n = ParseInt(name, value, 1, 86400);
      if (!n.ok()) return n.status();
      o.runtime.timeout_ms = *n * 1000;
    } else if (name == "log-path") {
      o.log_path = Absolute(value);
    } else if (name == "log-max-size") {
      auto n = ParseSize(value);
      if (!n.ok())
        return absl::InvalidArgumentError(absl::StrCat("--log-max-size: ", n.status().message()));
      o.log_max_size = *n;
    } else if (name == "log-max-files") {
      auto n = ParseInt(name, value, 2, 1000);
      if (!n.ok()) return n.status();
      o.log_max_files = static_cast<int>(*n);
    } else if (name == "exit-file") {
      o.exit_file = Absolute(value);
    } else if (name == "attach-socket") {
      o.attach_socket = Absolute(value);
    } else if (name == "control-socket") {
      o.control_socket = Absolute(value);
    } else if (name == "shim-log") {
      o.shim_log = Absolute(value);
    } else if (name == "exit-linger") {
      auto n = ParseInt(name, value, 0, 3600);
      if (!n.ok()) return n.status();
      o.exit_linger_ms = *n * 1000;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, " (see --help)"));
    }
  }
  if (o.help || o.version) return o;
  if (o.id.empty()) return absl::InvalidArgumentError("--id is required");
  if (!ValidContainerId(o.id))
    return absl::InvalidArgumentError(
        absl::StrCat("--id `", o.id, "`: use only letters, digits and _ + . -"));
  if (o.bundle.empty()) return absl::InvalidArgumentError("--bundle is required");
  if (o.state_dir.empty()) return absl::InvalidArgumentError("--state-dir is required");
  if (o.stdin_once && !o.stdin) return absl::InvalidArgumentError("--stdin-once needs --stdin");
  const std::string& d = o.state_dir;
  if (o.log_path.empty()) o.log_path = d + "/container.log";
  if (o.exit_file.empty()) o.exit_file = d + "/exit";
  if (o.attach_socket.empty()) o.attach_socket = d + "/attach.sock";
  if (o.control_socket.empty()) o.control_socket = d + "/control.sock";
  if (o.shim_log.empty()) o.shim_log = d + "/shim.log";
  return o;
}

}  // namespace skiff::shim
