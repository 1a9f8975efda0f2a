#include "runtime/cli/signals.h"

#include <signal.h>

#include "gtest/gtest.h"

namespace skiff::runtime::cli {
namespace {

int Parse(const std::string& s) {
  auto r = ParseSignal(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status();
  return r.ok() ? *r : -1;
}

TEST(ParseSignalTest, Names) {
  EXPECT_EQ(Parse("KILL"), SIGKILL);
  EXPECT_EQ(Parse("SIGKILL"), SIGKILL);
  EXPECT_EQ(Parse("kill"), SIGKILL);
  EXPECT_EQ(Parse("sigkill"), SIGKILL);
  EXPECT_EQ(Parse("TERM"), SIGTERM);
  EXPECT_EQ(Parse("SIGHUP"), SIGHUP);
  EXPECT_EQ(Parse("usr1"), SIGUSR1);
  EXPECT_EQ(Parse("WINCH"), SIGWINCH);
  EXPECT_EQ(Parse("CHLD"), SIGCHLD);
}

TEST(ParseSignalTest, Numbers) {
  EXPECT_EQ(Parse("9"), 9);
  EXPECT_EQ(Parse("15"), 15);
  EXPECT_EQ(Parse("1"), 1);
  EXPECT_EQ(Parse(std::to_string(SIGRTMAX)), SIGRTMAX);
}

TEST(ParseSignalTest, RealTime) {
  EXPECT_EQ(Parse("SIGRTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(Parse("RTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(Parse("rtmin"), SIGRTMIN);
  EXPECT_EQ(Parse("RTMAX"), SIGRTMAX);
  EXPECT_EQ(Parse("SIGRTMAX-2"), SIGRTMAX - 2);
}

TEST(ParseSignalTest, Rejects) {
  for (const char* s : {"", "NOPE", "SIG", "SIGKILLX", "0", "-1", "-9", "65", "1000",
                        "99999999999", "RTMIN+100", "RTMAX+1", "RTMIN-1", "RTMINX", "9x"}) {
    auto r = ParseSignal(s);
    EXPECT_FALSE(r.ok()) << "`" << s << "` gave " << (r.ok() ? *r : 0);
    if (!r.ok()) {
      EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << s;
    }
  }
}

}  // namespace
}  // namespace skiff::runtime::cli
