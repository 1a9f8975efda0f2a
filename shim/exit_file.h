#pragma once
// The exit record of a process the shim monitored (the container's process
// or an exec session), written once, atomically (temp file + rename), as one
// JSON object on one line:
//
//   {"id":"web","exec_id":"","pid":4242,"status":"exited","exit_code":3,
//    "signal":0,"core_dumped":false,"exited_at":"2026-11-28T06:04:05.123456789Z",
//    "oom_killed":false}
//
// - status: "exited" (exit_code is the exit status, signal 0) or "signaled"
//   (signal is the terminating signal, exit_code 128+signal, as shells and
//   docker report it);
// - exited_at: when the shim reaped the process;
// - oom_killed: the process died of SIGKILL and the container's memory cgroup
//   counted an OOM kill during the process's life (oom.h).
// The same text is the payload of the 'x' frame sent to attach clients.

#include <sys/types.h>
#include <time.h>

#include <string>

#include "absl/status/status.h"

namespace skiff::shim {

struct ExitRecord {
  std::string id;       // the container id
  std::string exec_id;  // "" for the container's own process
  pid_t pid = 0;
  int wait_status = 0;  // as waitpid(2) returned it
  struct timespec exited_at = {};
  bool oom_killed = false;
};

// 128+signal for a signal, else the exit status.
int ExitCode(int wait_status);
std::string FormatExitRecord(const ExitRecord& r);
absl::Status WriteExitFile(const std::string& path, const ExitRecord& r);

}  // namespace skiff::shim
