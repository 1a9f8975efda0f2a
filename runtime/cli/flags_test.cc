#include "runtime/cli/flags.h"

#include "gtest/gtest.h"

namespace skiff::runtime::cli {
namespace {

FlagSet Create() {
  return FlagSet({{"bundle", 'b', true, "bundle"},
                  {"pid-file", 0, true, "pid file"},
                  {"detach", 'd', false, "detach"},
                  {"preserve-fds", 0, true, "fds"}});
}

TEST(FlagsTest, LongShortAndEquals) {
  auto p = Create().Parse({"--bundle", "/b", "--pid-file=/p", "-d", "id1"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->Get("bundle"), "/b");
  EXPECT_EQ(p->Get("pid-file"), "/p");
  EXPECT_TRUE(p->GetBool("detach"));
  EXPECT_EQ(p->positional, std::vector<std::string>{"id1"});
}

TEST(FlagsTest, SingleDashLongAndInterleaved) {
  auto p = Create().Parse({"id1", "-bundle", "/b", "-b=/c"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Get("bundle"), "/c");
  EXPECT_EQ(p->positional, std::vector<std::string>{"id1"});
}

TEST(FlagsTest, StopAtPositionalForGlobals) {
  FlagSet g({{"root", 0, true}, {"debug", 0, false}});
  auto p = g.Parse({"--root", "/r", "--debug", "create", "--bundle", "x", "id"}, true);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Get("root"), "/r");
  EXPECT_EQ(p->positional, (std::vector<std::string>{"create", "--bundle", "x", "id"}));
}

TEST(FlagsTest, DoubleDashEndsFlags) {
  auto p = Create().Parse({"-d", "--", "-x", "y"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->positional, (std::vector<std::string>{"-x", "y"}));
}

TEST(FlagsTest, Errors) {
  EXPECT_EQ(Create().Parse({"--nope"}).status().message(),
            "flag provided but not defined: --nope");
  EXPECT_EQ(Create().Parse({"--bundle"}).status().message(), "flag needs an argument: --bundle");
  EXPECT_FALSE(Create().Parse({"--detach=maybe"}).ok());
  auto p = Create().Parse({"--detach=false"});
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->GetBool("detach"));
}

TEST(FlagsTest, UsageListsFlags) {
  std::string u = Create().Usage();
  EXPECT_NE(u.find("--bundle value, -b value"), std::string::npos);
  EXPECT_NE(u.find("--detach, -d"), std::string::npos);
}

}  // namespace
}  // namespace skiff::runtime::cli
