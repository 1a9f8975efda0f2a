#pragma once
// `ocirun exec`: runs another process in a running container. The process
// joins every namespace of the container's init (user and cgroup included;
// pid and time through the parent, which setns's before clone), its cgroup,
// and gets the same rlimits, capabilities, no_new_privs and seccomp rules as
// process.* says, through the same path as the init (runtime/process.h).

#include <string>

#include "absl/status/statusor.h"
#include "runtime/spec.h"

namespace skiff::runtime {

struct ExecOptions {
  std::string root;
  std::string id;
  std::string console_socket;
  std::string pid_file;
  bool detach = false;
  int preserve_fds = 0;
  bool ignore_paused = false;
};

// Returns the process's exit status (128+N for a signal), or 0 with detach.
absl::StatusOr<int> Exec(const ExecOptions& opts, const Process& process);

}  // namespace skiff::runtime
