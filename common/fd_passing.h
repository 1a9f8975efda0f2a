#pragma once
// Passing file descriptors over unix sockets (SCM_RIGHTS): the runtime's
// init sync, --console-socket, and the shim's handshakes all use these.

#include <sys/types.h>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"

namespace skiff {

// Sends `len` bytes of `data` (at least one byte: the kernel drops ancillary
// data sent with none) and, when `fd` >= 0, the descriptor with them.
absl::Status SendWithFd(int sock, const void* data, size_t len, int fd);

// Receives one message into `buf` (up to `cap` bytes); a passed descriptor
// lands in *fd (close-on-exec), or is closed when `fd` is null. Returns the
// byte count; 0 means the peer closed.
absl::StatusOr<size_t> RecvWithFd(int sock, void* buf, size_t cap, UniqueFd* fd);

}  // namespace skiff
