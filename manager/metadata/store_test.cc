#include "manager/metadata/store.h"

#include <string>

#include "absl/time/clock.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "manager/metadata/migrations.h"
#include "manager/metadata/schema.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

using ::skiff::manager::testing::TempDir;
using Tx = MetadataStore::Tx;

ImageRecord Image(const std::string& hex, int64_t created_s = 1700000000) {
  ImageRecord r;
  r.id = "sha256:" + hex;
  r.target_digest = "sha256:index" + hex;
  r.target_media_type = "application/vnd.oci.image.index.v1+json";
  r.target_size = 321;
  r.manifest_digest = "sha256:manifest" + hex;
  r.config_digest = r.id;
  r.created = absl::FromUnixSeconds(created_s);
  r.added = absl::FromUnixNanos(1700000001000000001);
  r.size = 4242;
  return r;
}

ContainerRecord Container(const std::string& id, const std::string& name,
                          int64_t created_s = 1700000000) {
  ContainerRecord c;
  c.id = id;
  c.name = name;
  c.image = "busybox";
  c.image_id = "sha256:aaaa";
  c.config = R"({"Cmd":["sh"]})";
  c.created = absl::FromUnixSeconds(created_s);
  return c;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<MetadataStore>> s = MetadataStore::Open(dir_.Sub("meta.db"));
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }

  absl::Status Write(std::function<absl::Status(Tx&)> fn) { return store_->Write(fn); }

  TempDir dir_;
  std::unique_ptr<MetadataStore> store_;
};

TEST_F(StoreTest, OpenMigratesToLatestSchema) {
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir_.Sub("meta.db"), {});
  ASSERT_TRUE(db.ok());
  absl::StatusOr<int> v = SchemaVersion(**db);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, static_cast<int>(SchemaMigrations().size()));
}

TEST_F(StoreTest, ImagesRoundTrip) {
  ASSERT_TRUE(Write([](Tx& tx) { return tx.AddImage(Image("aaaa")); }).ok());
  absl::StatusOr<ImageRecord> got =
      store_->Read([](Tx& tx) { return tx.GetImage("sha256:aaaa"); });
  ASSERT_TRUE(got.ok()) << got.status();
  ImageRecord want = Image("aaaa");
  EXPECT_EQ(got->id, want.id);
  EXPECT_EQ(got->target_digest, want.target_digest);
  EXPECT_EQ(got->target_media_type, want.target_media_type);
  EXPECT_EQ(got->target_size, 321);
  EXPECT_EQ(got->manifest_digest, want.manifest_digest);
  EXPECT_EQ(got->config_digest, want.config_digest);
  EXPECT_EQ(got->created, want.created);
  EXPECT_EQ(got->added, want.added);
  EXPECT_EQ(got->size, 4242);
}

TEST_F(StoreTest, ImageErrors) {
  ASSERT_TRUE(Write([](Tx& tx) { return tx.AddImage(Image("aaaa")); }).ok());
  absl::Status dup = Write([](Tx& tx) { return tx.AddImage(Image("aaaa")); });
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.message(), "image sha256:aaaa is already stored");

  absl::StatusOr<ImageRecord> missing =
      store_->Read([](Tx& tx) { return tx.GetImage("sha256:bbbb"); });
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "no such image: sha256:bbbb");
  EXPECT_EQ(Write([](Tx& tx) { return tx.DeleteImage("sha256:bbbb"); }).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Write([](Tx& tx) { return tx.AddImage(ImageRecord{}); }).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, ListImagesNewestFirstAndPrefixLookup) {
  ASSERT_TRUE(Write([](Tx& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.AddImage(Image("ab12", 100)));
                RETURN_IF_ERROR(tx.AddImage(Image("ab34", 300)));
                return tx.AddImage(Image("cd56", 200));
              }).ok());
  absl::StatusOr<std::vector<ImageRecord>> all =
      store_->Read([](Tx& tx) { return tx.ListImages(); });
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, "sha256:ab34");
  EXPECT_EQ((*all)[1].id, "sha256:cd56");
  EXPECT_EQ((*all)[2].id, "sha256:ab12");

  auto find = [&](const std::string& p) {
    return store_->Read([&](Tx& tx) { return tx.FindImagesByIdPrefix(p); });
  };
  EXPECT_EQ(find("ab")->size(), 2u);
  EXPECT_EQ(find("sha256:ab3")->size(), 1u);
  EXPECT_EQ(find("ef")->size(), 0u);
  EXPECT_EQ(find("a*").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(find("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, TagsPointAtImagesAndMove) {
  ASSERT_TRUE(Write([](Tx& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.AddImage(Image("aaaa")));
                return tx.AddImage(Image("bbbb"));
              }).ok());
  const std::string ref = "docker.io/library/busybox:latest";

  absl::StatusOr<std::optional<std::string>> first =
      store_->Write([&](Tx& tx) { return tx.SetTag(ref, "sha256:aaaa"); });
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, std::nullopt);

  absl::StatusOr<std::optional<std::string>> same =
      store_->Write([&](Tx& tx) { return tx.SetTag(ref, "sha256:aaaa"); });
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, std::nullopt);

  absl::StatusOr<std::optional<std::string>> moved =
      store_->Write([&](Tx& tx) { return tx.SetTag(ref, "sha256:bbbb"); });
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, "sha256:aaaa");

  absl::StatusOr<TagRecord> tag = store_->Read([&](Tx& tx) { return tx.GetTag(ref); });
  ASSERT_TRUE(tag.ok());
  EXPECT_EQ(tag->image_id, "sha256:bbbb");
  EXPECT_GT(tag->tagged_at, absl::Now() - absl::Minutes(1));

  absl::StatusOr<std::optional<std::string>> to_missing =
      store_->Write([&](Tx& tx) { return tx.SetTag("x:1", "sha256:cccc"); });
  EXPECT_EQ(to_missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Read([](Tx& tx) { return tx.GetTag("nope:latest"); }).status().message(),
            "no such image: nope:latest");
}

TEST_F(StoreTest, DeletingAnImageRemovesItsTags) {
  ASSERT_TRUE(Write([](Tx& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.AddImage(Image("aaaa")));
                RETURN_IF_ERROR(tx.AddImage(Image("bbbb")));
                RETURN_IF_ERROR(tx.SetTag("a:1", "sha256:aaaa").status());
                RETURN_IF_ERROR(tx.SetTag("a:2", "sha256:aaaa").status());
                return tx.SetTag("b:1", "sha256:bbbb").status();
              }).ok());
  absl::StatusOr<std::vector<TagRecord>> of_a =
      store_->Read([](Tx& tx) { return tx.TagsOfImage("sha256:aaaa"); });
  ASSERT_TRUE(of_a.ok());
  ASSERT_EQ(of_a->size(), 2u);
  EXPECT_EQ((*of_a)[0].reference, "a:1");

  ASSERT_TRUE(Write([](Tx& tx) { return tx.DeleteImage("sha256:aaaa"); }).ok());
  absl::StatusOr<std::vector<TagRecord>> tags = store_->Read([](Tx& tx) { return tx.ListTags(); });
  ASSERT_TRUE(tags.ok());
  ASSERT_EQ(tags->size(), 1u);
  EXPECT_EQ((*tags)[0].reference, "b:1");

  ASSERT_TRUE(Write([](Tx& tx) { return tx.DeleteTag("b:1"); }).ok());
  EXPECT_EQ(Write([](Tx& tx) { return tx.DeleteTag("b:1"); }).code(), absl::StatusCode::kNotFound);
  // The image stays when its last tag goes; deleting it is the caller's call.
  EXPECT_TRUE(store_->Read([](Tx& tx) { return tx.GetImage("sha256:bbbb"); }).ok());
}

TEST_F(StoreTest, ContainersRoundTripEveryField) {
  ContainerRecord c = Container(std::string(64, 'a'), "web");
  c.state = ContainerState::kExited;
  c.pid = 1234;
  c.started_at = absl::FromUnixNanos(1700000005000000007);
  c.finished_at = absl::FromUnixNanos(1700000009000000009);
  c.exit_code = 137;
  c.restart_count = 3;
  c.oom_killed = true;
  c.error = "container init was OOM-killed";
  c.labels = {{"com.example.team", "infra"}, {"empty", ""}, {"ünï", "cødé"}};
  ASSERT_TRUE(Write([&](Tx& tx) { return tx.AddContainer(c); }).ok());

  absl::StatusOr<ContainerRecord> got = store_->Read([&](Tx& tx) { return tx.GetContainer(c.id); });
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->id, c.id);
  EXPECT_EQ(got->name, "web");
  EXPECT_EQ(got->image, "busybox");
  EXPECT_EQ(got->image_id, "sha256:aaaa");
  EXPECT_EQ(got->config, c.config);
  EXPECT_EQ(got->state, ContainerState::kExited);
  EXPECT_EQ(got->pid, 1234);
  EXPECT_EQ(got->created, c.created);
  EXPECT_EQ(got->started_at, c.started_at);
  EXPECT_EQ(got->finished_at, c.finished_at);
  EXPECT_EQ(got->exit_code, 137);
  EXPECT_EQ(got->restart_count, 3);
  EXPECT_TRUE(got->oom_killed);
  EXPECT_EQ(got->error, c.error);
  EXPECT_EQ(got->labels, c.labels);

  ContainerRecord fresh = Container(std::string(64, 'b'), "fresh");
  ASSERT_TRUE(Write([&](Tx& tx) { return tx.AddContainer(fresh); }).ok());
  got = store_->Read([&](Tx& tx) { return tx.GetContainerByName("fresh"); });
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, ContainerState::kCreated);
  EXPECT_EQ(got->started_at, std::nullopt);
  EXPECT_EQ(got->finished_at, std::nullopt);
  EXPECT_TRUE(got->labels.empty());
}

TEST_F(StoreTest, ContainerNamesAndIdsAreUnique) {
  const std::string id1(64, '1'), id2(64, '2');
  ASSERT_TRUE(Write([&](Tx& tx) { return tx.AddContainer(Container(id1, "web")); }).ok());

  absl::Status name_taken = Write([&](Tx& tx) { return tx.AddContainer(Container(id2, "web")); });
  EXPECT_EQ(name_taken.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(name_taken.message().find("\"web\" is already in use by container 111111111111"),
            std::string::npos)
      << name_taken;

  absl::Status id_taken = Write([&](Tx& tx) { return tx.AddContainer(Container(id1, "other")); });
  EXPECT_EQ(id_taken.code(), absl::StatusCode::kAlreadyExists) << id_taken;

  EXPECT_EQ(Write([&](Tx& tx) { return tx.AddContainer(Container(id2, "")); }).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Write([&](Tx& tx) { return tx.AddContainer(Container("", "x")); }).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, RenameAndUpdate) {
  const std::string id1(64, '1'), id2(64, '2');
  ASSERT_TRUE(Write([&](Tx& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.AddContainer(Container(id1, "web")));
                return tx.AddContainer(Container(id2, "db"));
              }).ok());

  EXPECT_EQ(Write([&](Tx& tx) { return tx.RenameContainer(id1, "db"); }).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(Write([&](Tx& tx) { return tx.RenameContainer(id1, "web"); }).ok())
      << "renaming to its own name";
  EXPECT_TRUE(Write([&](Tx& tx) { return tx.RenameContainer(id1, "frontend"); }).ok());
  EXPECT_EQ(Write([&](Tx& tx) { return tx.RenameContainer(std::string(64, '9'), "x"); }).code(),
            absl::StatusCode::kNotFound);

  // The read-modify-write a lifecycle change does.
  absl::Time started = absl::FromUnixSeconds(1800000000);
  ASSERT_TRUE(Write([&](Tx& tx) -> absl::Status {
                ASSIGN_OR_RETURN(ContainerRecord c, tx.GetContainer(id1));
                c.state = ContainerState::kRunning;
                c.pid = 42;
                c.started_at = started;
                c.created = absl::UnixEpoch();  // ignored: created never changes
                return tx.UpdateContainer(c);
              }).ok());
  absl::StatusOr<ContainerRecord> c = store_->Read([&](Tx& tx) { return tx.GetContainer(id1); });
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->name, "frontend");
  EXPECT_EQ(c->state, ContainerState::kRunning);
  EXPECT_EQ(c->pid, 42);
  EXPECT_EQ(c->started_at, started);
  EXPECT_EQ(c->created, absl::FromUnixSeconds(1700000000));

  ContainerRecord clash = *c;
  clash.name = "db";
  EXPECT_EQ(Write([&](Tx& tx) { return tx.UpdateContainer(clash); }).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Write([&](Tx& tx) { return tx.UpdateContainer(Container(std::string(64, '9'), "z")); })
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, ResolveContainerByIdNameAndPrefix) {
  const std::string a = "abc1" + std::string(60, '0');
  const std::string b = "abc2" + std::string(60, '0');
  const std::string named_like_hex = "dead" + std::string(60, '0');
  ASSERT_TRUE(Write([&](Tx& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.AddContainer(Container(a, "web")));
                RETURN_IF_ERROR(tx.AddContainer(Container(b, "db")));
                // A name that is also a prefix of another container's id.
                return tx.AddContainer(Container(named_like_hex, "abc1"));
              }).ok());
  auto resolve = [&](const std::string& ref) {
    return store_->Read([&](Tx& tx) { return tx.ResolveContainer(ref); });
  };
  EXPECT_EQ(resolve(a)->id, a);
  EXPECT_EQ(resolve("web")->id, a);
  EXPECT_EQ(resolve("/web")->id, a);
  EXPECT_EQ(resolve("abc2")->id, b);
  EXPECT_EQ(resolve("abc1")->id, named_like_hex) << "a name wins over an id prefix";

  absl::StatusOr<ContainerRecord> ambiguous = resolve("abc");
  EXPECT_EQ(ambiguous.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(ambiguous.status().message().find("abc100000000 (web), abc200000000 (db)"),
            std::string::npos)
      << ambiguous.status();

  EXPECT_EQ(resolve("nothing").status().message(), "no such container: nothing");
  EXPECT_EQ(resolve("fff").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(resolve("/").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(resolve("ab*").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, ListAndImageUsers) {
  ContainerRecord old = Container(std::string(64, '1'), "old", 100);
  ContainerRecord mid = Container(std::string(64, '2'), "mid", 200);
  ContainerRecord young = Container(std::string(64, '3'), "young", 300);
  young.image_id = "sha256:other";
  ASSERT_TRUE(Write([&](Tx& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.AddContainer(mid));
                RETURN_IF_ERROR(tx.AddContainer(young));
                return tx.AddContainer(old);
              }).ok());
  absl::StatusOr<std::vector<ContainerRecord>> all =
      store_->Read([](Tx& tx) { return tx.ListContainers(); });
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].name, "young");
  EXPECT_EQ((*all)[2].name, "old");

  absl::StatusOr<std::vector<ContainerRecord>> users =
      store_->Read([](Tx& tx) { return tx.ContainersUsingImage("sha256:aaaa"); });
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].name, "mid");

  ASSERT_TRUE(Write([&](Tx& tx) { return tx.DeleteContainer(mid.id); }).ok());
  EXPECT_EQ(Write([&](Tx& tx) { return tx.DeleteContainer(mid.id); }).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Read([](Tx& tx) { return tx.ListContainers(); })->size(), 2u);
}

TEST_F(StoreTest, FailedWriteRollsBackEverything) {
  absl::Status s = Write([](Tx& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.AddImage(Image("aaaa")));
    RETURN_IF_ERROR(tx.AddContainer(Container(std::string(64, '1'), "web")));
    return absl::FailedPreconditionError("changed my mind");
  });
  EXPECT_EQ(s.message(), "changed my mind");
  EXPECT_EQ(store_->Read([](Tx& tx) { return tx.ListImages(); })->size(), 0u);
  EXPECT_EQ(store_->Read([](Tx& tx) { return tx.ListContainers(); })->size(), 0u);

  // A StatusOr lambda that fails rolls back too.
  absl::StatusOr<int> r = store_->Write([](Tx& tx) -> absl::StatusOr<int> {
    RETURN_IF_ERROR(tx.AddImage(Image("bbbb")));
    return absl::InternalError("later step failed");
  });
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(store_->Read([](Tx& tx) { return tx.GetImage("sha256:bbbb"); }).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, DataSurvivesReopen) {
  ASSERT_TRUE(Write([](Tx& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.AddImage(Image("aaaa")));
                RETURN_IF_ERROR(tx.SetTag("busybox:latest", "sha256:aaaa").status());
                return tx.AddContainer(Container(std::string(64, '1'), "web"));
              }).ok());
  store_.reset();
  absl::StatusOr<std::unique_ptr<MetadataStore>> again = MetadataStore::Open(dir_.Sub("meta.db"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->Read([](Tx& tx) { return tx.GetTag("busybox:latest"); })->image_id,
            "sha256:aaaa");
  EXPECT_TRUE((*again)->Read([](Tx& tx) { return tx.ResolveContainer("web"); }).ok());
}

TEST_F(StoreTest, CorruptRowIsDataLoss) {
  ASSERT_TRUE(Write([](Tx& tx) { return tx.AddContainer(Container(std::string(64, '1'), "web")); })
                  .ok());
  store_.reset();
  {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir_.Sub("meta.db"), {});
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("UPDATE containers SET labels = 'not json'").ok());
  }
  absl::StatusOr<std::unique_ptr<MetadataStore>> again = MetadataStore::Open(dir_.Sub("meta.db"));
  ASSERT_TRUE(again.ok());
  absl::StatusOr<ContainerRecord> c =
      (*again)->Read([](Tx& tx) { return tx.GetContainerByName("web"); });
  EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss) << c.status();
}

TEST(ContainerStateTest, NamesRoundTrip) {
  for (ContainerState s :
       {ContainerState::kCreated, ContainerState::kRunning, ContainerState::kPaused,
        ContainerState::kRestarting, ContainerState::kRemoving, ContainerState::kExited,
        ContainerState::kDead}) {
    absl::StatusOr<ContainerState> back = ParseContainerState(ContainerStateName(s));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(ContainerStateName(ContainerState::kRunning), "running");
  EXPECT_EQ(ParseContainerState("up").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skiff::manager
