// The overlay snapshotter with real overlay mounts, in a private mount
// namespace so nothing can leak onto the host. Root only.

#include "manager/snapshots/overlay/overlay.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/file_util.h"
#include "gtest/gtest.h"
#include "manager/content/content_store.h"
#include "manager/images/test_images.h"
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

class OverlayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    // Our own mount namespace: mounts made here die with the test process.
    if (unshare(CLONE_NEWNS) == 0) private_ns_ = mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) == 0;
  }

  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "overlay snapshots need root (uid " << geteuid() << ")";
    if (!private_ns_) GTEST_SKIP() << "could not make a private mount namespace";
    absl::Status ok = OverlaySnapshotter::Supported(tmp_.Sub("snapshots"));
    if (!ok.ok()) GTEST_SKIP() << ok;
    auto s = OverlaySnapshotter::Open(tmp_.Sub("snapshots"));
    ASSERT_TRUE(s.ok()) << s.status();
    sn_ = *std::move(s);
    auto store = ContentStore::Open(tmp_.Sub("store"));
    ASSERT_TRUE(store.ok());
    store_ = *std::move(store);
    ASSERT_EQ(mkdir(tmp_.Sub("rootfs").c_str(), 0755), 0);
  }

  void TearDown() override {
    if (!tmp_.path().empty()) (void)UnmountAll(tmp_.Sub("rootfs"));
  }

  static bool private_ns_;
  testing::TempDir tmp_;
  std::unique_ptr<OverlaySnapshotter> sn_;
  std::unique_ptr<ContentStore> store_;
};
bool OverlayTest::private_ns_ = false;

TEST_F(OverlayTest, ContainerRootfsIsAnOverlayOfTheLayers) {
  std::vector<TestLayer> layers = {
      *testing::MakeLayer({TarEntry::Dir("etc"), TarEntry::File("etc/passwd", "v1"), TarEntry::File("etc/gone", "g"),
                           TarEntry::Dir("data"), TarEntry::File("data/lower1", "1"), TarEntry::Dir("data/sub"),
                           TarEntry::File("data/sub/lower2", "2"), TarEntry::Dir("usr"), TarEntry::Dir("usr/lib"),
                           TarEntry::File("usr/lib/libc.so", "libc"), TarEntry::Symlink("lib", "usr/lib")}),
      *testing::MakeLayer({TarEntry::Dir("etc"), TarEntry::File("etc/.wh.gone", ""), TarEntry::Dir("data"),
                           TarEntry::File("data/.wh..wh..opq", ""), TarEntry::File("data/new", "n")},
                          TarCompression::kGzip),
      *testing::MakeLayer({TarEntry::File("etc/passwd", "v3")}, TarCompression::kZstd)};
  std::vector<Digest> ids = {layers[0].diff_id, layers[1].diff_id, layers[2].diff_id};
  absl::StatusOr<Image> img = testing::AddImage(*store_, layers, testing::MakeConfigJson(ids), {});
  ASSERT_TRUE(img.ok()) << img.status();
  absl::StatusOr<std::vector<Digest>> chains = UnpackLayers(*sn_, *store_, img->layers(), img->diff_ids());
  ASSERT_TRUE(chains.ok()) << chains.status();

  // Layer 2 was stored in overlay's own whiteout format.
  std::string layer2 = tmp_.Sub("snapshots/2/fs");
  struct stat st;
  ASSERT_EQ(lstat((layer2 + "/etc/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
  char v[2] = {};
  EXPECT_EQ(getxattr((layer2 + "/data").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  // Layer 3 has no etc/ entry in its tar: the implicit dir took etc's mode.
  ASSERT_EQ(stat(tmp_.Sub("snapshots/3/fs/etc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);

  absl::StatusOr<std::vector<Mount>> m = sn_->Prepare("ctr", chains->back().str());
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].type, "overlay");
  std::string rootfs = tmp_.Sub("rootfs");
  ASSERT_TRUE(MountAll(*m, rootfs).ok());
  EXPECT_EQ(*ReadFile(rootfs + "/etc/passwd"), "v3");
  EXPECT_FALSE(Exists(rootfs + "/etc/gone"));
  EXPECT_FALSE(Exists(rootfs + "/data/lower1"));
  EXPECT_FALSE(Exists(rootfs + "/data/sub"));
  EXPECT_EQ(*ReadFile(rootfs + "/data/new"), "n");
  EXPECT_EQ(*ReadFile(rootfs + "/lib/libc.so"), "libc");
  // The container's writes land in its own upper dir only.
  ASSERT_TRUE(testing::WriteTestFile(rootfs + "/etc/hostname", "box").ok());
  ASSERT_EQ(unlink((rootfs + "/usr/lib/libc.so").c_str()), 0);
  ASSERT_TRUE(UnmountAll(rootfs).ok());
  EXPECT_EQ(*ReadFile(tmp_.Sub("snapshots/4/fs/etc/hostname")), "box");
  EXPECT_TRUE(Exists(tmp_.Sub("snapshots/1/fs/usr/lib/libc.so")));
  EXPECT_FALSE(Exists(rootfs + "/etc"));

  // A view is read-only.
  absl::StatusOr<std::vector<Mount>> view = sn_->View("v", chains->back().str());
  ASSERT_TRUE(view.ok()) << view.status();
  ASSERT_TRUE(MountAll(*view, rootfs).ok());
  EXPECT_EQ(*ReadFile(rootfs + "/etc/passwd"), "v3");
  EXPECT_FALSE(testing::WriteTestFile(rootfs + "/x", "x").ok());
  ASSERT_TRUE(UnmountAll(rootfs).ok());

  ASSERT_TRUE(sn_->Remove("ctr").ok());
  ASSERT_TRUE(sn_->Remove("v").ok());
  EXPECT_EQ(sn_->Remove(chains->front().str()).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(OverlayTest, MountShapes) {
  ASSERT_TRUE(sn_->Prepare("a", "").ok());
  EXPECT_EQ(sn_->Mounts("a")->at(0).type, "bind");
  ASSERT_TRUE(sn_->Commit("l1", "a").ok());
  absl::StatusOr<std::vector<Mount>> v1 = sn_->View("v1", "l1");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->at(0), (Mount{"bind", tmp_.Sub("snapshots/1/fs"), {"rbind", "ro"}}));
  ASSERT_TRUE(sn_->Prepare("b", "l1").ok());
  ASSERT_TRUE(sn_->Commit("l2", "b").ok());
  absl::StatusOr<std::vector<Mount>> v2 = sn_->View("v2", "l2");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->at(0), (Mount{"overlay", "overlay",
                              {"lowerdir=" + tmp_.Sub("snapshots/3/fs") + ":" + tmp_.Sub("snapshots/1/fs")}}));
  absl::StatusOr<std::vector<Mount>> c = sn_->Prepare("c", "l2");
  ASSERT_TRUE(c.ok());
  std::string d = tmp_.Sub("snapshots/5");
  EXPECT_EQ(c->at(0), (Mount{"overlay", "overlay",
                             {"workdir=" + d + "/work", "upperdir=" + d + "/fs",
                              "lowerdir=" + tmp_.Sub("snapshots/3/fs") + ":" + tmp_.Sub("snapshots/1/fs")}}));
  // Every one of them really mounts.
  for (const auto& mounts : {*v1, *v2, *c}) {
    ASSERT_TRUE(MountAll(mounts, tmp_.Sub("rootfs")).ok());
    ASSERT_TRUE(UnmountAll(tmp_.Sub("rootfs")).ok());
  }
}

}  // namespace
}  // namespace skiff::manager
