#include "manager/system/host_info.h"

#include "gtest/gtest.h"

namespace skiff::manager {
namespace {

TEST(HostInfo, MemTotalInBytes) {
  EXPECT_EQ(ParseMemTotal("MemTotal:       24608364 kB\nMemFree: 1 kB\n"),
            int64_t{24608364} * 1024);
  EXPECT_EQ(ParseMemTotal("MemFree: 1 kB\n"), 0);
  EXPECT_EQ(ParseMemTotal("MemTotal: lots\n"), 0);
}

TEST(HostInfo, OsPrettyName) {
  EXPECT_EQ(ParseOsPrettyName("NAME=\"Debian GNU/Linux\"\n"
                              "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"),
            "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(ParseOsPrettyName("NAME='Alpine Linux'\n"), "Alpine Linux");
  EXPECT_EQ(ParseOsPrettyName(""), "Linux");
}

TEST(HostInfo, GoArch) {
  EXPECT_EQ(GoArch("x86_64"), "amd64");
  EXPECT_EQ(GoArch("aarch64"), "arm64");
  EXPECT_EQ(GoArch("armv7l"), "arm");
  EXPECT_EQ(GoArch("mips"), "mips");
}

TEST(HostInfo, ReadsThisHost) {
  HostInfo h = ReadHostInfo();
  EXPECT_FALSE(h.kernel_version.empty());
  EXPECT_FALSE(h.architecture.empty());
  EXPECT_EQ(h.os_type, "linux");
  EXPECT_GT(h.ncpu, 0);
  EXPECT_GT(h.mem_total, 0);
}

}  // namespace
}  // namespace skiff::manager
