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

#include <vector>

#include "absl/status/statusor.h"
#include "manager/content/content_store.h"
#include "manager/content/digest.h"
#include "manager/images/manifest.h"
#include "manager/snapshots/snapshotter.h"

namespace skiff::manager {

absl::StatusOr<std::vector<Digest>> UnpackLayers(Snapshotter& snapshotter,
                                                 const ContentStore& store,
                                                 const std::vector<Descriptor>& layers,
                                                 const std::vector<Digest>& diff_ids);

// Removes the active extract-* snapshots a crash during UnpackLayers left
// behind. Call once at start, before any unpack runs.
absl::Status RemoveStaleExtractions(Snapshotter& snapshotter);

}  // namespace skiff::manager
