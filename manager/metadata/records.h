#pragma once
// The rows of skiffd's metadata store, as plain structs. The store keeps
// them; what they mean (how an image is resolved, which state moves are
// legal) belongs to the services that use them.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace skiff::manager {

// An image whose blobs are all in the content store.
struct ImageRecord {
  // The image id, "sha256:<hex>": docker's id, the digest of the config.
  std::string id;
  // What the image's names point at: an index or a manifest (digest, media
  // type and size make its OCI descriptor).
  std::string target_digest;
  std::string target_media_type;
  int64_t target_size = 0;
  // The manifest for this host's platform (== target_digest for a manifest).
  std::string manifest_digest;
  std::string config_digest;
  // From the image config; the Unix epoch when the config has none.
  absl::Time created = absl::UnixEpoch();
  // When it was loaded (or pulled) here.
  absl::Time added = absl::UnixEpoch();
  // Bytes of the uncompressed layers.
  int64_t size = 0;
};

// A name for an image: "docker.io/library/busybox:latest" -> image id. A
// reference names one image; an image has any number of references.
struct TagRecord {
  std::string reference;
  std::string image_id;
  absl::Time tagged_at = absl::UnixEpoch();
};

enum class ContainerState {
  kCreated,
  kRunning,
  kPaused,
  kRestarting,
  kRemoving,
  kExited,
  kDead,
};

// "created", "running", ... as docker prints them and the store writes them.
absl::string_view ContainerStateName(ContainerState state);
// The inverse; InvalidArgument for anything else.
absl::StatusOr<ContainerState> ParseContainerState(absl::string_view name);

struct ContainerRecord {
  // 64 hex digits.
  std::string id;
  // Unique among containers, without a leading "/".
  std::string name;
  // The image reference the user gave, and the image id it resolved to.
  std::string image;
  std::string image_id;
  // The container's configuration, as JSON; owned by the container service
  // (the store neither parses nor validates it).
  std::string config;
  ContainerState state = ContainerState::kCreated;
  // Host pid of the container's init while it runs, else 0.
  int pid = 0;
  absl::Time created = absl::UnixEpoch();
  std::optional<absl::Time> started_at;
  std::optional<absl::Time> finished_at;
  int exit_code = 0;
  int restart_count = 0;
  bool oom_killed = false;
  // Why the last start failed or the container died, for the user.
  std::string error;
  std::map<std::string, std::string> labels;
};

}  // namespace skiff::manager
