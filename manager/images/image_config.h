#pragma once
// The image configuration (OCI image-spec config.md; Docker's
// application/vnd.docker.container.image.v1+json has the same fields):
// what a container made from the image runs, and the layers' DiffIDs.
//
// Parsing keeps what the manager uses and checks the types of those fields;
// unknown fields are ignored, so newer configs still load. Errors name the
// field: `config.Env[2]: want a string, got an integer`.

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "manager/content/digest.h"

namespace skiff::manager {

struct ContainerConfig {
  std::string user;
  std::vector<std::string> exposed_ports;  // "80/tcp", sorted
  std::vector<std::string> env;            // "KEY=value"
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> volumes;  // sorted
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
};

struct HistoryEntry {
  std::string created;  // RFC 3339, as written
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
};

struct ImageConfig {
  std::string created;
  std::string author;
  std::string architecture;
  std::string os;
  std::string variant;
  ContainerConfig config;
  std::string rootfs_type;  // "layers"
  std::vector<Digest> diff_ids;
  std::vector<HistoryEntry> history;
};

absl::StatusOr<ImageConfig> ParseImageConfig(absl::string_view text);

}  // namespace skiff::manager
