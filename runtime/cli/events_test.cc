#include "runtime/cli/events.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::runtime::cli {
namespace {

using ::testing::HasSubstr;

TEST(ParseIntervalTest, GoDurations) {
  EXPECT_EQ(*ParseInterval("5s"), absl::Seconds(5));
  EXPECT_EQ(*ParseInterval("250ms"), absl::Milliseconds(250));
  EXPECT_EQ(*ParseInterval("1m30s"), absl::Seconds(90));
  EXPECT_EQ(*ParseInterval("1.5s"), absl::Milliseconds(1500));
  EXPECT_EQ(*ParseInterval("2h"), absl::Hours(2));
  EXPECT_EQ(*ParseInterval("100us"), absl::Microseconds(100));
}

TEST(ParseIntervalTest, Invalid) {
  EXPECT_THAT(ParseInterval("5").status().message(), HasSubstr("invalid --interval \"5\""));
  EXPECT_THAT(ParseInterval("soon").status().message(), HasSubstr("invalid --interval"));
  EXPECT_THAT(ParseInterval("inf").status().message(), HasSubstr("invalid --interval"));
  EXPECT_THAT(ParseInterval("0s").status().message(), HasSubstr("must be greater than 0"));
  EXPECT_THAT(ParseInterval("-1s").status().message(), HasSubstr("must be greater than 0"));
}

TEST(EventLineTest, RuncFieldOrder) {
  nlohmann::json data{{"pids", {{"current", 3}}}};
  EXPECT_EQ(EventLine("stats", "abc", &data),
            R"({"type":"stats","id":"abc","data":{"pids":{"current":3}}})");
  EXPECT_EQ(EventLine("oom", "a\"b"), R"({"type":"oom","id":"a\"b"})");
}

}  // namespace
}  // namespace skiff::runtime::cli
