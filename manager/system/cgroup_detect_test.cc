#include "manager/system/cgroup_detect.h"

#include <sys/stat.h>

#include <string>

#include "common/file_util.h"
#include "gtest/gtest.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

// This machine's layout: Debian with systemd in hybrid mode.
constexpr char kHybrid[] =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 31 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
    "rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n";

TEST(CgroupDetect, Hybrid) {
  CgroupMounts m = ParseCgroupMounts(kHybrid);
  EXPECT_EQ(m.mode, CgroupMounts::Mode::kHybrid);
  EXPECT_EQ(m.Version(), "1");
  EXPECT_EQ(m.unified, "/sys/fs/cgroup/unified");
  EXPECT_TRUE(m.Has("memory"));
  EXPECT_TRUE(m.Has("cpu"));
  EXPECT_TRUE(m.Has("cpuacct"));
  EXPECT_TRUE(m.Has("pids"));
  EXPECT_FALSE(m.Has("freezer"));
  EXPECT_EQ(m.v1.at("cpu"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(m.v1.count("xattr"), 0u);
  EXPECT_EQ(m.v1.count("name=systemd"), 1u);
}

TEST(CgroupDetect, PureV1) {
  CgroupMounts m =
      ParseCgroupMounts("35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
  EXPECT_EQ(m.mode, CgroupMounts::Mode::kV1);
  EXPECT_EQ(m.Version(), "1");
}

TEST(CgroupDetect, UnifiedReadsControllers) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.Sub("cgroup.controllers"), "cpuset cpu io memory pids\n").ok());
  const std::string mountinfo =
      "29 23 0:26 / " + dir.path() + " rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
  CgroupMounts m = ParseCgroupMounts(mountinfo, dir.path() + "/");
  EXPECT_EQ(m.mode, CgroupMounts::Mode::kV2);
  EXPECT_EQ(m.Version(), "2");
  EXPECT_TRUE(m.Has("memory"));
  EXPECT_TRUE(m.Has("pids"));
  EXPECT_FALSE(m.Has("hugetlb"));
  // cgroup2 freezes through cgroup.freeze, without a controller.
  EXPECT_TRUE(m.Has("freezer"));
}

TEST(CgroupDetect, NoCgroups) {
  CgroupMounts m = ParseCgroupMounts(
      "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
      "23 22 0:5 / /proc rw - proc proc rw\n");
  EXPECT_EQ(m.mode, CgroupMounts::Mode::kNone);
  EXPECT_EQ(m.Version(), "");
  EXPECT_FALSE(m.Has("memory"));
}

TEST(CgroupDetect, EscapedMountPointAndGarbage) {
  CgroupMounts m = ParseCgroupMounts(
      "garbage line\n"
      "\n"
      "35 31 0:32 / /mnt/my\\040cgroups rw - cgroup cgroup rw,memory\n");
  EXPECT_EQ(m.v1.at("memory"), "/mnt/my cgroups");
}

TEST(CgroupDetect, MissingMountinfoIsAnError) {
  absl::StatusOr<CgroupMounts> m = DetectCgroups("/nonexistent/mountinfo", "/sys/fs/cgroup");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(absl::IsNotFound(m.status())) << m.status();
  EXPECT_NE(m.status().message().find("/nonexistent/mountinfo"), absl::string_view::npos);
}

}  // namespace
}  // namespace skiff::manager
