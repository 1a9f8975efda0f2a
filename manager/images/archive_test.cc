// LoadArchive and SaveArchive on archives built here, entry by entry, in the
// shapes docker, podman and skopeo write (and some broken ones).

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "manager/images/archive_load.h"
#include "manager/images/archive_save.h"
#include "manager/images/media_types.h"
#include "manager/images/test_images.h"
#include "manager/testing/tar_builder.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

using nlohmann::json;
using testing::TarCompression;
using testing::TarEntry;
using testing::TestLayer;

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ContentStore::Open(tmp_.Sub("store"));
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
    l1_ = *testing::MakeLayer({TarEntry::Dir("etc"), TarEntry::File("etc/hostname", "one\n")});
    l2_ = *testing::MakeLayer({TarEntry::File("etc/motd", "two\n")}, TarCompression::kGzip);
    l3_ = *testing::MakeLayer({TarEntry::File("three", "3")}, TarCompression::kZstd);
  }

  // Writes `entries` as a tar file and returns its path.
  std::string WriteArchive(const std::vector<TarEntry>& entries,
                           TarCompression c = TarCompression::kNone) {
    std::string path = tmp_.Sub("in-" + std::to_string(n_++) + ".tar");
    absl::StatusOr<std::string> tar = testing::BuildTar(entries, c);
    EXPECT_TRUE(tar.ok()) << tar.status();
    EXPECT_TRUE(testing::WriteTestFile(path, *tar).ok());
    return path;
  }

  // What `docker save` (before docker 25) writes for one image.
  std::vector<TarEntry> DockerSave(const std::vector<TestLayer>& layers, const std::string& config,
                                   const json& repo_tags) {
    std::vector<TarEntry> e;
    json layer_paths = json::array();
    for (size_t i = 0; i < layers.size(); ++i) {
      std::string id = std::string(63, 'a' + static_cast<char>(i)) + "0";
      e.push_back(TarEntry::Dir(id));
      e.push_back(TarEntry::File(id + "/VERSION", "1.0"));
      e.push_back(TarEntry::File(id + "/json", R"({"id":")" + id + R"("})"));
      e.push_back(TarEntry::File(id + "/layer.tar", layers[i].blob));
      layer_paths.push_back(id + "/layer.tar");
    }
    std::string config_name = Sha256Of(config).hex() + ".json";
    e.push_back(TarEntry::File(config_name, config));
    json m = json::array({{{"Config", config_name}, {"RepoTags", repo_tags}, {"Layers", layer_paths}}});
    e.push_back(TarEntry::File("manifest.json", m.dump()));
    e.push_back(TarEntry::File("repositories", R"({"busybox":{"latest":"x"}})"));
    return e;
  }

  // An OCI image layout holding one manifest; returns its descriptor.
  Descriptor OciManifest(const std::vector<TestLayer>& layers, const std::string& config,
                         std::vector<TarEntry>* e) {
    Manifest m;
    m.media_type = media_types::kOciManifest;
    m.config = {media_types::kOciConfig, Sha256Of(config), static_cast<int64_t>(config.size())};
    e->push_back(TarEntry::File("blobs/sha256/" + m.config.digest.hex(), config));
    for (const TestLayer& l : layers) {
      Descriptor d{l.media_type, Sha256Of(l.blob), static_cast<int64_t>(l.blob.size())};
      m.layers.push_back(d);
      e->push_back(TarEntry::File("blobs/sha256/" + d.digest.hex(), l.blob));
    }
    std::string text = ToJson(m);
    e->push_back(TarEntry::File("blobs/sha256/" + Sha256Of(text).hex(), text));
    return {media_types::kOciManifest, Sha256Of(text), static_cast<int64_t>(text.size())};
  }

  std::string Config(const std::vector<TestLayer>& layers) {
    std::vector<Digest> ids;
    for (const TestLayer& l : layers) ids.push_back(l.diff_id);
    return testing::MakeConfigJson(ids);
  }

  testing::TempDir tmp_;
  std::unique_ptr<ContentStore> store_;
  TestLayer l1_, l2_, l3_;
  int n_ = 0;
};

TEST_F(ArchiveTest, LoadsDockerArchive) {
  std::string config = Config({l1_, l2_});
  std::string path = WriteArchive(DockerSave({l1_, l2_}, config, {"busybox:latest", "reg:5000/a/b:1"}));
  absl::StatusOr<std::vector<Image>> images = LoadArchive(path, *store_);
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 1u);
  const Image& img = (*images)[0];
  EXPECT_EQ(img.names, (std::vector<std::string>{"docker.io/library/busybox:latest", "reg:5000/a/b:1"}));
  EXPECT_EQ(img.config_digest, Sha256Of(config));
  EXPECT_EQ(img.config.config.cmd, (std::vector<std::string>{"sh"}));
  EXPECT_EQ(img.config.config.exposed_ports, (std::vector<std::string>{"80/tcp"}));
  ASSERT_EQ(img.layers().size(), 2u);
  EXPECT_EQ(img.layers()[0].media_type, media_types::kOciLayer);
  EXPECT_EQ(img.layers()[1].media_type, media_types::kOciLayerGzip);
  EXPECT_EQ(img.layers()[1].digest, Sha256Of(l2_.blob));
  EXPECT_EQ(img.diff_ids()[1], l2_.diff_id);
  // A manifest was written for it, and is what the image points at.
  EXPECT_EQ(img.target.digest, img.manifest_digest);
  EXPECT_TRUE(store_->Exists(img.manifest_digest));
  // Blobs stored: 2 layers, config, manifest; the legacy json/VERSION files are not.
  EXPECT_EQ(store_->List()->size(), 4u);
}

TEST_F(ArchiveTest, LoadsGzippedDockerArchiveWithSymlinkedLayer) {
  // Old docker writes a layer shared by two images once, and a symlink.
  std::string c1 = Config({l1_});
  std::string c2 = Config({l1_, l3_});
  std::string id1(64, '1'), id2(64, '2'), id3(64, '3');
  std::vector<TarEntry> e = {
      TarEntry::Dir(id1), TarEntry::File(id1 + "/layer.tar", l1_.blob),
      TarEntry::Dir(id2), TarEntry::Symlink(id2 + "/layer.tar", "../" + id1 + "/layer.tar"),
      TarEntry::Dir(id3), TarEntry::File(id3 + "/layer.tar", l3_.blob),
      TarEntry::File("c1.json", c1), TarEntry::File("c2.json", c2),
      TarEntry::File("manifest.json",
                     json::array({{{"Config", "c1.json"}, {"RepoTags", {"one"}}, {"Layers", {id1 + "/layer.tar"}}},
                                  {{"Config", "c2.json"}, {"RepoTags", nullptr},
                                   {"Layers", {id2 + "/layer.tar", id3 + "/layer.tar"}}}})
                         .dump())};
  absl::StatusOr<std::vector<Image>> images = LoadArchive(WriteArchive(e, TarCompression::kGzip), *store_);
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 2u);
  EXPECT_EQ((*images)[0].names, std::vector<std::string>{"docker.io/library/one:latest"});
  EXPECT_TRUE((*images)[1].names.empty());
  EXPECT_EQ((*images)[1].layers()[0].digest, Sha256Of(l1_.blob));
  EXPECT_EQ((*images)[1].layers()[1].media_type, media_types::kOciLayerZstd);
}

TEST_F(ArchiveTest, DockerArchiveLayerMustMatchDiffId) {
  TestLayer wrong = l1_;
  wrong.blob = *testing::BuildTar({TarEntry::File("evil", "x")});
  std::string config = Config({l1_});
  absl::StatusOr<std::vector<Image>> images = LoadArchive(WriteArchive(DockerSave({wrong}, config, {"x"})), *store_);
  ASSERT_FALSE(images.ok());
  EXPECT_NE(images.status().message().find(Sha256Of(wrong.blob).str()), absl::string_view::npos) << images.status();
  EXPECT_NE(images.status().message().find(l1_.diff_id.str()), absl::string_view::npos) << images.status();
}

TEST_F(ArchiveTest, DockerArchiveMissingLayer) {
  std::vector<TarEntry> e = DockerSave({l1_}, Config({l1_}), {"x"});
  e.erase(std::remove_if(e.begin(), e.end(), [](const TarEntry& t) { return t.path.find("layer.tar") != std::string::npos; }),
          e.end());
  absl::StatusOr<std::vector<Image>> images = LoadArchive(WriteArchive(e), *store_);
  ASSERT_FALSE(images.ok());
  EXPECT_NE(images.status().message().find("layer.tar` is not in the archive"), absl::string_view::npos)
      << images.status();
}

TEST_F(ArchiveTest, LoadsOciLayout) {
  std::vector<TarEntry> e = {TarEntry::File("oci-layout", R"({"imageLayoutVersion":"1.0.0"})")};
  Descriptor d = OciManifest({l1_, l3_}, Config({l1_, l3_}), &e);
  Index idx;
  Descriptor tagged = d, tagged2 = d;
  tagged.annotations[kAnnotationRefName] = "docker.io/library/app:1";
  tagged2.annotations[kAnnotationRefName] = "localhost/app:2";
  idx.manifests = {tagged, tagged2};
  e.push_back(TarEntry::File("index.json", ToJson(idx)));
  absl::StatusOr<std::vector<Image>> images = LoadArchive(WriteArchive(e), *store_);
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 1u);  // two tags of one manifest
  EXPECT_EQ((*images)[0].names, (std::vector<std::string>{"docker.io/library/app:1", "localhost/app:2"}));
  EXPECT_EQ((*images)[0].manifest_digest, d.digest);
  EXPECT_EQ((*images)[0].layers()[1].media_type, media_types::kOciLayerZstd);
}

TEST_F(ArchiveTest, OciIndexPicksPlatformAndNamesFromManifestJson) {
  // docker 25 style: index.json -> an index of platforms; ref.name is a bare
  // tag, the name is in manifest.json; the arm64 blobs are not in the archive.
  std::vector<TarEntry> e = {TarEntry::File("oci-layout", R"({"imageLayoutVersion":"1.0.0"})")};
  std::string config = Config({l2_});
  Descriptor amd = OciManifest({l2_}, config, &e);
  amd.platform = Platform{"linux", "amd64", "", "", {}};
  Descriptor arm{media_types::kOciManifest, Sha256Of("arm"), 3};
  arm.platform = Platform{"linux", "arm64", "v8", "", {}};
  Index inner;
  inner.media_type = media_types::kOciIndex;
  inner.manifests = {arm, amd};
  std::string inner_text = ToJson(inner);
  e.push_back(TarEntry::File("blobs/sha256/" + Sha256Of(inner_text).hex(), inner_text));
  Index top;
  Descriptor top_d{media_types::kOciIndex, Sha256Of(inner_text), static_cast<int64_t>(inner_text.size())};
  top_d.annotations[kAnnotationRefName] = "latest";
  top.manifests = {top_d};
  e.push_back(TarEntry::File("index.json", ToJson(top)));
  e.push_back(TarEntry::File(
      "manifest.json",
      json::array({{{"Config", "blobs/sha256/" + Sha256Of(config).hex()}, {"RepoTags", {"web:v1"}},
                    {"Layers", {"blobs/sha256/" + Sha256Of(l2_.blob).hex()}}}})
          .dump()));
  absl::StatusOr<std::vector<Image>> images = LoadArchive(WriteArchive(e), *store_);
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 1u);
  const Image& img = (*images)[0];
  EXPECT_EQ(img.names, std::vector<std::string>{"docker.io/library/web:v1"});
  EXPECT_EQ(img.target.digest, Sha256Of(inner_text));
  EXPECT_EQ(img.manifest_digest, amd.digest);

  // Asking for arm64 finds that its manifest is not there.
  absl::StatusOr<std::vector<Image>> arm_images =
      LoadArchive(WriteArchive(e), *store_, *ParsePlatform("linux/arm64"));
  ASSERT_FALSE(arm_images.ok());
  EXPECT_NE(arm_images.status().message().find(Sha256Of("arm").str() + " is missing"), absl::string_view::npos)
      << arm_images.status();
}

TEST_F(ArchiveTest, OciBlobMustMatchItsName) {
  std::vector<TarEntry> e = {TarEntry::File("oci-layout", R"({"imageLayoutVersion":"1.0.0"})")};
  Descriptor d = OciManifest({l1_}, Config({l1_}), &e);
  std::string name = "blobs/sha256/" + Sha256Of(l1_.blob).hex();
  for (TarEntry& t : e) {
    if (t.path == name) t.data = "tampered";
  }
  Index idx;
  idx.manifests = {d};
  e.push_back(TarEntry::File("index.json", ToJson(idx)));
  absl::StatusOr<std::vector<Image>> images = LoadArchive(WriteArchive(e), *store_);
  ASSERT_FALSE(images.ok());
  const std::string msg(images.status().message());
  EXPECT_NE(msg.find("archive entry `" + name + "`"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected " + Sha256Of(l1_.blob).str()), std::string::npos) << msg;
  EXPECT_NE(msg.find("got " + Sha256Of("tampered").str()), std::string::npos) << msg;
  EXPECT_FALSE(store_->Exists(Sha256Of("tampered")));
}

TEST_F(ArchiveTest, OciMissingLayerAndBadLayout) {
  std::vector<TarEntry> e = {TarEntry::File("oci-layout", R"({"imageLayoutVersion":"1.0.0"})")};
  Descriptor d = OciManifest({l1_}, Config({l1_}), &e);
  std::string name = "blobs/sha256/" + Sha256Of(l1_.blob).hex();
  e.erase(std::remove_if(e.begin(), e.end(), [&](const TarEntry& t) { return t.path == name; }), e.end());
  Index idx;
  idx.manifests = {d};
  e.push_back(TarEntry::File("index.json", ToJson(idx)));
  absl::StatusOr<std::vector<Image>> images = LoadArchive(WriteArchive(e), *store_);
  ASSERT_FALSE(images.ok());
  EXPECT_EQ(images.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(images.status().message().find("layer 0 " + Sha256Of(l1_.blob).str() + " is missing"),
            absl::string_view::npos)
      << images.status();

  e[0].data = R"({"imageLayoutVersion":"2.0.0"})";
  images = LoadArchive(WriteArchive(e), *store_);
  ASSERT_FALSE(images.ok());
  EXPECT_NE(images.status().message().find("unsupported imageLayoutVersion"), absl::string_view::npos);
}

TEST_F(ArchiveTest, NotAnImageArchive) {
  absl::StatusOr<std::vector<Image>> images = LoadArchive(WriteArchive({TarEntry::File("hello", "x")}), *store_);
  ASSERT_FALSE(images.ok());
  EXPECT_NE(images.status().message().find("neither index.json"), absl::string_view::npos) << images.status();

  std::string junk = tmp_.Sub("junk");
  ASSERT_TRUE(testing::WriteTestFile(junk, std::string(2000, 'j')).ok());
  images = LoadArchive(junk, *store_);
  ASSERT_FALSE(images.ok());
  EXPECT_NE(images.status().message().find(junk), absl::string_view::npos) << images.status();

  images = LoadArchive(tmp_.Sub("nonexistent.tar"), *store_);
  ASSERT_FALSE(images.ok());
  EXPECT_NE(images.status().message().find("nonexistent.tar"), absl::string_view::npos) << images.status();
}

TEST_F(ArchiveTest, SaveThenLoadRoundTrips) {
  absl::StatusOr<Image> a = testing::AddImage(*store_, {l1_, l2_}, Config({l1_, l2_}),
                                              {"docker.io/library/a:1", "docker.io/library/a:latest"});
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<Image> b = testing::AddImage(*store_, {l1_, l3_}, Config({l1_, l3_}), {"quay.io/x/b:2"});
  ASSERT_TRUE(b.ok()) << b.status();
  for (ArchiveFormat f : {ArchiveFormat::kDockerArchive, ArchiveFormat::kOciLayout}) {
    SCOPED_TRACE(f == ArchiveFormat::kDockerArchive ? "docker-archive" : "oci");
    std::string out = tmp_.Sub("saved.tar");
    ASSERT_TRUE(SaveArchive({*a, *b}, out, f, *store_).ok());
    auto other = ContentStore::Open(tmp_.Sub(f == ArchiveFormat::kDockerArchive ? "s1" : "s2"));
    ASSERT_TRUE(other.ok());
    absl::StatusOr<std::vector<Image>> back = LoadArchive(out, **other);
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_EQ(back->size(), 2u);
    EXPECT_EQ((*back)[0].names, a->names);
    EXPECT_EQ((*back)[1].names, b->names);
    // The image id (config digest) survives either way.
    EXPECT_EQ((*back)[0].config_digest, a->config_digest);
    EXPECT_EQ((*back)[1].config_digest, b->config_digest);
    EXPECT_EQ((*back)[1].diff_ids(), b->diff_ids());
    if (f == ArchiveFormat::kOciLayout) {
      EXPECT_EQ((*back)[0].manifest_digest, a->manifest_digest);  // blobs as they were
      EXPECT_EQ((*back)[1].layers()[1].media_type, media_types::kOciLayerZstd);
    } else {
      // docker archives carry uncompressed layers: each one is its DiffID.
      for (const Image& img : *back) {
        for (size_t i = 0; i < img.layers().size(); ++i) {
          EXPECT_EQ(img.layers()[i].digest, img.diff_ids()[i]);
          EXPECT_EQ(img.layers()[i].media_type, media_types::kOciLayer);
        }
      }
    }
  }
}

TEST_F(ArchiveTest, SaveWritesDockerShapes) {
  absl::StatusOr<Image> a = testing::AddImage(*store_, {l2_}, Config({l2_}), {"docker.io/library/a:1"});
  ASSERT_TRUE(a.ok());
  std::string out = tmp_.Sub("d.tar");
  ASSERT_TRUE(SaveArchive({*a}, out, ArchiveFormat::kDockerArchive, *store_).ok());
  // Read it back as a plain tar through a fresh load's view: manifest.json.
  auto s = ContentStore::Open(tmp_.Sub("s"));
  absl::StatusOr<std::vector<Image>> back = LoadArchive(out, **s);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ((*back)[0].names, std::vector<std::string>{"docker.io/library/a:1"});
  EXPECT_TRUE((*s)->Exists(l2_.diff_id));  // the gzip layer went in uncompressed
}

TEST_F(ArchiveTest, FailedSaveLeavesNoFile) {
  absl::StatusOr<Image> a = testing::AddImage(*store_, {l1_}, Config({l1_}), {"docker.io/library/a:1"});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(store_->Delete(a->layers()[0].digest).ok());
  std::string out = tmp_.Sub("fail.tar");
  absl::Status st = SaveArchive({*a}, out, ArchiveFormat::kOciLayout, *store_);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(a->layers()[0].digest.str()), absl::string_view::npos) << st;
  struct stat sb;
  EXPECT_NE(stat(out.c_str(), &sb), 0);
  EXPECT_NE(stat((out + ".tmp-" + std::to_string(getpid())).c_str(), &sb), 0);
}

}  // namespace
}  // namespace skiff::manager
