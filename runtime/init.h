#pragma once
// The container's init: the process clone(2) makes in the new namespaces.
// It finishes the namespaces, builds the root filesystem, becomes the
// configured user and finally execs process.args. It reports every failure
// to the parent over the sync socket and never returns.

#include <string>

#include "runtime/spec.h"
#include "runtime/state.h"
#include "runtime/sync.h"

namespace skiff::runtime {

struct InitConfig {
  const Spec* spec = nullptr;
  ContainerState state;          // pid filled in from kGo
  SyncSocket* sync = nullptr;
  int fifo_fd = -1;              // O_PATH fd of exec.fifo; -1 in run modes
  int console_fd = -1;           // connected --console-socket, or -1
  bool relay_pty = false;        // terminal without console socket: send master to parent
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;
  int exec_stub_fd = -1;         // runtime/exec_stub.h
  int join_fds[8] = {-1, -1, -1, -1, -1, -1, -1, -1};  // namespaces to setns, by type
  bool joined_user = false;      // the parent already entered linux.namespaces' user path
};

[[noreturn]] void RunInit(InitConfig& cfg);

}  // namespace skiff::runtime
