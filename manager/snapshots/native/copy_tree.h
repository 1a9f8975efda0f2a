#pragma once
// cp -a for snapshots: copies the tree under `src` into the existing empty
// directory `dst`, keeping file types (regular, dir, symlink, fifo, socket
// skipped, char/block devices), permission bits, owners (when root),
// extended attributes (where the file systems allow), timestamps, and
// hardlinks (files sharing an inode in `src` share one in `dst`). Never
// follows a symlink and never leaves `src`'s file system. `dst` takes the
// attributes of `src` itself.

#include <string>

#include "absl/status/status.h"

namespace skiff::manager {

[[nodiscard]] absl::Status CopyTree(const std::string& src, const std::string& dst);

}  // namespace skiff::manager
