// ImageManager over real stores in a temp dir (content store, SQLite
// metadata, the copying snapshotter): what `skiff load/images/tag/rmi/prune`
// users observe, and what is left on disk.

#include "manager/images/image_manager.h"

#include <sys/stat.h>

#include <string>
#include <vector>

#include "common/file_util.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "manager/images/archive_save.h"
#include "manager/images/test_images.h"
#include "manager/snapshots/chain_id.h"
#include "manager/snapshots/unpack.h"
#include "manager/snapshots/native/native.h"
#include "manager/testing/tar_builder.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

namespace v1 = ::skiff::v1;
using testing::TarCompression;
using testing::TarEntry;
using testing::TestLayer;

bool Exists(const std::string& p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0;
}

class ImageManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto src = ContentStore::Open(tmp_.Sub("src"));
    ASSERT_TRUE(src.ok()) << src.status();
    src_ = *std::move(src);
    auto content = ContentStore::Open(tmp_.Sub("root"));
    ASSERT_TRUE(content.ok()) << content.status();
    content_ = *std::move(content);
    auto meta = MetadataStore::Open(tmp_.Sub("root/meta.db"));
    ASSERT_TRUE(meta.ok()) << meta.status();
    meta_ = *std::move(meta);
    auto sn = NativeSnapshotter::Open(tmp_.Sub("root/snapshots"));
    ASSERT_TRUE(sn.ok()) << sn.status();
    sn_ = *std::move(sn);
    mgr_ = std::make_unique<ImageManager>(*meta_, *content_, *sn_, bus_);
    auto sub = bus_.Subscribe({}, std::nullopt, std::nullopt);
    ASSERT_TRUE(sub.ok());
    events_ = *std::move(sub);

    base_ = *testing::MakeLayer({TarEntry::Dir("etc"), TarEntry::File("etc/hostname", "base\n")});
    app_ = *testing::MakeLayer({TarEntry::File("app", "v1")}, TarCompression::kGzip);
  }

  // An image made in the source store and written as an archive; returns
  // the archive's path.
  std::string Archive(const std::vector<TestLayer>& layers, const std::vector<std::string>& names,
                      ArchiveFormat format = ArchiveFormat::kDockerArchive,
                      const std::vector<std::string>& cmd = {"sh"}) {
    std::vector<Digest> ids;
    for (const TestLayer& l : layers) ids.push_back(l.diff_id);
    absl::StatusOr<Image> img =
        testing::AddImage(*src_, layers, testing::MakeConfigJson(ids, cmd), names);
    EXPECT_TRUE(img.ok()) << img.status();
    std::string path = tmp_.Sub("archive-" + std::to_string(n_++) + ".tar");
    absl::Status s = SaveArchive({*img}, path, format, *src_);
    EXPECT_TRUE(s.ok()) << s;
    last_id_ = img->config_digest.str();
    return path;
  }

  ResolvedImage MustLoad(const std::string& path) {
    absl::StatusOr<std::vector<ResolvedImage>> got = mgr_->Load(path);
    EXPECT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got.ok() ? got->size() : 0, 1u);
    return got.ok() && !got->empty() ? got->front() : ResolvedImage{};
  }

  // Image event actions seen so far, "action name".
  std::vector<std::string> Events() {
    std::vector<std::string> out;
    while (true) {
      absl::StatusOr<v1::Event> e = events_->Next(absl::Milliseconds(1));
      if (!e.ok()) return out;
      out.push_back(e->action() + " " + e->actor().attributes().at("name"));
    }
  }

  void AddContainer(const std::string& image_id, const std::string& name, ContainerState state) {
    ContainerRecord c;
    c.id = std::string(60, 'c') + std::to_string(1000 + n_++);
    c.name = name;
    c.image = "busybox";
    c.image_id = image_id;
    c.config = "{}";
    c.state = state;
    ASSERT_TRUE(meta_->Write([&](MetadataStore::Tx& tx) { return tx.AddContainer(c); }).ok());
  }

  size_t BlobCount() { return content_->List()->size(); }

  testing::TempDir tmp_;
  std::unique_ptr<ContentStore> src_, content_;
  std::unique_ptr<MetadataStore> meta_;
  std::unique_ptr<NativeSnapshotter> sn_;
  EventBus bus_;
  std::unique_ptr<ImageManager> mgr_;
  std::unique_ptr<EventBus::Subscription> events_;
  TestLayer base_, app_;
  std::string last_id_;
  int n_ = 0;
};

TEST_F(ImageManagerTest, LoadsDockerArchiveAndResolvesByNameIdAndPrefix) {
  ResolvedImage img = MustLoad(Archive({base_, app_}, {"docker.io/library/busybox:latest"}));
  EXPECT_EQ(img.record.id, last_id_);
  EXPECT_EQ(img.names, std::vector<std::string>{"docker.io/library/busybox:latest"});
  // The size is of the uncompressed layers, not of the gzip blob.
  EXPECT_EQ(img.record.size,
            static_cast<int64_t>(base_.blob.size() +
                                 testing::BuildTar({TarEntry::File("app", "v1")})->size()));
  EXPECT_EQ(img.record.created, absl::FromUnixSeconds(1704067200));  // 2024-01-01
  EXPECT_EQ(Events(), std::vector<std::string>{"load busybox:latest"});

  const std::string hex = last_id_.substr(7);
  for (const std::string& ref :
       {std::string("busybox"), std::string("busybox:latest"),
        std::string("docker.io/library/busybox:latest"), last_id_, hex, hex.substr(0, 12),
        "sha256:" + hex.substr(0, 6), hex.substr(0, 4)}) {
    absl::StatusOr<ResolvedImage> r = mgr_->Resolve(ref);
    ASSERT_TRUE(r.ok()) << ref << ": " << r.status();
    EXPECT_EQ(r->record.id, last_id_) << ref;
    EXPECT_EQ(r->image.layers().size(), 2u);
  }
}

TEST_F(ImageManagerTest, UnknownAndMalformedReferences) {
  MustLoad(Archive({base_}, {"docker.io/library/busybox:latest"}));
  absl::StatusOr<ResolvedImage> r = mgr_->Resolve("alpine");
  EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();
  EXPECT_EQ(r.status().message(), "no such image: alpine:latest");
  EXPECT_TRUE(absl::IsNotFound(mgr_->Resolve("busybox:1.36").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(mgr_->Resolve("Busybox").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(mgr_->Resolve("").status()));
  // Three hex digits are not a prefix (and "abc" is a name nobody has).
  EXPECT_TRUE(absl::IsNotFound(mgr_->Resolve(last_id_.substr(7, 3)).status()));
}

TEST_F(ImageManagerTest, AmbiguousPrefixIsInvalidArgument) {
  ASSERT_TRUE(meta_
                  ->Write([&](MetadataStore::Tx& tx) -> absl::Status {
                    for (char c : {'1', '2'}) {
                      ImageRecord r;
                      r.id = "sha256:abcd" + std::string(60, c);
                      r.target_digest = r.manifest_digest = r.config_digest = r.id;
                      r.target_media_type = "application/vnd.oci.image.manifest.v1+json";
                      RETURN_IF_ERROR(tx.AddImage(r));
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  absl::StatusOr<ResolvedImage> r = mgr_->Resolve("abcd");
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("ambiguous"), std::string::npos);
}

TEST_F(ImageManagerTest, LoadsOciLayout) {
  ResolvedImage img =
      MustLoad(Archive({base_, app_}, {"docker.io/user/app:1.0"}, ArchiveFormat::kOciLayout));
  EXPECT_EQ(img.names, std::vector<std::string>{"docker.io/user/app:1.0"});
  absl::StatusOr<ResolvedImage> r = mgr_->Resolve("user/app:1.0");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->record.id, last_id_);
  EXPECT_EQ(r->image.config.config.labels.at("org.skiff.test"), "yes");
}

TEST_F(ImageManagerTest, SecondLoadOfTheSameImageIsFine) {
  std::string path = Archive({base_}, {"docker.io/library/busybox:latest"});
  MustLoad(path);
  size_t blobs = BlobCount();
  ResolvedImage again = MustLoad(path);
  EXPECT_EQ(again.record.id, last_id_);
  EXPECT_EQ(mgr_->List()->size(), 1u);
  EXPECT_EQ(BlobCount(), blobs);
}

TEST_F(ImageManagerTest, LoadMovesANameAndLeavesTheOldImageDangling) {
  MustLoad(Archive({base_}, {"docker.io/library/busybox:latest"}, ArchiveFormat::kDockerArchive,
                   {"old"}));
  std::string old_id = last_id_;
  MustLoad(Archive({base_}, {"docker.io/library/busybox:latest"}, ArchiveFormat::kDockerArchive,
                   {"new"}));
  EXPECT_EQ(mgr_->Resolve("busybox")->record.id, last_id_);
  absl::StatusOr<ResolvedImage> old = mgr_->Resolve(old_id);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_TRUE(old->names.empty());
  EXPECT_EQ(Events(), (std::vector<std::string>{"load busybox:latest", "untag busybox:latest",
                                                "load busybox:latest"}));
}

TEST_F(ImageManagerTest, FailedLoadKeepsNothing) {
  // A docker archive whose manifest names a layer that is not there, after
  // the config and another layer have streamed into the store.
  std::string config = testing::MakeConfigJson({base_.diff_id, app_.diff_id});
  std::string config_name = Sha256Of(config).hex() + ".json";
  std::vector<TarEntry> e = {
      TarEntry::File("l1/layer.tar", base_.blob),
      TarEntry::File(config_name, config),
      TarEntry::File(
          "manifest.json",
          R"([{"Config":")" + config_name +
              R"(","RepoTags":["busybox:latest"],"Layers":["l1/layer.tar","l2/layer.tar"]}])"),
  };
  std::string path = tmp_.Sub("broken.tar");
  ASSERT_TRUE(testing::WriteTestFile(path, *testing::BuildTar(e)).ok());
  absl::StatusOr<std::vector<ResolvedImage>> got = mgr_->Load(path);
  EXPECT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("l2/layer.tar"), std::string::npos) << got.status();
  EXPECT_EQ(BlobCount(), 0u);
  EXPECT_TRUE(mgr_->List()->empty());
  EXPECT_TRUE(Events().empty());

  absl::StatusOr<std::vector<ResolvedImage>> missing = mgr_->Load(tmp_.Sub("nope.tar"));
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
}

TEST_F(ImageManagerTest, UnpackCommitsTheChainAndServesARootfs) {
  ResolvedImage img = MustLoad(Archive({base_, app_}, {"docker.io/library/busybox:latest"}));
  absl::StatusOr<std::string> top = mgr_->Unpack(img);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(*top, ChainIds({base_.diff_id, app_.diff_id}).back().str());
  absl::StatusOr<std::vector<Mount>> m = sn_->Prepare("ctr", *top);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*ReadFile(m->at(0).source + "/etc/hostname"), "base\n");
  EXPECT_EQ(*ReadFile(m->at(0).source + "/app"), "v1");
  // A second unpack finds the chain.
  EXPECT_EQ(*mgr_->Unpack(img), *top);
}

TEST_F(ImageManagerTest, HostileLayerIsRejectedAtUnpack) {
  TestLayer evil = *testing::MakeLayer({TarEntry::File("../../escaped", "gotcha")});
  ResolvedImage img = MustLoad(Archive({base_, evil}, {"docker.io/library/evil:latest"}));
  absl::StatusOr<std::string> top = mgr_->Unpack(img);
  EXPECT_TRUE(absl::IsInvalidArgument(top.status())) << top.status();
  EXPECT_NE(top.status().message().find("escaped"), std::string::npos) << top.status();
  EXPECT_FALSE(sn_->Stat(ChainIds({base_.diff_id, evil.diff_id}).back().str()).ok());
  EXPECT_FALSE(Exists(tmp_.Sub("escaped")));
  EXPECT_FALSE(Exists(tmp_.Sub("root/escaped")));
}

TEST_F(ImageManagerTest, TagAddsAndValidatesNames) {
  MustLoad(Archive({base_}, {"docker.io/library/busybox:latest"}));
  Events();
  ASSERT_TRUE(mgr_->Tag("busybox", "myrepo/app:v1").ok());
  EXPECT_EQ(mgr_->Resolve("myrepo/app:v1")->record.id, last_id_);
  EXPECT_EQ(
      mgr_->Resolve(last_id_)->names,
      (std::vector<std::string>{"docker.io/library/busybox:latest", "docker.io/myrepo/app:v1"}));
  EXPECT_EQ(Events(), std::vector<std::string>{"tag myrepo/app:v1"});

  EXPECT_TRUE(absl::IsInvalidArgument(mgr_->Tag("busybox", "Bad/Name")));
  EXPECT_TRUE(absl::IsInvalidArgument(mgr_->Tag("busybox", "app@sha256:" + std::string(64, 'a'))));
  EXPECT_TRUE(absl::IsNotFound(mgr_->Tag("alpine", "x:y")));
}

TEST_F(ImageManagerTest, RemoveByTagUntagsThenDeletesWithBlobsAndSnapshots) {
  ResolvedImage img = MustLoad(Archive({base_, app_}, {"docker.io/library/busybox:latest"}));
  ASSERT_TRUE(mgr_->Unpack(img).ok());
  ASSERT_TRUE(mgr_->Tag("busybox", "busybox:two").ok());
  Events();

  absl::StatusOr<std::vector<ImageDeleteItem>> r = mgr_->Remove("busybox:two", false);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].untagged, "busybox:two");
  EXPECT_TRUE(mgr_->Resolve("busybox").ok());

  r = mgr_->Remove("busybox", false);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].untagged, "busybox:latest");
  EXPECT_EQ((*r)[1].deleted, last_id_);
  EXPECT_TRUE(absl::IsNotFound(mgr_->Resolve(last_id_).status()));
  EXPECT_EQ(BlobCount(), 0u);
  for (const Digest& c : ChainIds({base_.diff_id, app_.diff_id})) {
    EXPECT_TRUE(absl::IsNotFound(sn_->Stat(c.str()).status())) << c.str();
  }
  EXPECT_EQ(Events(), (std::vector<std::string>{"untag busybox:two", "untag busybox:latest",
                                                "delete " + last_id_}));
}

TEST_F(ImageManagerTest, RemoveKeepsWhatAnotherImageShares) {
  ResolvedImage a = MustLoad(Archive({base_}, {"docker.io/library/base:latest"}));
  ResolvedImage b = MustLoad(Archive({base_, app_}, {"docker.io/library/app:latest"}));
  ASSERT_TRUE(mgr_->Unpack(a).ok());
  ASSERT_TRUE(mgr_->Unpack(b).ok());
  std::vector<Digest> chains = ChainIds({base_.diff_id, app_.diff_id});

  ASSERT_TRUE(mgr_->Remove("app", false).ok());
  EXPECT_TRUE(sn_->Stat(chains[0].str()).ok());
  EXPECT_TRUE(absl::IsNotFound(sn_->Stat(chains[1].str()).status()));
  EXPECT_TRUE(content_->Exists(base_.diff_id));
  EXPECT_FALSE(content_->Exists(Sha256Of(app_.blob)));
  absl::StatusOr<ResolvedImage> still = mgr_->Resolve("base");
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_TRUE(mgr_->Unpack(*still).ok());
}

TEST_F(ImageManagerTest, SnapshotsStillUsedAsParentsStay) {
  ResolvedImage img = MustLoad(Archive({base_, app_}, {"docker.io/library/app:latest"}));
  absl::StatusOr<std::string> top = mgr_->Unpack(img);
  ASSERT_TRUE(top.ok()) << top.status();
  // A rootfs prepared on the image, by something that is not a container
  // record (a build, a commit in progress).
  ASSERT_TRUE(sn_->Prepare("working", *top).ok());
  ASSERT_TRUE(mgr_->Remove("app", false).ok());
  EXPECT_TRUE(absl::IsNotFound(mgr_->Resolve("app").status()));
  EXPECT_EQ(BlobCount(), 0u);
  std::vector<Digest> chains = ChainIds({base_.diff_id, app_.diff_id});
  EXPECT_TRUE(sn_->Stat(chains[0].str()).ok());
  EXPECT_TRUE(sn_->Stat(chains[1].str()).ok());
}

TEST_F(ImageManagerTest, RemoveByIdWithSeveralTagsNeedsForce) {
  MustLoad(Archive({base_}, {"docker.io/library/busybox:latest"}));
  ASSERT_TRUE(mgr_->Tag("busybox", "other:1").ok());
  absl::StatusOr<std::vector<ImageDeleteItem>> r = mgr_->Remove(last_id_.substr(7, 12), false);
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("other:1"), std::string::npos) << r.status();

  r = mgr_->Remove(last_id_.substr(7, 12), true);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].untagged, "busybox:latest");
  EXPECT_EQ((*r)[1].untagged, "other:1");
  EXPECT_EQ((*r)[2].deleted, last_id_);
}

TEST_F(ImageManagerTest, ImageInUseIsRefused) {
  ResolvedImage img = MustLoad(Archive({base_}, {"docker.io/library/busybox:latest"}));
  AddContainer(img.record.id, "web", ContainerState::kExited);
  for (const std::string& ref : {std::string("busybox"), img.record.id}) {
    absl::StatusOr<std::vector<ImageDeleteItem>> r = mgr_->Remove(ref, false);
    EXPECT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
    EXPECT_EQ(r.status().message(), "image is in use by container " + std::string(12, 'c') +
                                        " (web): remove it or use --force");
  }
  // Forced: untagged, but kept (dangling) for the container.
  absl::StatusOr<std::vector<ImageDeleteItem>> r = mgr_->Remove("busybox", true);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].untagged, "busybox:latest");
  absl::StatusOr<ResolvedImage> kept = mgr_->Resolve(img.record.id);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_TRUE(kept->names.empty());
  // Neither prune takes it.
  EXPECT_TRUE(mgr_->Prune(true, nullptr)->items.empty());
}

TEST_F(ImageManagerTest, RunningContainerBlocksEvenForce) {
  ResolvedImage img = MustLoad(Archive({base_}, {"docker.io/library/busybox:latest"}));
  AddContainer(img.record.id, "web", ContainerState::kRunning);
  for (const std::string& ref : {std::string("busybox"), img.record.id}) {
    absl::StatusOr<std::vector<ImageDeleteItem>> r = mgr_->Remove(ref, true);
    EXPECT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
    EXPECT_NE(r.status().message().find("image is in use by container cccccccccccc (web)"),
              std::string::npos)
        << r.status();
  }
  EXPECT_EQ(mgr_->Resolve("busybox")->record.id, img.record.id);
  // Another tag can go: the container keeps the image either way.
  ASSERT_TRUE(mgr_->Tag("busybox", "busybox:spare").ok());
  EXPECT_TRUE(mgr_->Remove("busybox:spare", false).ok());
}

TEST_F(ImageManagerTest, PruneDanglingThenAll) {
  MustLoad(Archive({base_}, {}, ArchiveFormat::kDockerArchive, {"dangling"}));
  std::string dangling = last_id_;
  MustLoad(Archive({base_, app_}, {"docker.io/library/app:latest"}));
  std::string tagged = last_id_;
  MustLoad(Archive({app_}, {"docker.io/library/used:latest"}));
  AddContainer(last_id_, "user", ContainerState::kCreated);

  absl::StatusOr<PruneResult> p = mgr_->Prune(false, nullptr);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->items.size(), 1u);
  EXPECT_EQ(p->items[0].deleted, dangling);
  // Its config blob went; the base layer is shared with app.
  EXPECT_GT(p->space_reclaimed, 0u);
  EXPECT_TRUE(content_->Exists(base_.diff_id));

  p = mgr_->Prune(true, [](const ResolvedImage&) { return false; });
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->items.empty());

  p = mgr_->Prune(true, nullptr);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->items.size(), 2u);
  EXPECT_EQ(p->items[0].untagged, "app:latest");
  EXPECT_EQ(p->items[1].deleted, tagged);
  EXPECT_GE(p->space_reclaimed, base_.blob.size());
  EXPECT_FALSE(content_->Exists(base_.diff_id));
  ASSERT_EQ(mgr_->List()->size(), 1u);
  EXPECT_EQ(mgr_->List()->front().record.id, last_id_);
}

// What a failed pull leaves (verified blobs, committed layers, no record)
// is collected; what images and containers use stays.
TEST_F(ImageManagerTest, CollectGarbageRemovesOnlyWhatNothingUses) {
  ResolvedImage img = MustLoad(Archive({base_}, {"docker.io/library/base:latest"}));
  ASSERT_TRUE(mgr_->Unpack(img).ok());
  // Leftovers: the app layer's blob and its committed layer on top of base,
  // plus a layer stack a container is built on.
  TestLayer other = *testing::MakeLayer({TarEntry::File("other", "x")});
  auto app_blob = content_->Ingest(app_.blob);
  auto other_blob = content_->Ingest(other.blob);
  ASSERT_TRUE(app_blob.ok() && other_blob.ok());
  const Descriptor app_desc{app_.media_type, *app_blob, static_cast<int64_t>(app_.blob.size())};
  const Descriptor other_desc{other.media_type, *other_blob, static_cast<int64_t>(other.blob.size())};
  ASSERT_TRUE(UnpackLayers(*sn_, *content_, {img.image.layers()[0], app_desc},
                           {base_.diff_id, app_.diff_id})
                  .ok());
  ASSERT_TRUE(UnpackLayers(*sn_, *content_, {other_desc}, {other.diff_id}).ok());
  const std::string app_chain = ChainIds({base_.diff_id, app_.diff_id})[1].str();
  const std::string other_chain = ChainIds({other.diff_id})[0].str();
  ASSERT_TRUE(sn_->Prepare("4a7f7eebae0f63178aff7eb0aa39cd3f0627a203ab2df258c1a00b456cf20063",
                           other_chain)
                  .ok());

  absl::StatusOr<uint64_t> freed = mgr_->CollectGarbage();
  ASSERT_TRUE(freed.ok()) << freed.status();
  EXPECT_GT(*freed, 0u);
  EXPECT_FALSE(content_->Exists(*app_blob));
  EXPECT_FALSE(content_->Exists(*other_blob));
  EXPECT_TRUE(absl::IsNotFound(sn_->Stat(app_chain).status()));
  EXPECT_TRUE(sn_->Stat(other_chain).ok()) << "a container's parent was removed";
  // The image is whole and still unpacked.
  auto again = mgr_->Resolve("base");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(sn_->Stat(ChainIds({base_.diff_id})[0].str()).ok());
  for (const Descriptor& l : again->image.layers()) EXPECT_TRUE(content_->Exists(l.digest));
  EXPECT_EQ(*mgr_->CollectGarbage(), 0u);
}

TEST_F(ImageManagerTest, ImageWithLostBlobsIsListedAndRemovable) {
  ResolvedImage img = MustLoad(Archive({base_}, {"docker.io/library/broken:latest"}));
  ASSERT_TRUE(content_->Delete(*Digest::Parse(img.record.manifest_digest)).ok());
  EXPECT_FALSE(mgr_->Resolve("broken").ok());
  absl::StatusOr<std::vector<ResolvedImage>> all = mgr_->List();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().names, std::vector<std::string>{"docker.io/library/broken:latest"});
  absl::StatusOr<std::vector<ImageDeleteItem>> r = mgr_->Remove("broken", false);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->back().deleted, img.record.id);
  EXPECT_TRUE(mgr_->List()->empty());
}

TEST_F(ImageManagerTest, SaveThenLoadRoundTrip) {
  for (ArchiveFormat f : {ArchiveFormat::kDockerArchive, ArchiveFormat::kOciLayout}) {
    MustLoad(Archive({base_, app_}, {"docker.io/library/busybox:latest"}));
    ASSERT_TRUE(mgr_->Tag("busybox", "busybox:second").ok());
    std::string out = tmp_.Sub("saved-" + std::to_string(n_++) + ".tar");
    ASSERT_TRUE(mgr_->Save({"busybox:second"}, out, f).ok());

    // Into a fresh daemon root.
    testing::TempDir other;
    auto content = *ContentStore::Open(other.path());
    auto meta = *MetadataStore::Open(other.Sub("meta.db"));
    auto sn = *NativeSnapshotter::Open(other.Sub("snapshots"));
    EventBus bus;
    ImageManager fresh(*meta, *content, *sn, bus);
    absl::StatusOr<std::vector<ResolvedImage>> got = fresh.Load(out);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ(got->front().record.id, last_id_);
    EXPECT_EQ(got->front().image.names,
              std::vector<std::string>{"docker.io/library/busybox:second"});
    EXPECT_TRUE(absl::IsNotFound(fresh.Resolve("busybox:latest").status()));
    absl::StatusOr<std::string> top = fresh.Unpack(got->front());
    ASSERT_TRUE(top.ok()) << top.status();
  }
  EXPECT_TRUE(
      absl::IsNotFound(mgr_->Save({"nothing"}, tmp_.Sub("x.tar"), ArchiveFormat::kDockerArchive)));
  EXPECT_FALSE(Exists(tmp_.Sub("x.tar")));
  EXPECT_TRUE(
      absl::IsInvalidArgument(mgr_->Save({}, tmp_.Sub("x.tar"), ArchiveFormat::kDockerArchive)));
}

}  // namespace
}  // namespace skiff::manager
