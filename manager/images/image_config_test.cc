#include "manager/images/image_config.h"

#include <string>

#include "gtest/gtest.h"

namespace skiff::manager {
namespace {

const std::string kD = "sha256:" + std::string(64, 'a');

TEST(ImageConfigTest, ParsesEverythingTheManagerUses) {
  std::string j = R"({
    "architecture": "amd64", "os": "linux", "variant": "v3",
    "created": "2024-01-02T03:04:05Z", "author": "me",
    "config": {
      "User": "1000:1000", "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
      "Env": ["PATH=/usr/bin", "A=b"], "Entrypoint": ["/entry"], "Cmd": ["-x", "y"],
      "Volumes": {"/data": {}}, "WorkingDir": "/srv",
      "Labels": {"maintainer": "x", "version": "1"}, "StopSignal": "SIGQUIT",
      "Healthcheck": {"Test": ["NONE"]}, "ArgsEscaped": true
    },
    "rootfs": {"type": "layers", "diff_ids": [")" + kD + R"("]},
    "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD", "comment": "c"},
                {"created_by": "ENV A=b", "empty_layer": true}],
    "unknown_future_field": 1
  })";
  absl::StatusOr<ImageConfig> c = ParseImageConfig(j);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->architecture, "amd64");
  EXPECT_EQ(c->variant, "v3");
  EXPECT_EQ(c->author, "me");
  EXPECT_EQ(c->config.user, "1000:1000");
  EXPECT_EQ(c->config.exposed_ports, (std::vector<std::string>{"53/udp", "8080/tcp"}));
  EXPECT_EQ(c->config.env, (std::vector<std::string>{"PATH=/usr/bin", "A=b"}));
  EXPECT_EQ(c->config.entrypoint, (std::vector<std::string>{"/entry"}));
  EXPECT_EQ(c->config.cmd, (std::vector<std::string>{"-x", "y"}));
  EXPECT_EQ(c->config.volumes, (std::vector<std::string>{"/data"}));
  EXPECT_EQ(c->config.working_dir, "/srv");
  EXPECT_EQ(c->config.labels.at("version"), "1");
  EXPECT_EQ(c->config.stop_signal, "SIGQUIT");
  ASSERT_EQ(c->diff_ids.size(), 1u);
  EXPECT_EQ(c->diff_ids[0].str(), kD);
  ASSERT_EQ(c->history.size(), 2u);
  EXPECT_EQ(c->history[0].comment, "c");
  EXPECT_TRUE(c->history[1].empty_layer);
}

TEST(ImageConfigTest, NullsAreAbsent) {
  absl::StatusOr<ImageConfig> c = ParseImageConfig(
      R"({"architecture":"amd64","os":"linux","config":{"Entrypoint":null,"Cmd":null,"Env":null},)"
      R"("rootfs":{"type":"layers","diff_ids":[]}})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->config.entrypoint.empty());
  EXPECT_TRUE(c->diff_ids.empty());
}

TEST(ImageConfigTest, FieldNamedErrors) {
  struct Bad {
    std::string json, want;
  };
  const std::string rootfs = R"("rootfs":{"type":"layers","diff_ids":[]})";
  for (const Bad& b : std::vector<Bad>{
           {R"({"os":"linux",)" + rootfs + "}", "field `architecture` is required"},
           {R"({"architecture":"amd64","os":"linux"})", "field `rootfs` is required"},
           {R"({"architecture":"amd64","os":"linux","config":{"Env":["A=1",2]},)" + rootfs + "}",
            "field `config.Env[1]`: want a string, got an integer"},
           {R"({"architecture":"amd64","os":"linux","config":{"Cmd":"sh"},)" + rootfs + "}",
            "field `config.Cmd`: want an array of strings, got a string"},
           {R"({"architecture":"amd64","os":"linux","config":{"ExposedPorts":["80"]},)" + rootfs + "}",
            "field `config.ExposedPorts`: want an object"},
           {R"({"architecture":"amd64","os":"linux","config":{"Labels":{"a":true}},)" + rootfs + "}",
            R"(field `config.Labels["a"]`: want a string, got a boolean)"},
           {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"x","diff_ids":[]}})",
            "field `rootfs.type`: want \"layers\""},
           {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:12"]}})",
            "field `rootfs.diff_ids[0]`: invalid digest"},
           {R"({"architecture":"amd64","os":"linux",)" + rootfs + R"(,"history":[{"empty_layer":"yes"}]})",
            "field `history[0].empty_layer`: want a boolean, got a string"},
       }) {
    absl::StatusOr<ImageConfig> c = ParseImageConfig(b.json);
    ASSERT_FALSE(c.ok()) << b.json;
    EXPECT_NE(c.status().message().find("image config: " + b.want), absl::string_view::npos)
        << c.status();
  }
}

}  // namespace
}  // namespace skiff::manager
