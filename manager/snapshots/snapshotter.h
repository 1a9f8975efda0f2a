#pragma once
// Snapshotters keep the file system trees of images and containers, in
// containerd's model. A snapshot is a tree with a key; it is one of:
//
//   active     writable, presented by the mounts Prepare returned;
//   view       read-only, presented by the mounts View returned;
//   committed  immutable; only usable as the parent of other snapshots.
//
// The story of an image's layers and a container's rootfs:
//
//   1. Unpacking layer N: Prepare("extract-<chain id N>", <chain id N-1>)
//      makes an active snapshot on top of the layer below (or of nothing for
//      the first layer) and returns its mounts. The layer is applied into it
//      (apply_layer.h; unpack.h does all of this), then
//      Commit(<chain id N>, "extract-<chain id N>") turns it into the
//      committed snapshot named by its chain id. The extract key is gone. A
//      layer is unpacked once: the next image with the same chain finds the
//      committed snapshot by Stat and skips it.
//   2. A container: Prepare(<container id>, <chain id of the top layer>)
//      gives the writable rootfs; the daemon mounts it (mount.h) into the
//      bundle. `docker commit` would Commit it; deleting the container
//      unmounts it and Removes it.
//   3. Remove(key) deletes an active, view or committed snapshot; a
//      committed one is refused while another snapshot has it as parent
//      (FailedPrecondition names a dependent).
//
// Errors: NotFound for unknown keys, AlreadyExists for taken keys or names,
// FailedPrecondition for moves the lifecycle forbids (committing a view,
// preparing on an active parent, removing a parent).
//
// Crash safety: every state change is one rename or one atomic file
// replacement; a snapshot is visible complete or not at all, and half-done
// work is swept away when the snapshotter is opened. An active extract-*
// snapshot left by a crash during unpacking is ordinary state: unpack.h
// removes those.
//
// Implementations: overlay/ (overlayfs; needs root and a file system that
// overlay accepts as upper) and native/ (full copies; works anywhere).
// Both are safe to use from several threads.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "manager/snapshots/mount.h"

namespace skiff::manager {

enum class SnapshotKind { kActive, kView, kCommitted };
const char* SnapshotKindName(SnapshotKind k);

struct SnapshotInfo {
  std::string key;     // the name, for a committed snapshot
  std::string parent;  // "" when it has none
  SnapshotKind kind = SnapshotKind::kActive;
  int64_t created = 0;  // unix seconds
};

struct SnapshotUsage {
  int64_t bytes = 0;   // disk blocks in use, hardlinked files counted once
  int64_t inodes = 0;
};

class Snapshotter {
 public:
  virtual ~Snapshotter() = default;

  virtual absl::StatusOr<SnapshotInfo> Stat(const std::string& key) = 0;

  // A writable snapshot `key` on top of the committed snapshot `parent`
  // ("" for an empty tree), and the mounts that present it.
  virtual absl::StatusOr<std::vector<Mount>> Prepare(const std::string& key,
                                                     const std::string& parent) = 0;
  // A read-only snapshot `key` of the committed `parent`.
  virtual absl::StatusOr<std::vector<Mount>> View(const std::string& key,
                                                  const std::string& parent) = 0;
  // The mounts of an active snapshot or a view, again.
  virtual absl::StatusOr<std::vector<Mount>> Mounts(const std::string& key) = 0;

  // Active `key` becomes committed `name`. Nothing may be mounted from it any
  // more.
  virtual absl::Status Commit(const std::string& name, const std::string& key) = 0;

  // Deletes the snapshot and its files. It must not be mounted.
  virtual absl::Status Remove(const std::string& key) = 0;

  // Calls `fn` for every snapshot (in key order); stops at its first error.
  virtual absl::Status Walk(const std::function<absl::Status(const SnapshotInfo&)>& fn) = 0;

  // The space the snapshot's own files use (not its parents').
  virtual absl::StatusOr<SnapshotUsage> Usage(const std::string& key) = 0;
};

}  // namespace skiff::manager
