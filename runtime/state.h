#pragma once
// A container's persistent state under `--root`: <root>/<id>/state.json,
// written atomically, plus <root>/<id>/exec.fifo while the container is
// created but not started.
//
// The pid is kept with its start time (field 22 of /proc/<pid>/stat), so a
// recycled pid is never taken for the container's init.

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace skiff::runtime {

enum class Status { kCreating, kCreated, kRunning, kPaused, kStopped };
const char* StatusName(Status s);

struct ContainerState {
  std::string id;
  std::string bundle;
  std::string rootfs;
  std::string oci_version;
  pid_t pid = 0;
  unsigned long long pid_start_time = 0;
  std::string created;  // RFC 3339, nanoseconds
  uid_t owner = 0;
  std::string cgroup_path;  // relative to each hierarchy root
  bool own_pid_ns = true;   // killing init kills everything
  bool systemd_cgroup = false;
  std::map<std::string, std::string> annotations;
  std::string config_json;  // the config hooks need at delete time (poststop)

  nlohmann::json ToJson() const;
  static absl::StatusOr<ContainerState> FromJson(const nlohmann::json& j);
};

// The directory layout under --root.
class StateDir {
 public:
  StateDir(std::string root, std::string id);

  const std::string& dir() const { return dir_; }
  std::string state_file() const { return dir_ + "/state.json"; }
  std::string fifo() const { return dir_ + "/exec.fifo"; }

  // Creates the directory; AlreadyExists names the id.
  absl::Status Create();
  absl::Status Save(const ContainerState& st) const;
  // NotFound: "container `abc` does not exist".
  absl::StatusOr<ContainerState> Load() const;
  absl::Status Remove() const;

 private:
  std::string root_, id_, dir_;
};

// Validates a container id: [A-Za-z0-9_+.-]{1,1024}, not "." or "..".
absl::Status ValidateId(const std::string& id);

// Start time of `pid` (clock ticks since boot), 0 if it does not exist.
unsigned long long ProcessStartTime(pid_t pid);

// The live status: stopped if the init is gone (or its pid was reused),
// created while exec.fifo exists, paused if frozen, else running.
Status CurrentStatus(const ContainerState& st, const StateDir& dir);

// The spec's state JSON as `ocirun state` prints it.
nlohmann::json OciStateJson(const ContainerState& st, Status status);

// Lists the ids under root (sorted).
std::vector<std::string> ListIds(const std::string& root);

// RFC 3339 with nanoseconds, UTC.
std::string NowRfc3339();

}  // namespace skiff::runtime
