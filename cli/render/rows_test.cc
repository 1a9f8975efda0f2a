#include "cli/render/rows.h"

#include <string>

#include "gtest/gtest.h"

namespace skiff::cli {
namespace {

std::vector<nlohmann::json> Rows() {
  return {{{"Repository", "busybox"}, {"Tag", "latest"}, {"ID", "0123456789ab"}},
          {{"Repository", "localhost:5000/some/long/name"}, {"Tag", "1"}, {"ID", "ba9876543210"}}};
}

const std::map<std::string, std::string> kHeaders = {{"ID", "IMAGE ID"},
                                                     {"Repository", "REPOSITORY"}};

TEST(RenderRows, DefaultTableHasHeaderAndAlignedColumns) {
  absl::StatusOr<std::string> out =
      RenderRows("", "{{.Repository}}\t{{.Tag}}\t{{.ID}}", kHeaders, Rows());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out,
            "REPOSITORY                      TAG       IMAGE ID\n"
            "busybox                         latest    0123456789ab\n"
            "localhost:5000/some/long/name   1         ba9876543210\n");
}

TEST(RenderRows, TableWithNoRowsPrintsTheHeader) {
  absl::StatusOr<std::string> out = RenderRows("table {{.ID}}", "", kHeaders, {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "IMAGE ID\n");
}

TEST(RenderRows, PlainTemplateIsOneLinePerRow) {
  absl::StatusOr<std::string> out = RenderRows("{{.Repository}}:{{.Tag}}", "", kHeaders, Rows());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "busybox:latest\nlocalhost:5000/some/long/name:1\n");
}

TEST(RenderRows, JsonShorthand) {
  absl::StatusOr<std::string> out = RenderRows("json", "", kHeaders, {Rows()[0]});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, R"({"ID":"0123456789ab","Repository":"busybox","Tag":"latest"})"
                  "\n");
}

TEST(RenderRows, BadTemplateIsAnError) {
  absl::StatusOr<std::string> out = RenderRows("{{.Repository", "", kHeaders, Rows());
  EXPECT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("template"), std::string::npos) << out.status();
}

TEST(RenderOne, AddsANewline) {
  absl::StatusOr<std::string> out = RenderOne("{{.A.B}}", {{"A", {{"B", 3}}}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "3\n");
}

}  // namespace
}  // namespace skiff::cli
