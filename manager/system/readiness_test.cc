#include "manager/system/readiness.h"

#include <errno.h>

#include <map>
#include <string>

#include "common/file_util.h"
#include "gtest/gtest.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

using skiff::v1::ReadinessCheck;

// A host where everything is in order, made of files in a temp dir; each test
// breaks one thing.
class ReadinessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    Write("mountinfo",
          "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
          "36 31 0:33 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
          "37 31 0:34 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
          "39 31 0:35 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
          "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
    Write("filesystems", "nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\toverlay\n");
    Write("status", "Name:\tskiffd\nSeccomp:\t0\nSeccomp_filters:\t0\n");
    Write("ocirun", "#!/bin/sh\necho 'ocirun version 0.1.0'\n", 0755);
    Write("skiff-shim", "#!/bin/sh\necho 'skiff-shim 0.1.0'\n", 0755);
    o_.root_dir = dir_.Sub("root/does/not/exist/yet");
    o_.state_dir = dir_.Sub("state");
    o_.runtime_path = dir_.Sub("ocirun");
    o_.shim_path = dir_.Sub("skiff-shim");
    o_.mountinfo_path = dir_.Sub("mountinfo");
    o_.cgroup_root = "/sys/fs/cgroup";
    o_.filesystems_path = dir_.Sub("filesystems");
    o_.self_status_path = dir_.Sub("status");
    o_.probe_pidfd_open = [] { return 0; };
    o_.probe_openat2 = [] { return 0; };
    o_.euid = [] { return uid_t{0}; };
  }

  void Write(const std::string& name, const std::string& text, int mode = 0644) {
    ASSERT_TRUE(WriteFileAtomic(dir_.Sub(name), text, mode).ok()) << name;
  }

  std::map<std::string, ReadinessCheck> Run() {
    std::map<std::string, ReadinessCheck> by_name;
    checks_ = CheckHost(o_);
    for (const ReadinessCheck& c : checks_) {
      EXPECT_TRUE(by_name.emplace(c.name(), c).second) << "duplicate check " << c.name();
      if (c.severity() == ReadinessCheck::SEVERITY_OK) {
        EXPECT_TRUE(c.fix().empty()) << c.name();
      } else {
        EXPECT_FALSE(c.problem().empty()) << c.name();
        EXPECT_FALSE(c.fix().empty()) << c.name() << ": every problem needs a fix";
      }
    }
    return by_name;
  }

  testing::TempDir dir_;
  ReadinessOptions o_;
  std::vector<ReadinessCheck> checks_;
};

TEST_F(ReadinessTest, HealthyHostPassesEveryCheck) {
  std::map<std::string, ReadinessCheck> c = Run();
  for (const char* name :
       {"cgroup", "cgroup.memory", "cgroup.pids", "cgroup.cpu", "cgroup.freezer", "overlay",
        "seccomp", "kernel.pidfd", "kernel.openat2", "runtime", "shim", "root", "state", "user"}) {
    ASSERT_EQ(c.count(name), 1u) << name;
    EXPECT_EQ(c[name].severity(), ReadinessCheck::SEVERITY_OK) << name << ": " << c[name].problem();
  }
  EXPECT_EQ(c.size(), 14u);
  EXPECT_TRUE(IsReady(checks_));
}

TEST_F(ReadinessTest, NoCgroupFilesystemIsAnError) {
  Write("mountinfo", "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
  std::map<std::string, ReadinessCheck> c = Run();
  EXPECT_EQ(c["cgroup"].severity(), ReadinessCheck::SEVERITY_ERROR);
  EXPECT_NE(c["cgroup"].problem().find("no cgroup filesystem"), std::string::npos);
  EXPECT_NE(c["cgroup"].fix().find("mount -t cgroup2"), std::string::npos);
  EXPECT_EQ(c["cgroup.memory"].severity(), ReadinessCheck::SEVERITY_WARNING);
  EXPECT_FALSE(IsReady(checks_));
}

TEST_F(ReadinessTest, MissingV1ControllerIsAWarningSayingWhatDegrades) {
  Write("mountinfo",
        "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
        "36 31 0:33 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
        "39 31 0:35 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n");
  std::map<std::string, ReadinessCheck> c = Run();
  EXPECT_EQ(c["cgroup"].severity(), ReadinessCheck::SEVERITY_OK);
  EXPECT_EQ(c["cgroup.freezer"].severity(), ReadinessCheck::SEVERITY_WARNING);
  EXPECT_NE(c["cgroup.freezer"].problem().find("pause"), std::string::npos);
  EXPECT_NE(c["cgroup.freezer"].fix().find("mount -t cgroup -o freezer"), std::string::npos);
  EXPECT_TRUE(IsReady(checks_));
}

TEST_F(ReadinessTest, V2ControllersComeFromCgroupControllers) {
  Write("cgroup.controllers", "cpu memory\n");
  Write("mountinfo", "29 23 0:26 / " + dir_.path() + " rw - cgroup2 cgroup2 rw\n");
  o_.cgroup_root = dir_.path();
  std::map<std::string, ReadinessCheck> c = Run();
  EXPECT_EQ(c["cgroup"].severity(), ReadinessCheck::SEVERITY_OK);
  EXPECT_EQ(c["cgroup.memory"].severity(), ReadinessCheck::SEVERITY_OK);
  EXPECT_EQ(c["cgroup.freezer"].severity(), ReadinessCheck::SEVERITY_OK);
  EXPECT_EQ(c["cgroup.pids"].severity(), ReadinessCheck::SEVERITY_WARNING);
  EXPECT_NE(c["cgroup.pids"].problem().find("--pids-limit"), std::string::npos);
  EXPECT_NE(c["cgroup.pids"].fix().find("cgroup_enable=pids"), std::string::npos);
}

TEST_F(ReadinessTest, NoOverlayMeansTheCopyingSnapshotter) {
  Write("filesystems", "nodev\tsysfs\n\text4\n");
  std::map<std::string, ReadinessCheck> c = Run();
  EXPECT_EQ(c["overlay"].severity(), ReadinessCheck::SEVERITY_WARNING);
  EXPECT_NE(c["overlay"].problem().find("the copying snapshotter is used"), std::string::npos);
  EXPECT_EQ(c["overlay"].fix(), "modprobe overlay");
  EXPECT_TRUE(IsReady(checks_));
}

TEST_F(ReadinessTest, NoSeccompField) {
  Write("status", "Name:\tskiffd\n");
  std::map<std::string, ReadinessCheck> c = Run();
  EXPECT_EQ(c["seccomp"].severity(), ReadinessCheck::SEVERITY_WARNING);
  EXPECT_NE(c["seccomp"].fix().find("CONFIG_SECCOMP"), std::string::npos);
}

TEST_F(ReadinessTest, OldKernelSyscalls) {
  o_.probe_pidfd_open = [] { return ENOSYS; };
  o_.probe_openat2 = [] { return EPERM; };
  std::map<std::string, ReadinessCheck> c = Run();
  EXPECT_EQ(c["kernel.pidfd"].severity(), ReadinessCheck::SEVERITY_WARNING);
  EXPECT_NE(c["kernel.pidfd"].fix().find("5.3"), std::string::npos);
  EXPECT_EQ(c["kernel.openat2"].severity(), ReadinessCheck::SEVERITY_WARNING);
  EXPECT_NE(c["kernel.openat2"].problem().find("Operation not permitted"), std::string::npos);
  EXPECT_NE(c["kernel.openat2"].fix().find("seccomp"), std::string::npos);
}

TEST_F(ReadinessTest, MissingRuntimeIsAnErrorWithTheFlag) {
  o_.runtime_path = dir_.Sub("nope/ocirun");
  std::map<std::string, ReadinessCheck> c = Run();
  EXPECT_EQ(c["runtime"].severity(), ReadinessCheck::SEVERITY_ERROR);
  EXPECT_NE(c["runtime"].problem().find(o_.runtime_path), std::string::npos);
  EXPECT_NE(c["runtime"].problem().find("No such file"), std::string::npos);
  EXPECT_NE(c["runtime"].fix().find("--runtime /path/to/ocirun"), std::string::npos);
  EXPECT_FALSE(IsReady(checks_));
}

TEST_F(ReadinessTest, BrokenShimIsAnError) {
  Write("skiff-shim", "#!/bin/sh\nexit 1\n", 0755);
  std::map<std::string, ReadinessCheck> c = Run();
  EXPECT_EQ(c["shim"].severity(), ReadinessCheck::SEVERITY_ERROR);
  EXPECT_NE(c["shim"].fix().find("--shim /path/to/skiff-shim"), std::string::npos);
}

TEST_F(ReadinessTest, UnwritableRoot) {
  // A regular file in the way: nothing can be created below it.
  Write("file", "x");
  o_.root_dir = dir_.Sub("file/root");
  std::map<std::string, ReadinessCheck> c = Run();
  EXPECT_EQ(c["root"].severity(), ReadinessCheck::SEVERITY_ERROR);
  EXPECT_NE(c["root"].problem().find(o_.root_dir), std::string::npos);
  EXPECT_NE(c["root"].fix().find("--root"), std::string::npos);
}

TEST_F(ReadinessTest, NotRoot) {
  o_.euid = [] { return uid_t{1000}; };
  std::map<std::string, ReadinessCheck> c = Run();
  EXPECT_EQ(c["user"].severity(), ReadinessCheck::SEVERITY_ERROR);
  EXPECT_NE(
      c["user"].problem().find("skiffd must run as root (rootless skiffd is not supported yet)"),
      std::string::npos);
  EXPECT_FALSE(IsReady(checks_));
}

TEST(ReadinessRealHost, RunsWithoutCrashing) {
  // The real probes on this machine: whatever they find, each has a name.
  ReadinessOptions o;
  o.root_dir = "/tmp";
  o.state_dir = "/tmp";
  for (const ReadinessCheck& c : CheckHost(o)) EXPECT_FALSE(c.name().empty());
}

}  // namespace
}  // namespace skiff::manager
