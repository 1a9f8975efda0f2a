// UnpackLayers with the hooks a pull uses: layers read from a source other
// than the content store, a source that restarts, a blob that fails its
// verification after it was applied.

#include "manager/snapshots/unpack.h"

#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "gtest/gtest.h"
#include "manager/images/test_images.h"
#include "manager/snapshots/chain_id.h"
#include "manager/snapshots/native/native.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

using testing::TarEntry;
using testing::TempDir;
using testing::TestLayer;

// A source over `data` that fails with `error` after `fail_after` bytes.
ByteSource StringSource(std::string data, size_t fail_after = std::string::npos,
                        absl::Status error = absl::OkStatus()) {
  auto pos = std::make_shared<size_t>(0);
  return [=](char* buf, size_t n) -> absl::StatusOr<size_t> {
    if (*pos >= fail_after) return error;
    size_t k = std::min({n, data.size() - *pos, fail_after - *pos});
    memcpy(buf, data.data() + *pos, k);
    *pos += k;
    return k;
  };
}

class UnpackHooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = ContentStore::Open(dir_.Sub("store"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto sn = NativeSnapshotter::Open(dir_.Sub("snapshots"));
    ASSERT_TRUE(sn.ok()) << sn.status();
    sn_ = std::move(*sn);
    auto a = testing::MakeLayer({TarEntry::File("a", "from layer a")}, testing::TarCompression::kGzip);
    auto b = testing::MakeLayer({TarEntry::File("b", std::string(200000, 'b'))},
                                testing::TarCompression::kGzip);
    ASSERT_TRUE(a.ok() && b.ok());
    layers_ = {*a, *b};
    for (const TestLayer& l : layers_) {
      descs_.push_back(Descriptor{l.media_type, Sha256Of(l.blob), static_cast<int64_t>(l.blob.size())});
      diff_ids_.push_back(l.diff_id);
    }
  }

  std::vector<std::string> Snapshots() {
    std::vector<std::string> keys;
    EXPECT_TRUE(sn_->Walk([&](const SnapshotInfo& i) {
                     keys.push_back(i.key);
                     return absl::OkStatus();
                   }).ok());
    return keys;
  }

  TempDir dir_;
  std::unique_ptr<ContentStore> store_;
  std::unique_ptr<NativeSnapshotter> sn_;
  std::vector<TestLayer> layers_;
  std::vector<Descriptor> descs_;
  std::vector<Digest> diff_ids_;
};

TEST_F(UnpackHooksTest, LayersComeFromTheHookNotTheStore) {
  std::vector<std::string> done;
  UnpackHooks hooks;
  hooks.open = [&](size_t i) -> absl::StatusOr<ByteSource> { return StringSource(layers_[i].blob); };
  std::vector<uint64_t> sizes;
  hooks.done = [&](size_t i, bool existed, uint64_t size) {
    done.push_back(absl::StrCat(i, existed ? " existed" : " unpacked"));
    if (!existed) sizes.push_back(size);
  };
  // The store has no blob at all: everything comes through the hook.
  auto chains = UnpackLayers(*sn_, *store_, descs_, diff_ids_, hooks);
  ASSERT_TRUE(chains.ok()) << chains.status();
  EXPECT_EQ(done, (std::vector<std::string>{"0 unpacked", "1 unpacked"}));
  // The tar's own size: 512-byte blocks, more than the file it holds.
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[1] % 512, 0u);
  EXPECT_GT(sizes[1], 200000u);
  auto mounts = sn_->View("view", chains->back().str());
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  EXPECT_EQ(*ReadFile(mounts->at(0).source + "/a"), "from layer a");
  EXPECT_EQ(ReadFile(mounts->at(0).source + "/b")->size(), 200000u);

  done.clear();
  ASSERT_TRUE(UnpackLayers(*sn_, *store_, descs_, diff_ids_, hooks).ok());
  EXPECT_EQ(done, (std::vector<std::string>{"0 existed", "1 existed"}));
}

TEST_F(UnpackHooksTest, AbortedSourceIsOpenedAgainAndAppliedAfresh) {
  int opens = 0;
  UnpackHooks hooks;
  hooks.open = [&](size_t i) -> absl::StatusOr<ByteSource> {
    ++opens;
    if (i == 1 && opens == 2) {  // the first read of layer 1 restarts half way
      return StringSource(layers_[i].blob, layers_[i].blob.size() / 2,
                          absl::AbortedError("the download restarted from the first byte"));
    }
    return StringSource(layers_[i].blob);
  };
  auto chains = UnpackLayers(*sn_, *store_, descs_, diff_ids_, hooks);
  ASSERT_TRUE(chains.ok()) << chains.status();
  EXPECT_EQ(opens, 3);
  // Only the two committed layers: the aborted attempt's snapshot is gone.
  auto keys = Snapshots();
  EXPECT_EQ(keys.size(), 2u) << absl::StrJoin(keys, ", ");
}

TEST_F(UnpackHooksTest, FailedVerificationLeavesNoSnapshot) {
  UnpackHooks hooks;
  hooks.open = [&](size_t i) -> absl::StatusOr<ByteSource> { return StringSource(layers_[i].blob); };
  hooks.verify = [&](size_t i) -> absl::Status {
    if (i == 1) return absl::DataLossError("digest mismatch: expected sha256:aa, got sha256:bb");
    return absl::OkStatus();
  };
  auto chains = UnpackLayers(*sn_, *store_, descs_, diff_ids_, hooks);
  ASSERT_FALSE(chains.ok());
  EXPECT_TRUE(absl::IsDataLoss(chains.status())) << chains.status();
  EXPECT_TRUE(absl::StrContains(chains.status().message(), descs_[1].digest.str()))
      << chains.status();
  // Layer 0 is committed (a retry reuses it); nothing of layer 1 remains.
  auto keys = Snapshots();
  ASSERT_EQ(keys.size(), 1u) << absl::StrJoin(keys, ", ");
  EXPECT_EQ(keys[0], ChainIds(diff_ids_)[0].str());
}

TEST_F(UnpackHooksTest, OtherSourceErrorsAreNotRetried) {
  int opens = 0;
  UnpackHooks hooks;
  hooks.open = [&](size_t i) -> absl::StatusOr<ByteSource> {
    ++opens;
    return StringSource(layers_[i].blob, 10, absl::UnavailableError("connection reset"));
  };
  auto chains = UnpackLayers(*sn_, *store_, descs_, diff_ids_, hooks);
  ASSERT_FALSE(chains.ok());
  EXPECT_TRUE(absl::IsUnavailable(chains.status())) << chains.status();
  EXPECT_EQ(opens, 1);
  EXPECT_TRUE(Snapshots().empty());
}

}  // namespace
}  // namespace skiff::manager
