// The container log: CRI format, streams, partial lines, rotation.
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/shim/shim_fixture.h"

namespace skiff::itest {
namespace {

class LogTest : public ShimTest {};

TEST_F(LogTest, LinesCarryStreamAndPartialTag) {
  Bundle b;
  b.Sh("echo out1; echo err1 >&2; echo; echo 'out 2  spaced'; printf 'no newline'");
  auto o = Opts(UniqueId("log"));
  Container c(rt(), b, o.id);
  LaunchAndStart(b, o, c);
  ASSERT_TRUE(WaitExit(o.exit_file));
  std::string text = ReadFileOr(o.log_path);
  auto recs = ParseCriLog(text);
  std::vector<std::string> out, err;
  for (auto& r : recs) (r.stream == "stdout" ? out : err).push_back(r.tag + " " + r.content);
  EXPECT_EQ(out, (std::vector<std::string>{"F out1", "F ", "F out 2  spaced", "P no newline"}))
      << text;
  EXPECT_EQ(err, (std::vector<std::string>{"F err1"})) << text;
  // Records are in time order.
  for (size_t i = 1; i < recs.size(); i++) EXPECT_LE(recs[i - 1].time, recs[i].time);
}

TEST_F(LogTest, LongLineIsSplitIntoPartialRecordsNeverDropped) {
  Bundle b;
  // 40000 'a's and a newline, then a short line.
  b.Sh("head -c 40000 /dev/zero | tr '\\0' a; echo; echo after");
  auto o = Opts(UniqueId("longline"));
  Container c(rt(), b, o.id);
  LaunchAndStart(b, o, c);
  ASSERT_TRUE(WaitExit(o.exit_file));
  auto recs = ParseCriLog(ReadFileOr(o.log_path));
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[0].tag, "P");
  EXPECT_EQ(recs[0].content, std::string(16384, 'a'));
  EXPECT_EQ(recs[1].tag, "P");
  EXPECT_EQ(recs[1].content, std::string(16384, 'a'));
  EXPECT_EQ(recs[2].tag, "F");
  EXPECT_EQ(recs[2].content, std::string(40000 - 2 * 16384, 'a'));
  EXPECT_EQ(recs[3].tag, "F");
  EXPECT_EQ(recs[3].content, "after");
  EXPECT_EQ(StreamLines(recs, "stdout"),
            (std::vector<std::string>{std::string(40000, 'a'), "after"}));
}

TEST_F(LogTest, RotationKeepsTheConfiguredFilesAndEveryRecentLine) {
  Bundle b;
  b.Sh("i=0; while [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); done");
  auto o = Opts(UniqueId("rotate"));
  o.log_max_size = 8192;
  o.log_max_files = 3;
  Container c(rt(), b, o.id);
  LaunchAndStart(b, o, c);
  ASSERT_TRUE(WaitExit(o.exit_file));
  EXPECT_FALSE(PathExists(o.log_path + ".3")) << "max 3 files: log, log.1, log.2";
  std::vector<std::string> lines;
  for (const std::string& p : {o.log_path + ".2", o.log_path + ".1", o.log_path}) {
    ASSERT_TRUE(PathExists(p)) << p;
    std::string text = ReadFileOr(p);
    EXPECT_LE(text.size(), 8192u) << p;
    for (auto& l : StreamLines(ParseCriLog(text), "stdout")) lines.push_back(l);
  }
  // What is kept is the newest lines, consecutive: no line lost at a rotation.
  ASSERT_GT(lines.size(), 100u);
  int first = 3000 - static_cast<int>(lines.size());
  for (size_t i = 0; i < lines.size(); i++)
    ASSERT_EQ(lines[i], "line " + std::to_string(first + i)) << "at " << i;
}

}  // namespace
}  // namespace skiff::itest
