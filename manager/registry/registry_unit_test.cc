// The registry client without a real registry: header parsing, the
// credentials file, insecure hosts, and pulls from a small in-process
// server that cuts transfers short, fails with 5xx, ignores Range, or
// wants bearer tokens.

#include <dirent.h>
#include <sys/stat.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/file_util.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "manager/content/content_store.h"
#include "manager/images/media_types.h"
#include "manager/images/test_images.h"
#include "manager/registry/auth.h"
#include "manager/registry/client.h"
#include "manager/registry/credentials.h"
#include "manager/registry/pull.h"
#include "manager/registry/test_server.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager::registry {
namespace {

using ::skiff::manager::registry::testing::TestRequest;
using ::skiff::manager::registry::testing::TestResponse;
using ::skiff::manager::registry::testing::TestServer;
using ::skiff::manager::testing::TarEntry;
using ::skiff::manager::testing::TempDir;

TEST(WwwAuthenticateTest, ParsesBearerAndBasic) {
  auto c = ParseWwwAuthenticate(
      R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push")");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].scheme, "bearer");
  EXPECT_EQ((*c)[0].params.at("realm"), "https://auth.example/token");
  EXPECT_EQ((*c)[0].params.at("service"), "registry.example");
  EXPECT_EQ((*c)[0].params.at("scope"), "repository:a/b:pull,push");

  auto two = ParseWwwAuthenticate(R"(Basic realm="Registry \"Realm\"", Bearer realm=tok)");
  ASSERT_TRUE(two.ok()) << two.status();
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].scheme, "basic");
  EXPECT_EQ((*two)[0].params.at("realm"), "Registry \"Realm\"");
  EXPECT_EQ((*two)[1].params.at("realm"), "tok");
}

TEST(WwwAuthenticateTest, RejectsGarbage) {
  EXPECT_FALSE(ParseWwwAuthenticate("").ok());
  EXPECT_FALSE(ParseWwwAuthenticate(R"(Bearer realm="unterminated)").ok());
  EXPECT_FALSE(ParseWwwAuthenticate("=x").ok());
}

TEST(InsecureRegistryTest, LoopbackAndConfiguredHostsOnly) {
  EXPECT_TRUE(IsInsecureRegistry("127.0.0.1:5000", {}));
  EXPECT_TRUE(IsInsecureRegistry("127.3.4.5", {}));
  EXPECT_TRUE(IsInsecureRegistry("localhost:5000", {}));
  EXPECT_TRUE(IsInsecureRegistry("[::1]:5000", {}));
  EXPECT_FALSE(IsInsecureRegistry("128.0.0.1:5000", {}));
  EXPECT_FALSE(IsInsecureRegistry("registry.example:5000", {}));
  EXPECT_TRUE(IsInsecureRegistry("registry.example:5000", {"registry.example:5000"}));
  EXPECT_FALSE(IsInsecureRegistry("registry.example:5001", {"registry.example:5000"}));
  EXPECT_EQ(RegistryApiHost("docker.io"), "registry-1.docker.io");
  EXPECT_EQ(RegistryApiHost("127.0.0.1:5000"), "127.0.0.1:5000");
}

TEST(CredentialStoreTest, PutGetEraseWith0600AndNoPlainPassword) {
  TempDir dir;
  CredentialStore store(dir.Sub("auth.json"));
  auto none = store.Get("reg:5000");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE(store.Put("reg:5000", {"alice", "s3cret-pw"}).ok());
  ASSERT_TRUE(store.Put("other:443", {"bob", "x"}).ok());
  auto got = store.Get("reg:5000");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->username, "alice");
  EXPECT_EQ((*got)->password, "s3cret-pw");

  struct stat st;
  ASSERT_EQ(stat(dir.Sub("auth.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string text = *ReadFile(dir.Sub("auth.json"));
  EXPECT_FALSE(absl::StrContains(text, "s3cret-pw"));
  EXPECT_TRUE(absl::StrContains(text, "\"auths\""));

  EXPECT_EQ(*store.Hosts(), (std::vector<std::string>{"other:443", "reg:5000"}));
  ASSERT_TRUE(store.Erase("reg:5000").ok());
  EXPECT_FALSE(store.Get("reg:5000")->has_value());
  absl::Status again = store.Erase("reg:5000");
  EXPECT_TRUE(absl::IsNotFound(again));
  EXPECT_EQ(again.message(), "not logged in to reg:5000");
  EXPECT_TRUE(store.Get("other:443")->has_value());
}

TEST(CredentialStoreTest, CorruptFileIsReportedByPath) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.Sub("auth.json"), "{not json").ok());
  CredentialStore store(dir.Sub("auth.json"));
  auto got = store.Get("reg:5000");
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(absl::StrContains(got.status().message(), dir.Sub("auth.json")));
}

// A registry serving one image as repository "app", tag "v1", with knobs
// for misbehaving.
class FakeRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = std::move(*ContentStore::Open(src_dir_.path()));
    std::string big(256 * 1024, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 11);
    auto l = manager::testing::MakeLayer({TarEntry::File("big", big)});
    ASSERT_TRUE(l.ok());
    auto img =
        manager::testing::AddImage(*src_, {*l}, manager::testing::MakeConfigJson({l->diff_id}), {});
    ASSERT_TRUE(img.ok()) << img.status();
    image_ = *img;
    server_ = std::make_unique<TestServer>([this](const TestRequest& r) { return Handle(r); });
    ref_ = *Reference::Parse(server_->host() + "/app:v1");
  }

  TestResponse Handle(const TestRequest& r) {
    if (r.target.rfind("/token", 0) == 0) {
      {
        absl::MutexLock lock(&mu_);
        token_requests_.push_back(r.target);
      }
      if (refuse_token_) return {401, {}, "", std::string::npos};
      return {200,
              {"Content-Type: application/json"},
              R"({"token":"tok123","expires_in":300})",
              std::string::npos};
    }
    if (bearer_) {
      auto it = r.headers.find("authorization");
      if (it == r.headers.end() || it->second != "Bearer tok123") {
        return {401,
                {absl::StrCat("WWW-Authenticate: Bearer realm=\"http://", server_->host(),
                              "/token\",service=\"fake\",scope=\"repository:app:pull\"")},
                R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
                std::string::npos};
      }
    }
    if (r.target == "/v2/") return {200, {}, "{}", std::string::npos};
    if (r.method == "POST" && r.target.rfind("/v2/copy/blobs/uploads/?mount=", 0) == 0) {
      return {201, {}, "", std::string::npos};
    }
    std::string manifest_prefix = "/v2/app/manifests/";
    if (r.target.rfind(manifest_prefix, 0) == 0) {
      if (fail_5xx_ > 0) {
        --fail_5xx_;
        return {503, {}, "", std::string::npos};
      }
      std::string ref = r.target.substr(manifest_prefix.size());
      if (ref != "v1" && ref != image_.target.digest.str()) {
        return {404,
                {},
                R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})",
                std::string::npos};
      }
      return {200,
              {absl::StrCat("Content-Type: ", media_types::kOciManifest),
               "Docker-Content-Digest: " + image_.target.digest.str()},
              *src_->Get(image_.target.digest),
              std::string::npos};
    }
    std::string blob_prefix = "/v2/app/blobs/";
    if (r.target.rfind(blob_prefix, 0) == 0) {
      auto d = Digest::Parse(r.target.substr(blob_prefix.size()));
      if (!d.ok() || !src_->Exists(*d)) return {404, {}, "", std::string::npos};
      std::string body = *src_->Get(*d);
      TestResponse resp{200, {}, body, std::string::npos};
      auto range = r.headers.find("range");
      size_t from = 0;
      if (range != r.headers.end() && honor_range_ && (r.method == "HEAD" || !range_head_only_) &&
          absl::SimpleAtoi(range->second.substr(6, range->second.size() - 7), &from) &&
          from < body.size()) {
        ++ranged_;
        resp.status = 206;
        resp.headers.push_back(
            absl::StrCat("Content-Range: bytes ", from, "-", body.size() - 1, "/", body.size()));
        resp.body = body.substr(from);
      }
      if (*d == image_.layers()[0].digest && r.method == "GET" && cuts_ > 0) {
        --cuts_;
        resp.cut_after = resp.body.size() / 2;
      }
      if (*d == image_.layers()[0].digest && r.method == "GET" && corrupt_layer_) {
        resp.body[resp.body.size() - 1] ^= 0x5a;
      }
      if (*d == image_.layers()[0].digest && r.method == "GET" && on_pause_) {
        resp.pause_at = resp.body.size() / 2;
        resp.on_pause = on_pause_;
      }
      return resp;
    }
    return {404, {}, "", std::string::npos};
  }

  RegistryOptions Options() {
    RegistryOptions o;
    o.http.initial_backoff = absl::Milliseconds(5);
    o.http.max_attempts = 3;
    return o;
  }

  std::unique_ptr<ContentStore> Fresh(const TempDir& d) {
    return std::move(*ContentStore::Open(d.path()));
  }

  TempDir src_dir_;
  std::unique_ptr<ContentStore> src_;
  Image image_;
  std::unique_ptr<TestServer> server_;
  Reference ref_;
  // Knobs, read by the server's thread.
  std::atomic<int> cuts_{0};
  std::atomic<int> fail_5xx_{0};
  std::atomic<int> ranged_{0};
  std::atomic<bool> honor_range_{true};
  std::atomic<bool> bearer_{false};
  std::atomic<bool> refuse_token_{false};
  std::atomic<bool> corrupt_layer_{false};
  // HEAD answers a Range with 206, GET ignores it (200, whole blob).
  std::atomic<bool> range_head_only_{false};
  absl::Mutex mu_;
  std::vector<std::string> token_requests_;
  // Set before the pull starts: the layer's GET pauses half way through.
  std::function<void()> on_pause_;
};

// An UnpackFn that reads every layer as PullOptions::unpack gets it, as the
// image manager's does, keeping what it read. A source aborted by a restart
// is followed again from the first byte.
struct RecordingUnpacker {
  std::atomic<int64_t> bytes_read{0};
  std::vector<std::string> layers;
  int restarts = 0;

  UnpackFn Fn() {
    return [this](const std::vector<Descriptor>& descs, const std::vector<Digest>& diff_ids,
                  const std::vector<std::shared_ptr<GrowingBlob>>& blobs,
                  const PullProgressFn&) -> absl::Status {
      if (descs.size() != diff_ids.size() || descs.size() != blobs.size()) {
        return absl::InternalError("layers, diff_ids and blobs differ in number");
      }
      for (size_t i = 0; i < blobs.size(); ++i) {
        for (;;) {
          absl::StatusOr<std::optional<ByteSource>> src = blobs[i]->Follow();
          if (!src.ok()) return src.status();
          if (!src->has_value()) return absl::InternalError("the blob was not streamed");
          std::string got, buf(4096, '\0');
          bytes_read = 0;
          absl::Status st;
          for (;;) {
            absl::StatusOr<size_t> n = (**src)(buf.data(), buf.size());
            if (!n.ok()) {
              st = n.status();
              break;
            }
            if (*n == 0) break;
            got.append(buf.data(), *n);
            bytes_read += static_cast<int64_t>(*n);
          }
          if (absl::IsAborted(st)) {
            ++restarts;
            continue;
          }
          if (!st.ok()) return st;
          RETURN_IF_ERROR(blobs[i]->Wait());
          layers.push_back(std::move(got));
          break;
        }
      }
      return absl::OkStatus();
    };
  }
};

TEST_F(FakeRegistryTest, CutTransferIsResumedWithRange) {
  cuts_ = 1;
  auto client = RegistryClient::Create(server_->host(), Options());
  TempDir dst_dir;
  auto dst = Fresh(dst_dir);
  auto pulled = Pull(*client, *dst, ref_);
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_EQ(ranged_.load(), 2) << "HEAD probe and GET with a Range";
  EXPECT_EQ(*dst->Get(image_.layers()[0].digest), *src_->Get(image_.layers()[0].digest));
}

TEST_F(FakeRegistryTest, RegistryIgnoringRangeIsReadAgainFromTheStart) {
  cuts_ = 1;
  honor_range_ = false;
  auto client = RegistryClient::Create(server_->host(), Options());
  TempDir dst_dir;
  auto dst = Fresh(dst_dir);
  auto pulled = Pull(*client, *dst, ref_);
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_EQ(*dst->Get(image_.layers()[0].digest), *src_->Get(image_.layers()[0].digest));
}

TEST_F(FakeRegistryTest, InterruptedPullLeavesNothingHalfMadeAndRetryWorks) {
  cuts_ = 1000;
  RegistryOptions opts = Options();
  opts.blob_attempts = 2;
  auto client = RegistryClient::Create(server_->host(), opts);
  TempDir dst_dir;
  auto dst = Fresh(dst_dir);
  auto pulled = Pull(*client, *dst, ref_);
  ASSERT_FALSE(pulled.ok());
  EXPECT_TRUE(absl::StrContains(pulled.status().message(), image_.layers()[0].digest.str()))
      << pulled.status();
  EXPECT_TRUE(absl::StrContains(pulled.status().message(), "broke")) << pulled.status();
  EXPECT_FALSE(dst->Exists(image_.layers()[0].digest));
  EXPECT_FALSE(dst->Exists(image_.target.digest));
  auto listed = dst->List();
  ASSERT_TRUE(listed.ok());
  for (const Digest& d : *listed) EXPECT_EQ(d, image_.config_digest) << "unexpected blob";
  std::vector<std::string> leftovers;
  if (DIR* d = opendir((dst_dir.path() + "/content/ingest").c_str())) {
    while (dirent* e = readdir(d)) {
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") {
        leftovers.push_back(e->d_name);
      }
    }
    closedir(d);
  }
  EXPECT_TRUE(leftovers.empty()) << "ingest/ keeps " << leftovers.size() << " partial files";

  cuts_ = 0;
  auto retried = Pull(*client, *dst, ref_);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_TRUE(dst->Exists(image_.layers()[0].digest));
  EXPECT_EQ(retried->image.config_digest, image_.config_digest);
}

TEST_F(FakeRegistryTest, ServerErrorsAreRetriedThenReported) {
  fail_5xx_ = 2;
  auto client = RegistryClient::Create(server_->host(), Options());
  auto m = client->ResolveManifest("app", "v1");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->descriptor.digest, image_.target.digest);
  EXPECT_EQ(m->descriptor.media_type, media_types::kOciManifest);

  fail_5xx_ = 100;
  auto failed = client->ResolveManifest("app", "v1");
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(absl::IsUnavailable(failed.status())) << failed.status();
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "HTTP 503")) << failed.status();
}

TEST_F(FakeRegistryTest, UnknownManifestNamesReferenceAndRepository) {
  auto client = RegistryClient::Create(server_->host(), Options());
  auto m = client->ResolveManifest("app", "nope");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(absl::IsNotFound(m.status()));
  EXPECT_TRUE(absl::StrContains(m.status().message(),
                                "manifest `nope` not found in " + server_->host() + "/app"))
      << m.status();
  EXPECT_TRUE(absl::StrContains(m.status().message(), "MANIFEST_UNKNOWN")) << m.status();
}

TEST_F(FakeRegistryTest, BearerTokenIsFetchedAndUsed) {
  bearer_ = true;
  auto client = RegistryClient::Create(server_->host(), Options());
  TempDir dst_dir;
  auto dst = Fresh(dst_dir);
  auto pulled = Pull(*client, *dst, ref_);
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_EQ(pulled->image.config_digest, image_.config_digest);
}

TEST_F(FakeRegistryTest, MountAsksForATokenCoveringBothRepositories) {
  bearer_ = true;
  auto client = RegistryClient::Create(server_->host(), Options());
  auto pushed = client->PushBlob("copy", image_.layers()[0], *src_, "app");
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(*pushed, RegistryClient::BlobPushed::kMounted);
  absl::MutexLock lock(&mu_);
  ASSERT_FALSE(token_requests_.empty());
  const std::string& last = token_requests_.back();
  // Two scope parameters (percent-encoded, either case), not one with a space.
  EXPECT_TRUE(absl::StrContains(absl::AsciiStrToLower(last),
                                "scope=repository%3acopy%3apull%2cpush"
                                "&scope=repository%3aapp%3apull"))
      << last;
}

TEST_F(FakeRegistryTest, RefusedTokenNamesTheRealm) {
  bearer_ = true;
  refuse_token_ = true;
  auto client = RegistryClient::Create(server_->host(), Options(), Credentials{"bob", "pw-xyz"});
  auto m = client->ResolveManifest("app", "v1");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(absl::IsUnauthenticated(m.status())) << m.status();
  EXPECT_TRUE(
      absl::StrContains(m.status().message(), "realm `http://" + server_->host() + "/token`"))
      << m.status();
  EXPECT_FALSE(absl::StrContains(m.status().message(), "pw-xyz"));
}


std::vector<std::string> IngestLeftovers(const TempDir& root) {
  std::vector<std::string> out;
  if (DIR* d = opendir((root.path() + "/content/ingest").c_str())) {
    while (dirent* e = readdir(d)) {
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
    }
    closedir(d);
  }
  return out;
}

// Pulls ref_ into a fresh store with `unpack`; the store stays for checks.
class StreamingPullTest : public FakeRegistryTest {
 protected:
  absl::StatusOr<PullResult> PullWith(UnpackFn unpack) {
    client_ = RegistryClient::Create(server_->host(), Options());
    dst_ = Fresh(dst_dir_);
    PullOptions opts;
    opts.unpack = std::move(unpack);
    return Pull(*client_, *dst_, ref_, opts);
  }
  std::string Layer() { return *src_->Get(image_.layers()[0].digest); }

  std::unique_ptr<RegistryClient> client_;
  TempDir dst_dir_;
  std::unique_ptr<ContentStore> dst_;
  RecordingUnpacker unpacker_;
};

TEST_F(StreamingPullTest, LayersAreReadWhileTheyDownload) {
  // The server sends half the layer and waits: the unpacker must have read
  // that half before the rest exists.
  std::atomic<int64_t> read_at_pause{-1};
  const int64_t half = image_.layers()[0].size / 2;
  on_pause_ = [&] {
    for (int i = 0; i < 500 && unpacker_.bytes_read.load() < half; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    read_at_pause = unpacker_.bytes_read.load();
  };
  auto pulled = PullWith(unpacker_.Fn());
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_EQ(read_at_pause.load(), half) << "the layer was not read while downloading";
  EXPECT_EQ(unpacker_.layers, std::vector<std::string>{Layer()});
  EXPECT_EQ(unpacker_.restarts, 0);
}

TEST_F(StreamingPullTest, UnpackerFollowsADownloadThatRestartsFromTheFirstByte) {
  cuts_ = 1;
  honor_range_ = false;
  auto pulled = PullWith(unpacker_.Fn());
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_EQ(unpacker_.layers, std::vector<std::string>{Layer()});
}

TEST_F(StreamingPullTest, ResumedDownloadIsOneStreamToTheUnpacker) {
  cuts_ = 1;
  auto pulled = PullWith(unpacker_.Fn());
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_EQ(ranged_.load(), 2);
  EXPECT_EQ(unpacker_.layers, std::vector<std::string>{Layer()});
  EXPECT_EQ(unpacker_.restarts, 0);
}

TEST_F(StreamingPullTest, WholeBlobAnsweringARangeRequestStartsAFreshFile) {
  cuts_ = 1;
  range_head_only_ = true;
  auto pulled = PullWith(unpacker_.Fn());
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_EQ(*dst_->Get(image_.layers()[0].digest), Layer());
  EXPECT_EQ(unpacker_.layers, std::vector<std::string>{Layer()});
  EXPECT_EQ(unpacker_.restarts, 1) << "the unpacker was not told the download restarted";
}

TEST_F(StreamingPullTest, CorruptLayerFailsTheUnpackAndKeepsNothing) {
  corrupt_layer_ = true;
  auto pulled = PullWith(unpacker_.Fn());
  ASSERT_FALSE(pulled.ok());
  EXPECT_TRUE(absl::IsDataLoss(pulled.status())) << pulled.status();
  EXPECT_TRUE(absl::StrContains(pulled.status().message(), "digest mismatch")) << pulled.status();
  EXPECT_TRUE(unpacker_.layers.empty()) << "the unpacker took an unverified layer as whole";
  EXPECT_FALSE(dst_->Exists(image_.layers()[0].digest));
  EXPECT_FALSE(dst_->Exists(image_.target.digest));
}

TEST_F(StreamingPullTest, CancelledPullStopsTheTransferAndKeepsNothing) {
  // The client goes away while the layer is half sent.
  std::atomic<bool> gone{false};
  on_pause_ = [&] { gone = true; };
  client_ = RegistryClient::Create(server_->host(), Options());
  dst_ = Fresh(dst_dir_);
  PullOptions opts;
  opts.unpack = unpacker_.Fn();
  opts.cancelled = [&] { return gone.load(); };
  auto pulled = Pull(*client_, *dst_, ref_, opts);
  ASSERT_FALSE(pulled.ok());
  EXPECT_TRUE(absl::IsCancelled(pulled.status())) << pulled.status();
  EXPECT_TRUE(unpacker_.layers.empty());
  EXPECT_FALSE(dst_->Exists(image_.layers()[0].digest));
  EXPECT_FALSE(dst_->Exists(image_.target.digest));
  EXPECT_TRUE(IngestLeftovers(dst_dir_).empty());
}

TEST_F(StreamingPullTest, UnpackErrorStopsThePullAndIsReturned) {
  auto pulled = PullWith([](const std::vector<Descriptor>&, const std::vector<Digest>&,
                            const std::vector<std::shared_ptr<GrowingBlob>>&,
                            const PullProgressFn&) -> absl::Status {
    return absl::DataLossError("layer DiffID mismatch: expected sha256:aa, got sha256:bb");
  });
  ASSERT_FALSE(pulled.ok());
  EXPECT_TRUE(absl::StrContains(pulled.status().message(), "DiffID mismatch")) << pulled.status();
  EXPECT_FALSE(dst_->Exists(image_.target.digest)) << "a failed pull stored its manifest";
}

}  // namespace
}  // namespace skiff::manager::registry
