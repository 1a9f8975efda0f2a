#include "manager/images/manifest.h"

#include <string>

#include "gtest/gtest.h"
#include "manager/images/media_types.h"

namespace skiff::manager {
namespace {

const std::string kD1 = "sha256:" + std::string(64, '1');
const std::string kD2 = "sha256:" + std::string(64, '2');

std::string ManifestJson(const std::string& layer_digest = kD2, const std::string& extra = "") {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
         R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
         kD1 + R"(","size":10},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
         layer_digest + R"(","size":20,"annotations":{"a":"b"}}])" + extra + "}";
}

void ExpectError(const absl::StatusOr<Manifest>& m, const std::string& want) {
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find(want), absl::string_view::npos) << m.status();
}

TEST(ManifestTest, Parses) {
  absl::StatusOr<Manifest> m = ParseManifest(ManifestJson());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->media_type, media_types::kOciManifest);
  EXPECT_EQ(m->config.digest.str(), kD1);
  EXPECT_EQ(m->config.size, 10);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].digest.str(), kD2);
  EXPECT_EQ(m->layers[0].annotations.at("a"), "b");
  // Canonical JSON round trip.
  absl::StatusOr<Manifest> again = ParseManifest(ToJson(*m));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ToJson(*again), ToJson(*m));
}

TEST(ManifestTest, DockerSchema2) {
  std::string j = R"({"schemaVersion":2,"mediaType":")" +
                  std::string(media_types::kDockerManifest) +
                  R"(","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" +
                  kD1 + R"(","size":1},"layers":[]})";
  absl::StatusOr<Manifest> m = ParseManifest(j);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(media_types::IsManifest(m->media_type));
  EXPECT_TRUE(media_types::IsConfig(m->config.media_type));
}

TEST(ManifestTest, FieldNamedErrors) {
  ExpectError(ParseManifest("{"), "not valid JSON");
  ExpectError(ParseManifest("[]"), "want a JSON object");
  ExpectError(ParseManifest(R"({"schemaVersion":1})"), "Docker schema 1");
  ExpectError(ParseManifest(R"({"schemaVersion":"2"})"), "field `schemaVersion`: want an integer, got a string");
  ExpectError(ParseManifest(R"({"schemaVersion":2,"layers":[]})"), "field `config` is required");
  ExpectError(ParseManifest(ManifestJson("sha256:xyz")), "field `layers[0].digest`: invalid digest");
  std::string no_size = ManifestJson();
  no_size.replace(no_size.find(R"("size":20)"), 9, R"("size":-1)");
  ExpectError(ParseManifest(no_size), "field `layers[0].size`: negative size");
  std::string bad_ann = ManifestJson();
  bad_ann.replace(bad_ann.find(R"("a":"b")"), 7, R"("a":1)");
  ExpectError(ParseManifest(bad_ann), R"(field `layers[0].annotations["a"]`: want a string, got an integer)");
  ExpectError(ParseManifest(ManifestJson(kD2, R"(,"mediaType":"text/plain")")), "");
  std::string wrong_type = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","config":{},"layers":[]})";
  ExpectError(ParseManifest(wrong_type), "is not an image manifest type");
}

TEST(IndexTest, ParsesWithPlatforms) {
  std::string j = R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                  kD1 + R"(","size":5,"platform":{"architecture":"arm64","os":"linux","variant":"v8"},)"
                        R"("annotations":{"org.opencontainers.image.ref.name":"latest"}}]})";
  absl::StatusOr<Index> idx = ParseIndex(j);
  ASSERT_TRUE(idx.ok()) << idx.status();
  ASSERT_EQ(idx->manifests.size(), 1u);
  ASSERT_TRUE(idx->manifests[0].platform.has_value());
  EXPECT_EQ(idx->manifests[0].platform->variant, "v8");
  EXPECT_EQ(idx->manifests[0].annotations.at(kAnnotationRefName), "latest");
  absl::StatusOr<Index> again = ParseIndex(ToJson(*idx));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ToJson(*again), ToJson(*idx));
}

TEST(IndexTest, Errors) {
  absl::StatusOr<Index> idx = ParseIndex(R"({"schemaVersion":2,"manifests":[{"mediaType":"x","digest":")" + kD1 +
                                         R"(","size":1,"platform":{"os":"linux"}}]})");
  ASSERT_FALSE(idx.ok());
  EXPECT_NE(idx.status().message().find("index: field `manifests[0].platform.architecture` is required"),
            absl::string_view::npos)
      << idx.status();
  idx = ParseIndex(R"({"schemaVersion":2,"manifests":{}})");
  ASSERT_FALSE(idx.ok());
  EXPECT_NE(idx.status().message().find("field `manifests`: want an array, got an object"),
            absl::string_view::npos)
      << idx.status();
}

TEST(SniffTest, KindsWithoutMediaType) {
  EXPECT_EQ(*SniffManifestType(R"({"manifests":[]})"), media_types::kOciIndex);
  EXPECT_EQ(*SniffManifestType(R"({"config":{}})"), media_types::kOciManifest);
  EXPECT_EQ(*SniffManifestType(R"({"mediaType":"x"})"), "x");
  EXPECT_FALSE(SniffManifestType(R"({"a":1})").ok());
}

TEST(MediaTypesTest, Kinds) {
  EXPECT_TRUE(media_types::IsIndex(media_types::kDockerManifestList));
  EXPECT_TRUE(media_types::IsLayer(media_types::kDockerLayerGzip));
  EXPECT_TRUE(media_types::IsLayer(media_types::kOciLayerZstd));
  EXPECT_TRUE(media_types::IsLayer(media_types::kOciLayerNondistributableGzip));
  EXPECT_FALSE(media_types::IsLayer(media_types::kOciConfig));
  EXPECT_FALSE(media_types::IsManifest(media_types::kOciIndex));
}

}  // namespace
}  // namespace skiff::manager
