#include "runtime/cgroups/cgroups.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <linux/magic.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
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
  r.devices = {Rule(false, "a", std::nullopt, std::nullopt, "rwm"),
               Rule(true, "c", 10, 229, "rwm")};  // /dev/fuse: not a default
  std::vector<std::string> warnings;
  auto cg = CgroupV2::Create(root_, path, &r, &warnings);
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_THAT(warnings, ElementsAre("device cgroup rules are not enforced on cgroup v2 yet"));
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

}  // namespace
}  // namespace skiff::runtime
