#include "manager/lifecycle/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "common/unique_fd.h"

extern char** environ;

namespace skiff::manager {
namespace {

constexpr size_t kMaxCapture = 1 << 20;

absl::Status MakePipe(UniqueFd& r, UniqueFd& w) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return Errno("pipe2");
  r.reset(p[0]);
  w.reset(p[1]);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout) {
  if (argv.empty()) return absl::InvalidArgumentError("RunCommand: empty argv");
  UniqueFd out_r, out_w, err_r, err_w;
  RETURN_IF_ERROR(MakePipe(out_r, out_w));
  RETURN_IF_ERROR(MakePipe(err_r, err_w));

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, err_w.get(), 2);
  // The child starts with default dispositions and an empty mask, whatever
  // the daemon's threads did with theirs.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int e = argv[0].find('/') == std::string::npos
              ? posix_spawnp(&pid, argv[0].c_str(), &fa, &attr, args.data(), environ)
              : posix_spawn(&pid, argv[0].c_str(), &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (e != 0) return ErrnoError(e, "cannot run", argv[0]);
  out_w.reset();
  err_w.reset();

  CommandResult result;
  absl::Time deadline = absl::Now() + timeout;
  bool timed_out = false;
  std::string* bufs[2] = {&result.out, &result.err};
  int fds[2] = {out_r.get(), err_r.get()};
  bool open[2] = {true, true};
  while (open[0] || open[1]) {
    pollfd p[2];
    int n = 0;
    int which[2];
    for (int i = 0; i < 2; ++i) {
      if (open[i]) {
        p[n] = {fds[i], POLLIN, 0};
        which[n++] = i;
      }
    }
    int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (ms <= 0) {
      timed_out = true;
      break;
    }
    int r = poll(p, n, static_cast<int>(std::min<int64_t>(ms, 1000)));
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < n; ++k) {
      if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[8192];
      ssize_t got = read(p[k].fd, buf, sizeof buf);
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        open[which[k]] = false;
        continue;
      }
      std::string* b = bufs[which[k]];
      if (b->size() < kMaxCapture) b->append(buf, std::min<size_t>(got, kMaxCapture - b->size()));
    }
  }
  if (timed_out) kill(pid, SIGKILL);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return absl::DeadlineExceededError(absl::StrCat("`", absl::StrJoin(argv, " "),
                                                    "` did not finish within ",
                                                    absl::FormatDuration(timeout), "; killed"));
  }
  result.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return result;
}

}  // namespace skiff::manager
