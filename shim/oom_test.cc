#include "shim/oom.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace skiff::shim {
namespace {

TEST(OomTest, V1MemoryLineOnHybridHosts) {
  const char* text =
      "12:pids:/ocirun/c1\n"
      "5:cpu,cpuacct:/ocirun/c1\n"
      "4:memory:/ocirun/c1\n"
      "1:name=systemd:/ocirun/c1\n"
      "0::/ocirun/c1\n";
  EXPECT_EQ(OomFileFromProcCgroup(text, false), "memory/ocirun/c1/memory.oom_control");
  EXPECT_EQ(OomFileFromProcCgroup(text, true), "ocirun/c1/memory.events");
}

TEST(OomTest, V2Only) {
  EXPECT_EQ(OomFileFromProcCgroup("0::/system.slice/x\n", false), "system.slice/x/memory.events");
  EXPECT_EQ(OomFileFromProcCgroup("0::/\n", false), "memory.events");
  EXPECT_EQ(OomFileFromProcCgroup("3:cpu:/x\n", false), std::nullopt);
}

TEST(OomTest, ParsesOomKillCounter) {
  EXPECT_EQ(ParseOomKill("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), 3u);
  EXPECT_EQ(ParseOomKill("low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\noom_group_kill 0\n"), 1u);
  EXPECT_EQ(ParseOomKill("oom_kill_disable 0\nunder_oom 0\n"), std::nullopt);
}

TEST(OomTest, ForPidNeverFails) {
  OomCounter c = OomCounter::ForPid(getpid(), "/nonexistent");
  EXPECT_FALSE(c.available());
  EXPECT_EQ(c.Count(), 0u);
}

}  // namespace
}  // namespace skiff::shim
