#include "manager/images/platform.h"

#include "gtest/gtest.h"

namespace skiff::manager {
namespace {

Descriptor Entry(const std::string& os, const std::string& arch, const std::string& variant,
                 char fill) {
  Descriptor d;
  d.media_type = "application/vnd.oci.image.manifest.v1+json";
  d.digest = *Digest::FromHex(std::string(64, fill));
  Platform p;
  p.os = os, p.architecture = arch, p.variant = variant;
  d.platform = p;
  return d;
}

Index Idx(std::vector<Descriptor> ds) {
  Index i;
  i.manifests = std::move(ds);
  return i;
}

char Pick(const Index& idx, const std::string& want) {
  absl::StatusOr<Descriptor> d = SelectManifest(idx, *ParsePlatform(want));
  if (!d.ok()) return '-';
  return d->digest.hex()[0];
}

TEST(PlatformTest, ParseAndNormalize) {
  EXPECT_EQ(PlatformString(*ParsePlatform("linux/x86_64")), "linux/amd64");
  EXPECT_EQ(PlatformString(*ParsePlatform("Linux/aarch64")), "linux/arm64/v8");
  EXPECT_EQ(PlatformString(*ParsePlatform("linux/arm")), "linux/arm/v7");
  EXPECT_EQ(PlatformString(*ParsePlatform("linux/armhf")), "linux/arm/v7");
  EXPECT_EQ(PlatformString(*ParsePlatform("linux/arm/6")), "linux/arm/v6");
  EXPECT_EQ(PlatformString(DefaultPlatform()), "linux/amd64");
  EXPECT_FALSE(ParsePlatform("linux").ok());
  EXPECT_FALSE(ParsePlatform("linux/").ok());
  EXPECT_FALSE(ParsePlatform("a/b/c/d").ok());
}

TEST(PlatformTest, DefaultIsLinuxAmd64) {
  Index idx = Idx({Entry("linux", "arm64", "v8", 'a'), Entry("linux", "amd64", "", 'b'),
                   Entry("windows", "amd64", "", 'c')});
  absl::StatusOr<Descriptor> d = SelectManifest(idx, DefaultPlatform());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->digest.hex()[0], 'b');
}

TEST(PlatformTest, VariantAware) {
  Index idx = Idx({Entry("linux", "arm", "v5", 'a'), Entry("linux", "arm", "v6", 'b'),
                   Entry("linux", "arm", "v7", 'c'), Entry("linux", "arm64", "", 'd'),
                   Entry("linux", "amd64", "v2", 'e'), Entry("linux", "amd64", "v3", 'f')});
  EXPECT_EQ(Pick(idx, "linux/arm/v7"), 'c');
  EXPECT_EQ(Pick(idx, "linux/arm/v6"), 'b');
  EXPECT_EQ(Pick(idx, "linux/arm/v5"), 'a');
  EXPECT_EQ(Pick(idx, "linux/arm64/v8"), 'd');  // no variant in the index means v8
  EXPECT_EQ(Pick(idx, "linux/aarch64"), 'd');
  EXPECT_EQ(Pick(idx, "linux/amd64/v3"), 'f');
  EXPECT_EQ(Pick(idx, "linux/amd64"), 'e');  // any variant: first of equals
  EXPECT_EQ(Pick(idx, "linux/amd64/v4"), '-');
  // An older arm variant runs on a newer host; not the other way round.
  Index old = Idx({Entry("linux", "arm", "v6", 'b')});
  EXPECT_EQ(Pick(old, "linux/arm/v7"), 'b');
  Index newer = Idx({Entry("linux", "arm", "v7", 'c')});
  EXPECT_EQ(Pick(newer, "linux/arm/v6"), '-');
}

TEST(PlatformTest, NotFoundListsWhatIsThere) {
  Index idx = Idx({Entry("linux", "arm64", "v8", 'a'), Entry("linux", "s390x", "", 'b'),
                   Entry("unknown", "unknown", "", 'c')});
  absl::StatusOr<Descriptor> d = SelectManifest(idx, DefaultPlatform());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(d.status().message().find("linux/amd64"), absl::string_view::npos) << d.status();
  EXPECT_NE(d.status().message().find("linux/arm64/v8, linux/s390x"), absl::string_view::npos)
      << d.status();
}

TEST(PlatformTest, SingleEntryWithoutPlatform) {
  Descriptor d = Entry("linux", "amd64", "", 'a');
  d.platform.reset();
  EXPECT_TRUE(SelectManifest(Idx({d}), DefaultPlatform()).ok());
  EXPECT_FALSE(SelectManifest(Idx({d, d}), DefaultPlatform()).ok());
}

}  // namespace
}  // namespace skiff::manager
