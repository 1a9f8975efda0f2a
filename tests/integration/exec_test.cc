// runc's other container commands: exec, pause/resume, ps.
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/rootfs/bundle.h"

namespace skiff::itest {
namespace {

std::string NsOf(int pid, const std::string& name) {
  char buf[256];
  ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/ns/" + name).c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, n) : "";
}

// A fixture with one running container (init sleeps).
class ExecTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (IsSkipped()) return;
    bundle_ = std::make_unique<Bundle>();
    bundle_->Args({"/ocitest", "sleep", "60"});
    c_ = std::make_unique<Container>(rt(), *bundle_);
    RunResult cr = c_->Create();
    ASSERT_TRUE(cr.ok()) << cr.Describe();
    ASSERT_TRUE(c_->Start().ok());
    auto st = c_->State();
    ASSERT_TRUE(st);
    init_pid_ = st->value("pid", 0);
  }
  void TearDown() override {
    c_.reset();
    bundle_.reset();
  }
  RunResult Exec(const std::vector<std::string>& flags, const std::vector<std::string>& argv,
                 const RunOptions& opts = {}) {
    std::vector<std::string> args = {"exec"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(c_->id());
    args.insert(args.end(), argv.begin(), argv.end());
    return rt().Run(args, opts);
  }
  std::unique_ptr<Bundle> bundle_;
  std::unique_ptr<Container> c_;
  int init_pid_ = 0;
};

TEST_F(ExecTest, RunsInTheContainersNamespaces) {
  RunResult r = Exec({}, {"/ocitest", "ns", "net", "+", "ns", "mnt", "+", "ns", "pid", "+", "ns",
                          "uts", "+", "ns", "ipc", "+", "pid"});
  ASSERT_TRUE(r.ok()) << r.Describe();
  auto out = SplitLines(r.out);
  ASSERT_EQ(out.size(), 6u) << r.out;
  EXPECT_EQ(out[0], NsOf(init_pid_, "net"));
  EXPECT_EQ(out[1], NsOf(init_pid_, "mnt"));
  EXPECT_EQ(out[2], NsOf(init_pid_, "pid"));
  EXPECT_EQ(out[3], NsOf(init_pid_, "uts"));
  EXPECT_EQ(out[4], NsOf(init_pid_, "ipc"));
  EXPECT_NE(out[5], "1");
}

TEST_F(ExecTest, ExitStatusPropagates) {
  RunResult r = Exec({}, {"/bin/sh", "-c", "exit 7"});
  EXPECT_EQ(r.exit_code, 7) << r.Describe();
}

TEST_F(ExecTest, StdioPassesThrough) {
  RunOptions o;
  o.stdin_data = "piped\n";
  RunResult r = Exec({}, {"/bin/sh", "-c", "cat; echo err >&2"}, o);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "piped\n");
  EXPECT_TRUE(Contains(r.err, "err"));
}

TEST_F(ExecTest, EnvCwdUser) {
  RunResult r = Exec({"--env", "FOO=bar", "--cwd", "/etc", "--user", "1000:1000"},
                     {"/ocitest", "env", "FOO", "+", "env", "TERM", "+", "cwd", "+", "ids"});
  ASSERT_TRUE(r.ok()) << r.Describe();
  // TERM comes from the config's process.env.
  EXPECT_EQ(r.out, "bar\nxterm\n/etc\nuid=1000 gid=1000 euid=1000 egid=1000 groups=\n");
}

TEST_F(ExecTest, SameCgroupAndCapabilities) {
  RunResult r = Exec({}, {"/ocitest", "caps", "+", "cgroup"});
  ASSERT_TRUE(r.ok()) << r.Describe();
  std::vector<std::string> bnd = bundle_->config()["process"]["capabilities"]["bounding"];
  std::string m = CapMask(bnd);
  EXPECT_TRUE(Contains(r.out, "prm=" + m + " eff=" + m + " bnd=" + m)) << r.out;
  // Inside a cgroup namespace both see "/": compare them with each other,
  // and the init's host view with the configured path.
  RunResult same = Exec({}, {"sh", "-c", "cmp /proc/self/cgroup /proc/1/cgroup && echo same"});
  EXPECT_EQ(same.out, "same\n") << same.Describe();
  EXPECT_TRUE(Contains(ReadFileOr("/proc/" + std::to_string(init_pid_) + "/cgroup"),
                       bundle_->cgroups_path()));
}

TEST_F(ExecTest, ProcessJson) {
  TempDir d;
  json p = bundle_->config()["process"];
  p["args"] = {"/ocitest", "echo", "from-process-json"};
  WriteFile(d / "process.json", p.dump());
  RunResult r = rt().Run({"exec", "--process", d / "process.json", c_->id()});
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "from-process-json\n");
}

TEST_F(ExecTest, DetachWithPidFile) {
  TempDir d;
  RunResult r = Exec({"--detach", "--pid-file", d / "pid"}, {"/ocitest", "sleep", "30"});
  ASSERT_TRUE(r.ok()) << r.Describe();
  int pid = atoi(ReadFileOr(d / "pid").c_str());
  EXPECT_GT(pid, 0);
  EXPECT_TRUE(ProcessAlive(pid));
  EXPECT_EQ(NsOf(pid, "pid"), NsOf(init_pid_, "pid"));
}

TEST_F(ExecTest, Tty) {
  TempDir d;
  ConsoleSocket sock(d / "console.sock");
  RunResult r = Exec({"--tty", "--detach", "--console-socket", sock.path()},
                     {"/ocitest", "isatty", "0", "+", "isatty", "1"});
  ASSERT_TRUE(r.ok()) << r.Describe();
  int master = sock.ReceiveFd();
  ASSERT_GE(master, 0);
  std::string out = ReadUntilClosed(master);
  close(master);
  EXPECT_EQ(SplitLines(out), (std::vector<std::string>{"yes", "yes"})) << out;
}

TEST_F(ExecTest, IntoAStoppedContainerFails) {
  ASSERT_TRUE(c_->Kill("KILL").ok());
  ASSERT_TRUE(c_->WaitForStatus("stopped"));
  RunResult r = Exec({}, {"/ocitest", "pid"});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
}

TEST_F(ExecTest, PauseAndResume) {
  RunResult p = rt().Run({"pause", c_->id()});
  ASSERT_TRUE(p.ok()) << p.Describe();
  EXPECT_EQ(c_->Status(), "paused");
  std::string freezer = CgroupDir("freezer", bundle_->cgroups_path());
  if (PathExists(freezer + "/freezer.state")) {
    EXPECT_EQ(Trim(ReadFileOr(freezer + "/freezer.state")), "FROZEN");
  }
  RunResult r = rt().Run({"resume", c_->id()});
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(c_->Status(), "running");
}

TEST_F(ExecTest, Ps) {
  RunResult r = rt().Run({"ps", "--format", "json", c_->id()});
  ASSERT_TRUE(r.ok()) << r.Describe();
  json pids = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(pids.is_array()) << r.out;
  bool found = false;
  for (const auto& p : pids) found = found || p == init_pid_;
  EXPECT_TRUE(found) << r.out << " lacks " << init_pid_;
}

}  // namespace
}  // namespace skiff::itest
