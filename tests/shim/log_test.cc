// The container log: CRI format, streams, partial lines, rotation.
#include <signal.h>
#include <unistd.h>

#include <chrono>

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

// A prompt has no newline: attach clients get it at once, and the log gets it
// as a P record once it has waited a second for its newline.
TEST_F(LogTest, PromptWithoutNewlineReachesClientsAtOnceAndTheLogWithinASecond) {
  Bundle b;
  b.Sh(
      "while [ ! -e /tmp/go ]; do sleep 0.02; done; printf 'Enter name: '; read name; "
      "echo \"hello $name\"");
  auto o = Opts(UniqueId("prompt"));
  o.stdin = true;
  Container c(rt(), b, o.id);
  LaunchAndStart(b, o, c);
  auto a = shim::AttachClient::Attach(o.attach_socket, "", /*stdin=*/true);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(WriteFile(b.InRootfs("/tmp/go"), ""));
  auto start = std::chrono::steady_clock::now();
  auto ev = (*a)->Next(absl::Seconds(5));
  ASSERT_TRUE(ev.ok()) << ev.status();
  EXPECT_EQ(ev->data, "Enter name: ") << "clients do not wait for the newline";
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(800));

  auto has_prompt = [&] { return Contains(ReadFileOr(o.log_path), " stdout P Enter name: \n"); };
  EXPECT_TRUE(WaitFor(has_prompt, milliseconds(3000))) << "no P record for the prompt within 3 s:\n"
                                                       << ReadFileOr(o.log_path);

  ASSERT_TRUE((*a)->SendStdin("bob\n").ok());
  auto out = (*a)->ReadUntilExit(absl::Seconds(10));
  ASSERT_TRUE(out.ok()) << out.status();
  auto recs = ParseCriLog(ReadFileOr(o.log_path));
  ASSERT_EQ(recs.size(), 2u) << ReadFileOr(o.log_path);
  EXPECT_EQ(recs[0].tag + " " + recs[0].content, "P Enter name: ");
  EXPECT_EQ(recs[1].tag + " " + recs[1].content, "F hello bob");
  EXPECT_EQ(StreamLines(recs, "stdout"), std::vector<std::string>{"Enter name: hello bob"});
}

// External rotation: rename the log, send SIGUSR1, the shim writes to a new
// file at the old path. Nothing is lost or lands in the renamed file late.
TEST_F(LogTest, SigusrOneReopensTheLogAfterARename) {
  Bundle b;
  b.Sh("echo first; while [ ! -e /tmp/go ]; do sleep 0.02; done; echo second; echo oops >&2");
  auto o = Opts(UniqueId("reopen"));
  Container c(rt(), b, o.id);
  shim::Launched l = LaunchAndStart(b, o, c);
  ASSERT_GT(l.shim_pid, 0);
  ASSERT_TRUE(WaitFor([&] { return Contains(ReadFileOr(o.log_path), "first"); }));
  std::string rotated = o.log_path + ".rotated";
  ASSERT_EQ(rename(o.log_path.c_str(), rotated.c_str()), 0);
  std::string shim_rotated = o.shim_log + ".rotated";
  ASSERT_EQ(rename(o.shim_log.c_str(), shim_rotated.c_str()), 0);
  ASSERT_EQ(kill(l.shim_pid, SIGUSR1), 0);
  ASSERT_TRUE(WaitFor([&] { return PathExists(o.log_path); }))
      << "the shim did not reopen the log; shim.log:\n"
      << ReadFileOr(shim_rotated);
  EXPECT_TRUE(ProcessAlive(l.shim_pid)) << "SIGUSR1 must not end the shim";
  ASSERT_TRUE(WriteFile(b.InRootfs("/tmp/go"), ""));
  auto rec = WaitExit(o.exit_file);
  ASSERT_TRUE(rec);
  EXPECT_EQ((*rec)["exit_code"], 0);
  EXPECT_EQ(StreamLines(ParseCriLog(ReadFileOr(rotated)), "stdout"),
            std::vector<std::string>{"first"});
  auto recs = ParseCriLog(ReadFileOr(o.log_path));
  EXPECT_EQ(StreamLines(recs, "stdout"), std::vector<std::string>{"second"});
  EXPECT_EQ(StreamLines(recs, "stderr"), std::vector<std::string>{"oops"});
  // shim.log was reopened too: the exit is in the new one.
  EXPECT_TRUE(Contains(ReadFileOr(o.shim_log), "reopening the logs"));
  EXPECT_TRUE(Contains(ReadFileOr(o.shim_log), "exited with status 0")) << ReadFileOr(o.shim_log);
}

}  // namespace
}  // namespace skiff::itest
