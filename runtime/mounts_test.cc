#include "runtime/mounts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::runtime {
namespace {

using ::testing::HasSubstr;

class OpenInRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = getenv("TEST_TMPDIR");
    top_ = std::string(base && *base ? base : "/tmp") + "/mounts_test.XXXXXX";
    ASSERT_NE(mkdtemp(top_.data()), nullptr);
    root_ = top_ + "/rootfs";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    root_fd_.reset(open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_fd_.valid());
  }

  // True when `fd` refers to the file at host path `path`.
  static bool Same(int fd, const std::string& path) {
    struct stat a, b;
    if (fstat(fd, &a) != 0 || lstat(path.c_str(), &b) != 0) return false;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
  }

  static bool Exists(const std::string& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
  }

  std::string top_, root_;
  UniqueFd root_fd_;
};

TEST(FdPathTest, Format) {
  EXPECT_EQ(FdPath(0), "/proc/self/fd/0");
  EXPECT_EQ(FdPath(17), "/proc/self/fd/17");
}

TEST_F(OpenInRootTest, RootItself) {
  for (const char* p : {"/", "", "//"}) {
    auto fd = OpenInRoot(root_fd_.get(), p, TargetKind::kDir);
    ASSERT_TRUE(fd.ok()) << p << ": " << fd.status();
    EXPECT_TRUE(Same(fd->get(), root_)) << p;
    EXPECT_NE(fd->get(), root_fd_.get());
  }
}

TEST_F(OpenInRootTest, CreatesNestedDirs) {
  auto fd = OpenInRoot(root_fd_.get(), "/a/b/c", TargetKind::kDir);
  ASSERT_TRUE(fd.ok()) << fd.status();
  struct stat st;
  ASSERT_EQ(stat((root_ + "/a/b/c").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(Same(fd->get(), root_ + "/a/b/c"));
  // O_PATH, close-on-exec.
  EXPECT_EQ(fcntl(fd->get(), F_GETFL) & O_PATH, O_PATH);
  EXPECT_TRUE(fcntl(fd->get(), F_GETFD) & FD_CLOEXEC);

  // Existing paths open without change; a trailing slash and `.` are fine.
  auto again = OpenInRoot(root_fd_.get(), "a/./b/c/", TargetKind::kDir);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(Same(again->get(), root_ + "/a/b/c"));
}

TEST_F(OpenInRootTest, FileKindCreatesFile) {
  auto fd = OpenInRoot(root_fd_.get(), "/etc/resolv.conf", TargetKind::kFile);
  ASSERT_TRUE(fd.ok()) << fd.status();
  struct stat st;
  ASSERT_EQ(lstat((root_ + "/etc/resolv.conf").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_TRUE(Same(fd->get(), root_ + "/etc/resolv.conf"));
  ASSERT_EQ(lstat((root_ + "/etc").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST_F(OpenInRootTest, AbsoluteSymlinkResolvesInsideRoot) {
  std::string outside = absl::StrCat("/tmp/outside-", getpid());
  ASSERT_FALSE(Exists(outside)) << outside << " exists already";
  ASSERT_EQ(symlink(outside.c_str(), (root_ + "/evil").c_str()), 0);

  auto fd = OpenInRoot(root_fd_.get(), "/evil/sub", TargetKind::kDir);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_FALSE(Exists(outside)) << "created on the host";
  EXPECT_TRUE(Exists(root_ + outside + "/sub"));
  EXPECT_TRUE(Same(fd->get(), root_ + outside + "/sub"));

  // The link itself as the target.
  auto link = OpenInRoot(root_fd_.get(), "/evil", TargetKind::kDir);
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_TRUE(Same(link->get(), root_ + outside));
  EXPECT_FALSE(Exists(outside));
}

TEST_F(OpenInRootTest, DanglingSymlinkAsFileTarget) {
  std::string outside = absl::StrCat("/tmp/outside-file-", getpid());
  ASSERT_FALSE(Exists(outside));
  ASSERT_EQ(symlink(outside.c_str(), (root_ + "/evilfile").c_str()), 0);
  auto fd = OpenInRoot(root_fd_.get(), "/evilfile", TargetKind::kFile);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_FALSE(Exists(outside)) << "created on the host";
  struct stat st;
  ASSERT_EQ(lstat((root_ + outside).c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_TRUE(Same(fd->get(), root_ + outside));
}

TEST_F(OpenInRootTest, RelativeSymlinkCannotClimbOut) {
  // rootfs/d/up -> ../../../../victim  lands on rootfs/victim.
  ASSERT_EQ(mkdir((root_ + "/d").c_str(), 0755), 0);
  ASSERT_EQ(symlink("../../../../victim", (root_ + "/d/up").c_str()), 0);
  auto fd = OpenInRoot(root_fd_.get(), "/d/up/x", TargetKind::kDir);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_TRUE(Exists(root_ + "/victim/x"));
  EXPECT_FALSE(Exists(top_ + "/victim"));
  EXPECT_TRUE(Same(fd->get(), root_ + "/victim/x"));
}

TEST_F(OpenInRootTest, RelativeSymlinkWithinRoot) {
  ASSERT_EQ(mkdir((root_ + "/usr").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((root_ + "/usr/lib").c_str(), 0755), 0);
  ASSERT_EQ(symlink("usr/lib", (root_ + "/lib").c_str()), 0);
  auto fd = OpenInRoot(root_fd_.get(), "/lib/modules", TargetKind::kDir);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_TRUE(Same(fd->get(), root_ + "/usr/lib/modules"));
}

TEST_F(OpenInRootTest, DotDotStaysInside) {
  ASSERT_EQ(mkdir((root_ + "/etc").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((top_ + "/etc").c_str(), 0755), 0);  // what an escape would reach
  auto fd = OpenInRoot(root_fd_.get(), "../../etc", TargetKind::kDir);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_TRUE(Same(fd->get(), root_ + "/etc"));

  // Missing components after `..` are created inside too.
  auto made = OpenInRoot(root_fd_.get(), "/a/../../../newdir/x", TargetKind::kDir);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_TRUE(Same(made->get(), root_ + "/newdir/x"));
  EXPECT_FALSE(Exists(top_ + "/newdir"));
  EXPECT_FALSE(Exists("/newdir"));
}

TEST_F(OpenInRootTest, MissingWithoutCreateNamesPath) {
  auto fd = OpenInRoot(root_fd_.get(), "/not/there", TargetKind::kDir, /*create=*/false);
  ASSERT_FALSE(fd.ok());
  EXPECT_TRUE(absl::IsNotFound(fd.status())) << fd.status();
  EXPECT_THAT(std::string(fd.status().message()), HasSubstr("/not/there"));
  EXPECT_FALSE(Exists(root_ + "/not"));
}

TEST_F(OpenInRootTest, SymlinkLoopFails) {
  ASSERT_EQ(symlink("b", (root_ + "/a").c_str()), 0);
  ASSERT_EQ(symlink("a", (root_ + "/b").c_str()), 0);
  auto fd = OpenInRoot(root_fd_.get(), "/a/x", TargetKind::kDir);
  EXPECT_FALSE(fd.ok());
}

TEST_F(OpenInRootTest, FileInTheMiddleFails) {
  ASSERT_TRUE(OpenInRoot(root_fd_.get(), "/f", TargetKind::kFile).ok());
  auto fd = OpenInRoot(root_fd_.get(), "/f/x", TargetKind::kDir);
  ASSERT_FALSE(fd.ok());
  EXPECT_THAT(std::string(fd.status().message()), HasSubstr("/f"));
}

}  // namespace
}  // namespace skiff::runtime
