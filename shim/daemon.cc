#include "shim/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "shim/diag.h"

namespace skiff::shim {
namespace {

void CloseFrom(unsigned lo, unsigned hi) {
  if (lo > hi) return;
  if (syscall(SYS_close_range, lo, hi, 0) == 0) return;
  for (unsigned fd = lo; fd < 1024 && fd <= hi; fd++) close(static_cast<int>(fd));
}

}  // namespace

absl::Status Daemonize(int keep_fd, bool foreground) {
  if (!foreground) {
    pid_t middle = fork();
    if (middle < 0) return Errno("fork");
    if (middle > 0) {
      int st = 0;
      while (waitpid(middle, &st, 0) < 0 && errno == EINTR) {
      }
      _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
    }
    if (setsid() < 0) _exit(1);
    pid_t daemon = fork();
    if (daemon < 0) _exit(1);
    if (daemon > 0) _exit(0);
  }
  if (chdir("/") != 0) return Errno("chdir", "/");
  umask(022);
  int null = open("/dev/null", O_RDWR);
  if (null < 0) return Errno("open", "/dev/null");
  if (!foreground) {
    for (int fd = 0; fd < 3; fd++) {
      if (fd != keep_fd) dup2(null, fd);
    }
  }
  if (null > 2) close(null);
  if (keep_fd < 0) {
    CloseFrom(3, UINT_MAX);
  } else {
    CloseFrom(3, keep_fd - 1);
    CloseFrom(keep_fd + 1, UINT_MAX);
    fcntl(keep_fd, F_SETFD, FD_CLOEXEC);
  }
  signal(SIGPIPE, SIG_IGN);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return Errno("prctl PR_SET_CHILD_SUBREAPER");
  return absl::OkStatus();
}

void SyncPipe::Send(absl::string_view line) {
  if (fd_ < 0) return;
  std::string s(line);
  for (char& c : s)
    if (c == '\n') c = ' ';
  s.push_back('\n');
  absl::string_view rest = s;
  while (!rest.empty()) {
    ssize_t n = write(fd_, rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      DiagError(absl::StrCat("handshake: write to the sync fd: ", strerror(errno),
                             " (the starter is gone; carrying on)"));
      break;
    }
    rest.remove_prefix(n);
  }
  Close();
}

void SyncPipe::Created(pid_t pid) { Send(absl::StrCat("created ", pid)); }
void SyncPipe::Failed(absl::string_view message) { Send(absl::StrCat("error ", message)); }

void SyncPipe::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

}  // namespace skiff::shim
