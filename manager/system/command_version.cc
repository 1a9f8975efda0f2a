#include "manager/system/command_version.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace skiff::manager {
namespace {

std::string FirstLine(absl::string_view text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) return std::string(line);
  }
  return "";
}

}  // namespace

absl::StatusOr<std::string> CommandVersion(const std::string& path, absl::Duration timeout) {
  // posix_spawn reports a missing binary only through the child's exit
  // status; check first so the error names the errno.
  if (access(path.c_str(), X_OK) != 0) return Errno("cannot execute", path);

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Errno("pipe for", path);
  UniqueFd read_end(out[0]);
  UniqueFd write_end(out[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
  std::string arg0 = path;
  std::string arg1 = "--version";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  char* envp[] = {nullptr};
  pid_t pid = -1;
  int err = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return ErrnoError(err, "running", path + " --version");
  write_end.reset();

  std::string output;
  const absl::Time deadline = absl::Now() + timeout;
  bool timed_out = false;
  for (;;) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      timed_out = true;
      break;
    }
    struct pollfd pfd = {read_end.get(), POLLIN, 0};
    int n = poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[4096];
    ssize_t r = read(read_end.get(), buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    // A version is a line or two; don't let a chatty binary grow this.
    if (output.size() < 64 * 1024) output.append(buf, static_cast<size_t>(r));
  }
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat("`", path, " --version` did not exit within ", absl::FormatDuration(timeout)));
  }
  std::string line = FirstLine(output);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::UnknownError(absl::StrCat("`", path, " --version` failed (",
                                           WIFEXITED(status)
                                               ? absl::StrCat("exit status ", WEXITSTATUS(status))
                                               : absl::StrCat("signal ", WTERMSIG(status)),
                                           ")", line.empty() ? "" : ": ", line));
  }
  if (line.empty()) {
    return absl::UnknownError(absl::StrCat("`", path, " --version` printed nothing"));
  }
  return line;
}

}  // namespace skiff::manager
