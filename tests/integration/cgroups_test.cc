// Cgroups: linux.resources written to the container's cgroup at
// linux.cgroupsPath, the process placed in it, limits enforced, and the
// cgroup removed on delete.
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/rootfs/bundle.h"

namespace skiff::itest {
namespace {

bool IsV2() { return PathExists("/sys/fs/cgroup/cgroup.controllers"); }

std::string Knob(const std::string& controller, const std::string& path,
                 const std::string& file) {
  return Trim(ReadFileOr(CgroupDir(controller, path) + "/" + file, "<missing>"));
}

class CgroupsTest : public RuntimeTest {};

TEST_F(CgroupsTest, ResourcesAreWrittenAndCgroupIsRemovedOnDelete) {
  Bundle b;
  b.Args({"/ocitest", "sleep", "60"});
  json& res = b.config()["linux"]["resources"];
  res["memory"] = {{"limit", 64 * 1024 * 1024}};
  res["pids"] = {{"limit", 50}};
  res["cpu"] = {{"quota", 50000}, {"period", 100000}, {"shares", 512}, {"cpus", "0"}};
  const std::string p = b.cgroups_path();
  Container c(rt(), b);
  RunResult cr = c.Create();
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  auto st = c.State();
  ASSERT_TRUE(st);
  std::string pid = std::to_string(st->value("pid", 0));

  if (IsV2()) {
    EXPECT_EQ(Knob("", p, "memory.max"), "67108864");
    EXPECT_EQ(Knob("", p, "pids.max"), "50");
    EXPECT_EQ(Knob("", p, "cpu.max"), "50000 100000");
    EXPECT_EQ(Knob("", p, "cpuset.cpus"), "0");
  } else {
    EXPECT_EQ(Knob("memory", p, "memory.limit_in_bytes"), "67108864");
    EXPECT_EQ(Knob("pids", p, "pids.max"), "50");
    EXPECT_EQ(Knob("cpu", p, "cpu.cfs_quota_us"), "50000");
    EXPECT_EQ(Knob("cpu", p, "cpu.cfs_period_us"), "100000");
    EXPECT_EQ(Knob("cpu", p, "cpu.shares"), "512");
    EXPECT_EQ(Knob("cpuset", p, "cpuset.cpus"), "0");
  }
  // The container's init is in the cgroup of every controller.
  for (const char* ctl : {"memory", "pids", "cpu", "cpuset", "devices", "freezer"}) {
    if (IsV2() && std::string(ctl) != "memory") continue;
    std::string procs = ReadFileOr(CgroupDir(ctl, p) + "/cgroup.procs");
    EXPECT_TRUE(Contains("\n" + procs, "\n" + pid + "\n")) << ctl << ": " << procs;
  }
  std::string own = ReadFileOr("/proc/" + pid + "/cgroup");
  EXPECT_TRUE(Contains(own, ":" + p + "\n")) << own;

  ASSERT_TRUE(c.Start().ok());
  EXPECT_EQ(c.Status(), "running");
  ASSERT_TRUE(c.Kill("KILL").ok());
  ASSERT_TRUE(c.WaitForStatus("stopped"));
  EXPECT_FALSE(CgroupDirs(p).empty()) << "cgroup removed before delete";
  RunResult d = c.Delete();
  ASSERT_TRUE(d.ok()) << d.Describe();
  auto left = CgroupDirs(p);
  EXPECT_TRUE(left.empty()) << "left behind: " << (left.empty() ? "" : left[0]);
}

TEST_F(CgroupsTest, NestedCgroupsPathIsRemovedToo) {
  Bundle b;
  const std::string parent = "/skiff-it-parent-" + std::to_string(getpid());
  const std::string p = parent + "/" + UniqueId("nested");
  b.config()["linux"]["cgroupsPath"] = p;
  b.Args({"/ocitest", "exit", "0"});
  {
    Container c(rt(), b);
    RunResult r = c.Run();
    EXPECT_TRUE(r.ok()) << r.Describe();
    EXPECT_TRUE(CgroupDirs(p).empty());
  }
  // Parents the runtime created may stay (runc keeps them); remove ours.
  for (const auto& d : CgroupDirs(parent)) rmdir(d.c_str());
}

TEST_F(CgroupsTest, PidsLimitIsEnforced) {
  Bundle b;
  b.config()["linux"]["resources"]["pids"] = {{"limit", 5}};
  // Try to fork 10 sleepers; 4 fit next to the forking process.
  b.Args({"/ocitest", "forks", "10", "30"});
  Container c(rt(), b);
  CaptureFile out;
  RunOptions o;
  o.stdout_fd = out.fd();
  ASSERT_TRUE(c.Create({}, o).ok());
  ASSERT_TRUE(c.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return Contains(out.Read(), "forked"); })) << out.Read();
  EXPECT_EQ(Trim(out.Read()), "forked 4 failed 6 Resource temporarily unavailable");
  const std::string dir = CgroupDir("pids", b.cgroups_path());
  int current = atoi(ReadFileOr(dir + "/pids.current", "-1").c_str());
  EXPECT_EQ(current, 5);
  EXPECT_TRUE(Contains(ReadFileOr(dir + "/pids.events"), "max ")) << ReadFileOr(dir + "/pids.events");
  EXPECT_FALSE(Contains(ReadFileOr(dir + "/pids.events"), "max 0"))
      << "no fork was refused: " << ReadFileOr(dir + "/pids.events");
}

TEST_F(CgroupsTest, MemoryLimitIsEnforced) {
  Bundle b;
  b.config()["linux"]["resources"]["memory"] = {{"limit", 16 * 1024 * 1024}};
  // awk doubles a string up to 64 MiB: it is OOM-killed on the way.
  b.Sh("awk 'BEGIN{s=\"x\"; while (length(s) < 67108864) s = s s; print length(s)}'; "
       "echo rc=$?");
  Container c(rt(), b);
  RunResult r = c.Run();
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(Trim(r.out), "rc=137") << r.Describe();
}

// As crun and the benchmarks run it on this hybrid host: /sys/fs/cgroup/unified
// unmounted in a private mount namespace. What is left there is a directory
// of the host's tmpfs; a runtime that takes it for the v2 hierarchy leaves
// directories and plain cgroup.procs files in it that nothing removes.
TEST_F(CgroupsTest, NothingIsWrittenUnderAnUnmountedUnifiedHierarchy) {
  struct statfs st;
  if (statfs("/sys/fs/cgroup/unified", &st) != 0 || st.f_type != CGROUP2_SUPER_MAGIC)
    GTEST_SKIP() << "not a hybrid host (no cgroup2 at /sys/fs/cgroup/unified)";
  if (RuntimeIsCrun())
    GTEST_SKIP() << "crun 1.8 takes the leftover directory for the unified hierarchy (known)";
  Bundle b;
  b.Args({"/ocitest", "sleep", "60"});
  b.Write();
  const std::string id = UniqueId();
  // The shadowed directory is removed again whatever happens (it is the
  // host's tmpfs, not a cgroup: the file first, then the directory).
  const char* script = R"sh(
    umount /sys/fs/cgroup/unified || exit 10
    shadowed=/sys/fs/cgroup/unified$5
    "$1" --root "$2" create --bundle "$3" "$4" || exit 11
    [ -d /sys/fs/cgroup/pids$5 ] && echo "pids cgroup made"
    [ -e "$shadowed" ] && echo "written under unified: $(ls -A "$shadowed" | tr '\n' ' ')"
    "$1" --root "$2" delete --force "$4" || echo "delete failed"
    [ -e "$shadowed" ] && echo "left under unified after delete"
    rm -f "$shadowed/cgroup.procs"; rmdir "$shadowed" 2>/dev/null
    echo done
  )sh";
  RunOptions o;
  o.timeout = milliseconds(30000);
  RunResult r = RunCommand({"unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                            RuntimePath(), rt().root(), b.dir(), id, b.cgroups_path()},
                           o);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "pids cgroup made\ndone\n") << r.Describe();
}

}  // namespace
}  // namespace skiff::itest
