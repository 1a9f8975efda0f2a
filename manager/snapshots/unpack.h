#pragma once
// Unpacking an image's layers into snapshots, each layer stack once:
//
//   for layer i:  chain = ChainID(diff_ids[0..i])
//                 committed snapshot `chain` exists  -> skip (shared with
//                                                       another image)
//                 else Prepare("extract-<n>-<chain>", <chain of i-1>),
//                      ApplyLayer into it with the DiffID checked,
//                      Commit(chain, key); on any error Remove(key).
//
// The apply target comes from the mounts Prepare returns, as containerd
// does: a bind mount is a full tree (native, or overlay's bottom layer) and
// gets OCI whiteouts as deletions; an overlay mount's upperdir gets
// overlay whiteouts, with its lowerdirs as the layers below. Nothing is
// mounted.
//
// Returns the chain ids; the last one is what a container's rootfs is
// prepared on. Two unpacks of the same layers may race: the loser of the
// Commit drops its copy and uses the winner's.

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "common/byte_source.h"
#include "manager/content/content_store.h"
#include "manager/content/digest.h"
#include "manager/images/manifest.h"
#include "manager/snapshots/snapshotter.h"

namespace skiff::manager {

// How a pull unpacks layers while they download (registry/pull.h).
struct UnpackHooks {
  // Layer i's (compressed) blob as a stream. Default: its file in the
  // content store. A source that fails with kAborted (its download restarted
  // from the first byte) is opened again and the layer applied afresh.
  std::function<absl::StatusOr<ByteSource>(size_t i)> open;
  // Called after layer i is applied and before its snapshot is committed;
  // an error (the blob failed verification) fails the unpack.
  std::function<absl::Status(size_t i)> verify;
  // Layer i is committed; `existed` when it already was and nothing was
  // done, else with the size of its uncompressed tar.
  std::function<void(size_t i, bool existed, uint64_t uncompressed_size)> done;
};

absl::StatusOr<std::vector<Digest>> UnpackLayers(Snapshotter& snapshotter,
                                                 const ContentStore& store,
                                                 const std::vector<Descriptor>& layers,
                                                 const std::vector<Digest>& diff_ids,
                                                 const UnpackHooks& hooks = {});

// A layer's blob from the content store as a stream (UnpackHooks::open's
// default).
absl::StatusOr<ByteSource> OpenStoredLayer(const ContentStore& store, const Descriptor& layer);

// Removes the active extract-* snapshots a crash during UnpackLayers left
// behind. Call once at start, before any unpack runs.
absl::Status RemoveStaleExtractions(Snapshotter& snapshotter);

}  // namespace skiff::manager
