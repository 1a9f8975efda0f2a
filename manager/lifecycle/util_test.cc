#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <string>

#include "common/file_util.h"
#include "gtest/gtest.h"
#include "manager/lifecycle/detach_keys.h"
#include "manager/lifecycle/log_reader.h"
#include "manager/lifecycle/names.h"
#include "manager/lifecycle/subprocess.h"

namespace skiff::manager {
namespace {

TEST(DetachKeys, ParsesDockerSyntax) {
  EXPECT_EQ(*ParseDetachKeys(""), std::string("\x10\x11"));
  EXPECT_EQ(*ParseDetachKeys("ctrl-p,ctrl-q"), std::string("\x10\x11"));
  EXPECT_EQ(*ParseDetachKeys("ctrl-a,x"), std::string("\x01x"));
  EXPECT_EQ(*ParseDetachKeys("ctrl-\\"), std::string("\x1c"));
  EXPECT_EQ(*ParseDetachKeys("none"), "");
  EXPECT_FALSE(ParseDetachKeys("ctrl-1").ok());
  EXPECT_FALSE(ParseDetachKeys("alt-x").ok());
}

TEST(DetachKeys, ScannerPassesBrokenSequencesThrough) {
  DetachScanner s("\x10\x11");
  std::string out;
  EXPECT_FALSE(s.Feed("ab\x10", &out));
  EXPECT_EQ(out, "ab");  // ctrl-p held back
  EXPECT_FALSE(s.Feed("c", &out));
  EXPECT_EQ(out, "ab\x10" "c");
  out.clear();
  EXPECT_FALSE(s.Feed("\x10", &out));
  EXPECT_TRUE(s.Feed("\x11trailing", &out));
  EXPECT_EQ(out, "");
  DetachScanner again("\x10\x11");
  out.clear();
  EXPECT_TRUE(again.Feed("\x10\x10\x11", &out));
  EXPECT_EQ(out, "\x10");
  DetachScanner none("");
  out.clear();
  EXPECT_FALSE(none.Feed("\x10\x11", &out));
  EXPECT_EQ(out, "\x10\x11");
}

TEST(Names, ValidAndGenerated) {
  EXPECT_TRUE(ValidContainerName("web"));
  EXPECT_TRUE(ValidContainerName("a.b_c-1"));
  EXPECT_FALSE(ValidContainerName("-x"));
  EXPECT_FALSE(ValidContainerName("a/b"));
  EXPECT_FALSE(ValidContainerName(""));
  std::set<std::string> taken;
  for (int i = 0; i < 50; ++i) {
    std::string n = GenerateContainerName([&](const std::string& s) { return taken.count(s) > 0; });
    EXPECT_TRUE(ValidContainerName(n)) << n;
    EXPECT_EQ(taken.count(n), 0u);
    taken.insert(n);
  }
}

TEST(Subprocess, CapturesOutputAndExitCode) {
  auto r = RunCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  auto missing = RunCommand({"/nonexistent/binary"});
  EXPECT_FALSE(missing.ok());
  auto slow = RunCommand({"/bin/sleep", "5"}, absl::Milliseconds(200));
  EXPECT_TRUE(absl::IsDeadlineExceeded(slow.status())) << slow.status();
}

std::string TempDir() {
  char tmpl[] = "/tmp/skiff-logtest-XXXXXX";
  return mkdtemp(tmpl);
}

TEST(LogReader, ParsesAndFiltersWithTail) {
  std::string dir = TempDir();
  std::string log = dir + "/container.log";
  ASSERT_TRUE(WriteFileAtomic(log + ".1",
                        "2026-11-28T06:00:00.000000001Z stdout F one\n"
                        "2026-11-28T06:00:01.000000000Z stderr F two\n")
                  .ok());
  ASSERT_TRUE(WriteFileAtomic(log,
                        "2026-11-28T06:00:02.000000000Z stdout P thr\n"
                        "2026-11-28T06:00:02.100000000Z stdout F ee\n"
                        "garbage line\n"
                        "2026-11-28T06:00:03.000000000Z stdout F \n"
                        "2026-11-28T06:00:04.000000000Z stdout F four\n")
                  .ok());
  auto collect = [&](LogQuery q) {
    std::string out;
    LogFollower f(log);
    auto r = f.ReadExisting(q, [&](const LogRecord& r) {
      out += (r.is_stderr ? "E:" : "O:") + r.content + (r.partial ? "" : "|");
      return true;
    });
    EXPECT_TRUE(r.ok());
    return out;
  };
  EXPECT_EQ(collect({}), "O:one|E:two|O:thrO:ee|O:|O:four|");
  LogQuery q;
  q.tail = 2;
  EXPECT_EQ(collect(q), "O:|O:four|");
  q.tail = 3;
  EXPECT_EQ(collect(q), "O:thrO:ee|O:|O:four|");
  q.tail = 0;
  EXPECT_EQ(collect(q), "");
  LogQuery errs;
  errs.want_stdout = false;
  EXPECT_EQ(collect(errs), "E:two|");
  LogQuery since;
  absl::Time t;
  std::string err;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, "2026-11-28T06:00:03Z", &t, &err));
  since.since = t;
  EXPECT_EQ(collect(since), "O:|O:four|");
  std::string cmd = "rm -rf " + dir;
  ASSERT_EQ(system(cmd.c_str()), 0);
}

TEST(LogReader, FollowsAppendsAndRotation) {
  std::string dir = TempDir();
  std::string log = dir + "/container.log";
  ASSERT_TRUE(WriteFileAtomic(log, "2026-11-28T06:00:00Z stdout F a\n").ok());
  LogFollower f(log);
  std::vector<std::string> seen;
  auto sink = [&](const LogRecord& r) {
    seen.push_back(r.content);
    return true;
  };
  ASSERT_TRUE(f.ReadExisting({}, sink).ok());
  int calls = 0;
  auto keep_going = [&] {
    ++calls;
    if (calls == 1) {
      int fd = open(log.c_str(), O_WRONLY | O_APPEND);
      (void)!write(fd, "2026-11-28T06:00:01Z stdout F b\n", 32);
      close(fd);
    } else if (calls == 3) {
      rename(log.c_str(), (log + ".1").c_str());
      (void)WriteFileAtomic(log, "2026-11-28T06:00:02Z stderr F c\n");
    }
    return calls < 6;
  };
  ASSERT_TRUE(f.Follow({}, sink, keep_going, absl::Milliseconds(1)).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c"}));
  std::string cmd = "rm -rf " + dir;
  ASSERT_EQ(system(cmd.c_str()), 0);
}

}  // namespace
}  // namespace skiff::manager
