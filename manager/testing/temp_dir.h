#pragma once
// A temp directory for a test, removed with everything in it (without
// following symlinks) when the object goes away.

#include <cstdlib>
#include <string>

#include "manager/fsutil/fsutil.h"

namespace skiff::manager::testing {

class TempDir {
 public:
  // Under $TEST_TMPDIR (or /tmp), or under `base` when given (for tools
  // that want short paths).
  explicit TempDir(const char* base = nullptr) {
    if (base == nullptr) base = getenv("TEST_TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/skiff-test-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    if (!path_.empty()) (void)RemoveAll(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

}  // namespace skiff::manager::testing
