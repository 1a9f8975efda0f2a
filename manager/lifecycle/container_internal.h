#pragma once
// Private to the container manager's files.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/unique_fd.h"
#include "manager/lifecycle/container_manager.h"
#include "proto/skiff/v1/types.pb.h"

namespace skiff::manager {

// `bytes` random bytes as lowercase hex (container and exec ids).
std::string RandomHex(size_t bytes);

// Per container, while the daemon knows it.
struct ContainerManager::Live {
  // Serializes the lifecycle operations of the container.
  absl::Mutex op;
  // Guarded by the manager's mu_.
  uint64_t exits = 0;  // exits (and the removal) seen since the daemon started
  bool removed = false;
  skiff::v1::ExitStatus last_exit;
  bool shim_up = false;  // attach connects directly
  std::vector<std::shared_ptr<PendingAttach>> pending;  // attaches waiting for a start
  uint64_t run = 0;    // bumped by every start: exit events of older runs are stale
  int wd = -1;         // inotify watch on the shim's dir
  UniqueFd pidfd;      // the shim
};

struct ContainerManager::PendingAttach {
  bool stdin = false;
  bool done = false;
  absl::StatusOr<std::unique_ptr<skiff::shim::AttachClient>> result =
      absl::UnavailableError("not attached yet");
};

// What the record's `config` column holds.
struct ContainerManager::Stored {
  skiff::v1::ContainerConfig config;  // effective: image defaults merged
  skiff::v1::HostConfig host;
  std::vector<std::string> args;      // entrypoint + cmd
  bool manually_stopped = false;      // restart policies wait for a Start
  bool has_been_started = false;
};

// "10m", "1g", "1048576" (log-opt max-size).
absl::StatusOr<uint64_t> ParseSizeOption(const std::string& text);

}  // namespace skiff::manager
