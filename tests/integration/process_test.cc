// What the container's process sees: stdio, exit status, identity, hostname,
// capabilities, rlimits, umask, cwd, env, fds, seccomp.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/rootfs/bundle.h"

namespace skiff::itest {
namespace {

class ProcessTest : public RuntimeTest {
 protected:
  // Runs the bundle in the foreground once and returns the result.
  RunResult RunOnce(Bundle& b, const RunOptions& opts = {}) {
    Container c(rt(), b);
    return c.Run({}, opts);
  }
};

TEST_F(ProcessTest, EchoReachesStdout) {
  Bundle b;
  b.Args({"/bin/echo", "hello"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "hello\n");
}

TEST_F(ProcessTest, StdoutAndStderrAreSeparate) {
  Bundle b;
  b.Sh("echo to-out; echo to-err >&2");
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "to-out\n");
  EXPECT_TRUE(Contains(r.err, "to-err")) << r.Describe();
}

TEST_F(ProcessTest, StdinIsPassedThrough) {
  Bundle b;
  b.Args({"/bin/cat"});
  RunOptions o;
  o.stdin_data = "line one\nline two\n";
  RunResult r = RunOnce(b, o);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "line one\nline two\n");
}

TEST_F(ProcessTest, ExitStatusPropagates) {
  Bundle b;
  b.Sh("exit 3");
  RunResult r = RunOnce(b);
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
  EXPECT_FALSE(r.timed_out);
}

TEST_F(ProcessTest, KilledBySignalExitsWith128PlusSignal) {
  Bundle b;
  b.Args({"/ocitest", "segv"});
  RunResult r = RunOnce(b);
  EXPECT_EQ(r.exit_code, 128 + SIGSEGV) << r.Describe();
}

TEST_F(ProcessTest, ForegroundRunKilledFromOutsideExits137) {
  Bundle b;
  b.Args({"/ocitest", "sleep", "30"});
  Container c(rt(), b);
  auto p = c.SpawnRun();
  ASSERT_TRUE(c.WaitForStatus("running")) << "container never ran";
  RunResult k = c.Kill("KILL");
  EXPECT_TRUE(k.ok()) << k.Describe();
  RunResult r = p->Wait();
  EXPECT_EQ(r.exit_code, 137) << r.Describe();
  EXPECT_LT(r.seconds, 20);
}

TEST_F(ProcessTest, ForegroundRunForwardsSignals) {
  // `run` in the foreground relays signals it receives to the container.
  TempDir shared;
  Bundle b;
  b.BindMount("/shared", shared.path());
  b.Args({"/ocitest", "trap", "/shared/sig"});
  Container c(rt(), b);
  CaptureFile out;
  RunOptions o;
  o.stdout_fd = out.fd();
  auto p = c.SpawnRun({}, o);
  ASSERT_TRUE(WaitFor([&] { return Contains(out.Read(), "ready"); })) << out.Read();
  kill(p->pid(), SIGUSR1);
  RunResult r = p->Wait(milliseconds(10000));
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Trim(ReadFileOr(shared / "sig")), std::to_string(SIGUSR1));
}

TEST_F(ProcessTest, IsPid1) {
  Bundle b;
  b.Args({"/ocitest", "pid"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(Trim(r.out), "1");
}

TEST_F(ProcessTest, Hostname) {
  Bundle b;
  b.config()["hostname"] = "skiffhost";
  b.Args({"/ocitest", "hostname"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(Trim(r.out), "skiffhost (none)");
}

TEST_F(ProcessTest, Domainname) {
  // runc 1.1 ignores "domainname" (runc 1.2 sets it).
  Bundle b;
  b.config()["hostname"] = "skiffhost";
  b.config()["domainname"] = "skiff.example";
  b.Args({"/ocitest", "hostname"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(Trim(r.out), "skiffhost skiff.example");
}

TEST_F(ProcessTest, UserGroupAndAdditionalGids) {
  Bundle b;
  b.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {10, 20}}};
  b.Args({"/ocitest", "ids"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(Trim(r.out), "uid=1000 gid=1000 euid=1000 egid=1000 groups=10,20");
}

TEST_F(ProcessTest, RootUserHasNoSupplementaryGroupsByDefault) {
  Bundle b;
  b.config()["process"]["user"] = {{"uid", 0}, {"gid", 0}};
  b.Args({"/ocitest", "ids"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(Trim(r.out), "uid=0 gid=0 euid=0 egid=0 groups=");
}

TEST_F(ProcessTest, Umask) {
  Bundle b;
  b.config()["process"]["user"]["umask"] = 027;
  b.Args({"/ocitest", "umask"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(Trim(r.out), "0027");
}

TEST_F(ProcessTest, DefaultUmaskIs0022) {
  Bundle b;
  b.Args({"/ocitest", "umask"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(Trim(r.out), "0022");
}

TEST_F(ProcessTest, Cwd) {
  Bundle b;
  b.config()["process"]["cwd"] = "/etc";
  b.Args({"/ocitest", "cwd"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(Trim(r.out), "/etc");
}

TEST_F(ProcessTest, MissingCwdIsCreated) {
  Bundle b;
  b.config()["process"]["cwd"] = "/work/dir";
  b.Args({"/ocitest", "cwd"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(Trim(r.out), "/work/dir");
}

TEST_F(ProcessTest, Env) {
  Bundle b;
  b.Env("FOO=bar baz");
  b.Env("EMPTY=");
  b.Args({"/ocitest", "env", "FOO", "+", "env", "EMPTY", "+", "env", "TERM"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "bar baz\n\nxterm\n");  // TERM=xterm comes from the default spec
}

TEST_F(ProcessTest, HomeComesFromPasswdWhenUnset) {
  Bundle b;
  b.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  b.Args({"/ocitest", "env", "HOME"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(Trim(r.out), "/home/user");
}

TEST_F(ProcessTest, PathLookupUsesContainerEnv) {
  Bundle b;
  b.Args({"echo", "found"});  // not absolute: looked up in the container's $PATH
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "found\n");
}

TEST_F(ProcessTest, DefaultCapabilities) {
  Bundle b;
  const json& caps = b.config()["process"]["capabilities"];
  std::vector<std::string> bnd = caps["bounding"];
  b.Args({"/ocitest", "caps"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  std::string m = CapMask(bnd);
  EXPECT_EQ(Trim(r.out), "inh=0000000000000000 prm=" + m + " eff=" + m + " bnd=" + m +
                             " amb=0000000000000000");
}

TEST_F(ProcessTest, CustomCapabilitiesForRoot) {
  Bundle b;
  std::vector<std::string> full = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_ADMIN", "CAP_SYS_ADMIN",
                                   "CAP_SETUID", "CAP_SETGID"};
  std::vector<std::string> inh = {"CAP_KILL"};
  b.config()["process"]["capabilities"] = {{"bounding", full},  {"effective", full},
                                           {"permitted", full}, {"inheritable", inh},
                                           {"ambient", inh}};
  b.Args({"/ocitest", "caps"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(Trim(r.out), "inh=" + CapMask(inh) + " prm=" + CapMask(full) +
                             " eff=" + CapMask(full) + " bnd=" + CapMask(full) +
                             " amb=" + CapMask(inh));
}

TEST_F(ProcessTest, AmbientCapabilitiesSurviveExecForNonRoot) {
  // For a non-root user without file capabilities, execve keeps only the
  // ambient set in permitted/effective; the bounding set stays as configured.
  Bundle b;
  std::vector<std::string> bnd = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"};
  std::vector<std::string> prm = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  std::vector<std::string> amb = {"CAP_NET_BIND_SERVICE"};
  b.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  b.config()["process"]["capabilities"] = {{"bounding", bnd},  {"effective", prm},
                                           {"permitted", prm}, {"inheritable", amb},
                                           {"ambient", amb}};
  b.Args({"/ocitest", "caps"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  std::string a = CapMask(amb);
  EXPECT_EQ(Trim(r.out),
            "inh=" + a + " prm=" + a + " eff=" + a + " bnd=" + CapMask(bnd) + " amb=" + a);
}

TEST_F(ProcessTest, NoCapabilitiesForNonRootWithoutAmbient) {
  Bundle b;
  b.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  b.Args({"/ocitest", "caps"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  std::vector<std::string> bnd = b.config()["process"]["capabilities"]["bounding"];
  EXPECT_EQ(Trim(r.out), "inh=0000000000000000 prm=0000000000000000 eff=0000000000000000 bnd=" +
                             CapMask(bnd) + " amb=0000000000000000");
}

TEST_F(ProcessTest, NoNewPrivileges) {
  for (bool nnp : {true, false}) {
    Bundle b;
    b.config()["process"]["noNewPrivileges"] = nnp;
    b.Args({"/ocitest", "nnp"});
    RunResult r = RunOnce(b);
    ASSERT_TRUE(r.ok()) << r.Describe();
    EXPECT_EQ(Trim(r.out), nnp ? "1" : "0") << "noNewPrivileges=" << nnp;
  }
}

TEST_F(ProcessTest, Rlimits) {
  struct rlimit core;
  getrlimit(RLIMIT_CORE, &core);
  Bundle b;
  json rl = json::array();
  rl.push_back({{"type", "RLIMIT_NOFILE"}, {"soft", 1024}, {"hard", 1024}});
  // Hard limits must not exceed ours: the runtime may lack CAP_SYS_RESOURCE.
  bool core_ok = core.rlim_max == RLIM_INFINITY || core.rlim_max >= 5678;
  if (core_ok) rl.push_back({{"type", "RLIMIT_CORE"}, {"soft", 1234}, {"hard", 5678}});
  rl.push_back({{"type", "RLIMIT_MSGQUEUE"}, {"soft", 4096}, {"hard", 8192}});
  b.config()["process"]["rlimits"] = rl;
  b.Args({"/ocitest", "rlimit", "NOFILE", "+", "rlimit", "CORE", "+", "rlimit", "MSGQUEUE"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  auto lines = SplitLines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0], "1024 1024");
  if (core_ok) {
    EXPECT_EQ(lines[1], "1234 5678");
  }
  EXPECT_EQ(lines[2], "4096 8192");
}

TEST_F(ProcessTest, OomScoreAdj) {
  Bundle b;
  b.config()["process"]["oomScoreAdj"] = 500;
  b.Args({"/ocitest", "oom_score_adj"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(Trim(r.out), "500");
}

TEST_F(ProcessTest, NoFdsLeakIntoContainer) {
  int leaked = open("/dev/null", O_RDONLY);  // no O_CLOEXEC: the runtime inherits it as fd 3
  ASSERT_GE(leaked, 0);
  Bundle b;
  b.Args({"/ocitest", "fds"});
  RunOptions o;
  o.extra_fds = {leaked};
  RunResult r = RunOnce(b, o);
  close(leaked);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(Trim(r.out), "none");
}

TEST_F(ProcessTest, PreserveFds) {
  TempDir d;
  WriteFile(d / "data", "preserved-content");
  int fd = open((d / "data").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  Bundle b;
  b.Args({"/ocitest", "fds", "+", "cat", "/proc/self/fd/3"});
  RunOptions o;
  o.extra_fds = {fd};
  Container c(rt(), b);
  RunResult r = c.Run({"--preserve-fds", "1"}, o);
  close(fd);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "3\npreserved-content");
}

TEST_F(ProcessTest, NotATerminalByDefault) {
  Bundle b;
  b.Args({"/ocitest", "isatty", "0", "+", "isatty", "1"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "no\nno\n");
}

TEST_F(ProcessTest, SeccompErrno) {
  Bundle b;
  b.config()["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"syscalls",
       {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
  b.Sh("/ocitest seccomp; mkdir /tmp/newdir 2>&1; echo rc=$?");
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  auto lines = SplitLines(r.out);
  ASSERT_GE(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0], "2");  // SECCOMP_MODE_FILTER
  EXPECT_TRUE(Contains(r.out, "Operation not permitted")) << r.out;
  EXPECT_EQ(lines.back(), "rc=1");
  EXPECT_FALSE(PathExists(b.InRootfs("/tmp/newdir")));
}

}  // namespace
}  // namespace skiff::itest
