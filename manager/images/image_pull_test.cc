// ImageManager::Pull against a small in-process registry: layers are
// unpacked while they download, including when a download is cut and the
// registry cannot resume it, so the layer is fetched again from its first
// byte under the unpacker.

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "manager/content/content_store.h"
#include "manager/events/event_bus.h"
#include "manager/images/image_manager.h"
#include "manager/images/media_types.h"
#include "manager/images/test_images.h"
#include "manager/metadata/store.h"
#include "manager/registry/client.h"
#include "manager/registry/pull.h"
#include "manager/registry/test_server.h"
#include "manager/snapshots/chain_id.h"
#include "manager/snapshots/native/native.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

using registry::testing::TestRequest;
using registry::testing::TestResponse;
using registry::testing::TestServer;
using testing::TarCompression;
using testing::TarEntry;

class ImagePullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = *ContentStore::Open(tmp_.Sub("src"));
    content_ = *ContentStore::Open(tmp_.Sub("root"));
    meta_ = *MetadataStore::Open(tmp_.Sub("root/meta.db"));
    sn_ = *NativeSnapshotter::Open(tmp_.Sub("root/snapshots"));
    mgr_ = std::make_unique<ImageManager>(*meta_, *content_, *sn_, bus_);

    big_.resize(2 << 20);
    uint64_t x = 0x2545f4914f6cdd1dull;
    for (size_t i = 0; i < big_.size(); i += 8) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      memcpy(&big_[i], &x, 8);
    }
    auto base = testing::MakeLayer({TarEntry::File("etc/motd", "hi\n")}, TarCompression::kGzip);
    auto data = testing::MakeLayer({TarEntry::Dir("data"), TarEntry::File("data/big", big_)},
                                   TarCompression::kGzip);
    ASSERT_TRUE(base.ok() && data.ok());
    auto img = testing::AddImage(*src_, {*base, *data},
                                 testing::MakeConfigJson({base->diff_id, data->diff_id}), {});
    ASSERT_TRUE(img.ok()) << img.status();
    image_ = *img;
    server_ = std::make_unique<TestServer>([this](const TestRequest& r) { return Handle(r); });
  }

  TestResponse Handle(const TestRequest& r) {
    const TestResponse not_found{404, {}, "", std::string::npos};
    if (r.target == "/v2/") return {200, {}, "{}", std::string::npos};
    if (r.target == "/v2/app/manifests/v1") {
      return {200,
              {absl::StrCat("Content-Type: ", media_types::kOciManifest),
               "Docker-Content-Digest: " + image_.target.digest.str()},
              *src_->Get(image_.target.digest),
              std::string::npos};
    }
    const std::string prefix = "/v2/app/blobs/";
    if (!absl::StartsWith(r.target, prefix)) return not_found;
    auto d = Digest::Parse(r.target.substr(prefix.size()));
    if (!d.ok() || !src_->Exists(*d)) return not_found;
    // No Range support: a cut transfer starts again from the first byte.
    TestResponse resp{200, {}, *src_->Get(*d), std::string::npos};
    if (*d == image_.layers()[1].digest && r.method == "GET" && cuts_ > 0) {
      --cuts_;
      resp.cut_after = resp.body.size() / 2;
    }
    return resp;
  }

  absl::StatusOr<PulledImage> PullApp(std::vector<registry::PullProgress>* log,
                                      std::function<bool()> cancelled = nullptr) {
    registry::RegistryOptions o;
    o.http.initial_backoff = absl::Milliseconds(5);
    o.blob_attempts = 6;
    client_ = registry::RegistryClient::Create(server_->host(), o);
    registry::PullOptions opts;
    opts.progress = [this, log](const registry::PullProgress& p) {
      log->push_back(p);
      if (p.status == "Download complete") ++downloaded_;
    };
    opts.cancelled = std::move(cancelled);
    return mgr_->Pull(*client_, *Reference::Parse(server_->host() + "/app:v1"), opts);
  }

  // What the pulled image's top layer holds at `path`.
  absl::StatusOr<std::string> ReadFromImage(const Image& image, const std::string& path) {
    const std::string top = ChainIds(image.diff_ids()).back().str();
    ASSIGN_OR_RETURN(std::vector<Mount> m, sn_->View(absl::StrCat("view-", views_++), top));
    return ReadFile(m[0].source + "/" + path);
  }

  testing::TempDir tmp_;
  std::unique_ptr<ContentStore> src_, content_;
  std::unique_ptr<MetadataStore> meta_;
  std::unique_ptr<NativeSnapshotter> sn_;
  EventBus bus_;
  std::unique_ptr<ImageManager> mgr_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<registry::RegistryClient> client_;
  Image image_;
  std::string big_;
  std::atomic<int> cuts_{0};
  std::atomic<int> downloaded_{0};  // "Download complete" updates seen
  int views_ = 0;
};

TEST_F(ImagePullTest, LayersAreUnpackedAndEachLineEndsWithPullComplete) {
  std::vector<registry::PullProgress> log;
  auto pulled = PullApp(&log);
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  auto big = ReadFromImage(pulled->image.image, "data/big");
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_TRUE(*big == big_);
  auto motd = ReadFromImage(pulled->image.image, "etc/motd");
  ASSERT_TRUE(motd.ok()) << motd.status();
  EXPECT_EQ(*motd, "hi\n");
  std::map<std::string, std::string> last;
  for (const auto& p : log) last[p.id] = p.status;
  ASSERT_EQ(last.size(), 2u) << "one line per layer, none for the config";
  for (const Descriptor& l : image_.layers()) EXPECT_EQ(last[l.digest.Short()], "Pull complete");
}

TEST_F(ImagePullTest, DownloadRestartedFromTheFirstByteIsUnpackedOnce) {
  // Cut five times: more restarts than the unpacker would chase; it waits
  // for the verified blob instead after the first.
  cuts_ = 5;
  std::vector<registry::PullProgress> log;
  auto pulled = PullApp(&log);
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_EQ(cuts_.load(), 0);
  auto big = ReadFromImage(pulled->image.image, "data/big");
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_TRUE(*big == big_) << "the unpacked file differs from the layer's";
  // Only the two committed layers (and the test's view) remain.
  int extracts = 0;
  ASSERT_TRUE(sn_->Walk([&](const SnapshotInfo& i) {
                    if (absl::StartsWith(i.key, "extract-")) ++extracts;
                    return absl::OkStatus();
                  }).ok());
  EXPECT_EQ(extracts, 0);
}

// The client goes away once every byte is downloaded, while the layers may
// still be unpacking: the pull still stops, and records nothing.
TEST_F(ImagePullTest, CancelledAfterTheDownloadsRecordsNothing) {
  std::vector<registry::PullProgress> log;
  auto pulled = PullApp(&log, [&] { return downloaded_.load() == 2; });
  ASSERT_FALSE(pulled.ok());
  EXPECT_TRUE(absl::IsCancelled(pulled.status())) << pulled.status();
  EXPECT_EQ(downloaded_.load(), 2);
  EXPECT_TRUE(absl::IsNotFound(mgr_->Resolve(server_->host() + "/app:v1").status()));
  EXPECT_FALSE(content_->Exists(image_.target.digest)) << "the manifest was stored";
}

}  // namespace
}  // namespace skiff::manager
