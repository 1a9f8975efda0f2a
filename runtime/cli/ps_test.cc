#include "runtime/cli/ps.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::runtime::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(SplitPsArgsTest, StopsAtTheId) {
  PsArgs a = SplitPsArgs({"--format", "json", "abc"});
  EXPECT_THAT(a.own, ElementsAre("--format", "json", "abc"));
  EXPECT_THAT(a.ps_args, IsEmpty());

  a = SplitPsArgs({"abc", "-o", "pid,comm", "--format", "x"});
  EXPECT_THAT(a.own, ElementsAre("abc"));
  EXPECT_THAT(a.ps_args, ElementsAre("-o", "pid,comm", "--format", "x"));

  a = SplitPsArgs({"-f=table", "abc", "-ef"});
  EXPECT_THAT(a.own, ElementsAre("-f=table", "abc"));
  EXPECT_THAT(a.ps_args, ElementsAre("-ef"));

  a = SplitPsArgs({"-f", "table", "--", "-weird-id", "aux"});
  EXPECT_THAT(a.own, ElementsAre("-f", "table", "-weird-id"));
  EXPECT_THAT(a.ps_args, ElementsAre("aux"));

  a = SplitPsArgs({"--help"});
  EXPECT_THAT(a.own, ElementsAre("--help"));
}

TEST(FilterPsOutputTest, KeepsHeaderAndContainerPids) {
  const std::string out =
      "UID          PID    PPID  C STIME TTY          TIME CMD\n"
      "root           1       0  0 10:00 ?        00:00:01 /sbin/init\n"
      "root         420       1  0 10:01 ?        00:00:00 sleep 60\n"
      "root        4200     420  0 10:01 ?        00:00:00 sh -c x y\n"
      "\n";
  absl::StatusOr<std::string> t = FilterPsOutput(out, {420, 4200});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t,
            "UID          PID    PPID  C STIME TTY          TIME CMD\n"
            "root         420       1  0 10:01 ?        00:00:00 sleep 60\n"
            "root        4200     420  0 10:01 ?        00:00:00 sh -c x y\n");
  // The PID column is found wherever it is.
  t = FilterPsOutput("  PID COMMAND\n    7 a\n    8 b\n", {8});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "  PID COMMAND\n    8 b\n");
  EXPECT_EQ(FilterPsOutput("USER COMMAND\nroot x\n", {1}).status().message(),
            "couldn't find PID field in ps output");
}

TEST(PidsJsonTest, Array) {
  EXPECT_EQ(PidsJson({}), "[]");
  EXPECT_EQ(PidsJson({12, 345}), "[12,345]");
}

}  // namespace
}  // namespace skiff::runtime::cli
