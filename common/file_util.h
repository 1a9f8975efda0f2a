#pragma once
// Small file helpers used by several binaries.

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace skiff {

absl::StatusOr<std::string> ReadFile(const std::string& path);

// Writes `data` to `path` atomically: a temp file in the same directory,
// fsync-free (state under /run is tmpfs), then rename(2). Readers see the old
// or the new content, never a partial one.
absl::Status WriteFileAtomic(const std::string& path, absl::string_view data, int mode = 0644);

// Writes `data` to an existing file (cgroup and /proc knobs): one write(2).
absl::Status WriteFile(const std::string& path, absl::string_view data);

}  // namespace skiff
