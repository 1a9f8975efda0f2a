#include "runtime/cgroups/cgroups.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <linux/magic.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/cgroups/devices_bpf.h"
#include "runtime/cgroups/internal.h"
#include "runtime/cgroups/v1.h"
#include "runtime/cgroups/v2.h"

namespace skiff::runtime {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kRoot[] = "/sys/fs/cgroup";
constexpr char kUnified[] = "/sys/fs/cgroup/unified";

// ---------------------------------------------------------------------------
// Pure unit tests.

TEST(ResolveCgroupPathTest, Forms) {
  EXPECT_EQ(*ResolveCgroupPath("", "abc"), "/ocirun/abc");
  EXPECT_EQ(*ResolveCgroupPath("/skiff/abc", "x"), "/skiff/abc");
  EXPECT_EQ(*ResolveCgroupPath("skiff/abc", "x"), "/skiff/abc");
  EXPECT_EQ(*ResolveCgroupPath("//a/./b/", "x"), "/a/b");
  EXPECT_EQ(*ResolveCgroupPath("/a/../../b", "x"), "/b");  // cannot climb above the root
  EXPECT_EQ(*ResolveCgroupPath("/a:b:c", "x"), "/a:b:c");  // absolute: a plain name
}

TEST(ResolveCgroupPathTest, Errors) {
  absl::StatusOr<std::string> p = ResolveCgroupPath("system.slice:ocirun:abc", "abc");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(),
            "cgroupsPath \"system.slice:ocirun:abc\" is in systemd form; --systemd-cgroup is not "
            "supported on this host");
  EXPECT_THAT(ResolveCgroupPath("/", "x").status().message(), HasSubstr("root cgroup"));
  EXPECT_THAT(ResolveCgroupPath("/a/..", "x").status().message(), HasSubstr("root cgroup"));
  EXPECT_FALSE(ResolveCgroupPath("", "..").ok());
  EXPECT_FALSE(ResolveCgroupPath("", "a/b").ok());
}

TEST(ConversionTest, CpuSharesToWeight) {
  EXPECT_EQ(CpuSharesToWeight(0), 0u);
  EXPECT_EQ(CpuSharesToWeight(2), 1u);
  EXPECT_EQ(CpuSharesToWeight(1), 1u);  // clamped, no underflow
  EXPECT_EQ(CpuSharesToWeight(512), 20u);
  EXPECT_EQ(CpuSharesToWeight(1024), 39u);
  EXPECT_EQ(CpuSharesToWeight(262144), 10000u);
  EXPECT_EQ(CpuSharesToWeight(1000000), 10000u);
}

TEST(ConversionTest, MemorySwapToV2) {
  EXPECT_EQ(*MemorySwapToV2(0, 0), 0);
  EXPECT_EQ(*MemorySwapToV2(0, 100), 0);
  EXPECT_EQ(*MemorySwapToV2(0, -1), -1);   // unlimited memory: unlimited swap
  EXPECT_EQ(*MemorySwapToV2(-1, 100), -1);
  EXPECT_EQ(*MemorySwapToV2(300, 100), 200);
  EXPECT_EQ(*MemorySwapToV2(100, 100), 0);  // no swap
  EXPECT_THAT(MemorySwapToV2(50, 100).status().message(), HasSubstr("must be at least"));
  EXPECT_FALSE(MemorySwapToV2(100, 0).ok());
  EXPECT_FALSE(MemorySwapToV2(100, -1).ok());
}

TEST(ConversionTest, CpuMax) {
  EXPECT_EQ(CpuMaxValue(50000, 100000), "50000 100000");
  EXPECT_EQ(CpuMaxValue(-1, 100000), "max 100000");
  EXPECT_EQ(CpuMaxValue(50000, 0), "50000");
  EXPECT_EQ(CpuMaxValue(0, 0), "");
  EXPECT_EQ(CpuMaxValue(0, 20000), "max 20000");
}

DeviceRule Rule(bool allow, std::string type, std::optional<int64_t> major,
                std::optional<int64_t> minor, std::string access) {
  DeviceRule r;
  r.allow = allow;
  r.type = std::move(type);
  r.major = major;
  r.minor = minor;
  r.access = std::move(access);
  return r;
}

TEST(DevicesTest, V1Lines) {
  EXPECT_THAT(*V1DeviceLines(Rule(false, "a", std::nullopt, std::nullopt, "rwm")),
              ElementsAre("a"));
  EXPECT_THAT(*V1DeviceLines(Rule(false, "", -1, -1, "")), ElementsAre("a"));
  EXPECT_THAT(*V1DeviceLines(Rule(true, "c", 1, 3, "rwm")), ElementsAre("c 1:3 rwm"));
  EXPECT_THAT(*V1DeviceLines(Rule(true, "c", 136, std::nullopt, "mwr")),
              ElementsAre("c 136:* rwm"));
  EXPECT_THAT(*V1DeviceLines(Rule(true, "b", std::nullopt, -1, "m")), ElementsAre("b *:* m"));
  EXPECT_THAT(*V1DeviceLines(Rule(true, "a", std::nullopt, std::nullopt, "r")),
              ElementsAre("c *:* r", "b *:* r"));
  EXPECT_FALSE(V1DeviceLines(Rule(true, "x", 1, 3, "rwm")).ok());
  EXPECT_FALSE(V1DeviceLines(Rule(true, "c", 1, 3, "rwx")).ok());
}

TEST(DevicesTest, DefaultRulesOnV2) {
  EXPECT_TRUE(IsDefaultDeviceRules({}));
  EXPECT_TRUE(IsDefaultDeviceRules({Rule(false, "a", std::nullopt, std::nullopt, "rwm"),
                                    Rule(true, "c", 1, 3, "rwm"), Rule(true, "c", 136, -1, "rwm"),
                                    Rule(true, "c", -1, -1, "m"), Rule(true, "c", 10, 200, "rw")}));
  EXPECT_FALSE(IsDefaultDeviceRules({Rule(true, "c", 10, 229, "rwm")}));   // /dev/fuse
  EXPECT_FALSE(IsDefaultDeviceRules({Rule(false, "c", 1, 3, "rwm")}));     // a specific deny
  EXPECT_FALSE(IsDefaultDeviceRules({Rule(true, "c", -1, -1, "rwm")}));    // all char devices
}

TEST(UnifiedKeyTest, Validation) {
  EXPECT_TRUE(ValidateUnifiedKey("memory.high").ok());
  EXPECT_TRUE(ValidateUnifiedKey("hugetlb.2MB.max").ok());
  EXPECT_FALSE(ValidateUnifiedKey("").ok());
  EXPECT_FALSE(ValidateUnifiedKey("../cgroup.procs").ok());
  EXPECT_FALSE(ValidateUnifiedKey("a/b").ok());
  EXPECT_FALSE(ValidateUnifiedKey("..").ok());
}

TEST(MountinfoTest, ParsesV1AndV2Mounts) {
  const char* text =
      "25 20 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
      "26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid shared:7 - cgroup2 cgroup2 rw,nsdelegate\n"
      "27 25 0:24 / /sys/fs/cgroup/systemd rw shared:8 - cgroup cgroup rw,xattr,name=systemd\n"
      "30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw shared:11 - cgroup cgroup rw,cpu,cpuacct\n"
      "31 25 0:28 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n"
      "32 25 0:29 / /sys/fs/cgroup/my\\040dir rw - cgroup cgroup rw,clone_children,memory\n"
      "33 25 0:30 / /proc rw - proc proc rw\n";
  std::vector<cgroups_internal::CgroupMount> m = cgroups_internal::ParseCgroupMounts(text);
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].mount_point, "/sys/fs/cgroup/unified");
  EXPECT_TRUE(m[0].v2);
  EXPECT_THAT(m[1].controllers, ElementsAre("name=systemd"));
  EXPECT_EQ(m[2].mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_THAT(m[2].controllers, ElementsAre("cpu", "cpuacct"));
  EXPECT_THAT(m[3].controllers, ElementsAre("net_cls", "net_prio"));
  EXPECT_EQ(m[4].mount_point, "/sys/fs/cgroup/my dir");
  EXPECT_THAT(m[4].controllers, ElementsAre("memory"));
}

// ---------------------------------------------------------------------------
// Tests against the real cgroupfs (tag "local": outside the sandbox, as root).

bool IsCgroup2(const std::string& path) {
  struct statfs st;
  return statfs(path.c_str(), &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string Read(const std::string& path) {
  absl::StatusOr<std::string> s = ReadFile(path);
  return s.ok() ? std::string(absl::StripAsciiWhitespace(*s)) : "<" + s.status().ToString() + ">";
}

// Why cgroupfs tests cannot run here, or "" when they can.
std::string CannotWrite(const std::string& hierarchy) {
  if (geteuid() != 0) return "not running as root";
  std::string probe = absl::StrCat(hierarchy, "/skiff-probe-", getpid());
  if (mkdir(probe.c_str(), 0755) != 0) {
    return absl::StrCat("cannot mkdir in ", hierarchy, ": ", strerror(errno));
  }
  rmdir(probe.c_str());
  return "";
}

std::string UniquePath() {
  static int n = 0;
  return absl::StrCat("/skiff-test-", getpid(), "-", ++n);
}

// A child that sleeps until killed.
pid_t Sleeper() {
  pid_t pid = fork();
  if (pid == 0) {
    for (;;) pause();
  }
  return pid;
}

void Reap(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

class CgroupV1Test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (IsCgroup2(kRoot)) GTEST_SKIP() << "host is cgroup v2 only";
    hierarchies_ = V1Hierarchies(kRoot);
    if (hierarchies_.empty()) GTEST_SKIP() << "no cgroup v1 hierarchy mounted";
    for (const char* c : {"memory", "cpu", "cpuset", "pids", "devices"}) {
      if (Dir(c).empty()) GTEST_SKIP() << "cgroup v1 controller " << c << " not mounted";
    }
    std::string why = CannotWrite(Dir("pids"));
    if (!why.empty()) GTEST_SKIP() << why;
  }

  // Leaves nothing behind whatever the test did: the leaf and its parents
  // below the root, deepest first.
  void TearDown() override {
    for (const std::string& p : cleanup_) {
      for (const V1Hierarchy& h : hierarchies_) {
        std::string dir = h.mount + p;
        while (dir.size() > h.mount.size()) {
          rmdir(dir.c_str());
          dir.resize(dir.rfind('/'));
        }
      }
    }
  }

  std::string NewPath(const std::string& suffix = "") {
    std::string p = UniquePath() + suffix;
    cleanup_.push_back(p);
    return p;
  }

  std::string Dir(absl::string_view controller) const {
    for (const V1Hierarchy& h : hierarchies_) {
      if (h.Has(controller)) return h.mount;
    }
    return "";
  }

  // Whether `path` exists in any hierarchy.
  bool AnyExists(const std::string& path) const {
    return std::any_of(hierarchies_.begin(), hierarchies_.end(),
                       [&](const V1Hierarchy& h) { return IsDir(h.mount + path); });
  }

  std::vector<V1Hierarchy> hierarchies_;
  std::vector<std::string> cleanup_;
};

TEST_F(CgroupV1Test, DetectsHybridOrV1) {
  bool unified = IsCgroup2(kUnified);
  EXPECT_EQ(DetectCgroupMode(kRoot), unified ? CgroupMode::kHybrid : CgroupMode::kV1);
}

TEST_F(CgroupV1Test, CreateAppliesLimits) {
  std::string path = NewPath();
  Resources r;
  r.memory.emplace();
  r.memory->limit = 64 << 20;
  r.memory->reservation = 32 << 20;
  r.memory->swappiness = 10;
  r.memory->disable_oom_killer = true;
  r.pids_limit = 32;
  r.cpu.emplace();
  r.cpu->shares = 512;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  r.cpu->cpus = "0";
  r.unsupported = {"blockIO"};
  std::vector<std::string> warnings;
  absl::StatusOr<std::unique_ptr<Cgroup>> cg = Cgroup::Create(path, "x", &r, &warnings, kRoot);
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_EQ((*cg)->path(), path);
  EXPECT_TRUE((*cg)->Exists());
  EXPECT_THAT(warnings, ElementsAre("linux.resources.blockIO is not applied yet; ignoring"));

  EXPECT_EQ(Read(Dir("memory") + path + "/memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(Read(Dir("memory") + path + "/memory.soft_limit_in_bytes"), "33554432");
  EXPECT_EQ(Read(Dir("memory") + path + "/memory.swappiness"), "10");
  EXPECT_THAT(Read(Dir("memory") + path + "/memory.oom_control"), HasSubstr("oom_kill_disable 1"));
  EXPECT_EQ(Read(Dir("pids") + path + "/pids.max"), "32");
  EXPECT_EQ(Read(Dir("cpu") + path + "/cpu.shares"), "512");
  EXPECT_EQ(Read(Dir("cpu") + path + "/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(Read(Dir("cpu") + path + "/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(Read(Dir("cpuset") + path + "/cpuset.cpus"), "0");
  // mems copied from the parent.
  EXPECT_EQ(Read(Dir("cpuset") + path + "/cpuset.mems"), Read(Dir("cpuset") + "/cpuset.mems"));
  // Every hierarchy has the directory.
  for (const V1Hierarchy& h : hierarchies_) EXPECT_TRUE(IsDir(h.mount + path)) << h.mount;

  ASSERT_TRUE((*cg)->Destroy().ok());
  EXPECT_FALSE(AnyExists(path));
  EXPECT_FALSE((*cg)->Exists());
}

TEST_F(CgroupV1Test, MemorySwapAndUnlimitedPids) {
  std::string path = NewPath();
  Resources r;
  r.memory.emplace();
  r.memory->limit = 64 << 20;
  r.memory->swap = 128 << 20;
  r.pids_limit = -1;
  std::vector<std::string> warnings;
  auto cg = Cgroup::Create(path, "x", &r, &warnings, kRoot);
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_EQ(Read(Dir("memory") + path + "/memory.limit_in_bytes"), "67108864");
  std::string memsw = Dir("memory") + path + "/memory.memsw.limit_in_bytes";
  if (IsDir(Dir("memory")) && access(memsw.c_str(), F_OK) == 0) {
    EXPECT_EQ(Read(memsw), "134217728");
    EXPECT_TRUE(warnings.empty());
  } else {
    EXPECT_THAT(warnings, Contains(HasSubstr("swap accounting is disabled")));
  }
  EXPECT_EQ(Read(Dir("pids") + path + "/pids.max"), "max");

  // Re-creating over the existing cgroup (not fresh) lowers memsw and limit
  // in an order the kernel accepts.
  r.memory->limit = 32 << 20;
  r.memory->swap = 48 << 20;
  auto again = Cgroup::Create(path, "x", &r, &warnings, kRoot);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Read(Dir("memory") + path + "/memory.limit_in_bytes"), "33554432");
  if (access(memsw.c_str(), F_OK) == 0) {
    EXPECT_EQ(Read(memsw), "50331648");
  }
  // And raises them again.
  r.memory->limit = 256 << 20;
  r.memory->swap = 512 << 20;
  again = Cgroup::Create(path, "x", &r, &warnings, kRoot);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Read(Dir("memory") + path + "/memory.limit_in_bytes"), "268435456");

  r.memory->swap = 1 << 20;  // below the limit
  auto bad = Cgroup::Create(path, "x", &r, &warnings, kRoot);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("linux.resources.memory.swap"));
  ASSERT_TRUE((*cg)->Destroy().ok());
}

TEST_F(CgroupV1Test, DeviceRulesInOrder) {
  std::string path = NewPath();
  Resources r;
  r.devices = {Rule(false, "a", std::nullopt, std::nullopt, "rwm"),
               Rule(true, "c", 1, 3, "rwm"), Rule(true, "c", 136, std::nullopt, "rw"),
               Rule(true, "c", 1, 5, "rwm"), Rule(false, "c", 1, 5, "w")};
  auto cg = Cgroup::Create(path, "x", &r, nullptr, kRoot);
  ASSERT_TRUE(cg.ok()) << cg.status();
  std::string list = Read(Dir("devices") + path + "/devices.list");
  EXPECT_THAT(list, HasSubstr("c 1:3 rwm"));
  EXPECT_THAT(list, HasSubstr("c 136:* rw"));
  EXPECT_THAT(list, HasSubstr("c 1:5 rm"));
  EXPECT_THAT(list, Not(HasSubstr("a *:*")));
  ASSERT_TRUE((*cg)->Destroy().ok());
}

TEST_F(CgroupV1Test, AddProcessPidsDestroy) {
  std::string path = NewPath("/ctr");
  auto cg = Cgroup::Create(path, "x", nullptr, nullptr, kRoot);
  ASSERT_TRUE(cg.ok()) << cg.status();
  pid_t child = Sleeper();
  ASSERT_GT(child, 0);
  absl::Status st = (*cg)->AddProcess(child);
  if (!st.ok()) Reap(child);
  ASSERT_TRUE(st.ok()) << st;

  std::string proc_cgroup = Read(absl::StrCat("/proc/", child, "/cgroup"));
  EXPECT_THAT(proc_cgroup, HasSubstr(":memory:" + path + "\n"));
  EXPECT_THAT(proc_cgroup, HasSubstr(":pids:" + path + "\n"));
  EXPECT_THAT(proc_cgroup, HasSubstr(":name=systemd:" + path));
  absl::StatusOr<std::vector<pid_t>> pids = (*cg)->Pids();
  ASSERT_TRUE(pids.ok()) << pids.status();
  EXPECT_THAT(*pids, ElementsAre(child));

  // Open() finds the same cgroup from the saved path.
  std::unique_ptr<Cgroup> opened = Cgroup::Open((*cg)->path(), "x", kRoot);
  ASSERT_NE(opened, nullptr);
  EXPECT_TRUE(opened->Exists());
  EXPECT_THAT(*opened->Pids(), ElementsAre(child));

  Reap(child);
  ASSERT_TRUE(opened->Destroy().ok());
  EXPECT_FALSE(AnyExists(path));
  EXPECT_TRUE(AnyExists(path.substr(0, path.rfind('/'))));  // only the leaf goes
  // Destroying again is fine.
  EXPECT_TRUE((*cg)->Destroy().ok());
}

TEST_F(CgroupV1Test, DestroyWithProcessIsBusy) {
  std::string path = NewPath();
  auto cg = Cgroup::Create(path, "x", nullptr, nullptr, kRoot);
  ASSERT_TRUE(cg.ok()) << cg.status();
  pid_t child = Sleeper();
  ASSERT_TRUE((*cg)->AddProcess(child).ok());
  absl::Status st = (*cg)->Destroy();
  Reap(child);
  EXPECT_THAT(st.message(), HasSubstr("Device or resource busy"));
  EXPECT_THAT(st.message(), HasSubstr(path));
  EXPECT_TRUE((*cg)->Destroy().ok());
  EXPECT_FALSE(AnyExists(path));
}

TEST_F(CgroupV1Test, BadValueNamesFileAndCleansUp) {
  std::string path = NewPath("/nested/ctr");
  Resources r;
  r.memory.emplace();
  r.memory->limit = 64 << 20;
  r.cpu.emplace();
  r.cpu->cpus = "999";
  auto cg = Cgroup::Create(path, "x", &r, nullptr, kRoot);
  ASSERT_FALSE(cg.ok());
  EXPECT_THAT(cg.status().message(),
              HasSubstr(absl::StrCat("linux.resources.cpu.cpus: write \"999\" to `",
                                     Dir("cpuset"), path, "/cpuset.cpus`: ")));
  // Nothing left behind: not the leaf, not the parents it made.
  std::string top = path.substr(0, path.find('/', 1));
  EXPECT_FALSE(AnyExists(top)) << top;
}

TEST_F(CgroupV1Test, EmptyPathIsOciRunId) {
  bool had_parent = AnyExists("/ocirun");
  std::string id = absl::StrCat("skiff-test-", getpid());
  auto cg = Cgroup::Create("", id, nullptr, nullptr, kRoot);
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_EQ((*cg)->path(), "/ocirun/" + id);
  EXPECT_TRUE(IsDir(Dir("memory") + "/ocirun/" + id));
  EXPECT_TRUE((*cg)->Destroy().ok());
  EXPECT_FALSE(AnyExists("/ocirun/" + id));
  if (!had_parent) cleanup_.push_back("/ocirun");  // rmdir; fails harmlessly if in use
}

TEST_F(CgroupV1Test, SystemdPathAndUnifiedAreErrors) {
  auto cg = Cgroup::Create("system.slice:skiff:abc", "abc", nullptr, nullptr, kRoot);
  ASSERT_FALSE(cg.ok());
  EXPECT_THAT(cg.status().message(), HasSubstr("is in systemd form"));

  std::string path = NewPath();
  Resources r;
  r.unified["memory.high"] = "100M";
  cg = Cgroup::Create(path, "x", &r, nullptr, kRoot);
  ASSERT_FALSE(cg.ok());
  EXPECT_EQ(cg.status().message(),
            "linux.resources.unified requires cgroup v2; this host uses cgroup v1");
  EXPECT_FALSE(AnyExists(path));
}

TEST_F(CgroupV1Test, MissingControllerIsNamed) {
  // A host without the memory controller: pass only the pids hierarchy.
  std::vector<V1Hierarchy> only_pids;
  for (const V1Hierarchy& h : hierarchies_) {
    if (h.Has("pids")) only_pids.push_back(h);
  }
  std::string path = NewPath();
  Resources r;
  r.memory.emplace();
  r.memory->limit = 64 << 20;
  auto cg = CgroupV1::Create(path, only_pids, &r, nullptr);
  ASSERT_FALSE(cg.ok());
  EXPECT_THAT(cg.status().message(), HasSubstr("\"memory\" controller, which is not mounted"));
  EXPECT_FALSE(AnyExists(path));
}

// The v2 implementation for real on the hybrid host's unified hierarchy.
class CgroupV2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = IsCgroup2(kRoot) ? kRoot : kUnified;
    if (!IsCgroup2(root_)) GTEST_SKIP() << "no cgroup2 mounted at " << kRoot << " or " << kUnified;
    std::string why = CannotWrite(root_);
    if (!why.empty()) GTEST_SKIP() << why;
  }
  void TearDown() override {
    for (const std::string& p : cleanup_) {
      std::string dir = root_ + p;
      while (dir.size() > root_.size()) {
        rmdir(dir.c_str());
        dir.resize(dir.rfind('/'));
      }
    }
  }
  std::string NewPath(const std::string& suffix = "") {
    std::string p = UniquePath() + suffix;
    cleanup_.push_back(p);
    return p;
  }
  std::string root_;
  std::vector<std::string> cleanup_;
};

TEST_F(CgroupV2Test, MembershipOnly) {
  std::string path = NewPath("/ctr");
  Resources r;
  std::vector<std::string> warnings;
  auto cg = CgroupV2::Create(root_, path, &r, &warnings);
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_THAT(warnings, ElementsAre());
  EXPECT_TRUE(IsDir(root_ + path));

  pid_t child = Sleeper();
  absl::Status st = (*cg)->AddProcess(child);
  if (!st.ok()) Reap(child);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_THAT(Read(absl::StrCat("/proc/", child, "/cgroup")), HasSubstr("0::" + path));
  EXPECT_THAT(*(*cg)->Pids(), ElementsAre(child));
  Reap(child);
  ASSERT_TRUE((*cg)->Destroy().ok());
  EXPECT_FALSE(IsDir(root_ + path));
}

TEST_F(CgroupV2Test, UnavailableControllerIsNamedAndCleanedUp) {
  std::string avail = Read(root_ + "/cgroup.controllers");
  if (absl::StrContains(avail, "memory")) GTEST_SKIP() << "memory controller is available here";
  std::string path = NewPath("/ctr");
  Resources r;
  r.memory.emplace();
  r.memory->limit = 64 << 20;
  auto cg = CgroupV2::Create(root_, path, &r, nullptr);
  ASSERT_FALSE(cg.ok());
  EXPECT_THAT(cg.status().message(),
              HasSubstr("linux.resources.memory needs the cgroup v2 \"memory\" controller"));
  EXPECT_FALSE(IsDir(root_ + path.substr(0, path.find('/', 1))));
}

TEST_F(CgroupV2Test, UnifiedBadKeyCreatesNothing) {
  std::string path = NewPath();
  Resources r;
  r.unified["../cgroup.procs"] = "1";
  auto cg = CgroupV2::Create(root_, path, &r, nullptr);
  ASSERT_FALSE(cg.ok());
  EXPECT_THAT(cg.status().message(), HasSubstr("is not a cgroup file name"));
  EXPECT_FALSE(IsDir(root_ + path));
}

TEST_F(CgroupV2Test, UnifiedWritesVerbatim) {
  std::string path = NewPath();
  Resources r;
  r.unified["cgroup.max.descendants"] = "5";
  auto cg = CgroupV2::Create(root_, path, &r, nullptr);
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_EQ(Read(root_ + path + "/cgroup.max.descendants"), "5");
  ASSERT_TRUE((*cg)->Destroy().ok());
}

// ---------------------------------------------------------------------------
// update, freezer, stats, OOM events: pure parts.

TEST(ConversionTest, BlkioWeightToIoWeight) {
  EXPECT_EQ(BlkioWeightToIoWeight(0), 0u);
  EXPECT_EQ(BlkioWeightToIoWeight(10), 1u);
  EXPECT_EQ(BlkioWeightToIoWeight(500), 4950u);
  EXPECT_EQ(BlkioWeightToIoWeight(1000), 10000u);
  EXPECT_EQ(BlkioWeightToIoWeight(5), 1u);  // clamped, no underflow
}

TEST(HugePagesTest, SizeNames) {
  using cgroups_internal::HugePageSizeName;
  EXPECT_EQ(HugePageSizeName(64), "64KB");
  EXPECT_EQ(HugePageSizeName(2048), "2MB");
  EXPECT_EQ(HugePageSizeName(32768), "32MB");
  EXPECT_EQ(HugePageSizeName(1048576), "1GB");
  EXPECT_EQ(HugePageSizeName(16777216), "16GB");
}

TEST(HugePagesTest, UnknownSizeIsNamed) {
  Resources r;
  r.hugepage_limits = {{"2MB", 1 << 21}, {"3MB", 1}};
  absl::Status st = cgroups_internal::CheckHugePageSizes(r, {"2MB", "1GB"});
  EXPECT_EQ(st.message(),
            "linux.resources.hugepageLimits[1].pageSize: \"3MB\" is not a huge page size of this "
            "host (it has 2MB, 1GB)");
  EXPECT_THAT(cgroups_internal::CheckHugePageSizes(r, {}).message(), HasSubstr("it has none"));
}

TEST(UpdateSemanticsTest, ZeroMeansUnset) {
  Resources r;
  r.memory.emplace();
  r.memory->limit = 0;
  r.memory->swap = -1;
  r.memory->swappiness = 0;  // a real value
  r.cpu.emplace();
  r.cpu->shares = 0;
  r.cpu->quota = 5000;
  r.cpu->idle = 0;  // a real value
  r.pids_limit = 0;
  r.block_io.emplace();
  r.block_io->weight = 0;
  Resources d = cgroups_internal::DropZeroFields(r);
  EXPECT_FALSE(d.memory->limit.has_value());
  EXPECT_EQ(d.memory->swap, -1);
  EXPECT_EQ(d.memory->swappiness, 0u);
  EXPECT_FALSE(d.cpu->shares.has_value());
  EXPECT_EQ(d.cpu->quota, 5000);
  EXPECT_EQ(d.cpu->idle, 0);
  EXPECT_FALSE(d.pids_limit.has_value());
  EXPECT_FALSE(d.block_io->weight.has_value());
}

TEST(CgroupFilesTest, Parsers) {
  using namespace cgroups_internal;  // NOLINT
  EXPECT_EQ(RdmaMaxLine("mlx5_0", {3, 10}), "mlx5_0 hca_handle=3 hca_object=10");
  EXPECT_EQ(RdmaMaxLine("mlx5_0", {std::nullopt, 10}), "mlx5_0 hca_object=10");
  auto kv = ParseKeyValues("cache 4096\nrss 8192\nbad\nx y\n");
  EXPECT_EQ(kv.size(), 2u);
  EXPECT_EQ(kv["rss"], 8192u);
  EXPECT_THAT(ParseCpuList("0-2,7\n"), ElementsAre(0, 1, 2, 7));
  EXPECT_THAT(ParseCpuList(""), ElementsAre());
  nlohmann::json e = ParseBlkioEntries("8:0 Read 4096\n8:0 Write 0\n8:16 123\nTotal 4096\n");
  EXPECT_EQ(e, nlohmann::json::parse(R"([{"major":8,"op":"Read","value":4096},
                                          {"major":8,"op":"Write"},
                                          {"major":8,"minor":16,"value":123}])"));
  EXPECT_EQ(MemoryEntryJson(100, 0, 0, 0), nlohmann::json::parse(R"({"limit":100,"failcnt":0})"));
}

TEST(CheckResourcesTest, NetworkIsV1Only) {
  NetworkResources net;
  net.class_id = 0x100001;
  Resources r;
  r.network = net;
  EXPECT_EQ(CheckV2Resources(r).message(),
            "linux.resources.network (net_cls classID, net_prio priorities) is not supported on "
            "cgroup v2");
  BlockIoResources bio;
  bio.weight = 5;
  Resources w;
  w.block_io = bio;
  EXPECT_EQ(CheckV2Resources(w).message(), "linux.resources.blockIO.weight: 5 is out of range 10-1000");
  // On v1, a controller that is not mounted is named.
  NetworkResources prio;
  prio.priorities = {{"eth0", 5}};
  Resources n;
  n.network = prio;
  EXPECT_EQ(CheckV1Resources(n, {}).message(),
            "linux.resources.network.priorities needs the cgroup \"net_prio\" controller, which is "
            "not mounted on this host");
  Resources h;
  h.hugepage_limits = {{"2MB", 1 << 21}};
  EXPECT_THAT(CheckV1Resources(h, {}).message(), HasSubstr("\"hugetlb\" controller"));
}

// ---------------------------------------------------------------------------
// update, freezer, stats, OOM events on the real cgroupfs.

// A forked child that waits until Go() (so it can be moved into a cgroup
// first), runs `fn` and exits with its result.
class Child {
 public:
  explicit Child(std::function<int()> fn) {
    int p[2];
    if (pipe(p) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(p[1]);
      char c;
      if (read(p[0], &c, 1) != 1) _exit(100);
      _exit(fn());
    }
    close(p[0]);
    go_ = p[1];
  }
  ~Child() {
    if (go_ >= 0) close(go_);
    if (pid_ > 0 && !reaped_) Reap(pid_);
  }
  pid_t pid() const { return pid_; }
  void Go() {
    if (write(go_, "x", 1) != 1) ADD_FAILURE() << "cannot start the child";
    close(go_);
    go_ = -1;
  }
  // Exit status, or 128 + signal.
  int Wait() {
    int st = 0;
    waitpid(pid_, &st, 0);
    reaped_ = true;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

 private:
  pid_t pid_ = -1;
  int go_ = -1;
  bool reaped_ = false;
};

int OpenDevNull() {
  int fd = open("/dev/null", O_RDONLY);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

// Faults in `bytes` of anonymous memory (volatile: the compiler may not
// drop the writes), then sleeps until killed or, with `exit`, exits 0.
int Touch(size_t bytes, bool exit) {
  volatile char* p = static_cast<volatile char*>(malloc(bytes));
  if (!p) return 99;
  for (size_t i = 0; i < bytes; i += 4096) p[i] = 1;
  if (exit) return 0;
  for (;;) pause();
}

// "7:0" of the first block device, or "".
std::string SomeBlockDevice() {
  DIR* d = opendir("/sys/block");
  if (!d) return "";
  std::string out;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    out = Read(absl::StrCat("/sys/block/", e->d_name, "/dev"));
    if (out.find(':') != std::string::npos) break;
    out.clear();
  }
  closedir(d);
  return out;
}

TEST_F(CgroupV1Test, UpdateChangesOnlyWhatIsGiven) {
  std::string path = NewPath();
  Resources r;
  r.memory.emplace();
  r.memory->limit = 64 << 20;
  r.pids_limit = 32;
  r.cpu.emplace();
  r.cpu->shares = 512;
  auto cg = Cgroup::Create(path, "x", &r, nullptr, kRoot);
  ASSERT_TRUE(cg.ok()) << cg.status();

  Resources u;
  u.memory.emplace();
  u.memory->limit = 128 << 20;
  u.pids_limit = 0;  // runc: 0 leaves it alone
  std::vector<std::string> warnings;
  absl::Status st = (*cg)->Update(u, &warnings);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(Read(Dir("memory") + path + "/memory.limit_in_bytes"), "134217728");
  EXPECT_EQ(Read(Dir("pids") + path + "/pids.max"), "32");
  EXPECT_EQ(Read(Dir("cpu") + path + "/cpu.shares"), "512");

  Resources u2;
  u2.pids_limit = -1;
  u2.cpu.emplace();
  u2.cpu->quota = 20000;
  u2.cpu->period = 50000;
  u2.memory.emplace();
  u2.memory->reservation = 32 << 20;
  u2.memory->kernel = 1 << 20;
  ASSERT_TRUE((*cg)->Update(u2, &warnings).ok());
  EXPECT_EQ(Read(Dir("pids") + path + "/pids.max"), "max");
  EXPECT_EQ(Read(Dir("cpu") + path + "/cpu.cfs_quota_us"), "20000");
  EXPECT_EQ(Read(Dir("cpu") + path + "/cpu.cfs_period_us"), "50000");
  EXPECT_EQ(Read(Dir("cpu") + path + "/cpu.shares"), "512");
  EXPECT_EQ(Read(Dir("memory") + path + "/memory.soft_limit_in_bytes"), "33554432");
  EXPECT_EQ(Read(Dir("memory") + path + "/memory.limit_in_bytes"), "134217728");
  EXPECT_THAT(warnings, ElementsAre(HasSubstr("memory.kernel is deprecated")));

  // Errors name the field; unified is v2 only; a gone cgroup is NotFound.
  Resources bad;
  bad.cpu.emplace();
  bad.cpu->cpus = "999";
  EXPECT_THAT((*cg)->Update(bad, nullptr).message(), HasSubstr("linux.resources.cpu.cpus: write"));
  Resources uni;
  uni.unified["memory.high"] = "1";
  EXPECT_THAT((*cg)->Update(uni, nullptr).message(), HasSubstr("requires cgroup v2"));
  ASSERT_TRUE((*cg)->Destroy().ok());
  EXPECT_TRUE(absl::IsNotFound((*cg)->Update(u, nullptr)));
}

TEST_F(CgroupV1Test, UpdateDevicesWritesOnlyTheDifference) {
  std::string path = NewPath();
  Resources r;
  r.devices = {Rule(false, "a", std::nullopt, std::nullopt, "rwm"), Rule(true, "c", 1, 3, "rwm"),
               Rule(true, "c", 1, 5, "rwm")};
  auto cg = Cgroup::Create(path, "x", &r, nullptr, kRoot);
  ASSERT_TRUE(cg.ok()) << cg.status();
  Resources u;
  u.devices = {Rule(false, "a", std::nullopt, std::nullopt, "rwm"), Rule(true, "c", 1, 3, "r"),
               Rule(true, "c", 1, 7, "rwm")};
  absl::Status st = (*cg)->Update(u, nullptr);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(Read(Dir("devices") + path + "/devices.list"), "c 1:3 r\nc 1:7 rwm");
  // Back to allow-all.
  u.devices = {Rule(true, "a", std::nullopt, std::nullopt, "rwm")};
  ASSERT_TRUE((*cg)->Update(u, nullptr).ok());
  EXPECT_EQ(Read(Dir("devices") + path + "/devices.list"), "a *:* rwm");
  ASSERT_TRUE((*cg)->Destroy().ok());
}

TEST_F(CgroupV1Test, BlockIo) {
  if (Dir("blkio").empty()) GTEST_SKIP() << "blkio not mounted";
  std::string dev = SomeBlockDevice();
  if (dev.empty()) GTEST_SKIP() << "no block device in /sys/block";
  int64_t major = std::stoll(dev.substr(0, dev.find(':')));
  int64_t minor = std::stoll(dev.substr(dev.find(':') + 1));
  std::string path = NewPath();
  auto cg = Cgroup::Create(path, "x", nullptr, nullptr, kRoot);
  ASSERT_TRUE(cg.ok()) << cg.status();
  const std::string dir = Dir("blkio") + path;
  Resources u;
  u.block_io.emplace();
  u.block_io->weight = 300;
  u.block_io->leaf_weight = 200;
  u.block_io->throttle_read_bps = {{major, minor, 1048576}};
  u.block_io->throttle_write_iops = {{major, minor, 100}};
  std::vector<std::string> warnings;
  absl::Status st = (*cg)->Update(u, &warnings);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(Read(dir + "/blkio.throttle.read_bps_device"), dev + " 1048576");
  EXPECT_EQ(Read(dir + "/blkio.throttle.write_iops_device"), dev + " 100");
  if (IsDir(dir) && access((dir + "/blkio.bfq.weight").c_str(), F_OK) == 0) {
    EXPECT_THAT(Read(dir + "/blkio.bfq.weight"), HasSubstr("300"));
  } else if (access((dir + "/blkio.weight").c_str(), F_OK) == 0) {
    EXPECT_EQ(Read(dir + "/blkio.weight"), "300");
  } else {
    EXPECT_THAT(warnings, Contains(HasSubstr("blockIO.weight is not applied")));
  }
  if (access((dir + "/blkio.leaf_weight").c_str(), F_OK) != 0) {
    EXPECT_THAT(warnings, Contains(HasSubstr("blockIO.leafWeight is not applied")));
  }
  // Rate 0 removes the limit.
  u.block_io.emplace();
  u.block_io->throttle_read_bps = {{major, minor, 0}};
  ASSERT_TRUE((*cg)->Update(u, nullptr).ok());
  EXPECT_EQ(Read(dir + "/blkio.throttle.read_bps_device"), "");
  ASSERT_TRUE((*cg)->Destroy().ok());
}

TEST_F(CgroupV1Test, HugetlbAndNetworkNeedTheirControllers) {
  std::string path = NewPath();
  Resources h;
  std::vector<std::string> sizes = cgroups_internal::HugePageSizes();
  h.hugepage_limits = {{sizes.empty() ? "2MB" : sizes[0], 4 << 20}};
  auto cg = Cgroup::Create(path, "x", &h, nullptr, kRoot);
  if (Dir("hugetlb").empty()) {
    ASSERT_FALSE(cg.ok());
    EXPECT_EQ(cg.status().message(),
              "linux.resources.hugepageLimits needs the cgroup \"hugetlb\" controller, which is "
              "not mounted on this host");
    EXPECT_FALSE(AnyExists(path));
  } else if (!sizes.empty()) {
    ASSERT_TRUE(cg.ok()) << cg.status();
    EXPECT_EQ(Read(Dir("hugetlb") + path + "/hugetlb." + sizes[0] + ".limit_in_bytes"), "4194304");
    ASSERT_TRUE((*cg)->Destroy().ok());
  }
  Resources n;
  n.network.emplace();
  n.network->class_id = 0x100001;
  cg = Cgroup::Create(path, "x", &n, nullptr, kRoot);
  if (Dir("net_cls").empty()) {
    ASSERT_FALSE(cg.ok());
    EXPECT_THAT(cg.status().message(),
                HasSubstr("network.classID needs the cgroup \"net_cls\" controller"));
  } else {
    ASSERT_TRUE(cg.ok()) << cg.status();
    EXPECT_EQ(Read(Dir("net_cls") + path + "/net_cls.classid"), "1048577");
    ASSERT_TRUE((*cg)->Destroy().ok());
  }
}

TEST_F(CgroupV1Test, FreezeAndThaw) {
  if (Dir("freezer").empty()) GTEST_SKIP() << "freezer not mounted";
  std::string path = NewPath();
  auto cg = Cgroup::Create(path, "x", nullptr, nullptr, kRoot);
  ASSERT_TRUE(cg.ok()) << cg.status();
  pid_t child = Sleeper();
  ASSERT_TRUE((*cg)->AddProcess(child).ok());
  EXPECT_FALSE((*cg)->IsFrozen());
  absl::Status st = (*cg)->SetFrozen(true);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_TRUE((*cg)->IsFrozen());
  EXPECT_EQ(Read(Dir("freezer") + path + "/freezer.state"), "FROZEN");
  // Open() of the saved path sees it too (what `ocirun state` does).
  EXPECT_TRUE(Cgroup::Open(path, "x", kRoot)->IsFrozen());
  st = (*cg)->SetFrozen(false);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_FALSE((*cg)->IsFrozen());
  EXPECT_EQ(Read(Dir("freezer") + path + "/freezer.state"), "THAWED");
  Reap(child);
  ASSERT_TRUE((*cg)->Destroy().ok());
  EXPECT_FALSE((*cg)->IsFrozen());  // gone
}

TEST_F(CgroupV1Test, StatsHaveRuncShape) {
  std::string path = NewPath();
  Resources r;
  r.memory.emplace();
  r.memory->limit = 64 << 20;
  r.pids_limit = 20;
  auto cg = Cgroup::Create(path, "x", &r, nullptr, kRoot);
  ASSERT_TRUE(cg.ok()) << cg.status();
  Child c([] { return Touch(8 << 20, /*exit=*/false); });
  ASSERT_TRUE((*cg)->AddProcess(c.pid()).ok());
  c.Go();
  const std::string usage_file = Dir("memory") + path + "/memory.usage_in_bytes";
  EXPECT_TRUE(cgroups_internal::PollUntil(
      [&] { return std::stoull("0" + Read(usage_file)) >= (8u << 20); }, 5000));
  absl::StatusOr<nlohmann::json> j = (*cg)->Stats();
  ASSERT_TRUE(j.ok()) << j.status();
  const nlohmann::json& s = *j;
  EXPECT_GE(s["memory"]["usage"]["usage"].get<uint64_t>(), 8u << 20) << s.dump();
  EXPECT_EQ(s["memory"]["usage"]["limit"], 64 << 20);
  EXPECT_TRUE(s["memory"]["usage"].contains("failcnt"));
  EXPECT_TRUE(s["memory"]["raw"].contains("rss") || s["memory"]["raw"].contains("anon"));
  EXPECT_EQ(s["pids"]["current"], 1);
  EXPECT_EQ(s["pids"]["limit"], 20);
  EXPECT_TRUE(s["cpu"]["usage"].contains("kernel"));
  EXPECT_TRUE(s["cpu"]["usage"].contains("user"));
  EXPECT_TRUE(s["cpu"].contains("throttling"));
  EXPECT_TRUE(s["blkio"].is_object());
  EXPECT_TRUE(s["hugetlb"].is_object());
  EXPECT_TRUE(s["cpuset"].contains("cpus"));
  Reap(c.pid());
  c.Wait();
  ASSERT_TRUE((*cg)->Destroy().ok());
  EXPECT_TRUE(absl::IsNotFound((*cg)->Stats().status()));
}

TEST_F(CgroupV1Test, OomEvents) {
  std::string path = NewPath();
  Resources r;
  r.memory.emplace();
  r.memory->limit = 16 << 20;
  auto cg = Cgroup::Create(path, "x", &r, nullptr, kRoot);
  ASSERT_TRUE(cg.ok()) << cg.status();
  const std::string dir = Dir("memory") + path;
  if (access((dir + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0) {
    // No swapping instead of the OOM kill.
    ASSERT_TRUE(WriteFile(dir + "/memory.memsw.limit_in_bytes", "16777216").ok());
  } else if (Read("/proc/swaps").find('\n') != std::string::npos) {
    GTEST_SKIP() << "swap is on without swap accounting: the child would swap, not OOM";
  }
  absl::StatusOr<std::unique_ptr<Cgroup::OomNotifier>> oom = (*cg)->NotifyOom();
  ASSERT_TRUE(oom.ok()) << oom.status();
  Child c([] { return Touch(64 << 20, /*exit=*/true); });
  ASSERT_TRUE((*cg)->AddProcess(c.pid()).ok());
  c.Go();
  EXPECT_EQ(c.Wait(), 128 + SIGKILL);
  struct pollfd pfd = {(*oom)->fd(), POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 5000), 1);
  absl::StatusOr<uint64_t> n = (*oom)->Consume();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_GE(*n, 1u);
  ASSERT_TRUE((*cg)->Destroy().ok());
}

// The eBPF device filter, for real: a child in the cgroup opens /dev/null.
TEST_F(CgroupV2Test, DeviceFilterDeniesAndAllows) {
  std::string path = NewPath("/ctr");
  Resources r;
  r.devices = {Rule(false, "a", std::nullopt, std::nullopt, "rwm"), Rule(true, "c", 1, 5, "rwm")};
  std::vector<std::string> warnings;
  auto cg = CgroupV2::Create(root_, path, &r, &warnings);
  if (!cg.ok() && absl::StrContains(cg.status().message(), "bpf(")) {
    GTEST_SKIP() << "the kernel refuses the device program: " << cg.status();
  }
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_TRUE(warnings.empty());
  absl::StatusOr<std::vector<uint32_t>> progs = AttachedDeviceFilters(root_ + path);
  ASSERT_TRUE(progs.ok()) << progs.status();
  EXPECT_EQ(progs->size(), 1u);
  {
    Child c(OpenDevNull);
    ASSERT_TRUE((*cg)->AddProcess(c.pid()).ok());
    c.Go();
    EXPECT_EQ(c.Wait(), EPERM) << "open(/dev/null) in a cgroup that denies c 1:3";
  }
  // An update replaces the program: now /dev/null (read only) is allowed.
  Resources u;
  u.devices = {Rule(false, "a", std::nullopt, std::nullopt, "rwm"), Rule(true, "c", 1, 3, "r")};
  absl::Status st = (*cg)->Update(u, nullptr);
  ASSERT_TRUE(st.ok()) << st;
  progs = AttachedDeviceFilters(root_ + path);
  ASSERT_TRUE(progs.ok());
  EXPECT_EQ(progs->size(), 1u) << "the old program stayed attached";
  {
    Child c(OpenDevNull);
    ASSERT_TRUE((*cg)->AddProcess(c.pid()).ok());
    c.Go();
    EXPECT_EQ(c.Wait(), 0) << "open(/dev/null, O_RDONLY) with c 1:3 r allowed";
  }
  {
    Child c([] {
      int fd = open("/dev/null", O_WRONLY);
      if (fd < 0) return errno;
      close(fd);
      return 0;
    });
    ASSERT_TRUE((*cg)->AddProcess(c.pid()).ok());
    c.Go();
    EXPECT_EQ(c.Wait(), EPERM) << "write access was not allowed";
  }
  ASSERT_TRUE((*cg)->Destroy().ok());
}

TEST_F(CgroupV2Test, FreezeAndThaw) {
  std::string path = NewPath();
  auto cg = CgroupV2::Create(root_, path, nullptr, nullptr);
  ASSERT_TRUE(cg.ok()) << cg.status();
  if (access((root_ + path + "/cgroup.freeze").c_str(), F_OK) != 0) {
    GTEST_SKIP() << "no cgroup.freeze (kernel < 5.2)";
  }
  pid_t child = Sleeper();
  ASSERT_TRUE((*cg)->AddProcess(child).ok());
  absl::Status st = (*cg)->SetFrozen(true);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_TRUE((*cg)->IsFrozen());
  EXPECT_THAT(Read(root_ + path + "/cgroup.events"), HasSubstr("frozen 1"));
  st = (*cg)->SetFrozen(false);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_FALSE((*cg)->IsFrozen());
  EXPECT_THAT(Read(root_ + path + "/cgroup.events"), HasSubstr("frozen 0"));
  Reap(child);
  ASSERT_TRUE((*cg)->Destroy().ok());
}

TEST_F(CgroupV2Test, HugetlbLimit) {
  std::vector<std::string> sizes = cgroups_internal::HugePageSizes();
  if (sizes.empty()) GTEST_SKIP() << "no huge page sizes";
  if (!absl::StrContains(Read(root_ + "/cgroup.controllers"), "hugetlb")) {
    GTEST_SKIP() << "no hugetlb controller in " << root_;
  }
  const std::string before = Read(root_ + "/cgroup.subtree_control");
  std::string path = NewPath("/ctr");
  Resources r;
  r.hugepage_limits = {{sizes[0], 8 << 20}};
  auto cg = CgroupV2::Create(root_, path, &r, nullptr);
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_EQ(Read(root_ + path + "/hugetlb." + sizes[0] + ".max"), "8388608");
  absl::StatusOr<nlohmann::json> j = (*cg)->Stats();
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_TRUE((*j)["hugetlb"].contains(sizes[0])) << j->dump();
  ASSERT_TRUE((*cg)->Destroy().ok());
  rmdir((root_ + path.substr(0, path.rfind('/'))).c_str());
  if (!absl::StrContains(before, "hugetlb")) {
    (void)WriteFile(root_ + "/cgroup.subtree_control", "-hugetlb");
  }
}

TEST_F(CgroupV2Test, StatsAndMissingControllers) {
  std::string path = NewPath();
  auto cg = CgroupV2::Create(root_, path, nullptr, nullptr);
  ASSERT_TRUE(cg.ok()) << cg.status();
  absl::StatusOr<nlohmann::json> j = (*cg)->Stats();
  ASSERT_TRUE(j.ok()) << j.status();
  for (const char* key : {"cpu", "cpuset", "memory", "pids", "blkio", "hugetlb"}) {
    EXPECT_TRUE(j->contains(key)) << key << ": " << j->dump();
  }
  EXPECT_TRUE((*j)["cpu"]["usage"].contains("user"));
  Resources n;
  n.network.emplace();
  n.network->class_id = 1;
  EXPECT_THAT((*cg)->Update(n, nullptr).message(), HasSubstr("not supported on cgroup v2"));
  if (!absl::StrContains(Read(root_ + "/cgroup.controllers"), "memory")) {
    EXPECT_THAT((*cg)->NotifyOom().status().message(), HasSubstr("memory.events"));
  }
  ASSERT_TRUE((*cg)->Destroy().ok());
}

}  // namespace
}  // namespace skiff::runtime
