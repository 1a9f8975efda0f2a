// ImageManager with the overlay snapshotter, as skiffd runs as root: layers
// unpacked as overlay layers, a container's rootfs an overlay over them, and
// removal leaving no layer dir behind. Skips (saying why) where overlay
// cannot be used.

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "manager/images/archive_save.h"
#include "manager/images/image_manager.h"
#include "manager/images/test_images.h"
#include "manager/snapshots/chain_id.h"
#include "manager/snapshots/overlay/overlay.h"
#include "manager/testing/tar_builder.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

using testing::TarEntry;

TEST(ImageManagerOverlayTest, UnpackPrepareAndRemove) {
  testing::TempDir tmp;
  absl::Status supported = OverlaySnapshotter::Supported(tmp.Sub(""));
  if (!supported.ok()) GTEST_SKIP() << "overlay unusable here: " << supported;

  auto src = *ContentStore::Open(tmp.Sub("src"));
  auto content = *ContentStore::Open(tmp.Sub("root"));
  auto meta = *MetadataStore::Open(tmp.Sub("root/meta.db"));
  auto sn = *OverlaySnapshotter::Open(tmp.Sub("root/snapshots"));
  EventBus bus;
  ImageManager mgr(*meta, *content, *sn, bus);

  auto l1 = *testing::MakeLayer({TarEntry::Dir("etc"), TarEntry::File("etc/a", "1")});
  auto l2 = *testing::MakeLayer({TarEntry::File("etc/.wh.a", ""), TarEntry::File("etc/b", "2")});
  auto img = *testing::AddImage(*src, {l1, l2}, testing::MakeConfigJson({l1.diff_id, l2.diff_id}),
                                {"docker.io/library/ov:latest"});
  const std::string archive = tmp.Sub("ov.tar");
  ASSERT_TRUE(SaveArchive({img}, archive, ArchiveFormat::kOciLayout, *src).ok());
  absl::StatusOr<std::vector<ResolvedImage>> loaded = mgr.Load(archive);
  ASSERT_TRUE(loaded.ok()) << loaded.status();

  absl::StatusOr<ResolvedImage> r = mgr.Resolve("ov");
  ASSERT_TRUE(r.ok()) << r.status();
  absl::StatusOr<std::string> top = mgr.Unpack(*r);
  ASSERT_TRUE(top.ok()) << top.status();
  absl::StatusOr<std::vector<Mount>> m = sn->Prepare("ctr", *top);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ(m->at(0).type, "overlay");
  bool two_lowers = false;
  for (const std::string& o : m->at(0).options) {
    if (absl::StartsWith(o, "lowerdir=")) two_lowers = o.find(':') != std::string::npos;
  }
  EXPECT_TRUE(two_lowers);

  // While the rootfs exists the layers stay; once it is gone they go too.
  ASSERT_TRUE(sn->Remove("ctr").ok());
  ASSERT_TRUE(mgr.Remove("ov", false).ok());
  for (const Digest& c : ChainIds({l1.diff_id, l2.diff_id})) {
    EXPECT_TRUE(absl::IsNotFound(sn->Stat(c.str()).status())) << c.str();
  }
  EXPECT_TRUE(content->List()->empty());
}

}  // namespace
}  // namespace skiff::manager
