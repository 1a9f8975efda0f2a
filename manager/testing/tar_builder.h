#pragma once
// Builds tar archives in memory for tests (pax format, optionally gzip or
// zstd compressed), including hostile ones: the path and link names are
// written exactly as given, `../../etc/x` and `/abs` included.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace skiff::manager::testing {

struct TarEntry {
  enum Type { kFile, kDir, kSymlink, kHardlink, kCharDev, kBlockDev, kFifo };
  std::string path;
  Type type = kFile;
  std::string data;  // kFile
  std::string link;  // kSymlink target, kHardlink's earlier entry
  int mode = -1;     // -1: 0644 for files, 0755 for directories, 0777 for links
  uid_t uid = 0;
  gid_t gid = 0;
  unsigned dev_major = 0, dev_minor = 0;
  int64_t mtime = 1700000000;
  std::vector<std::pair<std::string, std::string>> xattrs;

  static TarEntry File(std::string path, std::string data, int mode = 0644) {
    TarEntry e;
    e.path = std::move(path), e.data = std::move(data), e.mode = mode;
    return e;
  }
  static TarEntry Dir(std::string path, int mode = 0755) {
    TarEntry e;
    e.path = std::move(path), e.type = kDir, e.mode = mode;
    return e;
  }
  static TarEntry Symlink(std::string path, std::string target) {
    TarEntry e;
    e.path = std::move(path), e.type = kSymlink, e.link = std::move(target);
    return e;
  }
  static TarEntry Hardlink(std::string path, std::string target) {
    TarEntry e;
    e.path = std::move(path), e.type = kHardlink, e.link = std::move(target);
    return e;
  }
};

enum class TarCompression { kNone, kGzip, kZstd };

absl::StatusOr<std::string> BuildTar(const std::vector<TarEntry>& entries,
                                     TarCompression compression = TarCompression::kNone);

// Writes `data` to `path` (test convenience; aborts the test on failure via
// the returned status).
absl::Status WriteTestFile(const std::string& path, const std::string& data, int mode = 0644);

}  // namespace skiff::manager::testing
