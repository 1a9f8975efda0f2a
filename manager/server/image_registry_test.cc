// ImageService's registry RPCs (Pull, Push, Login, Logout) end to end: an
// in-process gRPC server over real stores in a temp dir, against Debian's
// docker-registry started on 127.0.0.1 by the test (skips when it is not
// installed).

#include <dirent.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <future>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "gtest/gtest.h"
#include "manager/content/content_store.h"
#include "manager/events/event_bus.h"
#include "manager/images/archive_save.h"
#include "manager/images/image_manager.h"
#include "manager/images/test_images.h"
#include "manager/metadata/store.h"
#include "manager/registry/client.h"
#include "manager/registry/pull.h"
#include "manager/registry/push.h"
#include "manager/server/image_service.h"
#include "manager/testing/test_registry.h"
#include "manager/snapshots/chain_id.h"
#include "manager/snapshots/native/native.h"
#include "manager/testing/temp_dir.h"
#include "proto/skiff/v1/image.grpc.pb.h"

namespace skiff::manager {
namespace {

namespace v1 = ::skiff::v1;
using testing::TarCompression;
using testing::TarEntry;
using testing::TestLayer;
using testing::TestRegistry;

TEST(ParseReferenceInTest, FillsInTheDefaultRegistry) {
  struct Case {
    const char* in;
    const char* registry;
    const char* want;
  };
  for (const Case& c : std::vector<Case>{
           {"busybox", "docker.io", "docker.io/library/busybox:latest"},
           {"busybox", "", "docker.io/library/busybox:latest"},
           {"busybox", "127.0.0.1:5000", "127.0.0.1:5000/library/busybox:latest"},
           {"busybox:1.36", "127.0.0.1:5000", "127.0.0.1:5000/library/busybox:1.36"},
           {"ns/app:1", "reg.example", "reg.example/ns/app:1"},
           {"other:6000/ns/app", "127.0.0.1:5000", "other:6000/ns/app:latest"},
           {"localhost/app", "127.0.0.1:5000", "localhost/app:latest"},
           {"docker.io/library/busybox", "127.0.0.1:5000", "docker.io/library/busybox:latest"},
       }) {
    absl::StatusOr<Reference> r = ParseReferenceIn(c.in, c.registry);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status();
    EXPECT_EQ(r->String(), c.want) << c.in << " in " << c.registry;
  }
  const std::string hex(64, 'a');
  absl::StatusOr<Reference> d = ParseReferenceIn("app@sha256:" + hex, "127.0.0.1:5000");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->Name(), "127.0.0.1:5000/library/app");
  EXPECT_EQ(d->digest().hex(), hex);

  // The error is about what the user wrote.
  absl::StatusOr<Reference> bad = ParseReferenceIn("Busybox", "127.0.0.1:5000");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "`Busybox`")) << bad.status();
}

struct PullLog {
  grpc::Status status;
  std::vector<v1::PullImageResponse> messages;
  // status -> ids of layers with it.
  std::map<std::string, std::set<std::string>> ids;
};

struct PushLog {
  grpc::Status status;
  std::vector<v1::PushImageResponse> messages;
  std::map<std::string, std::set<std::string>> ids;
};

class ImageRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TestRegistry::Installed()) {
      GTEST_SKIP() << TestRegistry::kBinary << " is not installed (Debian package docker-registry)";
    }
    src_ = *ContentStore::Open(tmp_.Sub("src"));
    content_ = *ContentStore::Open(tmp_.Sub("root"));
    meta_ = *MetadataStore::Open(tmp_.Sub("root/meta.db"));
    sn_ = *NativeSnapshotter::Open(tmp_.Sub("root/snapshots"));
    mgr_ = std::make_unique<ImageManager>(*meta_, *content_, *sn_, bus_);

    // A layer big enough for several progress updates, and a gzip one.
    std::string big(700 * 1024, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
    auto l1 = testing::MakeLayer({TarEntry::Dir("data"), TarEntry::File("data/big", big)});
    auto l2 = testing::MakeLayer({TarEntry::File("etc/motd", "hello\n")}, TarCompression::kGzip);
    ASSERT_TRUE(l1.ok() && l2.ok());
    layers_ = {*l1, *l2};
  }

  void TearDown() override { StopService(); }

  void Serve(RegistryConfig config) {
    StopService();
    config.options.http.initial_backoff = absl::Milliseconds(20);
    if (config.credentials_path.empty())
      config.credentials_path = tmp_.Sub("root/credentials.json");
    service_ = std::make_unique<ImageServiceImpl>(*mgr_, config);
    const std::string addr = absl::StrCat("unix:", sock_dir_.Sub("skiffd.sock"));
    grpc::ServerBuilder b;
    b.AddListeningPort(addr, grpc::InsecureServerCredentials());
    b.RegisterService(service_.get());
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ =
        v1::ImageService::NewStub(grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
  }

  void StopService() {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_.reset();
    stub_.reset();
  }

  // Loads an image made of layers_ under `name`, as `skiff load` does; its id.
  std::string LoadImage(const std::string& name) {
    std::vector<Digest> ids;
    for (const TestLayer& l : layers_) ids.push_back(l.diff_id);
    absl::StatusOr<Image> img = testing::AddImage(*src_, layers_, testing::MakeConfigJson(ids), {});
    EXPECT_TRUE(img.ok()) << img.status();
    if (!img.ok()) return "";
    const std::string path = tmp_.Sub("image.tar");
    absl::Status saved = SaveArchive({*img}, path, ArchiveFormat::kDockerArchive, *src_);
    EXPECT_TRUE(saved.ok()) << saved;
    auto loaded = mgr_->Load(path);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    absl::Status tagged = mgr_->Tag(img->config_digest.str(), name);
    EXPECT_TRUE(tagged.ok()) << tagged;
    // As loaded: a docker-archive holds its layers uncompressed.
    auto local = mgr_->Resolve(name);
    EXPECT_TRUE(local.ok()) << local.status();
    if (local.ok()) image_ = local->image;
    return img->config_digest.str();
  }

  PullLog Pull(const std::string& ref) {
    PullLog log;
    grpc::ClientContext ctx;
    v1::PullImageRequest req;
    req.set_ref(ref);
    auto r = stub_->Pull(&ctx, req);
    v1::PullImageResponse msg;
    while (r->Read(&msg)) {
      log.messages.push_back(msg);
      if (!msg.progress().id().empty())
        log.ids[msg.progress().status()].insert(msg.progress().id());
    }
    log.status = r->Finish();
    return log;
  }

  PushLog Push(const std::string& ref) {
    PushLog log;
    grpc::ClientContext ctx;
    v1::PushImageRequest req;
    req.set_ref(ref);
    auto r = stub_->Push(&ctx, req);
    v1::PushImageResponse msg;
    while (r->Read(&msg)) {
      log.messages.push_back(msg);
      if (!msg.progress().id().empty())
        log.ids[msg.progress().status()].insert(msg.progress().id());
    }
    log.status = r->Finish();
    return log;
  }

  grpc::Status Login(const std::string& server, const std::string& user, const std::string& pass,
                     v1::LoginResponse* resp) {
    grpc::ClientContext ctx;
    v1::LoginRequest req;
    req.set_server(server);
    req.set_username(user);
    req.set_password(pass);
    return stub_->Login(&ctx, req, resp);
  }

  // Whether every layer has an update with `status` (the config may too).
  static ::testing::AssertionResult HasAll(std::map<std::string, std::set<std::string>>& ids,
                                           const std::string& status,
                                           const std::set<std::string>& layers) {
    for (const std::string& l : layers) {
      if (ids[status].count(l) == 0) {
        return ::testing::AssertionFailure() << "no `" << status << "` for layer " << l;
      }
    }
    return ::testing::AssertionSuccess();
  }

  // Every snapshot key, and what is left in the content store's ingest/.
  std::vector<std::string> SnapshotKeys() {
    std::vector<std::string> keys;
    EXPECT_TRUE(sn_->Walk([&](const SnapshotInfo& i) {
                      keys.push_back(i.key);
                      return absl::OkStatus();
                    }).ok());
    return keys;
  }
  std::vector<std::string> IngestLeftovers() {
    std::vector<std::string> out;
    if (DIR* d = opendir(tmp_.Sub("root/content/ingest").c_str())) {
      while (dirent* e = readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
      }
      closedir(d);
    }
    return out;
  }

  std::set<std::string> LayerIds() const {
    std::set<std::string> out;
    for (const Descriptor& l : image_.layers()) out.insert(l.digest.Short());
    return out;
  }

  testing::TempDir tmp_;
  testing::TempDir sock_dir_{"/tmp"};
  std::unique_ptr<ContentStore> src_;
  std::unique_ptr<ContentStore> content_;
  std::unique_ptr<MetadataStore> meta_;
  std::unique_ptr<NativeSnapshotter> sn_;
  EventBus bus_;
  std::unique_ptr<ImageManager> mgr_;
  std::unique_ptr<ImageServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::ImageService::Stub> stub_;
  std::vector<TestLayer> layers_;
  Image image_;
};

TEST_F(ImageRegistryTest, PushRemovePullRoundTrip) {
  TestRegistry reg;
  ASSERT_TRUE(reg.Start(false));
  Serve({});
  const std::string ref = reg.host() + "/test/busybox:1";
  const std::string id = LoadImage(ref);
  ASSERT_FALSE(id.empty());

  PushLog pushed = Push(ref);
  ASSERT_TRUE(pushed.status.ok()) << pushed.status.error_message();
  EXPECT_TRUE(HasAll(pushed.ids, "Pushing", LayerIds()));
  EXPECT_TRUE(HasAll(pushed.ids, "Pushed", LayerIds()));
  ASSERT_FALSE(pushed.messages.empty());
  EXPECT_EQ(pushed.messages.back().digest(), image_.target.digest.str());
  EXPECT_EQ(pushed.messages.back().size(), image_.target.size);

  // Gone locally, blobs and all.
  auto removed = mgr_->Remove(ref, /*force=*/false);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_TRUE(absl::IsNotFound(mgr_->Resolve(ref).status()));
  for (const Descriptor& l : image_.layers()) ASSERT_FALSE(content_->Exists(l.digest));

  PullLog pulled = Pull(ref);
  ASSERT_TRUE(pulled.status.ok()) << pulled.status.error_message();
  EXPECT_TRUE(HasAll(pulled.ids, "Pulling fs layer", LayerIds()));
  EXPECT_TRUE(HasAll(pulled.ids, "Downloading", LayerIds()));
  EXPECT_TRUE(HasAll(pulled.ids, "Download complete", LayerIds()));
  EXPECT_TRUE(pulled.ids["Already exists"].empty());
  // The big layer comes in a few updates, not one per network read.
  int big_updates = 0;
  for (const auto& m : pulled.messages) {
    if (m.progress().id() == image_.layers()[0].digest.Short() &&
        m.progress().status() == "Downloading") {
      ++big_updates;
      EXPECT_EQ(m.progress().total(), image_.layers()[0].size);
      EXPECT_LE(m.progress().current(), m.progress().total());
    }
  }
  EXPECT_GE(big_updates, 1);
  EXPECT_LE(big_updates, 10);
  // Each layer was unpacked by the pull itself, and its line ends as
  // docker's does; the big one shows its extraction in a few updates.
  EXPECT_TRUE(HasAll(pulled.ids, "Pull complete", LayerIds()));
  std::map<std::string, std::string> final_status;
  int extracting = 0;
  for (const auto& m : pulled.messages) {
    if (!m.progress().id().empty()) final_status[m.progress().id()] = m.progress().status();
    if (m.progress().id() == image_.layers()[0].digest.Short() &&
        m.progress().status() == "Extracting") {
      ++extracting;
      EXPECT_EQ(m.progress().total(), image_.layers()[0].size);
    }
  }
  for (const std::string& l : LayerIds()) EXPECT_EQ(final_status[l], "Pull complete") << l;
  EXPECT_GE(extracting, 1);
  EXPECT_LE(extracting, 10);
  EXPECT_FALSE(final_status.count(image_.config_digest.Short())) << "the config has no line";
  const v1::PullImageResponse& last = pulled.messages.back();
  EXPECT_EQ(last.image_id(), id);
  EXPECT_EQ(last.digest(), image_.target.digest.str());
  EXPECT_EQ(last.reference(), ref);
  for (size_t i = 0; i + 1 < pulled.messages.size(); ++i) {
    EXPECT_TRUE(pulled.messages[i].image_id().empty());
  }

  // Recorded under its name and unpacked, ready for a container.
  auto local = mgr_->Resolve(ref);
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_EQ(local->record.id, id);
  std::vector<Digest> chains = ChainIds(local->image.diff_ids());
  ASSERT_FALSE(chains.empty());
  auto top = sn_->Stat(chains.back().str());
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(top->kind, SnapshotKind::kCommitted);

  // Again: nothing is fetched.
  PullLog again = Pull(ref);
  ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  EXPECT_TRUE(HasAll(again.ids, "Already exists", LayerIds()));
  EXPECT_TRUE(again.ids["Downloading"].empty());
  EXPECT_EQ(again.messages.back().image_id(), id);

  // By digest: the same image, and no tag is made for it.
  PullLog by_digest = Pull(reg.host() + "/test/busybox@" + last.digest());
  ASSERT_TRUE(by_digest.status.ok()) << by_digest.status.error_message();
  EXPECT_EQ(by_digest.messages.back().image_id(), id);
  EXPECT_EQ(mgr_->Resolve(ref)->names, std::vector<std::string>{ref});

  // And pushing again sends no layer.
  PushLog repush = Push(ref);
  ASSERT_TRUE(repush.status.ok()) << repush.status.error_message();
  EXPECT_TRUE(HasAll(repush.ids, "Layer already exists", LayerIds()));
  EXPECT_TRUE(repush.ids["Pushed"].empty());

  // Tagged into another repository of the same registry: docker's tag then
  // push. The layers are mounted from the first repository, not uploaded.
  const std::string other = reg.host() + "/team/copy:2";
  ASSERT_TRUE(mgr_->Tag(ref, other).ok());
  PushLog copied = Push(other);
  ASSERT_TRUE(copied.status.ok()) << copied.status.error_message();
  EXPECT_TRUE(HasAll(copied.ids, "Mounted from test/busybox", LayerIds()));
  EXPECT_TRUE(copied.ids["Pushed"].empty());
  PullLog copy_back = Pull(other);
  ASSERT_TRUE(copy_back.status.ok()) << copy_back.status.error_message();
  EXPECT_EQ(copy_back.messages.back().image_id(), id);
}

// A registry killed (SIGKILL) while a layer streams into its snapshot: the
// pull fails naming the blob, and nothing half-made is left: no image, no
// manifest, no partial blob, no extraction snapshot. With the registry back,
// the same pull works.
TEST_F(ImageRegistryTest, RegistryKilledMidPullLeavesNothingAndRetryWorks) {
  TestRegistry reg;
  ASSERT_TRUE(reg.Start(false));
  // Big and incompressible, so the transfer is still running when the
  // registry dies (loopback socket buffers hold a few MB at most).
  std::string big(48 << 20, '\0');
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < big.size(); i += 8) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    memcpy(&big[i], &x, 8);
  }
  auto layer = testing::MakeLayer({TarEntry::Dir("data"), TarEntry::File("data/big", big)});
  auto small = testing::MakeLayer({TarEntry::File("etc/motd", "hi\n")}, TarCompression::kGzip);
  ASSERT_TRUE(layer.ok() && small.ok());
  auto img = testing::AddImage(*src_, {*small, *layer},
                               testing::MakeConfigJson({small->diff_id, layer->diff_id}), {});
  ASSERT_TRUE(img.ok()) << img.status();
  const std::string ref_text = reg.host() + "/test/big:1";
  auto ref = Reference::Parse(ref_text);
  ASSERT_TRUE(ref.ok());
  registry::RegistryOptions options;
  options.http.initial_backoff = absl::Milliseconds(10);
  auto client = registry::RegistryClient::Create(reg.host(), options);
  ASSERT_TRUE(registry::Push(*client, *src_, img->target, *ref).ok());
  const Descriptor big_blob = img->layers()[1];

  bool killed = false;
  registry::PullOptions pull;
  pull.progress = [&](const registry::PullProgress& p) {
    // Synchronous on the fetching thread: the transfer waits while we kill.
    if (!killed && p.id == big_blob.digest.Short() && p.status == "Downloading" &&
        p.current > (1 << 20)) {
      reg.Kill();
      killed = true;
    }
  };
  auto failed = mgr_->Pull(*client, *ref, pull);
  ASSERT_TRUE(killed) << "the registry was never killed";
  ASSERT_FALSE(failed.ok()) << "a pull survived the registry's death";
  // It names the blob whose transfer failed first: the big one, or the
  // small one when its (parallel) fetch was still running.
  const std::string msg(failed.status().message());
  EXPECT_TRUE(absl::StrContains(msg, "fetching blob " + big_blob.digest.str()) ||
              absl::StrContains(msg, "fetching blob " + img->layers()[0].digest.str()))
      << failed.status();
  EXPECT_TRUE(absl::StrContains(msg, reg.host())) << failed.status();
  EXPECT_TRUE(absl::IsNotFound(mgr_->Resolve(ref_text).status()));
  EXPECT_FALSE(content_->Exists(big_blob.digest)) << "a partial blob is visible";
  EXPECT_FALSE(content_->Exists(img->target.digest)) << "the manifest was stored";
  const std::vector<Digest> chains = ChainIds(img->diff_ids());
  for (const std::string& k : SnapshotKeys()) {
    EXPECT_FALSE(absl::StartsWith(k, "extract-")) << "left behind: " << k;
    EXPECT_NE(k, chains[1].str()) << "the cut layer was committed";
  }
  EXPECT_TRUE(IngestLeftovers().empty()) << "a partial download remains in ingest/";

  ASSERT_TRUE(reg.Restart());
  auto pulled = mgr_->Pull(*client, *ref, {});
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_EQ(pulled->image.record.id, img->config_digest.str());
  auto top = sn_->Stat(chains[1].str());
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(top->kind, SnapshotKind::kCommitted);
  auto view = sn_->View("check", chains[1].str());
  ASSERT_TRUE(view.ok()) << view.status();
  auto got = ReadFile(view->at(0).source + "/data/big");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == big) << "the unpacked file differs from the layer's";
}

// A pull does not hold the image lock while it downloads: an `rmi -f` of
// the very image it is pulling runs meanwhile, and keeps the blobs the pull
// relies on, so the pull still ends with a complete, unpacked image.
TEST_F(ImageRegistryTest, RemovalDuringAPullKeepsWhatThePullReliesOn) {
  TestRegistry reg;
  ASSERT_TRUE(reg.Start(false));
  Serve({});
  const std::string ref_text = reg.host() + "/test/busybox:1";
  const std::string id = LoadImage(ref_text);
  ASSERT_TRUE(Push(ref_text).status.ok());
  auto ref = Reference::Parse(ref_text);
  ASSERT_TRUE(ref.ok());
  registry::RegistryOptions options;
  options.http.initial_backoff = absl::Milliseconds(10);
  auto client = registry::RegistryClient::Create(reg.host(), options);

  bool removed = false;
  registry::PullOptions pull;
  pull.progress = [&](const registry::PullProgress& p) {
    if (removed || p.status != "Already exists") return;
    removed = true;
    auto done = std::async(std::launch::async, [&] { return mgr_->Remove(id, /*force=*/true); });
    ASSERT_EQ(done.wait_for(std::chrono::seconds(20)), std::future_status::ready)
        << "rmi waited for the pull";
    auto items = done.get();
    EXPECT_TRUE(items.ok()) << items.status();
  };
  auto pulled = mgr_->Pull(*client, *ref, pull);
  ASSERT_TRUE(removed);
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  auto local = mgr_->Resolve(ref_text);
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_EQ(local->record.id, id);
  for (const Descriptor& l : local->image.layers()) {
    EXPECT_TRUE(content_->Exists(l.digest)) << "removed under the pull: " << l.digest.str();
  }
  auto top = sn_->Stat(ChainIds(local->image.diff_ids()).back().str());
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(top->kind, SnapshotKind::kCommitted);
  // Once the pull is over nothing stays pinned: removing it frees the blobs.
  ASSERT_TRUE(mgr_->Remove(id, /*force=*/true).ok());
  for (const Descriptor& l : local->image.layers()) EXPECT_FALSE(content_->Exists(l.digest));
}

// Pulls run side by side now; two of the same image race on every blob and
// layer and both end with the one image, nothing left over.
TEST_F(ImageRegistryTest, ConcurrentPullsOfOneImage) {
  TestRegistry reg;
  ASSERT_TRUE(reg.Start(false));
  Serve({});
  const std::string ref_text = reg.host() + "/test/busybox:1";
  const std::string id = LoadImage(ref_text);
  ASSERT_TRUE(Push(ref_text).status.ok());
  ASSERT_TRUE(mgr_->Remove(id, /*force=*/true).ok());
  for (const Descriptor& l : image_.layers()) ASSERT_FALSE(content_->Exists(l.digest));

  auto ref = Reference::Parse(ref_text);
  ASSERT_TRUE(ref.ok());
  auto client = registry::RegistryClient::Create(reg.host(), {});
  std::vector<std::future<absl::StatusOr<PulledImage>>> pulls;
  for (int i = 0; i < 3; ++i) {
    pulls.push_back(std::async(std::launch::async, [&] { return mgr_->Pull(*client, *ref, {}); }));
  }
  for (auto& p : pulls) {
    auto r = p.get();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->image.record.id, id);
  }
  auto all = mgr_->List();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
  const std::vector<std::string> keys = SnapshotKeys();
  EXPECT_EQ(keys.size(), image_.layers().size()) << absl::StrJoin(keys, ", ");
  for (const std::string& k : keys) EXPECT_FALSE(absl::StartsWith(k, "extract-")) << k;
  EXPECT_TRUE(IngestLeftovers().empty()) << absl::StrJoin(IngestLeftovers(), ", ");
}

TEST_F(ImageRegistryTest, DefaultRegistryFillsInTheDomain) {
  TestRegistry reg;
  ASSERT_TRUE(reg.Start(false));
  RegistryConfig config;
  config.default_registry = reg.host();
  Serve(config);
  const std::string id = LoadImage(reg.host() + "/library/busybox:1");
  ASSERT_TRUE(Push("busybox:1").status.ok());
  ASSERT_TRUE(mgr_->Remove(id, /*force=*/true).ok());

  PullLog pulled = Pull("busybox:1");
  ASSERT_TRUE(pulled.status.ok()) << pulled.status.error_message();
  EXPECT_EQ(pulled.messages.back().reference(), reg.host() + "/library/busybox:1");
  EXPECT_EQ(pulled.messages.back().image_id(), id);

  // A daemon with that default registry finds the image by its short name,
  // and still finds Docker Hub names (as archives name images) by theirs.
  ImageManager with_default(*meta_, *content_, *sn_, bus_, reg.host());
  auto found = with_default.Resolve("busybox:1");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->record.id, id);
  ASSERT_TRUE(with_default.Tag(id, "docker.io/library/hub:2").ok());
  EXPECT_TRUE(with_default.Resolve("hub:2").ok());
  EXPECT_TRUE(absl::IsNotFound(mgr_->Resolve("busybox:1").status()));
}

TEST_F(ImageRegistryTest, ErrorsSayWhatToDo) {
  TestRegistry reg;
  ASSERT_TRUE(reg.Start(false));
  Serve({});

  PullLog unknown = Pull(reg.host() + "/test/busybox:nope");
  EXPECT_EQ(unknown.status.error_code(), grpc::StatusCode::NOT_FOUND)
      << unknown.status.error_message();
  EXPECT_TRUE(absl::StrContains(unknown.status.error_message(), "manifest `nope` not found"))
      << unknown.status.error_message();
  ASSERT_FALSE(unknown.messages.empty());
  EXPECT_EQ(unknown.messages.back().progress().error(), unknown.status.error_message());

  PullLog malformed = Pull("Not//A:Reference");
  EXPECT_EQ(malformed.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << malformed.status.error_message();

  PushLog no_image = Push(reg.host() + "/test/missing:1");
  EXPECT_EQ(no_image.status.error_code(), grpc::StatusCode::NOT_FOUND)
      << no_image.status.error_message();
  EXPECT_TRUE(absl::StrContains(no_image.status.error_message(), "no such image"))
      << no_image.status.error_message();

  const int dead = TestRegistry::FreePort();
  PullLog refused = Pull(absl::StrCat("127.0.0.1:", dead, "/test/busybox:1"));
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << refused.status.error_message();

  PullLog no_host = Pull("no-such-host.invalid/test/busybox:1");
  EXPECT_EQ(no_host.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << no_host.status.error_message();
  EXPECT_TRUE(absl::StrContains(no_host.status.error_message(), "no-such-host.invalid"))
      << no_host.status.error_message();
}

TEST_F(ImageRegistryTest, LoginStoresCredentialsForPushAndPull) {
  TestRegistry reg;
  ASSERT_TRUE(reg.Start(true));
  RegistryConfig config;
  config.options.http.certs_dir = reg.certs_dir();
  Serve(config);
  const std::string creds_path = tmp_.Sub("root/credentials.json");
  const std::string ref = reg.host() + "/test/busybox:1";
  LoadImage(ref);

  // Without credentials the registry says who to ask.
  PushLog anonymous = Push(ref);
  EXPECT_EQ(anonymous.status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << anonymous.status.error_message();

  v1::LoginResponse resp;
  grpc::Status wrong = Login(reg.host(), "alice", "Hunter2x", &resp);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED) << wrong.error_message();
  EXPECT_TRUE(absl::StrContains(wrong.error_message(), TestRegistry::kRealm))
      << wrong.error_message();
  EXPECT_FALSE(absl::StrContains(wrong.error_message(), "Hunter2x")) << wrong.error_message();
  EXPECT_FALSE(ReadFile(creds_path).ok()) << "a failed login stored credentials";

  grpc::Status ok = Login("https://" + reg.host() + "/", "alice", "s3cret", &resp);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(resp.status(), "Login Succeeded");
  struct stat st;
  ASSERT_EQ(stat(creds_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(absl::StrContains(*ReadFile(creds_path), reg.host()));

  PushLog pushed = Push(ref);
  ASSERT_TRUE(pushed.status.ok()) << pushed.status.error_message();
  ASSERT_TRUE(mgr_->Remove(ref, false).ok());
  PullLog pulled = Pull(ref);
  ASSERT_TRUE(pulled.status.ok()) << pulled.status.error_message();

  grpc::ClientContext c1, c2;
  v1::LogoutRequest out;
  out.set_server(reg.host());
  v1::LogoutResponse out_resp;
  ASSERT_TRUE(stub_->Logout(&c1, out, &out_resp).ok());
  EXPECT_TRUE(out_resp.removed());
  ASSERT_TRUE(stub_->Logout(&c2, out, &out_resp).ok());
  EXPECT_FALSE(out_resp.removed());
  PullLog after = Pull(ref);
  EXPECT_EQ(after.status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << after.status.error_message();
}

}  // namespace
}  // namespace skiff::manager
