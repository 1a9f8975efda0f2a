// Push and pull against Debian's docker-registry (distribution 2.8) started
// on 127.0.0.1 by the test: plain HTTP, and TLS (a CA and certificate made
// with openssl) with htpasswd (bcrypt) auth.

#include <dirent.h>
#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "gtest/gtest.h"
#include "manager/content/content_store.h"
#include "manager/images/media_types.h"
#include "manager/images/platform.h"
#include "manager/images/reference.h"
#include "manager/images/test_images.h"
#include "manager/registry/client.h"
#include "manager/registry/pull.h"
#include "manager/registry/push.h"
#include "manager/testing/temp_dir.h"
#include "manager/testing/test_registry.h"

namespace skiff::manager::registry {
namespace {

using ::skiff::manager::testing::TarCompression;
using ::skiff::manager::testing::TarEntry;
using ::skiff::manager::testing::TempDir;
using ::skiff::manager::testing::TestLayer;

using TestRegistry = ::skiff::manager::testing::TestRegistry;
constexpr const char* kRegistryBin = TestRegistry::kBinary;
constexpr const char* kRealm = TestRegistry::kRealm;

std::vector<std::string> IngestLeftovers(const ContentStore& store) {
  std::vector<std::string> out;
  DIR* d = opendir((store.root() + "/content/ingest").c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  closedir(d);
  return out;
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kRegistryBin, X_OK) != 0) {
      GTEST_SKIP() << kRegistryBin << " is not installed (Debian package docker-registry)";
    }
    auto src = ContentStore::Open(src_dir_.path());
    ASSERT_TRUE(src.ok()) << src.status();
    src_ = std::move(*src);
    // A layer big enough to stream in several chunks, and a compressed one.
    std::string big(300 * 1024, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
    auto l1 = testing::MakeLayer({TarEntry::Dir("data"), TarEntry::File("data/big", big)});
    auto l2 = testing::MakeLayer({TarEntry::File("etc/motd", "hello\n")}, TarCompression::kGzip);
    ASSERT_TRUE(l1.ok() && l2.ok());
    layers_ = {*l1, *l2};
    auto img =
        testing::AddImage(*src_, layers_, testing::MakeConfigJson({l1->diff_id, l2->diff_id}), {});
    ASSERT_TRUE(img.ok()) << img.status();
    image_ = *img;
  }

  std::unique_ptr<ContentStore> FreshStore(const TempDir& dir) {
    auto s = ContentStore::Open(dir.path());
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }

  RegistryOptions Options(const std::string& certs_dir = "") {
    RegistryOptions o;
    o.http.certs_dir = certs_dir;
    o.http.initial_backoff = absl::Milliseconds(20);
    return o;
  }

  Reference Ref(const std::string& s) {
    auto r = Reference::Parse(s);
    EXPECT_TRUE(r.ok()) << r.status();
    return *r;
  }

  TempDir src_dir_;
  std::unique_ptr<ContentStore> src_;
  std::vector<TestLayer> layers_;
  Image image_;
};

TEST_F(RegistryTest, PushThenPullOverHttp) {
  TestRegistry reg;
  ASSERT_TRUE(reg.Start(false));
  auto client = RegistryClient::Create(reg.host(), Options());
  ASSERT_TRUE(client->Ping().ok());
  EXPECT_EQ(*client->BaseUrl(), "http://" + reg.host());

  Reference ref = Ref(reg.host() + "/skiff/app:v1");
  auto pushed = Push(*client, *src_, image_.target, ref);
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(*pushed, image_.target.digest);

  TempDir dst_dir;
  auto dst = FreshStore(dst_dir);
  std::set<std::string> completed;
  PullOptions opts;
  opts.progress = [&](const PullProgress& p) {
    if (p.status == "Download complete") completed.insert(p.id);
  };
  auto pulled = Pull(*client, *dst, ref, opts);
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_EQ(pulled->target.digest, image_.target.digest);
  EXPECT_EQ(pulled->image.config_digest, image_.config_digest);
  EXPECT_EQ(pulled->image.names, std::vector<std::string>{ref.String()});
  ASSERT_EQ(pulled->image.layers().size(), 2u);
  for (const Descriptor& l : image_.layers()) {
    EXPECT_EQ(*dst->Get(l.digest), *src_->Get(l.digest));
    EXPECT_TRUE(completed.count(l.digest.Short())) << l.digest.str();
  }
  EXPECT_TRUE(dst->Exists(image_.target.digest));

  // A second pull of what is already here fetches no blob again.
  std::vector<std::string> statuses;
  opts.progress = [&](const PullProgress& p) {
    if (p.status != "Pulling fs layer") statuses.push_back(p.status);
  };
  ASSERT_TRUE(Pull(*client, *dst, ref, opts).ok());
  // One line per layer, as docker; the config is not shown.
  EXPECT_EQ(statuses, std::vector<std::string>(2, "Already exists"));
}

TEST_F(RegistryTest, PullByDigestAndUnknownManifest) {
  TestRegistry reg;
  ASSERT_TRUE(reg.Start(false));
  auto client = RegistryClient::Create(reg.host(), Options());
  ASSERT_TRUE(Push(*client, *src_, image_.target, Ref(reg.host() + "/skiff/app:v1")).ok());

  TempDir dst_dir;
  auto dst = FreshStore(dst_dir);
  Reference by_digest = Ref(reg.host() + "/skiff/app@" + image_.target.digest.str());
  auto pulled = Pull(*client, *dst, by_digest);
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_EQ(pulled->image.manifest_digest, image_.target.digest);

  auto missing = Pull(*client, *dst, Ref(reg.host() + "/skiff/app:nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_TRUE(absl::StrContains(missing.status().message(),
                                "manifest `nope` not found in " + reg.host() + "/skiff/app"))
      << missing.status();
}

TEST_F(RegistryTest, MultiPlatformIndexPicksAmd64) {
  TestRegistry reg;
  ASSERT_TRUE(reg.Start(false));
  auto client = RegistryClient::Create(reg.host(), Options());

  nlohmann::json arm =
      nlohmann::json::parse(testing::MakeConfigJson({layers_[0].diff_id, layers_[1].diff_id}));
  arm["architecture"] = "arm64";
  auto arm_image = testing::AddImage(*src_, layers_, arm.dump(), {});
  ASSERT_TRUE(arm_image.ok()) << arm_image.status();
  ASSERT_NE(arm_image->config_digest, image_.config_digest);

  Index index;
  index.media_type = media_types::kOciIndex;
  for (auto [img, arch] : {std::pair{&*arm_image, "arm64"}, std::pair{&image_, "amd64"}}) {
    Descriptor d = img->target;
    d.platform = Platform{"linux", arch, "", "", {}};
    index.manifests.push_back(d);
  }
  std::string index_json = ToJson(index);
  auto index_digest = src_->Ingest(index_json);
  ASSERT_TRUE(index_digest.ok());
  Descriptor target{media_types::kOciIndex, *index_digest, static_cast<int64_t>(index_json.size())};
  Reference ref = Ref(reg.host() + "/skiff/multi:v1");
  auto pushed = Push(*client, *src_, target, ref);
  ASSERT_TRUE(pushed.ok()) << pushed.status();

  TempDir dst_dir;
  auto dst = FreshStore(dst_dir);
  auto amd = Pull(*client, *dst, ref);
  ASSERT_TRUE(amd.ok()) << amd.status();
  EXPECT_EQ(amd->target.digest, *index_digest);
  EXPECT_EQ(amd->target.media_type, media_types::kOciIndex);
  EXPECT_EQ(amd->image.config_digest, image_.config_digest);
  EXPECT_FALSE(dst->Exists(arm_image->target.digest));

  PullOptions arm_opts;
  arm_opts.platform = *ParsePlatform("linux/arm64");
  auto arm_pulled = Pull(*client, *dst, ref, arm_opts);
  ASSERT_TRUE(arm_pulled.ok()) << arm_pulled.status();
  EXPECT_EQ(arm_pulled->image.config_digest, arm_image->config_digest);

  PullOptions s390;
  s390.platform = *ParsePlatform("linux/s390x");
  auto none = Pull(*client, *dst, ref, s390);
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(absl::IsNotFound(none.status())) << none.status();
}

TEST_F(RegistryTest, CrossRepositoryMountAndRetag) {
  TestRegistry reg;
  ASSERT_TRUE(reg.Start(false));
  auto client = RegistryClient::Create(reg.host(), Options());
  ASSERT_TRUE(Push(*client, *src_, image_.target, Ref(reg.host() + "/team/a:v1")).ok());
  for (const Descriptor& l : image_.layers()) {
    EXPECT_FALSE(*client->BlobExists("team/b", l.digest));
  }
  PushOptions opts;
  opts.mount_from = "team/a";
  auto pushed = Push(*client, *src_, image_.target, Ref(reg.host() + "/team/b:copy"), opts);
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  for (const Descriptor& l : image_.layers()) {
    EXPECT_TRUE(*client->BlobExists("team/b", l.digest));
  }
  // Mounted blobs land in the same storage: no second copy was uploaded.
  auto mounted = client->PushBlob("team/c", image_.layers()[0], *src_, "team/a");
  ASSERT_TRUE(mounted.ok()) << mounted.status();
  EXPECT_EQ(*mounted, RegistryClient::BlobPushed::kMounted)
      << "the blob was uploaded instead of mounted";
  // From a repository that does not have it: uploaded instead, no error.
  auto uploaded = client->PushBlob("team/d", image_.layers()[0], *src_, "team/nothing-here");
  ASSERT_TRUE(uploaded.ok()) << uploaded.status();
  EXPECT_EQ(*uploaded, RegistryClient::BlobPushed::kUploaded);

  TempDir dst_dir;
  auto dst = FreshStore(dst_dir);
  auto pulled = Pull(*client, *dst, Ref(reg.host() + "/team/b:copy"));
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_EQ(pulled->image.config_digest, image_.config_digest);
}

TEST_F(RegistryTest, CorruptedBlobIsRefusedAndNothingIsKept) {
  TestRegistry reg;
  ASSERT_TRUE(reg.Start(false));
  auto client = RegistryClient::Create(reg.host(), Options());
  Reference ref = Ref(reg.host() + "/skiff/app:v1");
  ASSERT_TRUE(Push(*client, *src_, image_.target, ref).ok());

  const Descriptor& big = image_.layers()[0];
  std::string path = reg.BlobData(big.digest);
  auto data = ReadFile(path);
  ASSERT_TRUE(data.ok()) << data.status();
  (*data)[data->size() / 2] ^= 0x55;  // same size, other content
  ASSERT_TRUE(WriteFileAtomic(path, *data).ok());

  TempDir dst_dir;
  auto dst = FreshStore(dst_dir);
  auto pulled = Pull(*client, *dst, ref);
  ASSERT_FALSE(pulled.ok());
  EXPECT_TRUE(absl::StrContains(pulled.status().message(), "digest mismatch")) << pulled.status();
  EXPECT_TRUE(absl::StrContains(pulled.status().message(), big.digest.str())) << pulled.status();
  EXPECT_FALSE(dst->Exists(big.digest));
  EXPECT_FALSE(dst->Exists(image_.target.digest)) << "a manifest was stored for a failed pull";
  EXPECT_TRUE(IngestLeftovers(*dst).empty());
}

TEST_F(RegistryTest, RefusedConnectionAndUnknownHost) {
  TestRegistry reg;
  ASSERT_TRUE(reg.Start(false));
  std::string host = reg.host();
  reg.Stop();
  RegistryOptions opts = Options();
  opts.http.max_attempts = 2;
  auto client = RegistryClient::Create(host, opts);
  TempDir dst_dir;
  auto dst = FreshStore(dst_dir);
  auto refused = Pull(*client, *dst, Ref(host + "/skiff/app:v1"));
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::IsUnavailable(refused.status())) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(),
                                "cannot connect to registry " + host + ": Connection refused"))
      << refused.status();

  auto nx = RegistryClient::Create("registry.skiff-test.invalid:5000", opts);
  absl::Status st = nx->Ping();
  EXPECT_TRUE(absl::IsNotFound(st)) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "unknown host `registry.skiff-test.invalid:5000`"))
      << st;
}

class RegistryTlsTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (access("/usr/bin/openssl", X_OK) != 0 || access("/usr/bin/htpasswd", X_OK) != 0) {
      GTEST_SKIP() << "openssl or htpasswd (apache2-utils) is not installed";
    }
    ASSERT_TRUE(reg_.Start(true));
  }
  TestRegistry reg_;
};

TEST_F(RegistryTlsTest, LoginFailsWithWrongPasswordAndNamesTheRealm) {
  auto wrong = RegistryClient::Create(reg_.host(), Options(reg_.certs_dir()),
                                      Credentials{"alice", "not-Her-Pa55word"});
  absl::Status st = wrong->Ping();
  EXPECT_TRUE(absl::IsUnauthenticated(st)) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), absl::StrCat("realm `", kRealm, "`"))) << st;
  EXPECT_FALSE(absl::StrContains(st.message(), "not-Her-Pa55word")) << "the password leaked";

  auto anonymous = RegistryClient::Create(reg_.host(), Options(reg_.certs_dir()));
  st = anonymous->Ping();
  EXPECT_TRUE(absl::IsUnauthenticated(st)) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "requires authentication")) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), kRealm)) << st;
}

TEST_F(RegistryTlsTest, LoginSucceedsThenPushAndPullOverTls) {
  auto client = RegistryClient::Create(reg_.host(), Options(reg_.certs_dir()),
                                       Credentials{"alice", "s3cret"});
  absl::Status st = client->Ping();
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(*client->BaseUrl(), "https://" + reg_.host());

  Reference ref = Ref(reg_.host() + "/secure/app:v1");
  auto pushed = Push(*client, *src_, image_.target, ref);
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  TempDir dst_dir;
  auto dst = FreshStore(dst_dir);
  auto pulled = Pull(*client, *dst, ref);
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_EQ(pulled->image.config_digest, image_.config_digest);
}

TEST_F(RegistryTlsTest, UntrustedCertificateIsNotUsed) {
  // No CA for this host: the TLS handshake fails, and plain HTTP is refused
  // by the TLS-only registry; nothing is pulled.
  auto client = RegistryClient::Create(reg_.host(), Options(), Credentials{"alice", "s3cret"});
  TempDir dst_dir;
  auto dst = FreshStore(dst_dir);
  auto pulled = Pull(*client, *dst, Ref(reg_.host() + "/secure/app:v1"));
  EXPECT_FALSE(pulled.ok());
  EXPECT_TRUE(IngestLeftovers(*dst).empty());
}

}  // namespace
}  // namespace skiff::manager::registry
