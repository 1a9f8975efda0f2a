#include "manager/content/digest.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace skiff::manager {
namespace {

constexpr char kEmpty[] = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbc[] = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(DigestTest, KnownVectors) {
  EXPECT_EQ(Sha256Of("").str(), kEmpty);
  EXPECT_EQ(Sha256Of("abc").str(), kAbc);
}

TEST(DigestTest, IncrementalEqualsOneShot) {
  Sha256 h;
  h.Update("a");
  h.Update("");
  h.Update("bc");
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.Finish().str(), kAbc);
}

TEST(DigestTest, ParseRoundTrip) {
  absl::StatusOr<Digest> d = Digest::Parse(kAbc);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->str(), kAbc);
  EXPECT_EQ(d->algorithm(), "sha256");
  EXPECT_EQ(d->Short(), "ba7816bf8f01");
  EXPECT_EQ(*d, Sha256Of("abc"));
  absl::StatusOr<Digest> h = Digest::FromHex(d->hex());
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, *d);
}

TEST(DigestTest, ParseRejects) {
  std::string hex(64, 'a');
  for (const std::string& bad :
       {std::string(""), hex, "sha256:" + hex.substr(1), "sha256:" + hex + "a",
        "sha256:" + std::string(63, 'a') + "A", "sha256:" + std::string(63, 'a') + "g",
        "sha512:" + hex, "SHA256:" + hex, std::string("sha256:")}) {
    absl::StatusOr<Digest> d = Digest::Parse(bad);
    EXPECT_FALSE(d.ok()) << bad;
    if (!d.ok()) {
      EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
  absl::StatusOr<Digest> d = Digest::Parse("sha512:" + hex);
  EXPECT_NE(d.status().message().find("only sha256"), absl::string_view::npos) << d.status();
}

TEST(DigestTest, EmptyAndHash) {
  Digest e;
  EXPECT_TRUE(e.empty());
  EXPECT_EQ(e.str(), "");
  absl::flat_hash_set<Digest> set = {Sha256Of("a"), Sha256Of("b"), Sha256Of("a")};
  EXPECT_EQ(set.size(), 2u);
}

}  // namespace
}  // namespace skiff::manager
