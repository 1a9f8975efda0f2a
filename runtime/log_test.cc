#include "runtime/log.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace skiff::runtime {
namespace {

using ::testing::HasSubstr;

std::string TempFile(const std::string& name) {
  const char* base = getenv("TEST_TMPDIR");
  std::string dir = std::string(base && *base ? base : "/tmp") + "/log_test.XXXXXX";
  EXPECT_NE(mkdtemp(dir.data()), nullptr);
  return dir + "/" + name;
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  EXPECT_TRUE(text.empty() || text.back() == '\n') << text;
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

const std::regex kTime(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z)");

TEST(LogTest, JsonLines) {
  std::string path = TempFile("log.json");
  LogSetup(path, /*json=*/true, /*debug=*/false);
  testing::internal::CaptureStderr();
  LogError("container init failed: \"quoted\"");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "ocirun: container init failed: \"quoted\"\n");

  std::vector<std::string> lines = Lines(path);
  ASSERT_EQ(lines.size(), 1u);
  auto j = nlohmann::json::parse(lines[0], nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << lines[0];
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["msg"], "container init failed: \"quoted\"");
  ASSERT_TRUE(j["time"].is_string());
  EXPECT_TRUE(std::regex_match(j["time"].get<std::string>(), kTime)) << j["time"];

  testing::internal::CaptureStderr();
  LogWarning("careful");
  LogDebug("not shown without --debug");
  err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "ocirun: warning: careful\n");
  lines = Lines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["level"], "warning");
}

TEST(LogTest, TextFormatAndDebug) {
  std::string path = TempFile("log.txt");
  LogSetup(path, /*json=*/false, /*debug=*/true);
  testing::internal::CaptureStderr();
  LogError("boom");
  LogDebug("details");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "ocirun: boom\n");  // debug goes to the log file only

  std::vector<std::string> lines = Lines(path);
  ASSERT_EQ(lines.size(), 2u);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[0], m, std::regex(R"re(time="([^"]+)" level=error msg="boom")re")))
      << lines[0];
  EXPECT_TRUE(std::regex_match(m[1].str(), kTime)) << m[1];
  EXPECT_THAT(lines[1], HasSubstr("level=debug msg=\"details\""));
}

}  // namespace
}  // namespace skiff::runtime
