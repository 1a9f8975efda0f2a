#include "common/byte_source.h"

#include <unistd.h>

#include <cerrno>

#include "common/status.h"

namespace skiff {

ByteSource FdSource(int fd) {
  return [fd](char* buf, size_t n) -> absl::StatusOr<size_t> {
    for (;;) {
      ssize_t r = read(fd, buf, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) return Errno("read");
    }
  };
}

}  // namespace skiff
