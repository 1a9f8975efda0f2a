#pragma once
// File system helpers shared by the manager's storage packages. None of them
// follows a symlink below the path it is given: RemoveAll deletes a link,
// never what it points to.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace skiff::manager {

// mkdir -p: creates `path` and its missing parents with `mode`.
[[nodiscard]] absl::Status MakeDirs(const std::string& path, int mode = 0755);

// rm -rf of `path`. OK when it does not exist.
[[nodiscard]] absl::Status RemoveAll(const std::string& path);
// rm -rf of `name` inside the directory `dirfd`; `name` is one component.
[[nodiscard]] absl::Status RemoveAllAt(int dirfd, const std::string& name);
// Removes everything inside the directory `dirfd`, keeping the directory.
[[nodiscard]] absl::Status RemoveChildren(int dirfd, absl::string_view what);

// Writes all of `data` (retrying short writes and EINTR); errors name `what`.
[[nodiscard]] absl::Status WriteAll(int fd, absl::string_view data, absl::string_view what);
// read(2) that retries EINTR.
ssize_t ReadRetry(int fd, void* buf, size_t n);

// fsync of a directory, so a rename or unlink in it survives a crash.
[[nodiscard]] absl::Status FsyncDir(const std::string& dir);

// Replaces `path` with `data` durably: temp file, fsync, rename, fsync of
// the directory. Readers (and a crash) see the old or the new content.
[[nodiscard]] absl::Status WriteFileDurable(const std::string& path, absl::string_view data,
                                            int mode = 0644);

struct DiskUsage {
  int64_t bytes = 0;   // st_blocks * 512; a hardlinked inode counts once
  int64_t inodes = 0;
};
// du of a tree, without following symlinks or crossing into mounts below it.
absl::StatusOr<DiskUsage> DirUsage(const std::string& path);

// A fresh directory "<parent>/<prefix>XXXXXX".
absl::StatusOr<std::string> MakeTempDir(const std::string& parent, absl::string_view prefix);

}  // namespace skiff::manager
