#pragma once
// Creating, starting and tearing down a container from its bundle.
//
// Create() validates the bundle, makes the state dir, the exec fifo and the
// cgroup, clones the init into its namespaces (runtime/init.h) and drives
// the sync protocol (runtime/sync.h) until the init is ready. A failure at
// any point kills the init and removes the cgroup and state: nothing is left.
//
// Modes: kCreate leaves the init waiting on exec.fifo for `start`; kRun
// starts it at once, waits for it and returns its exit status; kRunDetached
// starts it and returns.

#include <string>

#include "absl/status/statusor.h"
#include "runtime/spec.h"
#include "runtime/state.h"

namespace skiff::runtime {

struct CreateOptions {
  std::string root;
  std::string id;
  std::string bundle;
  std::string pid_file;
  std::string console_socket;
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;
};

enum class CreateMode { kCreate, kRun, kRunDetached };

// Returns the exit status for kRun (128+N for a signal), 0 otherwise.
absl::StatusOr<int> Create(const CreateOptions& opts, CreateMode mode);

// `ocirun start`: releases a created container's init.
absl::Status Start(const std::string& root, const std::string& id);

// Removes a stopped container: cgroup, state, then poststop hooks.
absl::Status Cleanup(const StateDir& dir, const ContainerState& st);

// Loads the Spec saved in the state (for poststop hooks).
absl::StatusOr<Spec> SavedSpec(const ContainerState& st);

}  // namespace skiff::runtime
