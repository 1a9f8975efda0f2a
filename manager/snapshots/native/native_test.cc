// The snapshot lifecycle (shared by both snapshotters through
// DirSnapshotter), crash sweeping, and unpacking images with the copying
// snapshotter. Runs as any user.

#include "manager/snapshots/native/native.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/file_util.h"
#include "gtest/gtest.h"
#include "manager/content/content_store.h"
#include "manager/images/test_images.h"
#include "manager/snapshots/chain_id.h"
#include "manager/snapshots/unpack.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

using testing::TarCompression;
using testing::TarEntry;
using testing::TestLayer;

bool Exists(const std::string& p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0;
}

class NativeTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    sn_.reset();
    auto s = NativeSnapshotter::Open(tmp_.Sub("snapshots"));
    ASSERT_TRUE(s.ok()) << s.status();
    sn_ = *std::move(s);
  }
  std::string FsOf(const std::vector<Mount>& m) { return m.at(0).source; }

  testing::TempDir tmp_;
  std::unique_ptr<NativeSnapshotter> sn_;
};

TEST_F(NativeTest, Lifecycle) {
  absl::StatusOr<std::vector<Mount>> m = sn_->Prepare("a", "");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].type, "bind");
  EXPECT_EQ((*m)[0].options, (std::vector<std::string>{"rbind", "rw"}));
  std::string fs = FsOf(*m);
  ASSERT_TRUE(testing::WriteTestFile(fs + "/file", "layer one").ok());
  ASSERT_EQ(symlink("file", (fs + "/link").c_str()), 0);
  ASSERT_EQ(link((fs + "/file").c_str(), (fs + "/hard").c_str()), 0);
  ASSERT_EQ(mkdir((fs + "/dir").c_str(), 0710), 0);
  ASSERT_EQ(chmod((fs + "/dir").c_str(), 0710), 0);

  EXPECT_EQ(sn_->Stat("a")->kind, SnapshotKind::kActive);
  ASSERT_TRUE(sn_->Commit("c1", "a").ok());
  EXPECT_EQ(sn_->Stat("a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(sn_->Stat("c1")->kind, SnapshotKind::kCommitted);
  EXPECT_EQ(sn_->Mounts("c1").status().code(), absl::StatusCode::kFailedPrecondition);

  // A child is a full copy: content, symlinks, hardlinks, modes.
  absl::StatusOr<std::vector<Mount>> b = sn_->Prepare("b", "c1");
  ASSERT_TRUE(b.ok()) << b.status();
  std::string bfs = FsOf(*b);
  EXPECT_EQ(*ReadFile(bfs + "/file"), "layer one");
  struct stat s1, s2;
  ASSERT_EQ(lstat((bfs + "/link").c_str(), &s1), 0);
  EXPECT_TRUE(S_ISLNK(s1.st_mode));
  ASSERT_EQ(stat((bfs + "/file").c_str(), &s1), 0);
  ASSERT_EQ(stat((bfs + "/hard").c_str(), &s2), 0);
  EXPECT_EQ(s1.st_ino, s2.st_ino);
  ASSERT_EQ(stat((bfs + "/dir").c_str(), &s1), 0);
  EXPECT_EQ(s1.st_mode & 07777, 0710u);
  // Writes to the child do not reach the parent.
  ASSERT_TRUE(testing::WriteTestFile(bfs + "/file2", "child").ok());
  EXPECT_FALSE(Exists(tmp_.Sub("snapshots/1/fs/file2")));
  EXPECT_EQ(sn_->Stat("b")->parent, "c1");
  EXPECT_EQ(*sn_->Mounts("b"), *b);

  absl::StatusOr<std::vector<Mount>> v = sn_->View("v", "c1");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)[0].options, (std::vector<std::string>{"rbind", "ro"}));
  EXPECT_EQ(sn_->Commit("cv", "v").code(), absl::StatusCode::kFailedPrecondition);

  // Illegal moves.
  EXPECT_EQ(sn_->Prepare("b", "c1").status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(sn_->Prepare("x", "b").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(sn_->Prepare("x", "nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(sn_->Commit("c1", "b").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(sn_->Commit("z", "nope").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(sn_->Prepare("", "").status().code(), absl::StatusCode::kInvalidArgument);
  absl::Status busy = sn_->Remove("c1");
  EXPECT_EQ(busy.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(busy.message().find("is the parent of"), absl::string_view::npos) << busy;

  std::vector<std::string> keys;
  ASSERT_TRUE(sn_->Walk([&](const SnapshotInfo& i) {
                   keys.push_back(i.key + ":" + SnapshotKindName(i.kind));
                   return absl::OkStatus();
                 })
                  .ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"b:active", "c1:committed", "v:view"}));

  absl::StatusOr<SnapshotUsage> u = sn_->Usage("b");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_GE(u->inodes, 5);  // fs, file(+hard), link, dir, file2
  EXPECT_GT(u->bytes, 0);

  ASSERT_TRUE(sn_->Remove("b").ok());
  ASSERT_TRUE(sn_->Remove("v").ok());
  ASSERT_TRUE(sn_->Remove("c1").ok());
  EXPECT_EQ(sn_->Remove("c1").code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(Exists(bfs));
}

TEST_F(NativeTest, StateSurvivesReopenAndCrashLeftoversAreSwept) {
  ASSERT_TRUE(sn_->Prepare("a", "").ok());
  ASSERT_TRUE(sn_->Commit("base", "a").ok());
  ASSERT_TRUE(sn_->Prepare("ctr", "base").ok());
  // What a crash leaves: a half-made snapshot and a half-removed one.
  ASSERT_EQ(mkdir(tmp_.Sub("snapshots/tmp-abc").c_str(), 0700), 0);
  ASSERT_TRUE(testing::WriteTestFile(tmp_.Sub("snapshots/tmp-abc/junk"), "x").ok());
  ASSERT_EQ(mkdir(tmp_.Sub("snapshots/rm-9").c_str(), 0700), 0);
  Reopen();
  EXPECT_FALSE(Exists(tmp_.Sub("snapshots/tmp-abc")));
  EXPECT_FALSE(Exists(tmp_.Sub("snapshots/rm-9")));
  EXPECT_EQ(sn_->Stat("base")->kind, SnapshotKind::kCommitted);
  EXPECT_EQ(sn_->Stat("ctr")->parent, "base");
  // Ids keep growing after a reopen: no reuse of a directory.
  absl::StatusOr<std::vector<Mount>> m = sn_->Prepare("new", "");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(FsOf(*m), tmp_.Sub("snapshots/3/fs"));
}

TEST_F(NativeTest, CorruptMetadataIsReported) {
  ASSERT_TRUE(sn_->Prepare("a", "").ok());
  ASSERT_TRUE(testing::WriteTestFile(tmp_.Sub("snapshots/1/info.json"), "{").ok());
  sn_.reset();
  auto s = NativeSnapshotter::Open(tmp_.Sub("snapshots"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("snapshots/1/info.json"), absl::string_view::npos) << s.status();
}

// Three layers: a base, one with whiteouts and an opaque dir, one that
// replaces a file.
std::vector<TestLayer> ThreeLayers() {
  return {*testing::MakeLayer({TarEntry::Dir("etc"), TarEntry::File("etc/passwd", "v1"),
                               TarEntry::Hardlink("etc/passwd-", "etc/passwd"), TarEntry::File("etc/gone", "g"),
                               TarEntry::Dir("data"), TarEntry::File("data/lower1", "1"), TarEntry::Dir("data/sub"),
                               TarEntry::File("data/sub/lower2", "2"), TarEntry::Dir("usr"), TarEntry::Dir("usr/lib"),
                               TarEntry::File("usr/lib/libc.so", "libc"), TarEntry::Symlink("lib", "usr/lib")}),
          *testing::MakeLayer({TarEntry::Dir("etc"), TarEntry::File("etc/.wh.gone", ""), TarEntry::Dir("data"),
                               TarEntry::File("data/.wh..wh..opq", ""), TarEntry::File("data/new", "n"),
                               TarEntry::File("etc/added", "a")},
                              TarCompression::kGzip),
          *testing::MakeLayer({TarEntry::Dir("etc"), TarEntry::File("etc/passwd", "v3")}, TarCompression::kZstd)};
}

void ExpectMergedTree(const std::string& root) {
  EXPECT_EQ(*ReadFile(root + "/etc/passwd"), "v3");
  EXPECT_EQ(*ReadFile(root + "/etc/passwd-"), "v1");
  EXPECT_FALSE(Exists(root + "/etc/gone"));
  EXPECT_EQ(*ReadFile(root + "/etc/added"), "a");
  EXPECT_FALSE(Exists(root + "/data/lower1"));
  EXPECT_FALSE(Exists(root + "/data/sub"));
  EXPECT_EQ(*ReadFile(root + "/data/new"), "n");
  EXPECT_EQ(*ReadFile(root + "/lib/libc.so"), "libc");
}

TEST_F(NativeTest, UnpacksImagesOncePerChain) {
  auto store = ContentStore::Open(tmp_.Sub("store"));
  ASSERT_TRUE(store.ok());
  std::vector<TestLayer> layers = ThreeLayers();
  std::vector<Digest> ids = {layers[0].diff_id, layers[1].diff_id, layers[2].diff_id};
  absl::StatusOr<Image> img = testing::AddImage(**store, layers, testing::MakeConfigJson(ids), {});
  ASSERT_TRUE(img.ok()) << img.status();

  absl::StatusOr<std::vector<Digest>> chains = UnpackLayers(*sn_, **store, img->layers(), img->diff_ids());
  ASSERT_TRUE(chains.ok()) << chains.status();
  EXPECT_EQ(*chains, ChainIds(ids));
  for (const Digest& c : *chains) EXPECT_EQ(sn_->Stat(c.str())->kind, SnapshotKind::kCommitted);

  absl::StatusOr<std::vector<Mount>> rootfs = sn_->Prepare("ctr", chains->back().str());
  ASSERT_TRUE(rootfs.ok()) << rootfs.status();
  ExpectMergedTree(FsOf(*rootfs));

  // A second image sharing the first two layers unpacks only its third.
  TestLayer other = *testing::MakeLayer({TarEntry::File("other", "o")});
  absl::StatusOr<Image> img2 = testing::AddImage(
      **store, {layers[0], layers[1], other}, testing::MakeConfigJson({ids[0], ids[1], other.diff_id}), {});
  ASSERT_TRUE(img2.ok());
  int before = 0, after = 0;
  ASSERT_TRUE(sn_->Walk([&](const SnapshotInfo&) { ++before; return absl::OkStatus(); }).ok());
  ASSERT_TRUE(UnpackLayers(*sn_, **store, img2->layers(), img2->diff_ids()).ok());
  ASSERT_TRUE(sn_->Walk([&](const SnapshotInfo&) { ++after; return absl::OkStatus(); }).ok());
  EXPECT_EQ(after, before + 1);
  // Unpacking again is a no-op.
  ASSERT_TRUE(UnpackLayers(*sn_, **store, img->layers(), img->diff_ids()).ok());
}

TEST_F(NativeTest, UnpackChecksDiffIdsAndCleansUp) {
  auto store = ContentStore::Open(tmp_.Sub("store"));
  std::vector<TestLayer> layers = ThreeLayers();
  std::vector<Digest> wrong = {layers[0].diff_id, layers[2].diff_id, layers[1].diff_id};
  std::vector<Descriptor> descs;
  for (const TestLayer& l : layers) {
    descs.push_back(Descriptor{l.media_type, *(*store)->Ingest(l.blob), static_cast<int64_t>(l.blob.size())});
  }
  absl::StatusOr<std::vector<Digest>> r = UnpackLayers(*sn_, **store, descs, wrong);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unpacking layer 1"), absl::string_view::npos) << r.status();
  EXPECT_NE(r.status().message().find("DiffID mismatch"), absl::string_view::npos) << r.status();
  // Layer 0 stays (it was right); nothing half-done is left.
  std::vector<std::string> keys;
  ASSERT_TRUE(sn_->Walk([&](const SnapshotInfo& i) { keys.push_back(i.key); return absl::OkStatus(); }).ok());
  EXPECT_EQ(keys, std::vector<std::string>{layers[0].diff_id.str()});
}

TEST_F(NativeTest, HostileLayerFailsTheUnpack) {
  auto store = ContentStore::Open(tmp_.Sub("store"));
  TestLayer evil = *testing::MakeLayer({TarEntry::Symlink("etc", "/etc"), TarEntry::File("etc/passwd", "pwned")});
  Descriptor d{evil.media_type, *(*store)->Ingest(evil.blob), static_cast<int64_t>(evil.blob.size())};
  absl::StatusOr<std::vector<Digest>> r = UnpackLayers(*sn_, **store, {d}, {evil.diff_id});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("layer entry `etc/passwd`: `etc` is a symlink"), absl::string_view::npos)
      << r.status();
  int n = 0;
  ASSERT_TRUE(sn_->Walk([&](const SnapshotInfo&) { ++n; return absl::OkStatus(); }).ok());
  EXPECT_EQ(n, 0);
}

TEST_F(NativeTest, StaleExtractionsAreRemoved) {
  ASSERT_TRUE(sn_->Prepare("extract-123.0-sha256:abc", "").ok());
  ASSERT_TRUE(sn_->Prepare("container", "").ok());
  ASSERT_TRUE(RemoveStaleExtractions(*sn_).ok());
  EXPECT_EQ(sn_->Stat("extract-123.0-sha256:abc").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(sn_->Stat("container").ok());
}

}  // namespace
}  // namespace skiff::manager
