#include "manager/fsutil/fsutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file_util.h"
#include "gtest/gtest.h"
#include "manager/testing/tar_builder.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

bool Exists(const std::string& p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0;
}

TEST(FsutilTest, MakeDirsAndRemoveAllNeverFollowLinks) {
  testing::TempDir tmp;
  ASSERT_TRUE(MakeDirs(tmp.Sub("a/b/c")).ok());
  ASSERT_TRUE(MakeDirs(tmp.Sub("a/b/c")).ok());  // idempotent
  ASSERT_TRUE(MakeDirs(tmp.Sub("keep")).ok());
  ASSERT_TRUE(testing::WriteTestFile(tmp.Sub("keep/precious"), "x").ok());
  ASSERT_EQ(symlink(tmp.Sub("keep").c_str(), tmp.Sub("a/b/link").c_str()), 0);
  ASSERT_TRUE(testing::WriteTestFile(tmp.Sub("a/b/c/f"), "y").ok());
  ASSERT_TRUE(RemoveAll(tmp.Sub("a")).ok());
  EXPECT_FALSE(Exists(tmp.Sub("a")));
  EXPECT_EQ(*ReadFile(tmp.Sub("keep/precious")), "x");
  EXPECT_TRUE(RemoveAll(tmp.Sub("missing")).ok());
  EXPECT_FALSE(RemoveAll(tmp.Sub("keep/..")).ok());

  ASSERT_TRUE(testing::WriteTestFile(tmp.Sub("file"), "").ok());
  absl::Status st = MakeDirs(tmp.Sub("file/sub"));
  EXPECT_FALSE(st.ok());
}

TEST(FsutilTest, WriteFileDurableReplaces) {
  testing::TempDir tmp;
  ASSERT_TRUE(WriteFileDurable(tmp.Sub("f"), "one").ok());
  ASSERT_TRUE(WriteFileDurable(tmp.Sub("f"), "two", 0600).ok());
  EXPECT_EQ(*ReadFile(tmp.Sub("f")), "two");
}

TEST(FsutilTest, DirUsageCountsHardlinksOnce) {
  testing::TempDir tmp;
  ASSERT_TRUE(MakeDirs(tmp.Sub("d/sub")).ok());
  ASSERT_TRUE(testing::WriteTestFile(tmp.Sub("d/sub/f"), std::string(100000, 'x')).ok());
  ASSERT_EQ(link(tmp.Sub("d/sub/f").c_str(), tmp.Sub("d/hard").c_str()), 0);
  ASSERT_EQ(symlink("/", tmp.Sub("d/root").c_str()), 0);
  absl::StatusOr<DiskUsage> u = DirUsage(tmp.Sub("d"));
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->inodes, 4);  // d, sub, f (== hard), root link
  EXPECT_GE(u->bytes, 100000);
  EXPECT_LT(u->bytes, 1000000);  // the symlink to / was not followed
}

TEST(FsutilTest, MakeTempDir) {
  testing::TempDir tmp;
  absl::StatusOr<std::string> d = MakeTempDir(tmp.path(), "x-");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(Exists(*d));
  EXPECT_FALSE(MakeTempDir(tmp.Sub("nope"), "x-").ok());
}

}  // namespace
}  // namespace skiff::manager
