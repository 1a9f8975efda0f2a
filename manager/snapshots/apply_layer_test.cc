// ApplyLayer as any user: the tree it makes, OCI whiteouts as deletions, the
// DiffID, and hostile layers that try to write outside the target.

#include "manager/snapshots/apply_layer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/file_util.h"
#include "common/unique_fd.h"
#include "gtest/gtest.h"
#include "manager/testing/tar_builder.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

using testing::TarCompression;
using testing::TarEntry;

class ApplyLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mkdir(tmp_.Sub("root").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(tmp_.Sub("outside").c_str(), 0755), 0);
    ASSERT_TRUE(testing::WriteTestFile(tmp_.Sub("outside/secret"), "host data").ok());
  }

  absl::StatusOr<ApplyResult> Apply(const std::vector<TarEntry>& entries,
                                    TarCompression c = TarCompression::kNone,
                                    ApplyOptions opts = {}) {
    absl::StatusOr<std::string> tar = testing::BuildTar(entries, c);
    if (!tar.ok()) return tar.status();
    last_raw_ = *testing::BuildTar(entries);
    std::string path = tmp_.Sub("layer" + std::to_string(n_++));
    absl::Status st = testing::WriteTestFile(path, *tar);
    if (!st.ok()) return st;
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!opts.same_owner.has_value()) opts.same_owner = false;
    return ApplyLayer(fd.get(), Root(), opts);
  }

  std::string Root() const { return tmp_.Sub("root"); }
  std::string In(const std::string& rel) const { return tmp_.Sub("root/" + rel); }
  bool Exists(const std::string& p) const {
    struct stat st;
    return lstat(p.c_str(), &st) == 0;
  }

  // The outside world is untouched.
  void ExpectOutsideIntact() {
    EXPECT_EQ(*ReadFile(tmp_.Sub("outside/secret")), "host data");
    EXPECT_FALSE(Exists(tmp_.Sub("outside/passwd")));
    EXPECT_FALSE(Exists(tmp_.Sub("x")));
  }

  void ExpectRejected(const std::vector<TarEntry>& entries, const std::string& entry,
                      const std::string& why) {
    absl::StatusOr<ApplyResult> r = Apply(entries);
    ASSERT_FALSE(r.ok()) << "applied a hostile layer; entry " << entry;
    EXPECT_NE(r.status().message().find("layer entry `" + entry + "`"), absl::string_view::npos)
        << r.status();
    EXPECT_NE(r.status().message().find(why), absl::string_view::npos) << r.status();
    ExpectOutsideIntact();
  }

  testing::TempDir tmp_;
  std::string last_raw_;
  int n_ = 0;
};

TEST_F(ApplyLayerTest, BuildsTheTree) {
  TarEntry exe = TarEntry::File("usr/bin/tool", "#!/bin/sh\n", 0755);
  exe.mtime = 1111111111;
  TarEntry dir = TarEntry::Dir("var/empty", 0700);
  dir.mtime = 1222222222;
  TarEntry fifo;
  fifo.path = "run/fifo";
  fifo.type = TarEntry::kFifo;
  fifo.mode = 0640;
  absl::StatusOr<ApplyResult> r = Apply({
      TarEntry::Dir("usr"), TarEntry::Dir("usr/bin"), exe,
      TarEntry::Symlink("usr/bin/sh", "tool"), TarEntry::Hardlink("usr/bin/tool2", "usr/bin/tool"),
      TarEntry::Symlink("abs", "/etc/passwd"),  // symlinks may point anywhere
      dir, TarEntry::File("deep/implicit/parents/file", "x"), fifo,
      TarEntry::File("./dotslash", "y"),
  });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->diff_id, Sha256Of(last_raw_));
  EXPECT_EQ(r->uncompressed_size, last_raw_.size());
  EXPECT_EQ(r->entries, 10u);
  EXPECT_EQ(*ReadFile(In("usr/bin/tool")), "#!/bin/sh\n");
  struct stat st, st2;
  ASSERT_EQ(stat(In("usr/bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_mtime, 1111111111);
  ASSERT_EQ(stat(In("usr/bin/tool2").c_str(), &st2), 0);
  EXPECT_EQ(st.st_ino, st2.st_ino);
  char buf[64] = {};
  ASSERT_GT(readlink(In("usr/bin/sh").c_str(), buf, sizeof buf), 0);
  EXPECT_STREQ(buf, "tool");
  ASSERT_EQ(lstat(In("var/empty").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_mtime, 1222222222);  // set after its children were made
  ASSERT_EQ(lstat(In("run/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  ASSERT_EQ(lstat(In("deep/implicit").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(*ReadFile(In("dotslash")), "y");
  EXPECT_TRUE(Exists(In("abs")));
  ExpectOutsideIntact();
}

TEST_F(ApplyLayerTest, CompressedLayersHaveTheSameDiffId) {
  std::vector<TarEntry> e = {TarEntry::File("a", std::string(70000, 'a'))};
  for (TarCompression c : {TarCompression::kGzip, TarCompression::kZstd}) {
    absl::StatusOr<ApplyResult> r = Apply(e, c);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->diff_id, Sha256Of(last_raw_));
    EXPECT_EQ(ReadFile(In("a"))->size(), 70000u);
  }
}

TEST_F(ApplyLayerTest, DiffIdIsChecked) {
  ApplyOptions opts;
  opts.expected_diff_id = Sha256Of("something else");
  absl::StatusOr<ApplyResult> r = Apply({TarEntry::File("a", "b")}, TarCompression::kGzip, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("DiffID mismatch: expected " + Sha256Of("something else").str() +
                                      ", got " + Sha256Of(last_raw_).str()),
            absl::string_view::npos)
      << r.status();
}

TEST_F(ApplyLayerTest, ReplacesEntries) {
  ASSERT_TRUE(Apply({TarEntry::File("f", "old"), TarEntry::Dir("d"), TarEntry::File("d/x", "1"),
                     TarEntry::Symlink("l", "../outside/secret")})
                  .ok());
  // A file replaces a dir, a dir replaces a file, a file replaces a symlink
  // (without writing through it).
  absl::StatusOr<ApplyResult> r =
      Apply({TarEntry::Dir("f"), TarEntry::File("d", "now a file"), TarEntry::File("l", "mine")});
  ASSERT_TRUE(r.ok()) << r.status();
  struct stat st;
  ASSERT_EQ(lstat(In("f").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(*ReadFile(In("d")), "now a file");
  ASSERT_EQ(lstat(In("l").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(*ReadFile(In("l")), "mine");
  ExpectOutsideIntact();
}

TEST_F(ApplyLayerTest, WhiteoutsDeleteInAMergedTree) {
  ASSERT_TRUE(Apply({TarEntry::File("gone", "1"), TarEntry::Dir("tree"), TarEntry::File("tree/a", "a"),
                     TarEntry::Dir("opq"), TarEntry::File("opq/lower1", "1"), TarEntry::Dir("opq/sub"),
                     TarEntry::File("opq/sub/lower2", "2"), TarEntry::File("keep", "k")})
                  .ok());
  absl::StatusOr<ApplyResult> r = Apply({
      TarEntry::File(".wh.gone", ""), TarEntry::File(".wh.tree", ""),
      TarEntry::File(".wh.never-existed", ""),
      TarEntry::Dir("opq"), TarEntry::File("opq/before", "b"),  // this layer's, before the marker
      TarEntry::File("opq/.wh..wh..opq", ""), TarEntry::File("opq/after", "a"),
      TarEntry::File(".wh..wh.plnk", ""),  // aufs metadata: ignored
  });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(Exists(In("gone")));
  EXPECT_FALSE(Exists(In("tree")));
  EXPECT_FALSE(Exists(In(".wh.gone")));
  EXPECT_FALSE(Exists(In("opq/lower1")));
  EXPECT_FALSE(Exists(In("opq/sub")));
  EXPECT_TRUE(Exists(In("opq/before")));
  EXPECT_TRUE(Exists(In("opq/after")));
  EXPECT_FALSE(Exists(In("opq/.wh..wh..opq")));
  EXPECT_TRUE(Exists(In("keep")));
}

TEST_F(ApplyLayerTest, RejectsParentTraversal) {
  ExpectRejected({TarEntry::File("../../etc/x", "pwned")}, "../../etc/x", "`..` component");
  ExpectRejected({TarEntry::File("../x", "pwned")}, "../x", "`..` component");
  ExpectRejected({TarEntry::File("a/../../x", "pwned")}, "a/../../x", "`..` component");
}

TEST_F(ApplyLayerTest, RejectsAbsolutePaths) {
  ExpectRejected({TarEntry::File("/abs", "pwned")}, "/abs", "absolute path");
  std::string outside = tmp_.Sub("x");
  ExpectRejected({TarEntry::File(outside, "pwned")}, outside, "absolute path");
}

TEST_F(ApplyLayerTest, RejectsWritingThroughSymlinks) {
  std::string out = tmp_.Sub("outside");
  // The classic: link -> /etc, then link/passwd.
  ExpectRejected({TarEntry::Symlink("link", "/etc"), TarEntry::File("link/passwd", "root::0:0::/:/bin/sh")},
                 "link/passwd", "`link` is a symlink; refusing to write through it");
  ASSERT_TRUE(RemoveAll(In("link")).ok());
  // Relative and absolute links to the real outside dir; files, dirs,
  // deeper paths and whiteouts through them.
  ExpectRejected({TarEntry::Symlink("rel", "../outside"), TarEntry::File("rel/passwd", "x")}, "rel/passwd",
                 "`rel` is a symlink");
  ExpectRejected({TarEntry::Symlink("absl", out), TarEntry::Dir("absl/sub")}, "absl/sub/", "`absl` is a symlink");
  ExpectRejected({TarEntry::Dir("d"), TarEntry::Symlink("d/l", out), TarEntry::File("d/l/a/b", "x")}, "d/l/a/b",
                 "`d/l` is a symlink");
  ExpectRejected({TarEntry::Symlink("wl", out), TarEntry::File("wl/.wh.secret", "")}, "wl/.wh.secret",
                 "`wl` is a symlink");
  ExpectRejected({TarEntry::Symlink("ol", out), TarEntry::File("ol/.wh..wh..opq", "")}, "ol/.wh..wh..opq",
                 "`ol` is a symlink");
}

TEST_F(ApplyLayerTest, RejectsHardlinksOutside) {
  ExpectRejected({TarEntry::Hardlink("h", "../outside/secret")}, "h", "hardlink target `../outside/secret`: `..`");
  ExpectRejected({TarEntry::Hardlink("h", "/etc/passwd")}, "h", "hardlink target `/etc/passwd`: absolute path");
  ExpectRejected({TarEntry::Symlink("s", "../outside"), TarEntry::Hardlink("h", "s/secret")}, "h",
                 "`s` is a symlink");
  ExpectRejected({TarEntry::Hardlink("h", "missing")}, "h", "does not exist in this layer");
  // A hardlink to a symlink links the symlink itself, never what it points to.
  ASSERT_TRUE(Apply({TarEntry::Symlink("s2", "../outside/secret"), TarEntry::Hardlink("h2", "s2")}).ok());
  struct stat st;
  ASSERT_EQ(lstat(In("h2").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ExpectOutsideIntact();
}

TEST_F(ApplyLayerTest, RejectsBadWhiteouts) {
  ExpectRejected({TarEntry::File(".wh..", "")}, ".wh..", "invalid whiteout");
  ExpectRejected({TarEntry::File("a/.wh...", "")}, "a/.wh...", "invalid whiteout");
}

TEST_F(ApplyLayerTest, OverlayModeChecksLowerLayersForImplicitParents) {
  ASSERT_EQ(mkdir(tmp_.Sub("lower").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(tmp_.Sub("lower/etc").c_str(), 0710), 0);
  ASSERT_EQ(chmod(tmp_.Sub("lower/etc").c_str(), 0710), 0);
  ASSERT_EQ(symlink("usr/lib", tmp_.Sub("lower/lib").c_str()), 0);
  ApplyOptions opts;
  opts.whiteouts = WhiteoutMode::kOverlay;
  opts.lower_dirs = {tmp_.Sub("lower")};
  absl::StatusOr<ApplyResult> r = Apply({TarEntry::File("etc/conf", "c")}, TarCompression::kNone, opts);
  ASSERT_TRUE(r.ok()) << r.status();
  struct stat st;
  ASSERT_EQ(stat(In("etc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0710u);  // as in the lower layer, not 0755
  r = Apply({TarEntry::File("lib/x.so", "x")}, TarCompression::kNone, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("`lib` is a symlink in a lower layer"), absl::string_view::npos)
      << r.status();
  EXPECT_FALSE(Exists(In("lib")));
}

TEST_F(ApplyLayerTest, CorruptLayers) {
  std::string gz = *testing::BuildTar({TarEntry::File("a", std::string(100000, 'z'))}, TarCompression::kGzip);
  gz.resize(gz.size() / 2);
  std::string path = tmp_.Sub("truncated");
  ASSERT_TRUE(testing::WriteTestFile(path, gz).ok());
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ApplyOptions opts;
  opts.same_owner = false;
  absl::StatusOr<ApplyResult> r = ApplyLayer(fd.get(), Root(), opts);
  EXPECT_FALSE(r.ok());

  ASSERT_TRUE(testing::WriteTestFile(path, std::string(3000, 'j')).ok());
  UniqueFd fd2(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  r = ApplyLayer(fd2.get(), Root(), opts);
  ASSERT_FALSE(r.ok());

  r = ApplyLayer(fd2.get(), tmp_.Sub("no-such-dir"), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no-such-dir"), absl::string_view::npos) << r.status();
}

}  // namespace
}  // namespace skiff::manager
