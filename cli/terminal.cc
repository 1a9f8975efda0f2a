#include "cli/terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>

#include "common/status.h"

namespace skiff::cli {
namespace {

// Global because the signal handler and the atexit hook need them; both only
// use async-signal-safe calls (tcsetattr, sigaction, raise, write).
std::atomic<bool> g_raw_active{false};
int g_raw_fd = -1;
struct termios g_saved;

constexpr int kRestoreSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
struct sigaction g_previous[sizeof(kRestoreSignals) / sizeof(int)];

void RestoreTerminal() {
  if (g_raw_active.exchange(false)) tcsetattr(g_raw_fd, TCSAFLUSH, &g_saved);
}

void RestorePreviousHandlers() {
  for (size_t i = 0; i < std::size(kRestoreSignals); ++i) {
    sigaction(kRestoreSignals[i], &g_previous[i], nullptr);
  }
}

void OnFatalSignal(int sig) {
  int saved_errno = errno;
  RestoreTerminal();
  RestorePreviousHandlers();
  // Delivered once this handler returns, to the previous disposition.
  raise(sig);
  errno = saved_errno;
}

void AtExit() { RestoreTerminal(); }

std::atomic<int> g_winch_fd{-1};

void OnWinch(int) {
  int saved_errno = errno;
  int fd = g_winch_fd.load();
  if (fd >= 0) {
    char c = 0;
    (void)!write(fd, &c, 1);
  }
  errno = saved_errno;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RawMode>> RawMode::Enable(int fd) {
  struct termios t;
  if (tcgetattr(fd, &t) != 0) return Errno("reading terminal settings of fd", std::to_string(fd));
  if (g_raw_active.load()) {
    return absl::FailedPreconditionError("the terminal is already in raw mode");
  }
  g_saved = t;
  g_raw_fd = fd;
  static bool registered = [] { return atexit(AtExit) == 0; }();
  (void)registered;

  struct sigaction sa = {};
  sa.sa_handler = OnFatalSignal;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < std::size(kRestoreSignals); ++i) {
    sigaction(kRestoreSignals[i], &sa, &g_previous[i]);
  }
  g_raw_active.store(true);

  // moby/term MakeRaw: cfmakeraw, one byte at a time.
  cfmakeraw(&t);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  if (tcsetattr(fd, TCSANOW, &t) != 0) {
    absl::Status s = Errno("setting raw mode on terminal fd", std::to_string(fd));
    RestoreTerminal();
    RestorePreviousHandlers();
    return s;
  }
  return std::unique_ptr<RawMode>(new RawMode());
}

RawMode::~RawMode() {
  RestoreTerminal();
  RestorePreviousHandlers();
}

absl::StatusOr<WindowSize> GetWindowSize(int fd) {
  struct winsize ws = {};
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0) {
    return Errno("reading the window size of fd", std::to_string(fd));
  }
  return WindowSize{ws.ws_row, ws.ws_col};
}

WinchWatcher::WinchWatcher(std::function<void()> on_resize) : on_resize_(std::move(on_resize)) {
  int notify[2];
  if (pipe2(notify, O_CLOEXEC | O_NONBLOCK) != 0) return;
  if (pipe2(stop_pipe_, O_CLOEXEC) != 0) {
    close(notify[0]);
    close(notify[1]);
    return;
  }
  g_winch_fd.store(notify[1]);
  struct sigaction sa = {};
  sa.sa_handler = OnWinch;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGWINCH, &sa, nullptr);
  int read_fd = notify[0], write_fd = notify[1], stop_fd = stop_pipe_[0];
  thread_ = std::thread([this, read_fd, write_fd, stop_fd] {
    struct pollfd fds[2] = {{read_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    for (;;) {
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[1].revents) break;
      if (fds[0].revents & POLLIN) {
        char buf[64];
        while (read(read_fd, buf, sizeof buf) > 0) {
        }
        on_resize_();
      }
    }
    close(read_fd);
    close(write_fd);
  });
}

WinchWatcher::~WinchWatcher() {
  if (!thread_.joinable()) return;
  struct sigaction sa = {};
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGWINCH, &sa, nullptr);
  g_winch_fd.store(-1);
  char c = 0;
  (void)!write(stop_pipe_[1], &c, 1);
  thread_.join();
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
}

}  // namespace skiff::cli
