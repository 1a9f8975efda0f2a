// ImageService end to end: an in-process gRPC server on a unix socket, as
// `skiff` reaches skiffd, over real stores in a temp dir.

#include "manager/server/image_service.h"

#include <dirent.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "gtest/gtest.h"
#include "manager/images/archive_save.h"
#include "manager/images/test_images.h"
#include "manager/snapshots/native/native.h"
#include "manager/testing/tar_builder.h"
#include "manager/testing/temp_dir.h"
#include "proto/skiff/v1/image.grpc.pb.h"

namespace skiff::manager {
namespace {

namespace v1 = ::skiff::v1;
using testing::TarCompression;
using testing::TarEntry;
using testing::TestLayer;

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  closedir(d);
  return out;
}

v1::Filter F(const std::string& k, const std::string& v) {
  v1::Filter f;
  f.set_key(k);
  f.set_value(v);
  return f;
}

class ImageServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(sock_dir_.path().empty());
    src_ = *ContentStore::Open(tmp_.Sub("src"));
    content_ = *ContentStore::Open(tmp_.Sub("root"));
    meta_ = *MetadataStore::Open(tmp_.Sub("root/meta.db"));
    sn_ = *NativeSnapshotter::Open(tmp_.Sub("root/snapshots"));
    mgr_ = std::make_unique<ImageManager>(*meta_, *content_, *sn_, bus_);
    service_ = std::make_unique<ImageServiceImpl>(*mgr_);

    const std::string addr = "unix:" + sock_dir_.Sub("skiffd.sock");
    grpc::ServerBuilder b;
    b.AddListeningPort(addr, grpc::InsecureServerCredentials());
    b.RegisterService(service_.get());
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ =
        v1::ImageService::NewStub(grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));

    base_ = *testing::MakeLayer({TarEntry::Dir("etc"), TarEntry::File("etc/hostname", "base\n")});
    app_ =
        *testing::MakeLayer({TarEntry::File("app", std::string(5000, 'x'))}, TarCompression::kGzip);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }

  // An archive of one image made in the source store; `created` and
  // `labels` go into its config.
  std::string Archive(const std::vector<TestLayer>& layers, const std::vector<std::string>& names,
                      const std::string& created = "2024-01-01T00:00:00Z",
                      const nlohmann::json& labels = {{"org.skiff.test", "yes"}},
                      ArchiveFormat format = ArchiveFormat::kDockerArchive) {
    std::vector<Digest> ids;
    for (const TestLayer& l : layers) ids.push_back(l.diff_id);
    nlohmann::json config = nlohmann::json::parse(testing::MakeConfigJson(ids));
    config["created"] = created;
    config["config"]["Labels"] = labels;
    config["history"].push_back({{"created", created},
                                 {"created_by", "/bin/sh -c #(nop) CMD [\"sh\"]"},
                                 {"empty_layer", true}});
    absl::StatusOr<Image> img = testing::AddImage(*src_, layers, config.dump(), names);
    EXPECT_TRUE(img.ok()) << img.status();
    std::string path = tmp_.Sub("archive-" + std::to_string(n_++) + ".tar");
    absl::Status s = SaveArchive({*img}, path, format, *src_);
    EXPECT_TRUE(s.ok()) << s;
    last_id_ = img->config_digest.str();
    return path;
  }

  grpc::Status LoadPath(const std::string& path, v1::LoadImagesResponse* resp) {
    grpc::ClientContext ctx;
    auto w = stub_->Load(&ctx, resp);
    v1::LoadImagesRequest req;
    req.set_path(path);
    w->Write(req);
    w->WritesDone();
    return w->Finish();
  }

  grpc::Status LoadBytes(const std::string& bytes, v1::LoadImagesResponse* resp,
                         size_t chunk = 1000) {
    grpc::ClientContext ctx;
    auto w = stub_->Load(&ctx, resp);
    for (size_t off = 0; off < bytes.size(); off += chunk) {
      v1::LoadImagesRequest req;
      req.set_chunk(bytes.substr(off, chunk));
      if (!w->Write(req)) break;
    }
    w->WritesDone();
    return w->Finish();
  }

  // The saved archive's bytes and the chunk sizes it came in.
  grpc::Status Save(const std::vector<std::string>& refs, v1::SaveImagesRequest::Format format,
                    std::string* bytes, std::vector<size_t>* sizes) {
    grpc::ClientContext ctx;
    v1::SaveImagesRequest req;
    for (const std::string& r : refs) req.add_refs(r);
    req.set_format(format);
    auto r = stub_->Save(&ctx, req);
    v1::SaveImagesResponse chunk;
    while (r->Read(&chunk)) {
      bytes->append(chunk.chunk());
      sizes->push_back(chunk.chunk().size());
    }
    return r->Finish();
  }

  v1::ListImagesResponse List(const std::vector<v1::Filter>& filters, grpc::Status* status) {
    grpc::ClientContext ctx;
    v1::ListImagesRequest req;
    for (const v1::Filter& f : filters) *req.add_filters() = f;
    v1::ListImagesResponse resp;
    *status = stub_->List(&ctx, req, &resp);
    return resp;
  }

  std::vector<std::string> ListedTags(const std::vector<v1::Filter>& filters) {
    grpc::Status s;
    v1::ListImagesResponse r = List(filters, &s);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> out;
    for (const v1::ImageSummary& i : r.images()) {
      out.push_back(i.repo_tags().empty() ? "<none>" : i.repo_tags(0));
    }
    return out;
  }

  grpc::Status Remove(const std::string& ref, bool force, v1::RemoveImageResponse* resp) {
    grpc::ClientContext ctx;
    v1::RemoveImageRequest req;
    req.set_ref(ref);
    req.set_force(force);
    return stub_->Remove(&ctx, req, resp);
  }

  grpc::Status Tag(const std::string& source, const std::string& target) {
    grpc::ClientContext ctx;
    v1::TagImageRequest req;
    req.set_source(source);
    req.set_target(target);
    v1::TagImageResponse resp;
    return stub_->Tag(&ctx, req, &resp);
  }

  std::string TmpDir() { return tmp_.Sub("root/tmp"); }

  testing::TempDir tmp_;
  testing::TempDir sock_dir_{"/tmp"};  // sun_path is short
  std::unique_ptr<ContentStore> src_, content_;
  std::unique_ptr<MetadataStore> meta_;
  std::unique_ptr<NativeSnapshotter> sn_;
  EventBus bus_;
  std::unique_ptr<ImageManager> mgr_;
  std::unique_ptr<ImageServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::ImageService::Stub> stub_;
  TestLayer base_, app_;
  std::string last_id_;
  int n_ = 0;
};

TEST_F(ImageServiceTest, StreamedLoadThenListInspectHistory) {
  std::string bytes = *ReadFile(Archive({base_, app_}, {"busybox:latest"}));
  v1::LoadImagesResponse loaded;
  grpc::Status s = LoadBytes(bytes, &loaded);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(loaded.images_size(), 1);
  EXPECT_EQ(loaded.images(0).id(), last_id_);
  EXPECT_EQ(loaded.images(0).tags_size(), 1);
  EXPECT_EQ(loaded.images(0).tags(0), "busybox:latest");
  EXPECT_TRUE(Entries(TmpDir()).empty());

  const int64_t app_tar = static_cast<int64_t>(
      testing::BuildTar({TarEntry::File("app", std::string(5000, 'x'))})->size());
  grpc::Status ls;
  v1::ListImagesResponse list = List({}, &ls);
  ASSERT_TRUE(ls.ok()) << ls.error_message();
  ASSERT_EQ(list.images_size(), 1);
  const v1::ImageSummary& row = list.images(0);
  EXPECT_EQ(row.id(), last_id_);
  EXPECT_EQ(row.repo_tags_size(), 1);
  EXPECT_EQ(row.repo_tags(0), "busybox:latest");
  EXPECT_EQ(row.size(), static_cast<int64_t>(base_.blob.size()) + app_tar);
  EXPECT_EQ(row.labels().at("org.skiff.test"), "yes");
  EXPECT_EQ(row.created().seconds(), 1704067200);
  EXPECT_EQ(row.containers(), 0);

  grpc::ClientContext ictx;
  v1::InspectImageRequest ireq;
  ireq.set_ref("busybox");
  v1::InspectImageResponse info;
  ASSERT_TRUE(stub_->Inspect(&ictx, ireq, &info).ok());
  const v1::ImageInfo& i = info.image();
  EXPECT_EQ(i.id(), last_id_);
  EXPECT_EQ(i.repo_tags(0), "busybox:latest");
  EXPECT_EQ(i.platform().os(), "linux");
  EXPECT_EQ(i.platform().architecture(), "amd64");
  EXPECT_EQ(i.config().cmd().values_size(), 1);
  EXPECT_EQ(i.config().cmd().values(0), "sh");
  EXPECT_FALSE(i.config().has_entrypoint());
  EXPECT_EQ(i.config().env(0), "PATH=/bin");
  EXPECT_EQ(i.config().working_dir(), "/");
  EXPECT_EQ(i.config().exposed_ports(0), "80/tcp");
  ASSERT_EQ(i.layers_size(), 2);
  EXPECT_EQ(i.layers(0), base_.diff_id.str());
  EXPECT_EQ(i.layers(1), app_.diff_id.str());
  EXPECT_FALSE(i.manifest_digest().empty());
  EXPECT_EQ(i.manifest_media_type(), "application/vnd.oci.image.manifest.v1+json");
  EXPECT_GT(i.last_tag_time().seconds(), 1704067200);

  grpc::ClientContext hctx;
  v1::ImageHistoryRequest hreq;
  hreq.set_ref(last_id_.substr(7, 12));
  v1::ImageHistoryResponse h;
  ASSERT_TRUE(stub_->History(&hctx, hreq, &h).ok());
  ASSERT_EQ(h.entries_size(), 3);
  EXPECT_EQ(h.entries(0).id(), last_id_);
  EXPECT_TRUE(h.entries(0).empty_layer());
  EXPECT_EQ(h.entries(0).size(), 0);
  EXPECT_EQ(h.entries(0).created_by(), "/bin/sh -c #(nop) CMD [\"sh\"]");
  EXPECT_EQ(h.entries(0).tags(0), "busybox:latest");
  EXPECT_EQ(h.entries(1).id(), "<missing>");
  EXPECT_EQ(h.entries(1).size(), app_tar);  // uncompressed, not the gzip blob
  EXPECT_EQ(h.entries(2).id(), "<missing>");
  EXPECT_EQ(h.entries(2).size(), static_cast<int64_t>(base_.blob.size()));
}

TEST_F(ImageServiceTest, LeftoverTempFilesAreSweptAtStart) {
  ASSERT_EQ(mkdir(TmpDir().c_str(), 0700), 0);
  ASSERT_TRUE(testing::WriteTestFile(TmpDir() + "/load-crashed", "x").ok());
  ASSERT_TRUE(testing::WriteTestFile(TmpDir() + "/someone-elses", "y").ok());
  ImageServiceImpl again(*mgr_);
  EXPECT_EQ(Entries(TmpDir()), std::vector<std::string>{"someone-elses"});
}

TEST_F(ImageServiceTest, LoadByPathAndItsErrors) {
  v1::LoadImagesResponse r;
  grpc::Status s = LoadPath(
      Archive({base_}, {"user/app:1"}, "2024-01-01T00:00:00Z", {}, ArchiveFormat::kOciLayout), &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.images(0).tags(0), "user/app:1");

  s = LoadPath("relative.tar", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  s = LoadPath(tmp_.Sub("missing.tar"), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_NE(s.error_message().find("missing.tar"), std::string::npos) << s.error_message();

  grpc::ClientContext ctx;
  auto w = stub_->Load(&ctx, &r);
  w->WritesDone();
  s = w->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
}

TEST_F(ImageServiceTest, FailedStreamedLoadKeepsNothing) {
  size_t blobs = content_->List()->size();
  v1::LoadImagesResponse r;
  grpc::Status s = LoadBytes(std::string(10000, 'z'), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("the streamed archive"), std::string::npos) << s.error_message();
  EXPECT_EQ(s.error_message().find(TmpDir()), std::string::npos) << s.error_message();

  // A tar whose blob does not match its name: DATA_LOSS.
  std::string tar = *testing::BuildTar({
      TarEntry::File("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"),
      TarEntry::File("blobs/sha256/" + std::string(64, 'a'), "not that"),
      TarEntry::File("index.json", R"({"schemaVersion":2,"manifests":[]})"),
  });
  s = LoadBytes(tar, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DATA_LOSS) << s.error_message();
  EXPECT_EQ(content_->List()->size(), blobs);
  EXPECT_TRUE(Entries(TmpDir()).empty());
  grpc::Status ls;
  EXPECT_EQ(List({}, &ls).images_size(), 0);
}

TEST_F(ImageServiceTest, SaveStreamsChunksAndRoundTrips) {
  // Incompressible data, so the archive needs several 1 MiB chunks.
  std::string big;
  uint64_t x = 88172645463325252ull;
  while (big.size() < (3 << 20)) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    big.append(reinterpret_cast<const char*>(&x), sizeof x);
  }
  TestLayer large = *testing::MakeLayer({TarEntry::File("big", big)});
  v1::LoadImagesResponse r;
  ASSERT_TRUE(LoadPath(Archive({base_, large}, {"big:1"}), &r).ok());
  const std::string id = last_id_;

  for (auto format :
       {v1::SaveImagesRequest::FORMAT_DOCKER_ARCHIVE, v1::SaveImagesRequest::FORMAT_OCI_LAYOUT}) {
    std::string bytes;
    std::vector<size_t> sizes;
    grpc::Status s = Save({"big:1"}, format, &bytes, &sizes);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_GE(sizes.size(), 4u);
    for (size_t n : sizes) EXPECT_LE(n, ImageServiceImpl::kChunkSize);
    EXPECT_EQ(sizes.front(), ImageServiceImpl::kChunkSize);
    EXPECT_TRUE(Entries(TmpDir()).empty());

    v1::RemoveImageResponse removed;
    ASSERT_TRUE(Remove("big:1", false, &removed).ok());
    ASSERT_EQ(content_->List()->size(), 0u);
    v1::LoadImagesResponse back;
    s = LoadBytes(bytes, &back, 1 << 20);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(back.images_size(), 1);
    EXPECT_EQ(back.images(0).id(), id);
    EXPECT_EQ(back.images(0).tags(0), "big:1");
  }

  std::string bytes;
  std::vector<size_t> sizes;
  EXPECT_EQ(Save({}, v1::SaveImagesRequest::FORMAT_OCI_LAYOUT, &bytes, &sizes).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  grpc::Status s = Save({"nothing"}, v1::SaveImagesRequest::FORMAT_OCI_LAYOUT, &bytes, &sizes);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "no such image: nothing:latest");
  EXPECT_TRUE(bytes.empty());
}

TEST_F(ImageServiceTest, ListFilters) {
  v1::LoadImagesResponse r;
  ASSERT_TRUE(
      LoadPath(Archive({base_}, {"old:1"}, "2023-01-01T00:00:00Z", {{"tier", "a"}}), &r).ok());
  ASSERT_TRUE(LoadPath(Archive({base_}, {}, "2023-06-01T00:00:00Z", {{"tier", "b"}}), &r).ok());
  ASSERT_TRUE(LoadPath(Archive({base_, app_}, {"user/web:2"}, "2024-01-01T00:00:00Z",
                               {{"tier", "a"}, {"team", "x"}}),
                       &r)
                  .ok());
  ASSERT_TRUE(Tag("user/web:2", "user/web:latest").ok());

  // Newest first.
  EXPECT_EQ(ListedTags({}), (std::vector<std::string>{"user/web:2", "<none>", "old:1"}));
  EXPECT_EQ(ListedTags({F("dangling", "true")}), std::vector<std::string>{"<none>"});
  EXPECT_EQ(ListedTags({F("dangling", "false")}),
            (std::vector<std::string>{"user/web:2", "old:1"}));
  EXPECT_EQ(ListedTags({F("reference", "user/*")}), std::vector<std::string>{"user/web:2"});
  // As docker's path.Match: `*` stops at a slash.
  EXPECT_EQ(ListedTags({F("reference", "*:latest")}), std::vector<std::string>{});
  EXPECT_EQ(ListedTags({F("reference", "*/*:latest")}),
            std::vector<std::string>{"user/web:latest"});
  EXPECT_EQ(ListedTags({F("reference", "old")}), std::vector<std::string>{"old:1"});
  EXPECT_EQ(ListedTags({F("reference", "nomatch*")}), std::vector<std::string>{});
  EXPECT_EQ(ListedTags({F("label", "tier=a")}), (std::vector<std::string>{"user/web:2", "old:1"}));
  EXPECT_EQ(ListedTags({F("label", "tier=a"), F("label", "team")}),
            std::vector<std::string>{"user/web:2"});
  EXPECT_EQ(ListedTags({F("before", "user/web:2")}), (std::vector<std::string>{"<none>", "old:1"}));
  EXPECT_EQ(ListedTags({F("since", "old:1")}), (std::vector<std::string>{"user/web:2", "<none>"}));

  grpc::Status s;
  List({F("colour", "red")}, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("colour"), std::string::npos);
  List({F("dangling", "maybe")}, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  List({F("before", "ghost")}, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ImageServiceTest, TagAndRemoveFollowDockerRmi) {
  v1::LoadImagesResponse r;
  ASSERT_TRUE(LoadPath(Archive({base_}, {"busybox:latest"}), &r).ok());
  const std::string id = last_id_;
  grpc::Status s = Tag("busybox", "Bad:Name");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  s = Tag("ghost", "x:1");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "no such image: ghost:latest");
  ASSERT_TRUE(Tag("busybox", "mine:1").ok());

  ContainerRecord c;
  c.id = std::string(64, 'f');
  c.name = "web";
  c.image = "busybox";
  c.image_id = id;
  c.config = "{}";
  c.state = ContainerState::kExited;
  ASSERT_TRUE(meta_->Write([&](MetadataStore::Tx& tx) { return tx.AddContainer(c); }).ok());
  grpc::Status ls;
  EXPECT_EQ(List({}, &ls).images(0).containers(), 1);

  v1::RemoveImageResponse resp;
  s = Remove(id, false, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(),
            "image is in use by container ffffffffffff (web): remove it or use --force");

  // One of two tags: fine even in use.
  ASSERT_TRUE(Remove("mine:1", false, &resp).ok());
  ASSERT_EQ(resp.items_size(), 1);
  EXPECT_EQ(resp.items(0).untagged(), "mine:1");

  ASSERT_TRUE(meta_->Write([&](MetadataStore::Tx& tx) { return tx.DeleteContainer(c.id); }).ok());
  resp.Clear();
  s = Remove("busybox", false, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.items_size(), 2);
  EXPECT_EQ(resp.items(0).untagged(), "busybox:latest");
  EXPECT_TRUE(resp.items(0).deleted().empty());
  EXPECT_EQ(resp.items(1).deleted(), id);
  s = Remove("busybox", false, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ImageServiceTest, PruneWithFilters) {
  v1::LoadImagesResponse r;
  ASSERT_TRUE(LoadPath(Archive({base_}, {}, "2020-01-01T00:00:00Z", {{"keep", "yes"}}), &r).ok());
  const std::string kept = last_id_;
  ASSERT_TRUE(LoadPath(Archive({app_}, {}, "2020-01-01T00:00:00Z", {}), &r).ok());
  const std::string old_dangling = last_id_;
  ASSERT_TRUE(LoadPath(Archive({base_, app_}, {"app:1"}, "2020-01-01T00:00:00Z", {}), &r).ok());

  grpc::ClientContext bad_ctx;
  v1::PruneImagesRequest bad;
  *bad.add_filters() = F("dangling", "true");
  v1::PruneImagesResponse resp;
  EXPECT_EQ(stub_->Prune(&bad_ctx, bad, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  grpc::ClientContext ctx;
  v1::PruneImagesRequest req;
  *req.add_filters() = F("label!", "keep=yes");
  *req.add_filters() = F("until", "24h");
  ASSERT_TRUE(stub_->Prune(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.items_size(), 1);
  EXPECT_EQ(resp.items(0).deleted(), old_dangling);
  // Its manifest and config went; its only layer is app:1's too.
  EXPECT_GT(resp.space_reclaimed(), 0u);
  // (docker archives carry layers uncompressed: the blob is the DiffID.)
  ASSERT_TRUE(content_->Exists(app_.diff_id));
  EXPECT_LT(resp.space_reclaimed(), static_cast<uint64_t>(*content_->Size(app_.diff_id)));

  grpc::ClientContext ctx2;
  v1::PruneImagesRequest all;
  all.set_all(true);
  *all.add_filters() = F("until", "2021-01-01T00:00:00Z");
  resp.Clear();
  ASSERT_TRUE(stub_->Prune(&ctx2, all, &resp).ok());
  ASSERT_EQ(resp.items_size(), 3);  // kept, and app:1 untagged + deleted
  EXPECT_GT(resp.space_reclaimed(), base_.blob.size());
  EXPECT_EQ(content_->List()->size(), 0u);
}

}  // namespace
}  // namespace skiff::manager
