#pragma once
// An image as the manager knows it: the names that point at it and the chain
// of blobs behind them (index -> manifest -> config + layers), all present in
// the content store.
//
// ResolveImage walks that chain from a target descriptor: it picks the
// platform's manifest out of an index, reads and parses the manifest and the
// config, and checks that every blob is present with the size its
// descriptor states, that the media types are ones Skiff can run, and that
// the config lists one DiffID per layer.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "manager/content/content_store.h"
#include "manager/content/digest.h"
#include "manager/images/image_config.h"
#include "manager/images/manifest.h"
#include "manager/images/platform.h"

namespace skiff::manager {

// Upper bounds for the JSON blobs read into memory.
inline constexpr uint64_t kMaxManifestSize = 4 << 20;
inline constexpr uint64_t kMaxConfigSize = 16 << 20;

struct Image {
  // Normalized references ("docker.io/library/busybox:latest"); empty for an
  // image loaded without a name.
  std::vector<std::string> names;
  // What the names point at: an index or a manifest.
  Descriptor target;
  // The manifest for the platform (== target.digest for a plain manifest).
  Digest manifest_digest;
  Manifest manifest;
  // The image id, as docker shows it.
  Digest config_digest;
  ImageConfig config;

  const std::vector<Descriptor>& layers() const { return manifest.layers; }
  const std::vector<Digest>& diff_ids() const { return config.diff_ids; }
};

absl::StatusOr<Image> ResolveImage(const ContentStore& store, const Descriptor& target,
                                   const Platform& platform = DefaultPlatform());

}  // namespace skiff::manager
