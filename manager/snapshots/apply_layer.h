#pragma once
// Applies one layer (a tar stream, uncompressed, gzip or zstd) onto a
// directory, as the OCI image-spec's layer changeset rules say:
//
//  - files, directories, symlinks, hardlinks, fifos and device nodes are
//    created with the tar's modes, owners (root only; otherwise the caller
//    owns them), extended attributes (where the file system and privileges
//    allow; SCHILY.xattr.* pax records) and modification times;
//  - an existing entry is replaced: a non-directory replaces whatever was
//    there, a directory keeps an existing directory and takes the entry's
//    attributes;
//  - `.wh.<name>` deletes <name>, and `.wh..wh..opq` hides what the layers
//    below put in its directory: in WhiteoutMode::kDelete by deleting them
//    (a merged tree: the native snapshotter), in kOverlay by writing
//    overlayfs's own markers (a 0/0 character device for a whiteout, the
//    trusted.overlay.opaque=y xattr for an opaque dir) into an upper dir.
//
// It never writes outside `target`. An entry is rejected, and the whole
// apply fails with an error naming it, when its path or a hardlink's target
// is absolute or has a `..` component, or when reaching it would go through
// a symlink (a layer that makes `link -> /etc` and then writes
// `link/passwd`): directories are opened one component at a time with
// O_NOFOLLOW (after an openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS fast
// path), and every file is created with O_EXCL|O_NOFOLLOW under an fd of its
// real parent. A failed apply leaves `target` partly written: callers apply
// into a fresh snapshot and remove it on error (unpack.h does).
//
// The DiffID (sha256 of the uncompressed tar, to its very last byte) is
// computed while unpacking and checked against `expected_diff_id`.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/byte_source.h"
#include "manager/content/digest.h"

namespace skiff::manager {

enum class WhiteoutMode { kDelete, kOverlay };

struct ApplyOptions {
  WhiteoutMode whiteouts = WhiteoutMode::kDelete;
  // For kOverlay: the lower layers' dirs, nearest first. A parent directory
  // that the layer's tar does not list is created in the upper dir with the
  // attributes it has in the nearest lower layer (else 0755 root), and is
  // refused if a lower layer has a non-directory there (the merged tree
  // would show a symlink or file).
  std::vector<std::string> lower_dirs;
  // Give entries the tar's owners. Default: when running as root.
  std::optional<bool> same_owner;
  std::optional<Digest> expected_diff_id;
};

struct ApplyResult {
  Digest diff_id;
  uint64_t uncompressed_size = 0;
  uint64_t entries = 0;
  // Device nodes skipped because mknod was not permitted (not root).
  uint64_t skipped_devices = 0;
  // Extended attributes the file system or privileges refused.
  uint64_t skipped_xattrs = 0;
};

// Reads the layer from `layer_fd` (from its current offset) into the
// existing directory `target`.
absl::StatusOr<ApplyResult> ApplyLayer(int layer_fd, const std::string& target,
                                       const ApplyOptions& options = {});
// Reads the layer from `layer` (a blob still downloading, growing_blob.h).
absl::StatusOr<ApplyResult> ApplyLayer(ByteSource layer, const std::string& target,
                                       const ApplyOptions& options = {});

}  // namespace skiff::manager
