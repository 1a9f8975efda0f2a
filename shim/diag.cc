#include "shim/diag.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "shim/rfc3339.h"

namespace skiff::shim {
namespace {

int diag_fd = STDERR_FILENO;

void Emit(absl::string_view level, absl::string_view msg) {
  std::string line;
  line.reserve(40 + msg.size());
  AppendRfc3339Nano(&line, RealtimeNow());
  line.push_back(' ');
  line.append(level.data(), level.size());
  line.push_back(' ');
  for (char c : msg) line.push_back(c == '\n' ? ' ' : c);
  line.push_back('\n');
  ssize_t n;
  do {
    n = write(diag_fd, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
}

}  // namespace

bool OpenDiagLog(const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  if (diag_fd != STDERR_FILENO) close(diag_fd);
  diag_fd = fd;
  return true;
}

void DiagInfo(absl::string_view msg) { Emit("info", msg); }
void DiagError(absl::string_view msg) { Emit("error", msg); }

}  // namespace skiff::shim
