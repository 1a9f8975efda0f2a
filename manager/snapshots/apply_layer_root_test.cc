// ApplyLayer as root: owners, setuid bits, device nodes, xattrs, and the
// overlay whiteout format. Skips when not root.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>

#include "common/unique_fd.h"
#include "gtest/gtest.h"
#include "manager/snapshots/apply_layer.h"
#include "manager/testing/tar_builder.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

using testing::TarEntry;

class ApplyLayerRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for owners and device nodes (uid " << geteuid() << ")";
    ASSERT_EQ(mkdir(tmp_.Sub("root").c_str(), 0755), 0);
  }
  absl::StatusOr<ApplyResult> Apply(const std::vector<TarEntry>& entries, ApplyOptions opts = {}) {
    std::string path = tmp_.Sub("layer");
    absl::Status st = testing::WriteTestFile(path, *testing::BuildTar(entries));
    if (!st.ok()) return st;
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    return ApplyLayer(fd.get(), tmp_.Sub("root"), opts);
  }
  std::string In(const std::string& rel) const { return tmp_.Sub("root/" + rel); }
  testing::TempDir tmp_;
};

TEST_F(ApplyLayerRootTest, OwnersModesAndDevices) {
  TarEntry f = TarEntry::File("bin/su", "x", 04755);
  f.uid = 1000, f.gid = 1001;
  TarEntry d = TarEntry::Dir("home/user", 0750);
  d.uid = 2000, d.gid = 2000;
  TarEntry l = TarEntry::Symlink("home/link", "user");
  l.uid = 3000, l.gid = 3001;
  TarEntry null;
  null.path = "dev/null", null.type = TarEntry::kCharDev, null.dev_major = 1, null.dev_minor = 3, null.mode = 0666;
  TarEntry loop;
  loop.path = "dev/loop0", loop.type = TarEntry::kBlockDev, loop.dev_major = 7, loop.dev_minor = 0, loop.mode = 0660;
  loop.gid = 6;
  absl::StatusOr<ApplyResult> r = Apply({f, d, l, null, loop});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->skipped_devices, 0u);
  struct stat st;
  ASSERT_EQ(lstat(In("bin/su").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  EXPECT_EQ(st.st_mode & 07777, 04755u);  // setuid survives the chown
  ASSERT_EQ(lstat(In("home/user").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 2000u);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  ASSERT_EQ(lstat(In("home/link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_uid, 3000u);
  EXPECT_EQ(st.st_gid, 3001u);
  ASSERT_EQ(lstat(In("dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(st.st_mode & 07777, 0666u);
  ASSERT_EQ(lstat(In("dev/loop0").c_str(), &st), 0);
  EXPECT_TRUE(S_ISBLK(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(7, 0));
  EXPECT_EQ(st.st_gid, 6u);
}

TEST_F(ApplyLayerRootTest, XattrsButNoForgedOverlayMetadata) {
  TarEntry f = TarEntry::File("f", "x");
  f.xattrs = {{"user.skiff", "v1"}, {"trusted.overlay.redirect", "/etc"}};
  TarEntry d = TarEntry::Dir("d");
  d.xattrs = {{"trusted.overlay.opaque", "y"}, {"trusted.skiff", "t"}};
  absl::StatusOr<ApplyResult> r = Apply({f, d});
  ASSERT_TRUE(r.ok()) << r.status();
  char buf[16] = {};
  ssize_t n = getxattr(In("f").c_str(), "user.skiff", buf, sizeof buf);
  if (n < 0 && errno == ENOTSUP) GTEST_SKIP() << "the test dir's file system has no user xattrs";
  ASSERT_EQ(n, 2) << strerror(errno);
  EXPECT_EQ(std::string(buf, 2), "v1");
  EXPECT_LT(getxattr(In("f").c_str(), "trusted.overlay.redirect", buf, sizeof buf), 0);
  EXPECT_LT(getxattr(In("d").c_str(), "trusted.overlay.opaque", buf, sizeof buf), 0);
  EXPECT_EQ(getxattr(In("d").c_str(), "trusted.skiff", buf, sizeof buf), 1);
  EXPECT_GE(r->skipped_xattrs, 2u);
}

TEST_F(ApplyLayerRootTest, OverlayWhiteoutFormat) {
  ApplyOptions opts;
  opts.whiteouts = WhiteoutMode::kOverlay;
  absl::StatusOr<ApplyResult> r =
      Apply({TarEntry::File(".wh.gone", ""), TarEntry::Dir("d"), TarEntry::File("d/.wh..wh..opq", ""),
             TarEntry::File("d/new", "n"), TarEntry::File("sub/.wh.x", "")},
            opts);
  ASSERT_TRUE(r.ok()) << r.status();
  struct stat st;
  ASSERT_EQ(lstat(In("gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  ASSERT_EQ(lstat(In("sub/x").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  char v[4] = {};
  ASSERT_EQ(getxattr(In("d").c_str(), "trusted.overlay.opaque", v, sizeof v), 1) << strerror(errno);
  EXPECT_EQ(v[0], 'y');
  ASSERT_EQ(lstat(In("d/new").c_str(), &st), 0);
}

}  // namespace
}  // namespace skiff::manager
