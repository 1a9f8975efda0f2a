#pragma once
// The copying snapshotter, for where overlay cannot be used (not root, a
// root dir on overlayfs or another file system overlay refuses). Every
// snapshot's fs/ is a complete tree: Prepare and View copy the parent's
// tree (copy_tree.h), and layers are applied with OCI whiteouts turned into
// deletions (WhiteoutMode::kDelete). Each snapshot is presented by a bind
// mount of its fs/ (rw for active, ro for a view), or used as a plain
// directory by callers that cannot mount.
//
// Costs a full copy per layer and per container; works as any user on any
// file system (owners and device nodes need root).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "manager/snapshots/dir_snapshotter.h"

namespace skiff::manager {

class NativeSnapshotter : public DirSnapshotter {
 public:
  static absl::StatusOr<std::unique_ptr<NativeSnapshotter>> Open(const std::string& root);

 protected:
  absl::Status Populate(const std::string& dir, SnapshotKind kind,
                        const std::vector<std::string>& parent_fs) override;
  std::vector<Mount> MountsFor(const std::string& dir, SnapshotKind kind,
                               const std::vector<std::string>& parent_fs) override;

 private:
  using DirSnapshotter::DirSnapshotter;
};

}  // namespace skiff::manager
