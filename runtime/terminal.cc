#include "runtime/terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/fd_passing.h"
#include "common/status.h"

namespace skiff::runtime {

absl::StatusOr<Pty> OpenPty(unsigned rows, unsigned cols) {
  Pty p;
  p.master.reset(open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.master) return Errno("open", "/dev/ptmx");
  if (unlockpt(p.master.get()) != 0) return Errno("unlockpt", "/dev/ptmx");
  char name[128];
  if (ptsname_r(p.master.get(), name, sizeof name) != 0) return Errno("ptsname", "/dev/ptmx");
  p.slave_path = name;
  p.slave.reset(open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.slave) return Errno("open pty slave", name);
  if (rows || cols) {
    struct winsize ws = {};
    ws.ws_row = rows;
    ws.ws_col = cols;
    ioctl(p.master.get(), TIOCSWINSZ, &ws);
  }
  return p;
}

absl::Status SetupConsole(const Pty& pty, bool mount_console) {
  if (mount_console &&
      mount(pty.slave_path.c_str(), "/dev/console", nullptr, MS_BIND, nullptr) != 0)
    return Errno(absl::StrCat("bind mount ", pty.slave_path, " on"), "/dev/console");
  for (int i = 0; i < 3; ++i)
    if (dup2(pty.slave.get(), i) < 0) return Errno("dup pty slave to stdio");
  if (ioctl(0, TIOCSCTTY, 0) != 0) return Errno("set controlling terminal", pty.slave_path);
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> ConnectConsoleSocket(const std::string& path) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return absl::InvalidArgumentError(absl::StrCat("--console-socket path is too long: ", path));
  memcpy(addr.sun_path, path.c_str(), path.size());
  UniqueFd s(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return Errno("socket for console");
  if (connect(s.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0)
    return Errno("connect to console socket", path);
  return s;
}

absl::Status SendFd(int sock, int fd, const std::string& name) {
  return Annotate(SendWithFd(sock, name.data(), name.size(), fd), "console socket");
}

namespace {
int g_master = -1;
void OnWinch(int) {
  struct winsize ws;
  if (ioctl(0, TIOCGWINSZ, &ws) == 0) ioctl(g_master, TIOCSWINSZ, &ws);
}
bool WriteAll(int fd, const char* p, ssize_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= w;
  }
  return true;
}
}  // namespace

void RelayTerminal(int master) {
  struct termios saved;
  bool raw = isatty(0) && tcgetattr(0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(0, TCSANOW, &t);
    g_master = master;
    signal(SIGWINCH, OnWinch);
    OnWinch(0);
  }
  struct pollfd fds[2] = {{0, POLLIN, 0}, {master, POLLIN, 0}};
  char buf[8192];
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0) break;
      if (!WriteAll(1, buf, n)) break;
    }
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n <= 0) {
        fds[0].fd = -1;  // stdin closed: keep relaying output
      } else if (!WriteAll(master, buf, n)) {
        break;
      }
    }
  }
  if (raw) tcsetattr(0, TCSANOW, &saved);
}

}  // namespace skiff::runtime
