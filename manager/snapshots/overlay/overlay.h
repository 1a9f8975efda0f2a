#pragma once
// The overlayfs snapshotter. Each snapshot owns an fs/ dir; an active
// snapshot also owns a work/ dir. A committed snapshot's fs/ holds exactly
// one layer's changes (overlay whiteouts and opaque markers included) and is
// never written again; it is used read-only as a lowerdir.
//
// Mounts handed out:
//   active, no parent       bind fs/ (rw)
//   active on a chain       overlay lowerdir=<parent fs>:<grandparent fs>:...,
//                           upperdir=fs/, workdir=work/
//   view of one layer       bind <parent fs> (ro)
//   view of a chain         overlay lowerdir=... (read-only by construction)
//
// So a container's rootfs is an overlay of its image's layers (one
// committed snapshot per chain id) plus its own upper dir. Layers are
// applied straight into the upper dir of the extract snapshot with overlay
// whiteouts (apply_layer.h, WhiteoutMode::kOverlay), never through a mount.
//
// Needs root (overlay mounts, whiteout device nodes, trusted.* xattrs) and
// an upper file system overlay accepts (not overlayfs itself): check with
// Supported() and fall back to native/ otherwise.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "manager/snapshots/dir_snapshotter.h"

namespace skiff::manager {

class OverlaySnapshotter : public DirSnapshotter {
 public:
  static absl::StatusOr<std::unique_ptr<OverlaySnapshotter>> Open(const std::string& root);

  // OK when an overlay with upper and work dirs under `root` can be mounted
  // here; otherwise the reason (not root, no overlay module, `root` on a
  // file system overlay refuses as upper, ...). Mounts in a temp dir under
  // `root` and cleans up.
  static absl::Status Supported(const std::string& root);

 protected:
  absl::Status Populate(const std::string& dir, SnapshotKind kind,
                        const std::vector<std::string>& parent_fs) override;
  std::vector<Mount> MountsFor(const std::string& dir, SnapshotKind kind,
                               const std::vector<std::string>& parent_fs) override;

 private:
  using DirSnapshotter::DirSnapshotter;
};

}  // namespace skiff::manager
