// The container's file system: root, bind and tmpfs mounts, /proc, /dev,
// extra devices, masked and read-only paths, and symlinks that point out of
// the rootfs.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/rootfs/bundle.h"

namespace skiff::itest {
namespace {

void MkdirForTest(const std::string& p) { ASSERT_EQ(mkdir(p.c_str(), 0755), 0) << p; }

constexpr char kTmpfsMagic[] = "magic=0x1021994";
constexpr char kProcMagic[] = "magic=0x9fa0";

class MountsTest : public RuntimeTest {
 protected:
  RunResult RunOnce(Bundle& b) {
    Container c(rt(), b);
    return c.Run();
  }
  // Runs /ocitest with args and returns its stdout lines (asserting success).
  std::vector<std::string> Probe(Bundle& b, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/ocitest"};
    argv.insert(argv.end(), args.begin(), args.end());
    b.Args(argv);
    RunResult r = RunOnce(b);
    EXPECT_TRUE(r.ok()) << r.Describe();
    return SplitLines(r.out);
  }
};

TEST_F(MountsTest, ReadonlyRoot) {
  Bundle b;
  b.config()["root"]["readonly"] = true;
  auto out = Probe(b, {"write", "/x", "+", "statfs-ro", "/", "+", "write", "/dev/shm/x"});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], "Read-only file system");
  EXPECT_EQ(out[1], "ro");
  EXPECT_EQ(out[2], "ok") << "/dev/shm must stay writable";
  EXPECT_FALSE(PathExists(b.InRootfs("/x")));
}

TEST_F(MountsTest, WritableRoot) {
  Bundle b;
  b.config()["root"]["readonly"] = false;
  auto out = Probe(b, {"write", "/x", "+", "statfs-ro", "/"});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "ok");
  EXPECT_EQ(out[1], "rw");
  EXPECT_TRUE(PathExists(b.InRootfs("/x")));
}

TEST_F(MountsTest, ReadonlyBindMount) {
  TempDir host;
  WriteFile(host / "file", "host-content");
  Bundle b;
  b.BindMount("/data", host.path(), /*readonly=*/true);
  auto out = Probe(b, {"cat", "/data/file", "+", "echo", "", "+", "write", "/data/new", "+",
                       "statfs-ro", "/data"});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], "host-content");
  EXPECT_EQ(out[1], "Read-only file system");
  EXPECT_EQ(out[2], "ro");
  EXPECT_FALSE(PathExists(host / "new"));
}

TEST_F(MountsTest, WritableBindMount) {
  TempDir host;
  Bundle b;
  b.BindMount("/data", host.path());
  auto out = Probe(b, {"write", "/data/new"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "ok");
  EXPECT_EQ(ReadFileOr(host / "new"), "x\n");
}

TEST_F(MountsTest, BindMountFlags) {
  TempDir host;
  Bundle b;
  b.Mount("/data", "bind", host.path(), {"rbind", "ro", "nosuid", "nodev", "noexec"});
  auto out = Probe(b, {"statfs", "/data"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(Contains(out[0], " ro,nosuid,nodev,noexec")) << out[0];
}

TEST_F(MountsTest, NonRecursiveBindLeavesSubmountsOut) {
  // "bind" copies one mount; "rbind" also the mounts below it.
  TempDir host;
  MkdirForTest(host / "sub");
  TempDir inner;
  WriteFile(inner / "marker", "inner");
  ASSERT_EQ(mount(inner.path().c_str(), (host / "sub").c_str(), nullptr, MS_BIND, nullptr), 0);
  Bundle b;
  b.Mount("/flat", "bind", host.path(), {"bind"});
  b.Mount("/deep", "bind", host.path(), {"rbind"});
  auto out = Probe(b, {"exists", "/flat/sub/marker", "+", "exists", "/deep/sub/marker"});
  umount2((host / "sub").c_str(), MNT_DETACH);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "no");
  EXPECT_EQ(out[1], "yes");
}

TEST_F(MountsTest, BindMountOfAFileCreatesTheTarget) {
  TempDir host;
  WriteFile(host / "file", "single-file");
  Bundle b;
  b.BindMount("/etc/new/bound-file", host / "file", true);
  auto out = Probe(b, {"cat", "/etc/new/bound-file", "+", "echo", "", "+", "stat",
                       "/etc/new/bound-file"});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "single-file");
  EXPECT_EQ(out[1].substr(0, 1), "-") << "mount point must be a regular file: " << out[1];
}

TEST_F(MountsTest, TmpfsWithSizeModeAndFlags) {
  Bundle b;
  b.Mount("/scratch", "tmpfs", "tmpfs", {"size=1m", "mode=1777", "nosuid", "nodev", "noexec"});
  auto out = Probe(b, {"statfs", "/scratch", "+", "stat", "/scratch", "+", "write",
                       "/scratch/f"});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], std::string(kTmpfsMagic) + " bytes=1048576 rw,nosuid,nodev,noexec");
  EXPECT_EQ(out[1], "d 1777 0:0");
  EXPECT_EQ(out[2], "ok");
  EXPECT_FALSE(PathExists(b.InRootfs("/scratch/f"))) << "tmpfs write reached the rootfs";
}

TEST_F(MountsTest, ProcIsMountedAndShowsTheContainer) {
  Bundle b;
  auto out = Probe(b, {"statfs", "/proc", "+", "cat", "/proc/1/cmdline"});
  ASSERT_GE(out.size(), 2u);
  EXPECT_TRUE(out[0].rfind(kProcMagic, 0) == 0) << out[0];
  std::string cmdline;
  for (const auto& a : b.config()["process"]["args"]) cmdline += a.get<std::string>() + '\0';
  EXPECT_EQ(out[1], cmdline);
}

TEST_F(MountsTest, SysIsMountedReadOnly) {
  Bundle b;
  auto out = Probe(b, {"statfs-ro", "/sys", "+", "exists", "/sys/kernel"});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "ro");
  EXPECT_EQ(out[1], "yes");
}

TEST_F(MountsTest, DefaultDevices) {
  Bundle b;
  auto out = Probe(b, {"stat", "/dev/null", "+", "stat", "/dev/zero", "+", "stat", "/dev/full",
                       "+", "stat", "/dev/random", "+", "stat", "/dev/urandom", "+", "stat",
                       "/dev/tty"});
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0], "c 1:3 0666 0:0");
  EXPECT_EQ(out[1], "c 1:5 0666 0:0");
  EXPECT_EQ(out[2], "c 1:7 0666 0:0");
  EXPECT_EQ(out[3], "c 1:8 0666 0:0");
  EXPECT_EQ(out[4], "c 1:9 0666 0:0");
  EXPECT_EQ(out[5], "c 5:0 0666 0:0");
}

TEST_F(MountsTest, DevPtmxPointsAtDevpts) {
  Bundle b;
  auto out = Probe(b, {"stat", "/dev/ptmx", "+", "readlink", "/dev/ptmx"});
  ASSERT_EQ(out.size(), 2u);
  // runc makes /dev/ptmx a symlink to pts/ptmx; a 5:2 node is fine too.
  EXPECT_TRUE((out[0][0] == 'l' && out[1] == "pts/ptmx") || out[0].rfind("c 5:2", 0) == 0)
      << out[0] << " / " << out[1];
}

TEST_F(MountsTest, DevNullZeroWork) {
  Bundle b;
  b.Sh("echo gone > /dev/null && head -c 4 /dev/zero | od -An -tx1 && echo done");
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, " 00 00 00 00\ndone\n");
}

TEST_F(MountsTest, DevSymlinks) {
  Bundle b;
  auto out = Probe(b, {"readlink", "/dev/fd", "+", "readlink", "/dev/stdin", "+", "readlink",
                       "/dev/stdout", "+", "readlink", "/dev/stderr"});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], "/proc/self/fd");
  EXPECT_EQ(out[1], "/proc/self/fd/0");
  EXPECT_EQ(out[2], "/proc/self/fd/1");
  EXPECT_EQ(out[3], "/proc/self/fd/2");
}

TEST_F(MountsTest, DevPtsShmMqueueMounted) {
  Bundle b;
  auto out = Probe(b, {"mountopts", "/dev/pts", "+", "mountopts", "/dev/shm", "+", "mountopts",
                       "/dev/mqueue", "+", "mountopts", "/dev"});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].rfind("devpts ", 0), 0u) << out[0];
  EXPECT_TRUE(Contains(out[0], "newinstance") || Contains(out[0], "ptmxmode=666")) << out[0];
  EXPECT_EQ(out[1].rfind("tmpfs ", 0), 0u) << out[1];
  EXPECT_EQ(out[2].rfind("mqueue ", 0), 0u) << out[2];
  EXPECT_EQ(out[3].rfind("tmpfs ", 0), 0u) << out[3];
}

TEST_F(MountsTest, ExtraDevices) {
  Bundle b;
  b.config()["linux"]["devices"] = {
      {{"path", "/dev/fuse"}, {"type", "c"}, {"major", 10}, {"minor", 229},
       {"fileMode", 0666}, {"uid", 0}, {"gid", 0}},
      {{"path", "/dev/custom/mynull"}, {"type", "c"}, {"major", 1}, {"minor", 3},
       {"fileMode", 0660}, {"uid", 1000}, {"gid", 0}}};
  auto out = Probe(b, {"stat", "/dev/fuse", "+", "stat", "/dev/custom/mynull", "+", "write",
                       "/dev/custom/mynull"});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], "c 10:229 0666 0:0");
  EXPECT_EQ(out[1], "c 1:3 0660 1000:0");
  EXPECT_EQ(out[2], "ok");
}

TEST_F(MountsTest, DeviceCgroupDeniesUnlistedDevices) {
  // The default spec denies all devices; a node made by the container for
  // /dev/sda-like majors is unusable.
  Bundle b;
  b.config()["linux"]["devices"] = {{{"path", "/dev/blocked"}, {"type", "c"}, {"major", 10},
                                     {"minor", 229}, {"fileMode", 0666}}};
  // No resources.devices allow entry for 10:229: opening must fail.
  auto out = Probe(b, {"read", "/dev/blocked"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "Operation not permitted");
}

TEST_F(MountsTest, SymlinkedMountTargetStaysInsideRootfs) {
  TempDir host;  // a host dir that a symlink in the rootfs points at
  const std::string missing = host / "missing";
  Bundle b;
  ASSERT_EQ(symlink(host.path().c_str(), b.InRootfs("/evil").c_str()), 0);
  ASSERT_EQ(symlink(missing.c_str(), b.InRootfs("/evil2").c_str()), 0);
  ASSERT_EQ(symlink(("../../../../../../../../.." + host.path()).c_str(),
                    b.InRootfs("/evil3").c_str()),
            0);
  TempDir src;
  WriteFile(src / "marker", "marker");
  b.Mount("/evil/sub", "tmpfs", "tmpfs", {"size=1m"});
  b.BindMount("/evil2", src.path(), true);
  b.BindMount("/evil3/sub3", src.path(), true);
  auto out = Probe(b, {"statfs", "/evil/sub", "+", "cat", "/evil2/marker", "+", "echo", "", "+",
                       "cat", "/evil3/sub3/marker"});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].rfind(kTmpfsMagic, 0), 0u) << out[0];
  EXPECT_EQ(out[1], "marker");
  EXPECT_EQ(out[2], "marker");
  // Nothing was created or mounted on the host side.
  EXPECT_FALSE(PathExists(host / "sub"));
  EXPECT_FALSE(PathExists(missing));
  EXPECT_FALSE(PathExists(host / "sub3"));
  // The runtime resolved the links inside the rootfs instead.
  EXPECT_TRUE(PathExists(b.InRootfs(host.path() + "/sub")));
}

TEST_F(MountsTest, MaskedPaths) {
  Bundle b;
  WriteFile(b.InRootfs("/etc/secret"), "do-not-read");
  b.config()["linux"]["maskedPaths"].push_back("/etc/secret");
  b.config()["linux"]["maskedPaths"].push_back("/etc/does-not-exist");
  // Masked files read as empty (a /dev/null bind) or are unreadable.
  std::vector<std::string> files = {"/etc/secret"};
  for (const char* f : {"/proc/kcore", "/proc/keys", "/proc/timer_list"}) {
    if (PathExists(f)) files.push_back(f);  // not every kernel has them
  }
  std::string script;
  for (const auto& f : files) script += "/ocitest read " + f + "; ";
  // Masked directories are empty and read-only.
  script += "ls -A /sys/firmware | wc -l; /ocitest statfs-ro /sys/firmware";
  b.Sh(script);
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  auto out = SplitLines(r.out);
  ASSERT_EQ(out.size(), files.size() + 2) << r.out;
  for (size_t i = 0; i < files.size(); i++) {
    EXPECT_TRUE(out[i] == "ok 0" || out[i] == "Permission denied") << files[i] << ": " << out[i];
  }
  EXPECT_EQ(Trim(out[files.size()]), "0");
  EXPECT_EQ(out[files.size() + 1], "ro");
}

TEST_F(MountsTest, ReadonlyPaths) {
  Bundle b;
  b.config()["linux"]["readonlyPaths"].push_back("/etc");
  // /proc/sys/kernel/domainname is per UTS namespace: harmless if the
  // runtime fails to make /proc/sys read-only.
  auto out = Probe(b, {"write", "/proc/sys/kernel/domainname", "+", "read",
                       "/proc/sys/kernel/hostname", "+", "write", "/etc/new", "+", "write",
                       "/tmp/new"});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], "Read-only file system");
  EXPECT_EQ(out[1].rfind("ok ", 0), 0u) << out[1];
  EXPECT_EQ(out[2], "Read-only file system");
  EXPECT_EQ(out[3], "ok");
}

TEST_F(MountsTest, CgroupFsMountedReadOnly) {
  // The default spec mounts cgroup at /sys/fs/cgroup with "ro". On a v1 host
  // that is a tmpfs with one read-only mount per hierarchy.
  bool v1 = PathExists("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  std::string probe = v1 ? "/sys/fs/cgroup/memory" : "/sys/fs/cgroup";
  Bundle b;
  auto out = Probe(b, {"mountopts", "/sys/fs/cgroup", "+", "statfs-ro", probe, "+", "exists",
                       probe + "/cgroup.procs"});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_NE(out[0], "none");
  EXPECT_EQ(out[1], "ro");
  EXPECT_EQ(out[2], "yes");
}

TEST_F(MountsTest, NoMountsLeakToHost) {
  TempDir host;
  Bundle b;
  b.BindMount("/data", host.path());
  b.Mount("/scratch", "tmpfs", "tmpfs");
  auto out = Probe(b, {"pid"});
  std::string mi = ReadFileOr("/proc/self/mountinfo");
  EXPECT_FALSE(Contains(mi, b.dir())) << "container mounts visible on the host:\n" << mi;
}

}  // namespace
}  // namespace skiff::itest
