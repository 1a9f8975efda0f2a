#include "shim/runtime_client.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "shim/diag.h"

extern char** environ;

namespace skiff::shim {
namespace {

// Parses a JSON string starting at s[i] == '"'; on success sets *i past it.
std::optional<std::string> ParseString(absl::string_view s, size_t* i) {
  if (*i >= s.size() || s[*i] != '"') return std::nullopt;
  std::string out;
  size_t p = *i + 1;
  while (p < s.size()) {
    char c = s[p++];
    if (c == '"') {
      *i = p;
      return out;
    }
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (p >= s.size()) return std::nullopt;
    char e = s[p++];
    switch (e) {
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'u': {
        auto hex4 = [&](size_t at, uint32_t* v) {
          if (at + 4 > s.size()) return false;
          *v = 0;
          for (size_t k = at; k < at + 4; k++) {
            char h = s[k];
            int d = h >= '0' && h <= '9'   ? h - '0'
                    : h >= 'a' && h <= 'f' ? h - 'a' + 10
                    : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                           : -1;
            if (d < 0) return false;
            *v = *v * 16 + d;
          }
          return true;
        };
        uint32_t cp;
        if (!hex4(p, &cp)) return std::nullopt;
        p += 4;
        if (cp >= 0xd800 && cp < 0xdc00 && p + 6 <= s.size() && s[p] == '\\' && s[p + 1] == 'u') {
          uint32_t lo;
          if (hex4(p + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            p += 6;
          }
        }
        if (cp < 0x80) {
          out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
          out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
          out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        } else if (cp < 0x10000) {
          out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
          out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
          out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        } else {
          out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
          out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
          out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
          out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        }
        break;
      }
      default:
        out.push_back(e);
        break;  // \" \\ \/
    }
  }
  return std::nullopt;
}

void SkipSpace(absl::string_view s, size_t* i) {
  while (*i < s.size() && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\r' || s[*i] == '\n')) ++*i;
}

// Skips a non-string JSON value (number, literal, nested object or array).
bool SkipValue(absl::string_view s, size_t* i) {
  int depth = 0;
  while (*i < s.size()) {
    char c = s[*i];
    if (c == '"') {
      if (!ParseString(s, i)) return false;
      continue;
    }
    if (c == '{' || c == '[') depth++;
    if (c == '}' || c == ']') {
      if (depth == 0) return true;
      depth--;
    }
    if (c == ',' && depth == 0) return true;
    ++*i;
  }
  return depth == 0;
}

}  // namespace

std::optional<std::string> JsonStringField(absl::string_view s, absl::string_view key) {
  size_t i = 0;
  SkipSpace(s, &i);
  if (i >= s.size() || s[i] != '{') return std::nullopt;
  ++i;
  for (;;) {
    SkipSpace(s, &i);
    auto k = ParseString(s, &i);
    if (!k) return std::nullopt;
    SkipSpace(s, &i);
    if (i >= s.size() || s[i] != ':') return std::nullopt;
    ++i;
    SkipSpace(s, &i);
    if (i < s.size() && s[i] == '"') {
      auto v = ParseString(s, &i);
      if (!v) return std::nullopt;
      if (*k == key) return v;
    } else {
      if (*k == key) return std::nullopt;
      if (!SkipValue(s, &i)) return std::nullopt;
    }
    SkipSpace(s, &i);
    if (i >= s.size() || s[i] != ',') return std::nullopt;
    ++i;
  }
}

std::optional<std::string> ErrorFromRuntimeLog(absl::string_view log) {
  std::optional<std::string> last_error, last_msg;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    auto msg = JsonStringField(line, "msg");
    if (!msg) continue;
    auto level = JsonStringField(line, "level");
    if (level && (*level == "error" || *level == "fatal")) last_error = msg;
    last_msg = msg;
  }
  return last_error ? last_error : last_msg;
}

std::string DescribeWaitStatus(int st) {
  if (WIFSIGNALED(st)) return absl::StrCat("was killed by signal ", WTERMSIG(st));
  return absl::StrCat("exited with status ", WEXITSTATUS(st));
}

std::vector<std::string> RuntimeClient::Global(const std::string& log_file) const {
  std::vector<std::string> a = {config_.binary};
  if (!config_.root.empty()) {
    a.push_back("--root");
    a.push_back(config_.root);
  }
  a.insert(a.end(), config_.global_args.begin(), config_.global_args.end());
  if (!log_file.empty()) {
    a.insert(a.end(), {"--log", log_file, "--log-format", "json"});
  }
  return a;
}

std::vector<std::string> RuntimeClient::CreateArgv(const std::string& id, const std::string& bundle,
                                                   const std::string& pid_file,
                                                   const std::string& console_socket,
                                                   const std::string& log_file) const {
  std::vector<std::string> a = Global(log_file);
  a.insert(a.end(), {"create", "--bundle", bundle, "--pid-file", pid_file});
  if (!console_socket.empty()) a.insert(a.end(), {"--console-socket", console_socket});
  a.push_back(id);
  return a;
}

std::vector<std::string> RuntimeClient::ExecArgv(const std::string& id,
                                                 const std::string& process_file,
                                                 const std::string& pid_file,
                                                 const std::string& console_socket,
                                                 const std::string& log_file) const {
  std::vector<std::string> a = Global(log_file);
  a.insert(a.end(), {"exec", "--process", process_file, "--detach", "--pid-file", pid_file});
  if (!console_socket.empty()) a.insert(a.end(), {"--console-socket", console_socket});
  a.push_back(id);
  return a;
}

std::vector<std::string> RuntimeClient::DeleteArgv(const std::string& id) const {
  std::vector<std::string> a = Global("");
  a.insert(a.end(), {"delete", "--force", id});
  return a;
}

absl::StatusOr<pid_t> RuntimeClient::Spawn(const std::vector<std::string>& argv,
                                           const RuntimeStdio& stdio) {
  UniqueFd null(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null) return Errno("open", "/dev/null");
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  int fds[3] = {stdio.in, stdio.out, stdio.err};
  for (int i = 0; i < 3; i++)
    posix_spawn_file_actions_adddup2(&fa, fds[i] >= 0 ? fds[i] : null.get(), i);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = -1;
  int err = posix_spawnp(&pid, cargv[0], &fa, &attr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (err != 0) return ErrnoError(err, "run runtime", argv[0]);
  return pid;
}

void RuntimeClient::Run(const std::string& what, const std::vector<std::string>& argv,
                        const RuntimeStdio& stdio, const std::string& pid_file,
                        const std::string& log_file, Done done) {
  if (!log_file.empty()) {
    UniqueFd lf(open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  }
  unlink(pid_file.c_str());
  auto pid = Spawn(argv, stdio);
  if (!pid.ok()) {
    loop_.Post([done, st = pid.status()] { done(st); });
    return;
  }
  running_++;
  DiagInfo(absl::StrCat("runtime ", what, " started (pid ", *pid, ")"));
  // Shared between the exit callback and the timeout.
  struct Call {
    bool timed_out = false;
    EventLoop::TimerId timer = 0;
  };
  auto call = std::make_shared<Call>();
  pid_t rpid = *pid;
  call->timer = loop_.AddTimer(config_.timeout_ms, [this, call, rpid, what] {
    call->timed_out = true;
    DiagError(absl::StrCat("runtime ", what, " still running after ", config_.timeout_ms,
                           " ms; killing it"));
    kill(rpid, SIGKILL);
  });
  reaper_.Watch(rpid, [this, call, what, pid_file, log_file, done](int status) {
    running_--;
    loop_.CancelTimer(call->timer);
    DiagInfo(absl::StrCat("runtime ", what, " ", DescribeWaitStatus(status)));
    if (call->timed_out) {
      done(absl::DeadlineExceededError(absl::StrCat("runtime ", what, " did not finish within ",
                                                    config_.timeout_ms / 1000, " s")));
      return;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::optional<std::string> msg;
      if (!log_file.empty()) {
        auto log = ReadFile(log_file);
        if (log.ok()) msg = ErrorFromRuntimeLog(*log);
      }
      done(absl::UnknownError(msg ? *msg
                                  : absl::StrCat("runtime ", what, " ", DescribeWaitStatus(status),
                                                 " and logged no error")));
      return;
    }
    auto text = ReadFile(pid_file);
    if (!text.ok()) {
      done(Annotate(text.status(), absl::StrCat("runtime ", what, " succeeded but its pid file")));
      return;
    }
    pid_t child = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &child) || child <= 0) {
      done(absl::InternalError(
          absl::StrCat("pid file `", pid_file, "` of runtime ", what, " holds no pid")));
      return;
    }
    absl::Status ok = reaper_.CheckChild(child);
    if (!ok.ok()) {
      done(Annotate(ok, absl::StrCat("pid file `", pid_file, "`")));
      return;
    }
    done(child);
  });
}

void RuntimeClient::RunDetached(const std::vector<std::string>& argv, std::function<void()> done) {
  auto pid = Spawn(argv, {});
  if (!pid.ok()) {
    DiagError(pid.status().message());
    loop_.Post(done);
    return;
  }
  running_++;
  reaper_.Watch(*pid, [this, done](int) {
    running_--;
    done();
  });
}

}  // namespace skiff::shim
