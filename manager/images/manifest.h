#pragma once
// OCI image-spec descriptors, manifests and indexes (Docker schema 2
// manifests and manifest lists have the same shape and parse here too).
//
// Parse* validate what Skiff relies on (digests, sizes, media types where
// present) and report the first bad field by its path:
//   manifest: field `layers[1].digest`: invalid digest `sha256:xyz`: ...
// ToJson writes the canonical form Skiff stores (keys sorted, no spaces), so
// the same value always hashes to the same digest.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "manager/content/digest.h"

namespace skiff::manager {

// Annotation keys Skiff reads and writes.
inline constexpr char kAnnotationRefName[] = "org.opencontainers.image.ref.name";
inline constexpr char kAnnotationContainerdImageName[] = "io.containerd.image.name";

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
  std::string os_version;
  std::vector<std::string> os_features;
};

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
  std::string artifact_type;
};

struct Manifest {
  int64_t schema_version = 2;
  std::string media_type;  // may be empty in OCI manifests
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
};

struct Index {
  int64_t schema_version = 2;
  std::string media_type;  // may be empty in OCI indexes (index.json)
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

absl::StatusOr<Descriptor> ParseDescriptor(const nlohmann::json& j, absl::string_view path);
absl::StatusOr<Manifest> ParseManifest(absl::string_view text);
absl::StatusOr<Index> ParseIndex(absl::string_view text);

nlohmann::json ToJson(const Platform& p);
nlohmann::json ToJson(const Descriptor& d);
std::string ToJson(const Manifest& m);
std::string ToJson(const Index& i);

// What a manifest-ish blob is when its media type is unknown (an OCI
// document may omit mediaType): its own "mediaType" if set, else
// kOciIndex if it has "manifests", else kOciManifest if it has "config".
absl::StatusOr<std::string> SniffManifestType(absl::string_view text);

}  // namespace skiff::manager
