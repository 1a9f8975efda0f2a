#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"
#include "manager/containers/spec_builder.h"

namespace skiff::manager {
namespace {

using Gids = std::vector<uint32_t>;

class ResolveUserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string tmpl = std::string(tmp ? tmp : "/tmp") + "/rootfsXXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    rootfs_ = tmpl;
    ASSERT_EQ(mkdir((rootfs_ + "/etc").c_str(), 0755), 0);
  }
  void Write(const std::string& rel, const std::string& content) {
    std::ofstream(rootfs_ + "/" + rel) << content;
  }
  void Passwd() {
    Write("etc/passwd",
          "root:x:0:0:root:/root:/bin/sh\n"
          "# a comment\n"
          "broken line\n"
          "app:x:1000:1000:App:/home/app:/bin/sh\n"
          "www:x:33:33::/var/www:/bin/false\n");
    Write("etc/group",
          "root:x:0:\n"
          "tty:x:5:app\n"
          "audio:x:29:app,www\n"
          "app:x:1000:\n"
          "staff:x:50:\n");
  }
  std::string rootfs_;
};

TEST_F(ResolveUserTest, EmptyIsRootWithItsHome) {
  Passwd();
  auto u = ResolveUser(rootfs_, "");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->uid, 0u);
  EXPECT_EQ(u->gid, 0u);
  EXPECT_EQ(u->home, "/root");
  EXPECT_TRUE(u->additional_gids.empty());
}

TEST_F(ResolveUserTest, NameGivesIdsHomeAndMemberships) {
  Passwd();
  auto u = ResolveUser(rootfs_, "app");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(u->gid, 1000u);
  EXPECT_EQ(u->home, "/home/app");
  EXPECT_EQ(u->additional_gids, (Gids{5, 29}));
}

TEST_F(ResolveUserTest, UidMatchesTheEntry) {
  Passwd();
  auto u = ResolveUser(rootfs_, "33");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->gid, 33u);
  EXPECT_EQ(u->home, "/var/www");
  EXPECT_EQ(u->additional_gids, Gids{29});
}

TEST_F(ResolveUserTest, ExplicitGroupReplacesPrimaryAndMemberships) {
  Passwd();
  auto u = ResolveUser(rootfs_, "app:staff");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(u->gid, 50u);
  EXPECT_TRUE(u->additional_gids.empty());
  u = ResolveUser(rootfs_, "app:4242");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->gid, 4242u);
}

TEST_F(ResolveUserTest, NumericIdsNeedNoEntry) {
  Passwd();
  auto u = ResolveUser(rootfs_, "4000:4001");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 4000u);
  EXPECT_EQ(u->gid, 4001u);
  EXPECT_EQ(u->home, "/");
  u = ResolveUser(rootfs_, "4000");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->gid, 0u);
}

TEST_F(ResolveUserTest, NoPasswdFileStillTakesNumericIds) {
  auto u = ResolveUser(rootfs_, "1000:1000");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_FALSE(ResolveUser(rootfs_, "app").ok());
}

TEST_F(ResolveUserTest, UnknownNamesAreInvalidArgument) {
  Passwd();
  auto u = ResolveUser(rootfs_, "nobody");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(u.status().message(), "unable to find user nobody: no matching entries in passwd file");
  u = ResolveUser(rootfs_, "app:wheel");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().message(), "unable to find group wheel: no matching entries in group file");
}

TEST_F(ResolveUserTest, OutOfRangeIdsAreRejected) {
  Passwd();
  EXPECT_EQ(ResolveUser(rootfs_, "4294967295").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ResolveUser(rootfs_, "0:99999999999").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ResolveUserTest, GroupAddByNameOrId) {
  Passwd();
  auto u = ResolveUser(rootfs_, "app", {"staff", "777", "audio"});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->additional_gids, (Gids{5, 29, 50, 777}));
  auto bad = ResolveUser(rootfs_, "app", {"nosuchgroup"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("nosuchgroup"), absl::string_view::npos);
}

TEST_F(ResolveUserTest, AbsoluteSymlinkResolvesInsideTheRootfs) {
  // /etc/passwd -> /etc/passwd.real must read the rootfs's file, not the host's.
  Write("etc/passwd.real", "evil:x:0:0::/evil:/bin/sh\n");
  ASSERT_EQ(symlink("/etc/passwd.real", (rootfs_ + "/etc/passwd").c_str()), 0);
  auto u = ResolveUser(rootfs_, "evil");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->home, "/evil");
  EXPECT_FALSE(ResolveUser(rootfs_, "daemon").ok());  // the host has a daemon user
}

TEST_F(ResolveUserTest, DotDotSymlinkCannotEscape) {
  // Outside the rootfs, a file a traversal would hit.
  std::ofstream(rootfs_ + "/../outside_passwd") << "escaped:x:0:0::/escaped:/bin/sh\n";
  ASSERT_EQ(symlink("../../../../../../../../../outside_passwd", (rootfs_ + "/etc/passwd").c_str()),
            0);
  auto u = ResolveUser(rootfs_, "escaped");
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find("unable to find user escaped"), absl::string_view::npos);
  // Also for a symlinked /etc directory.
  ASSERT_EQ(unlink((rootfs_ + "/etc/passwd").c_str()), 0);
  ASSERT_EQ(rmdir((rootfs_ + "/etc").c_str()), 0);
  ASSERT_EQ(symlink("/../../../../etc", (rootfs_ + "/etc").c_str()), 0);
  EXPECT_FALSE(ResolveUser(rootfs_, "root:daemon").ok());
}

TEST_F(ResolveUserTest, ProcSymlinkResolvesInsideTheRootfs) {
  ASSERT_EQ(symlink("/proc/self/root/etc/passwd", (rootfs_ + "/etc/passwd").c_str()), 0);
  // Inside the rootfs /proc is empty: nothing to read, so no "daemon".
  EXPECT_FALSE(ResolveUser(rootfs_, "daemon").ok());
}

TEST_F(ResolveUserTest, FifoDoesNotHang) {
  ASSERT_EQ(mkfifo((rootfs_ + "/etc/passwd").c_str(), 0644), 0);
  auto u = ResolveUser(rootfs_, "app");
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find("not a regular file"), absl::string_view::npos);
}

TEST_F(ResolveUserTest, MissingRootfsNamesIt) {
  auto u = ResolveUser(rootfs_ + "/nope", "");
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find(rootfs_ + "/nope"), absl::string_view::npos);
}

}  // namespace
}  // namespace skiff::manager
