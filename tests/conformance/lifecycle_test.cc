// Conformance: runtime.md "State" and "Lifecycle" — the state JSON in each
// status (creating, created, running, stopped), and what create, start,
// kill and delete must do to a container.
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/conformance/conformance.h"

namespace skiff::conformance {
namespace {

using itest::Contains;
using itest::NetnsFile;
using itest::PathExists;
using itest::ProcessAlive;
using itest::ReadFileOr;
using itest::SplitLines;
using itest::Trim;
using itest::WaitFor;
using itest::WriteFile;

const json kAnnotations = {{"org.opencontainers.conformance", "yes"},
                           {"com.example.multi-word", "a value with spaces"}};

// ===========================================================================
// State

class State : public ConformanceTest {
 protected:
  // The fields every state has, whatever the status:
  // "ociVersion (string, REQUIRED) ... id (string, REQUIRED) is the
  // container's ID ... status (string, REQUIRED) ... bundle (string,
  // REQUIRED) is the absolute path to the container's bundle directory ...
  // annotations (map, OPTIONAL) contains the list of annotations associated
  // with the container."
  void ExpectState(const json& s, const std::string& id, const Bundle& b,
                   const std::string& status) {
    ASSERT_TRUE(s.is_object()) << s.dump();
    ASSERT_TRUE(s["ociVersion"].is_string()) << s.dump();
    EXPECT_FALSE(s["ociVersion"].get<std::string>().empty()) << s.dump();
    EXPECT_EQ(s.value("id", ""), id) << s.dump();
    EXPECT_EQ(s.value("status", ""), status) << s.dump();
    EXPECT_EQ(s.value("bundle", ""), b.dir()) << s.dump();
    EXPECT_EQ(s.value("annotations", json::object()), kAnnotations)
        << "annotations not copied from config.json: " << s.dump();
  }
  // "pid (int, REQUIRED when status is created or running on Linux) is the
  // ID of the container process."
  pid_t ExpectPid(const json& s) {
    EXPECT_TRUE(s["pid"].is_number_integer()) << s.dump();
    pid_t pid = s.value("pid", 0);
    EXPECT_GT(pid, 0) << s.dump();
    EXPECT_TRUE(ProcessAlive(pid)) << "pid " << pid << " is not a live process";
    return pid;
  }
  void WithAnnotations(Bundle& b) { b.config()["annotations"] = kAnnotations; }
};

// status "creating: the container is being created (step 2 in the
// lifecycle)". Only hooks can see it: the createRuntime hook gets the state
// on stdin while create runs.
TEST_F(State, Creating) {
  TempDir log;
  Bundle b;
  WithAnnotations(b);
  b.Hook("createRuntime", {"/bin/sh", "-c", "cat > " + log.path() + "/state.json"});
  Container c(rt(), b);
  RunResult cr = c.Create();
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  json s = json::parse(ReadFileOr(log / "state.json"), nullptr, false);
  ExpectState(s, c.id(), b, "creating");
}

// status "created: the runtime has finished the create operation (after step
// 2 in the lifecycle), and the container process has neither exited nor
// executed the user-specified program".
TEST_F(State, Created) {
  Bundle b;
  WithAnnotations(b);
  Container c(rt(), b);
  RunResult cr = c.Create();
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  std::string err;
  auto s = c.State(&err);
  ASSERT_TRUE(s) << err;
  ExpectState(*s, c.id(), b, "created");
  pid_t pid = ExpectPid(*s);
  std::string cmdline = ReadFileOr("/proc/" + std::to_string(pid) + "/cmdline");
  EXPECT_FALSE(Contains(cmdline, "/ocitest")) << "the user program was executed before start";
}

// status "running: the container process has executed the user-specified
// program but has not exited (after step 8 in the lifecycle)".
TEST_F(State, Running) {
  Bundle b;
  WithAnnotations(b);
  b.Args({"/ocitest", "sleep", "60"});
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  pid_t created_pid = StatePid(c);
  RunResult sr = c.Start();
  ASSERT_TRUE(sr.ok()) << sr.Describe();
  std::string err;
  auto s = c.State(&err);
  ASSERT_TRUE(s) << err;
  ExpectState(*s, c.id(), b, "running");
  EXPECT_EQ(ExpectPid(*s), created_pid) << "the container process changed";
}

// status "stopped: the container process has exited (step 10 in the
// lifecycle)".
TEST_F(State, Stopped) {
  Bundle b;
  WithAnnotations(b);
  b.Args({"/ocitest", "exit", "0"});
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  ASSERT_TRUE(c.Start().ok());
  ASSERT_TRUE(c.WaitForStatus("stopped")) << c.Status();
  std::string err;
  auto s = c.State(&err);
  ASSERT_TRUE(s) << err;
  ExpectState(*s, c.id(), b, "stopped");
}

// bundle: "is the absolute path to the container's bundle directory" — also
// when create was given a relative one.
TEST_F(State, BundleIsAbsoluteWhenGivenRelative) {
  Bundle b;
  b.Write();
  std::string parent = b.dir().substr(0, b.dir().rfind('/'));
  std::string rel = b.dir().substr(b.dir().rfind('/') + 1);
  std::string id = itest::UniqueId();
  RunOptions o;
  o.cwd = parent;
  RunResult cr = rt().Run({"create", "--bundle", rel, id}, o);
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  auto s = rt().State(id);
  rt().Run({"delete", "--force", id});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->value("bundle", ""), b.dir()) << s->dump();
}

// ===========================================================================
// Lifecycle and operations

class Lifecycle : public ConformanceTest {};

// create: "All of the properties configured in config.json except for
// process MUST be applied. process.args MUST NOT be applied until triggered
// by the start operation." Checked right after create: the hostname in the
// container's UTS namespace, a tmpfs mount in its mount namespace, its cgroup
// limit; and the program has not run.
TEST_F(Lifecycle, CreateAppliesConfigButNotProcessArgs) {
  TempDir shared;
  Bundle b;
  b.config()["hostname"] = "created-host";
  b.Mount("/mnt/applied", "tmpfs", "tmpfs", {"size=1m"});
  b.config()["linux"]["resources"]["pids"] = {{"limit", 77}};
  b.BindMount("/shared", shared.path());
  b.Sh("echo ran > /shared/ran; exec /ocitest sleep 60");
  Container c(rt(), b);
  RunResult cr = c.Create();
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  pid_t pid = StatePid(c);
  ASSERT_GT(pid, 0);
  std::string hostname = InNamespaceOf(pid, "uts", [] {
    struct utsname u;
    uname(&u);
    return std::string(u.nodename);
  });
  EXPECT_EQ(hostname, "created-host");
  struct statfs sf;
  std::string in_root = "/proc/" + std::to_string(pid) + "/root/mnt/applied";
  ASSERT_EQ(statfs(in_root.c_str(), &sf), 0) << in_root;
  EXPECT_EQ(static_cast<unsigned long>(sf.f_type), 0x01021994ul) << "tmpfs not mounted by create";
  std::string pids_max = CgroupFileOf(pid, "pids", "pids.max");
  EXPECT_EQ(Trim(ReadFileOr(pids_max)), "77") << pids_max;
  usleep(200000);
  EXPECT_FALSE(PathExists(shared / "ran")) << "process.args ran before start";
  // start: "This operation MUST run the user-specified program as specified
  // by process."
  RunResult sr = c.Start();
  ASSERT_TRUE(sr.ok()) << sr.Describe();
  EXPECT_TRUE(WaitFor([&] { return PathExists(shared / "ran"); })) << "start did not run it";
}

// create: "Any changes made to the config.json file after this operation
// will not have an effect on the container." (step 2: "Any updates to
// config.json after this step MUST NOT affect the container.")
TEST_F(Lifecycle, ConfigChangesAfterCreateHaveNoEffect) {
  TempDir shared;
  Bundle b;
  b.BindMount("/shared", shared.path());
  b.Sh("echo original > /shared/which");
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  b.Sh("echo changed > /shared/which");
  b.config()["process"]["env"].push_back("CHANGED=1");
  b.Write();
  RunResult sr = c.Start();
  ASSERT_TRUE(sr.ok()) << sr.Describe();
  ASSERT_TRUE(c.WaitForStatus("stopped"));
  EXPECT_EQ(Trim(ReadFileOr(shared / "which")), "original");
}

// kill: "Attempting to send a signal to a container that is neither created
// nor running MUST have no effect on the container and MUST generate an
// error." — so a created container takes signals: "This operation MUST send
// the specified signal to the container process."
TEST_F(Lifecycle, KillCreatedContainer) {
  Bundle b;
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  pid_t pid = StatePid(c);
  ASSERT_GT(pid, 0);
  RunResult k = c.Kill("KILL");
  EXPECT_TRUE(k.ok()) << k.Describe();
  EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(pid); })) << "the signal was not delivered";
  EXPECT_TRUE(c.WaitForStatus("stopped")) << c.Status();
}

// kill: "This operation MUST send the specified signal to the container
// process." The process traps SIGHUP and writes the number it got.
TEST_F(Lifecycle, KillSendsTheSignalToTheContainerProcess) {
  TempDir shared;
  Bundle b;
  b.BindMount("/shared", shared.path());
  b.Args({"/ocitest", "trap", "/shared/signal"});
  Container c(rt(), b);
  CaptureFile out;
  RunOptions o;
  o.stdout_fd = out.fd();
  ASSERT_TRUE(c.Create({}, o).ok());
  ASSERT_TRUE(c.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return Contains(out.Read(), "ready"); })) << out.Read();
  RunResult k = c.Kill("HUP");
  EXPECT_TRUE(k.ok()) << k.Describe();
  EXPECT_TRUE(WaitFor([&] { return Trim(ReadFileOr(shared / "signal")) == "1"; }))
      << ReadFileOr(shared / "signal");
}

// lifecycle step 10: "The container process exits." -> status stopped, and
// delete: "Deleting a container MUST delete the resources that were created
// during the create step. Note that resources associated with the container,
// but not created by this container, MUST NOT be deleted."
TEST_F(Lifecycle, DeleteRemovesCreatedResourcesOnly) {
  TempDir shared;
  WriteFile(shared / "keep", "host data");
  NetnsFile netns;
  ASSERT_TRUE(netns.ok());
  Bundle b;
  b.BindMount("/shared", shared.path());
  b.AddNamespace("network", netns.path());
  b.Args({"/ocitest", "exit", "0"});
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  pid_t pid = StatePid(c);
  ASSERT_FALSE(itest::CgroupDirs(b.cgroups_path()).empty()) << "no cgroup after create";
  ASSERT_TRUE(c.Start().ok());
  ASSERT_TRUE(c.WaitForStatus("stopped")) << c.Status();
  RunResult d = c.Delete();
  ASSERT_TRUE(d.ok()) << d.Describe();
  EXPECT_FALSE(ProcessAlive(pid));
  ExpectNoTrace(c.id(), b);
  // Not created by the container: still there.
  EXPECT_EQ(ReadFileOr(shared / "keep"), "host data");
  struct stat st;
  EXPECT_EQ(stat(netns.path().c_str(), &st), 0);
  EXPECT_EQ("net:[" + std::to_string(st.st_ino) + "]", netns.link())
      << "the joined network namespace was torn down";
}

}  // namespace
}  // namespace skiff::conformance
