#pragma once
// `skiff pull`: an image from a registry into the content store, and (with
// PullOptions::unpack) into snapshots while it downloads.
//
// The reference's manifest (or index, from which the platform's manifest is
// chosen as platform.h describes) is fetched and verified, then the config.
// The layers are then fetched in parallel (at most `max_parallel` at once),
// each verified while it streams into the content store; blobs already
// present are not fetched. Meanwhile `unpack` runs on its own thread and
// reads each layer as it arrives (growing_blob.h), so a layer is verified,
// decompressed and unpacked in one pass over its bytes, never read back from
// disk. The manifests are stored last, so a failed pull leaves no manifest
// behind, only complete verified blobs (which the next attempt reuses).
// Recording the name -> target is the caller's job (ImageManager), with what
// PullResult returns.
//
//   PullOptions opts;
//   opts.progress = [](const PullProgress& p) { ... };
//   ASSIGN_OR_RETURN(PullResult r, Pull(*client, store, ref, opts));
//   record(ref.String(), r.target);

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "manager/content/content_store.h"
#include "manager/content/growing_blob.h"
#include "manager/images/image.h"
#include "manager/images/platform.h"
#include "manager/images/reference.h"
#include "manager/registry/client.h"

namespace skiff::manager::registry {

struct PullProgress {
  std::string id;  // the layer's short digest, as docker shows layers
  // As docker: "Pulling fs layer", "Already exists", "Downloading",
  // "Download complete", then from the unpacker "Extracting" and
  // "Pull complete".
  std::string status;
  int64_t current = 0;  // bytes so far
  int64_t total = 0;    // the descriptor's size
};

// Called from several threads, never at once.
using PullProgressFn = std::function<void(const PullProgress&)>;

// Unpacks `layers` (with the config's `diff_ids`) while they download:
// blobs[i] is layer i's blob as it arrives. `progress` is the pull's own
// reporter, safe to call from this thread. An error stops the pull (no
// further layer is fetched) and is what Pull returns.
using UnpackFn = std::function<absl::Status(
    const std::vector<Descriptor>& layers, const std::vector<Digest>& diff_ids,
    const std::vector<std::shared_ptr<GrowingBlob>>& blobs, const PullProgressFn& progress)>;

struct PullOptions {
  Platform platform = DefaultPlatform();
  int max_parallel = 3;
  PullProgressFn progress;
  UnpackFn unpack;
  // Called with every blob the pull relies on (index, manifest, config,
  // layers) once the manifest is known and before any of them is looked for
  // in the store, so the caller can keep a concurrent deletion off them.
  std::function<void(const std::vector<Digest>&)> pin;
  // Polled between blobs and as bytes arrive: true (the client went away)
  // stops every transfer, and Pull returns kCancelled having stored no
  // manifest.
  std::function<bool()> cancelled;
};

struct PullResult {
  // What the reference names: the index or manifest as the registry serves
  // it (media type, digest, size); the image's record points at this.
  Descriptor target;
  // The image resolved for the platform, named by the normalized reference.
  Image image;
};

// `client` must be the client of ref.domain().
absl::StatusOr<PullResult> Pull(RegistryClient& client, ContentStore& store, const Reference& ref,
                                const PullOptions& options = {});

}  // namespace skiff::manager::registry
