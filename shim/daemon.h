#pragma once
// Turning the shim into a daemon, and the handshake with its starter.
//
// Daemonize(): the classic double fork. The starter's child (the process the
// starter spawned) forks, waits for that middle process and exits with its
// status, so the starter can reap it at once. The middle process calls
// setsid() and forks the daemon, then exits. The daemon (the only one to
// return) has: no controlling terminal, cwd "/", umask 022, stdin, stdout
// and stderr on /dev/null, every other fd closed except keep_fd, SIGPIPE
// ignored, and is the child subreaper of everything it will start.
//
// The handshake (SyncPipe): one line on the starter's pipe, then EOF:
//   "created <container pid>\n"  or  "error <message>\n"
// A message's newlines become spaces. When the starter died, the write fails
// (EPIPE) and the shim carries on.

#include <sys/types.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace skiff::shim {

// Returns OK in the daemon; the other two processes never return. With
// foreground = true only the fd and signal set-up is done (no fork).
absl::Status Daemonize(int keep_fd, bool foreground);

class SyncPipe {
 public:
  explicit SyncPipe(int fd) : fd_(fd) {}
  ~SyncPipe() { Close(); }
  SyncPipe(const SyncPipe&) = delete;
  SyncPipe& operator=(const SyncPipe&) = delete;
  void Created(pid_t pid);
  void Failed(absl::string_view message);
  bool done() const { return fd_ < 0; }

 private:
  void Send(absl::string_view line);
  void Close();
  int fd_;
};

}  // namespace skiff::shim
