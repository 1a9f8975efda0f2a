#pragma once
// The container's terminal: a pty made inside the container (from its own
// devpts instance), the slave as the process's stdio and controlling tty and
// bind-mounted on /dev/console, the master handed out: over --console-socket
// with SCM_RIGHTS (as runc does: containerd and conmon receive it there), or
// to `ocirun run` itself, which then relays it to its own terminal.

#include <string>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

struct Pty {
  UniqueFd master;
  UniqueFd slave;
  std::string slave_path;
};

// Opens /dev/ptmx of the (already pivoted) container.
absl::StatusOr<Pty> OpenPty(unsigned rows, unsigned cols);

// Makes the slave fd 0/1/2 and the controlling terminal (after setsid), and
// bind-mounts it on /dev/console.
absl::Status SetupConsole(const Pty& pty, bool mount_console);

// Connects to a console socket path (done by the parent before clone).
absl::StatusOr<UniqueFd> ConnectConsoleSocket(const std::string& path);

// Sends `fd` over a connected unix socket with SCM_RIGHTS.
absl::Status SendFd(int sock, int fd, const std::string& name);

// Copies between the caller's stdio and `master` until the master hangs up;
// puts the caller's terminal in raw mode meanwhile and forwards its size.
void RelayTerminal(int master);

}  // namespace skiff::runtime
