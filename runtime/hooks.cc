#include "runtime/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "runtime/log.h"

namespace skiff::runtime {

namespace {

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

absl::Status RunHook(const char* kind, const Hook& h, const std::string& state) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return Errno("pipe for hook");
  UniqueFd in_r(in[0]), in_w(in[1]), out_r(out[0]), out_w(out[1]);

  std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = h.env;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) return Errno("fork hook", h.path);
  if (pid == 0) {
    dup2(in_r.get(), 0);
    dup2(out_w.get(), 1);
    dup2(out_w.get(), 2);
    execve(h.path.c_str(), argv.data(), envp.data());
    dprintf(2, "exec `%s`: %s", h.path.c_str(), strerror(errno));
    _exit(127);
  }
  in_r.reset();
  out_w.reset();
  // The state is small; a hook that never reads stdin must not block us.
  fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  // A hook that exits without reading must not kill us with SIGPIPE.
  struct sigaction ign = {}, old = {};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, &old);
  (void)!write(in_w.get(), state.data(), state.size());
  sigaction(SIGPIPE, &old, nullptr);
  in_w.reset();

  std::string output;
  int64_t deadline = h.timeout ? NowMs() + int64_t{*h.timeout} * 1000 : -1;
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    int wait_ms = -1;
    if (deadline >= 0) {
      wait_ms = static_cast<int>(deadline - NowMs());
      if (wait_ms <= 0) {
        timed_out = true;
        break;
      }
    }
    struct pollfd p = {out_r.get(), POLLIN, 0};
    int r = poll(&p, 1, wait_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      timed_out = true;
      break;
    }
    ssize_t n = read(out_r.get(), buf, sizeof buf);
    if (n <= 0) break;
    if (output.size() < 8192) output.append(buf, n);
  }
  int status = 0;
  // The output may close before the hook exits: the deadline still holds.
  while (!timed_out && deadline >= 0) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) break;
    if (NowMs() >= deadline) {
      timed_out = true;
      break;
    }
    usleep(10000);
  }
  if (timed_out || deadline < 0) {
    if (timed_out) kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  std::string shown(absl::StripAsciiWhitespace(output));
  if (timed_out)
    return absl::DeadlineExceededError(absl::StrCat(kind, " hook `", h.path, "` timed out after ",
                                                    *h.timeout, "s",
                                                    shown.empty() ? "" : ": ", shown));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  std::string how = WIFEXITED(status) ? absl::StrCat("exited with status ", WEXITSTATUS(status))
                                      : absl::StrCat("was killed by signal ", WTERMSIG(status));
  return absl::FailedPreconditionError(
      absl::StrCat(kind, " hook `", h.path, "` ", how, shown.empty() ? "" : ": ", shown));
}

}  // namespace

absl::Status RunHooks(const char* kind, const std::vector<Hook>& hooks,
                      const std::string& state_json) {
  for (const Hook& h : hooks) RETURN_IF_ERROR(RunHook(kind, h, state_json));
  return absl::OkStatus();
}

void RunHooksWarnOnly(const char* kind, const std::vector<Hook>& hooks,
                      const std::string& state_json) {
  for (const Hook& h : hooks) {
    absl::Status st = RunHook(kind, h, state_json);
    if (!st.ok()) LogWarning(st.message());
  }
}

}  // namespace skiff::runtime
