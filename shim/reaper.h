#pragma once
// Reaps every child of the shim. The shim is a child subreaper, so the
// container's init and the exec processes (whose parent, the runtime, exits
// first) become its children, and so do orphans of a container without its
// own pid namespace: all of them are reaped here, none stays a zombie.
//
// ReapAll() runs on SIGCHLD (signalfd) and waits for every exited child. A
// watched pid's status goes to its callback; the status of an unwatched pid
// is kept (a bounded number of them) for a later Watch() of that pid, because
// a process can exit, and be reaped, before the shim has read its pid from the
// runtime's pid file.
//
//   reaper.Watch(pid, [](int status) { ... });   // once, then forgotten

#include <sys/types.h>

#include <deque>
#include <functional>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "shim/event_loop.h"

namespace skiff::shim {

class Reaper {
 public:
  using ExitCallback = std::function<void(int wait_status)>;
  explicit Reaper(EventLoop& loop) : loop_(loop) {}

  // Calls cb with pid's wait status when it is reaped. When it already was,
  // cb runs from the loop (never from inside Watch).
  void Watch(pid_t pid, ExitCallback cb);
  void Unwatch(pid_t pid) { watched_.erase(pid); }
  bool watching(pid_t pid) const { return watched_.count(pid) != 0; }
  // Reaps every exited child.
  void ReapAll();

  // Checks that pid (read from a pid file) is a child of this process, or
  // one already reaped: a pidfd and waitid(P_PIDFD, WNOWAIT) where the kernel
  // has them, /proc/PID/stat's ppid otherwise. Guards against a pid file that
  // names an unrelated process.
  absl::Status CheckChild(pid_t pid) const;

 private:
  EventLoop& loop_;
  std::unordered_map<pid_t, ExitCallback> watched_;
  std::deque<std::pair<pid_t, int>> unclaimed_;  // oldest first
};

}  // namespace skiff::shim
