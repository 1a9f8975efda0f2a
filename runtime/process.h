#pragma once
// The last stretch before execve, shared by a container's init and by
// `ocirun exec`: session and terminal, rlimits, cwd, identity and
// capabilities, environment, the pre-exec diagnosis, no_new_privs, seccomp,
// closing every fd the program must not see, signal dispositions, execve.
// Failures go to the parent over the sync socket as typed errors.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "runtime/spec.h"
#include "runtime/sync.h"

namespace skiff::runtime {

struct ProcessStart {
  const Process* process = nullptr;
  const nlohmann::json* seccomp = nullptr;  // linux.seccomp, or null
  int seccomp_listener_fd = -1;             // ConnectSeccompListener's socket, or -1
  nlohmann::json seccomp_state;             // OCI state for the seccomp agent
  SyncSocket* sync = nullptr;
  int console_fd = -1;         // connected --console-socket, or -1 (master goes over sync)
  bool mount_console = false;  // bind the pty on /dev/console (init only)
  int preserve_fds = 0;
  // Sealed memfd of the exec stub (runtime/exec_stub.h): the program is
  // exec'd through it. -1 execs directly.
  int exec_stub_fd = -1;
  // Runs after kReady was sent and before execve: the init waits there for
  // `start` and runs startContainer hooks. May call Fail().
  std::function<void()> before_exec;
  // Where an execve failure is also written ("E<message>"), once set by
  // before_exec: `start` reads it from exec.fifo.
  int report_fd = -1;
};

// Reports `st` to the parent and exits.
[[noreturn]] void FailStart(SyncSocket* sync, absl::string_view stage, const absl::Status& st);

[[noreturn]] void StartProcess(ProcessStart& ps);

absl::Status ApplyRlimits(const Process& p);
absl::Status SwitchUser(const Process& p);
// process.env plus HOME (from the container's /etc/passwd, else "/") when unset.
std::vector<std::string> ProcessEnv(const Process& p);

}  // namespace skiff::runtime
