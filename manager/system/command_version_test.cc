#include "manager/system/command_version.h"

#include <sys/stat.h>

#include <string>

#include "common/file_util.h"
#include "gtest/gtest.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

std::string Script(const testing::TempDir& dir, const std::string& name, const std::string& body,
                   int mode = 0755) {
  const std::string path = dir.Sub(name);
  EXPECT_TRUE(WriteFileAtomic(path, "#!/bin/sh\n" + body + "\n", mode).ok());
  return path;
}

TEST(CommandVersion, FirstLineOfOutput) {
  testing::TempDir dir;
  std::string bin = Script(dir, "ocirun",
                           "[ \"$1\" = --version ] || exit 3\n"
                           "echo; echo 'ocirun version 0.1.0'; echo 'commit: abc'");
  absl::StatusOr<std::string> v = CommandVersion(bin);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, "ocirun version 0.1.0");
}

TEST(CommandVersion, MissingBinary) {
  absl::StatusOr<std::string> v = CommandVersion("/nonexistent/ocirun");
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(absl::IsNotFound(v.status())) << v.status();
  EXPECT_NE(v.status().message().find("/nonexistent/ocirun"), absl::string_view::npos);
}

TEST(CommandVersion, NotExecutable) {
  testing::TempDir dir;
  std::string bin = Script(dir, "ocirun", "echo 1.0", 0644);
  absl::StatusOr<std::string> v = CommandVersion(bin);
  ASSERT_FALSE(v.ok());
  // Root may execute nothing without an x bit either.
  EXPECT_TRUE(absl::IsPermissionDenied(v.status())) << v.status();
}

TEST(CommandVersion, FailingBinaryReportsItsOutput) {
  testing::TempDir dir;
  std::string bin = Script(dir, "ocirun", "echo 'unknown flag' >&2; exit 2");
  absl::StatusOr<std::string> v = CommandVersion(bin);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("exit status 2"), absl::string_view::npos) << v.status();
  EXPECT_NE(v.status().message().find("unknown flag"), absl::string_view::npos) << v.status();
}

TEST(CommandVersion, HangingBinaryIsKilled) {
  testing::TempDir dir;
  std::string bin = Script(dir, "ocirun", "exec sleep 30");
  absl::Time start = absl::Now();
  absl::StatusOr<std::string> v = CommandVersion(bin, absl::Milliseconds(200));
  EXPECT_TRUE(absl::IsDeadlineExceeded(v.status())) << v.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

}  // namespace
}  // namespace skiff::manager
