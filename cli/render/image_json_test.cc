#include "cli/render/image_json.h"

#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace skiff::cli {
namespace {

namespace v1 = ::skiff::v1;

const std::string kId = "sha256:" + std::string("0123456789ab") + std::string(52, 'c');

google::protobuf::Timestamp Ts(int64_t s, int32_t nanos = 0) {
  google::protobuf::Timestamp t;
  t.set_seconds(s);
  t.set_nanos(nanos);
  return t;
}

v1::ImageInfo Busybox() {
  v1::ImageInfo i;
  i.set_id(kId);
  i.add_repo_tags("docker.io/library/busybox:latest");
  i.add_repo_digests("docker.io/library/busybox@sha256:abcd");
  *i.mutable_created() = Ts(1684527187, 212146219);
  i.mutable_platform()->set_os("linux");
  i.mutable_platform()->set_architecture("amd64");
  i.set_size(4261550);
  v1::ContainerConfig* c = i.mutable_config();
  c->add_env("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  c->mutable_cmd()->add_values("sh");
  (*c->mutable_labels())["b"] = "2";
  (*c->mutable_labels())["a"] = "1";
  c->add_exposed_ports("80/tcp");
  i.add_layers("sha256:layer1");
  return i;
}

TEST(ImageInspectJson, DockerShape) {
  nlohmann::ordered_json j = ImageInspectJson(Busybox());
  // docker's key order.
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"Id", "RepoTags", "RepoDigests", "Parent", "Comment",
                                            "Created", "Author", "Config", "Architecture", "Os",
                                            "Size", "RootFS", "Metadata"}));
  EXPECT_EQ(j["Id"], kId);
  EXPECT_EQ(j["RepoTags"], nlohmann::ordered_json::array({"busybox:latest"}));
  EXPECT_EQ(j["RepoDigests"], nlohmann::ordered_json::array({"busybox@sha256:abcd"}));
  EXPECT_EQ(j["Created"], "2023-05-19T20:13:07.212146219Z");
  EXPECT_EQ(j["Size"], 4261550);
  EXPECT_EQ(j["Os"], "linux");
  EXPECT_EQ(j["Architecture"], "amd64");
  EXPECT_EQ(j["RootFS"].dump(), R"({"Type":"layers","Layers":["sha256:layer1"]})");
  EXPECT_EQ(j["Metadata"]["LastTagTime"], "0001-01-01T00:00:00Z");
  const nlohmann::ordered_json& c = j["Config"];
  EXPECT_EQ(c["Cmd"], nlohmann::ordered_json::array({"sh"}));
  EXPECT_TRUE(c["Entrypoint"].is_null());
  EXPECT_TRUE(c["Volumes"].is_null());
  EXPECT_EQ(c["ExposedPorts"].dump(), R"({"80/tcp":{}})");
  EXPECT_EQ(c["Labels"].dump(), R"({"a":"1","b":"2"})");
  EXPECT_FALSE(c.contains("StopSignal"));
}

TEST(ImageInspectJson, EmptyButSetListsAndVariant) {
  v1::ImageInfo i = Busybox();
  i.mutable_config()->mutable_entrypoint();  // set, empty: `--entrypoint ""`
  i.mutable_platform()->set_variant("v8");
  i.mutable_config()->set_stop_signal("SIGQUIT");
  *i.mutable_last_tag_time() = Ts(1700000000);
  nlohmann::ordered_json j = ImageInspectJson(i);
  EXPECT_EQ(j["Config"]["Entrypoint"], nlohmann::ordered_json::array());
  EXPECT_EQ(j["Config"]["StopSignal"], "SIGQUIT");
  EXPECT_EQ(j["Variant"], "v8");
  EXPECT_EQ(j["Metadata"]["LastTagTime"], "2023-11-14T22:13:20Z");
}

TEST(FamiliarReference, AsDockerShowsNames) {
  EXPECT_EQ(FamiliarReference("docker.io/library/busybox:latest"), "busybox:latest");
  EXPECT_EQ(FamiliarReference("docker.io/user/app:1.0"), "user/app:1.0");
  EXPECT_EQ(FamiliarReference("localhost:5000/ns/app:dev"), "localhost:5000/ns/app:dev");
  EXPECT_EQ(FamiliarReference("busybox:latest"), "busybox:latest");
  EXPECT_EQ(SplitTag("localhost:5000/app:1"),
            std::make_pair(std::string("localhost:5000/app"), std::string("1")));
  EXPECT_EQ(SplitTag("localhost:5000/app"),
            std::make_pair(std::string("localhost:5000/app"), std::string("")));
}

TEST(Units, SizesIdsAndEllipsis) {
  EXPECT_EQ(HumanSize3(0), "0B");
  EXPECT_EQ(HumanSize3(4261550), "4.26MB");
  EXPECT_EQ(TruncateId(kId), "0123456789ab");
  EXPECT_EQ(TruncateId("abc"), "abc");
  EXPECT_EQ(Ellipsis("abcdef", 4), "abc…");
  EXPECT_EQ(Ellipsis("abc", 4), "abc");
  EXPECT_EQ(Ellipsis("ééééé", 3), "éé…");
}

google::protobuf::RepeatedPtrField<v1::ImageSummary> Summaries() {
  google::protobuf::RepeatedPtrField<v1::ImageSummary> images;
  v1::ImageSummary* a = images.Add();
  a->set_id(kId);
  a->add_repo_tags("docker.io/library/busybox:latest");
  a->add_repo_tags("docker.io/library/busybox:1.36");
  a->add_repo_digests("docker.io/library/busybox@sha256:abcd");
  *a->mutable_created() = Ts(1700000000);
  a->set_size(4261550);
  v1::ImageSummary* dangling = images.Add();
  dangling->set_id("sha256:ffffffffffff0000");
  *dangling->mutable_created() = Ts(1700000000);
  return images;
}

TEST(ImageRows, OneRowPerTagAndNoneForDangling) {
  const absl::Time now = absl::FromUnixSeconds(1700000000) + absl::Hours(50);
  std::vector<nlohmann::json> rows = ImageRows(Summaries(), {}, now);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["Repository"], "busybox");
  // Tags in the daemon's order, as docker iterates them.
  EXPECT_EQ(rows[0]["Tag"], "latest");
  EXPECT_EQ(rows[1]["Tag"], "1.36");
  EXPECT_EQ(rows[1]["ID"], "0123456789ab");
  EXPECT_EQ(rows[1]["Size"], "4.26MB");
  EXPECT_EQ(rows[1]["Digest"], "<none>");
  EXPECT_EQ(rows[1]["CreatedSince"], "2 days ago");
  EXPECT_EQ(rows[2]["Repository"], "<none>");
  EXPECT_EQ(rows[2]["Tag"], "<none>");
  EXPECT_EQ(rows[2]["Size"], "0B");
}

TEST(ImageRows, DigestsAndNoTrunc) {
  std::vector<nlohmann::json> rows =
      ImageRows(Summaries(), {.no_trunc = true, .digests = true}, absl::Now());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["Digest"], "sha256:abcd");
  EXPECT_EQ(rows[0]["ID"], kId);
}

TEST(ImageRows, DigestOnlyName) {
  google::protobuf::RepeatedPtrField<v1::ImageSummary> images;
  v1::ImageSummary* a = images.Add();
  a->set_id(kId);
  a->add_repo_digests("docker.io/library/busybox@sha256:abcd");
  std::vector<nlohmann::json> rows = ImageRows(images, {}, absl::Now());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["Repository"], "busybox");
  EXPECT_EQ(rows[0]["Tag"], "<none>");
}

TEST(HistoryRow, HumanAndRaw) {
  v1::ImageHistoryEntry e;
  e.set_id("<missing>");
  *e.mutable_created() = Ts(1700000000);
  e.set_created_by("/bin/sh -c #(nop) ADD file:4b7e8d8e2b1c9f0a in / \t&& echo done");
  e.set_size(4261550);
  const absl::Time now = absl::FromUnixSeconds(1700000000) + absl::Minutes(5);
  nlohmann::json human = HistoryRow(e, {}, now);
  EXPECT_EQ(human["ID"], "<missing>");
  EXPECT_EQ(human["CreatedSince"], "5 minutes ago");
  EXPECT_EQ(human["Size"], "4.26MB");
  const std::string by = human["CreatedBy"];
  EXPECT_EQ(by, "/bin/sh -c #(nop) ADD file:4b7e8d8e2b1c9f0a …");
  EXPECT_EQ(by.find('\t'), std::string::npos);

  e.set_id(kId);
  nlohmann::json raw = HistoryRow(e, {.no_trunc = true, .human = false}, now);
  EXPECT_EQ(raw["ID"], kId);
  EXPECT_EQ(raw["Size"], "4261550");
  EXPECT_EQ(raw["CreatedBy"], "/bin/sh -c #(nop) ADD file:4b7e8d8e2b1c9f0a in /  && echo done");
  // RFC 3339 in the local zone, whole seconds.
  EXPECT_EQ(raw["CreatedSince"].get<std::string>().size() >= 20, true);
  EXPECT_EQ(raw["CreatedSince"], raw["CreatedAt"]);
}

}  // namespace
}  // namespace skiff::cli
