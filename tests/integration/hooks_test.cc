// OCI hooks: order, the state JSON on stdin, env, failures and timeouts.
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/rootfs/bundle.h"

namespace skiff::itest {
namespace {

class HooksTest : public RuntimeTest {};

// A hook that saves its stdin to DIR/NAME.json and appends NAME to DIR/order.
// sh is the host's /bin/sh or the container's, depending on the hook kind.
std::vector<std::string> RecordingHook(const std::string& dir, const std::string& name) {
  return {"/bin/sh", "-c",
          "cat > " + dir + "/" + name + ".json; echo " + name + " >> " + dir + "/order"};
}

// Runs a container with every kind of recording hook through create, start,
// kill and delete. Fills in what the order file said after each step.
struct HookRun {
  std::string after_create, after_start, after_delete;
  std::string id, bundle;
  int pid = 0;
};

class AllHooksTest : public HooksTest {
 protected:
  void RunAll(HookRun* out) {
    Bundle b;
    b.BindMount("/hooklog", log_.path());
    // Runtime-namespace hooks see the host's paths; createContainer runs in
    // the container's namespaces before pivot_root, so host paths still
    // resolve; startContainer runs in the container after pivot_root.
    b.Hook("prestart", RecordingHook(log_.path(), "prestart"));
    b.Hook("createRuntime", RecordingHook(log_.path(), "createRuntime"));
    b.Hook("createContainer", RecordingHook(log_.path(), "createContainer"));
    b.Hook("startContainer", RecordingHook("/hooklog", "startContainer"));
    b.Hook("poststart", RecordingHook(log_.path(), "poststart"));
    b.Hook("poststop", RecordingHook(log_.path(), "poststop"));
    b.Sh("echo process >> /hooklog/order; exec /ocitest sleep 60");
    Container c(rt(), b);
    out->id = c.id();
    out->bundle = b.dir();
    RunResult cr = c.Create();
    ASSERT_TRUE(cr.ok()) << cr.Describe();
    out->after_create = ReadFileOr(log_ / "order");
    auto st = c.State();
    ASSERT_TRUE(st);
    out->pid = st->value("pid", 0);
    RunResult sr = c.Start();
    ASSERT_TRUE(sr.ok()) << sr.Describe();
    WaitFor([&] { return SplitLines(ReadFileOr(log_ / "order")).size() >= 6; });
    out->after_start = ReadFileOr(log_ / "order");
    ASSERT_TRUE(c.Kill("KILL").ok());
    ASSERT_TRUE(c.WaitForStatus("stopped"));
    RunResult dr = c.Delete();
    ASSERT_TRUE(dr.ok()) << dr.Describe();
    out->after_delete = ReadFileOr(log_ / "order");
  }
  TempDir log_;
};

TEST_F(AllHooksTest, RunInOrder) {
  HookRun run;
  ASSERT_NO_FATAL_FAILURE(RunAll(&run));
  // runc 1.1 runs poststart hooks during create; the spec says after start.
  EXPECT_EQ(run.after_create, "prestart\ncreateRuntime\ncreateContainer\n");
  auto order = SplitLines(run.after_start);
  ASSERT_EQ(order.size(), 6u) << run.after_start;
  EXPECT_EQ(order[3], "startContainer") << run.after_start;
  // The process and poststart race; both come after startContainer.
  EXPECT_TRUE((order[4] == "process" && order[5] == "poststart") ||
              (order[4] == "poststart" && order[5] == "process"))
      << run.after_start;
  EXPECT_EQ(run.after_delete, run.after_start + "poststop\n");
}

TEST_F(AllHooksTest, ReceiveStateOnStdin) {
  HookRun run;
  ASSERT_NO_FATAL_FAILURE(RunAll(&run));
  for (const char* name : {"prestart", "createRuntime", "createContainer", "startContainer",
                           "poststart", "poststop"}) {
    SCOPED_TRACE(name);
    std::string raw = ReadFileOr(log_ / (std::string(name) + ".json"));
    json s = json::parse(raw, nullptr, false);
    ASSERT_TRUE(s.is_object()) << "stdin was not the state JSON: " << raw;
    EXPECT_EQ(s.value("id", ""), run.id) << raw;
    EXPECT_EQ(s.value("bundle", ""), run.bundle) << raw;
    EXPECT_TRUE(s.contains("ociVersion")) << raw;
    EXPECT_TRUE(s.contains("status")) << raw;
    // The pid as seen where the hook runs: createContainer and
    // startContainer run in the container's pid namespace.
    std::string n = name;
    if (n == "createContainer" || n == "startContainer") {
      EXPECT_EQ(s.value("pid", 0), 1) << raw;
    } else if (n != "poststop") {
      EXPECT_EQ(s.value("pid", 0), run.pid) << raw;
    }
  }
}

TEST_F(HooksTest, HookArgsAndEnv) {
  TempDir log;
  Bundle b;
  b.Hook("prestart",
         {"/bin/sh", "-c", "echo \"$0 $1 $HOOKVAR\" > " + log.path() + "/out", "argzero", "one"},
         std::nullopt, {"HOOKVAR=from-env"});
  Container c(rt(), b);
  RunResult cr = c.Create();
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  EXPECT_EQ(ReadFileOr(log / "out"), "argzero one from-env\n");
}

TEST_F(HooksTest, PoststopRunsAfterForegroundRun) {
  TempDir log;
  Bundle b;
  b.Hook("poststop", RecordingHook(log.path(), "poststop"));
  b.Args({"/ocitest", "exit", "0"});
  Container c(rt(), b);
  RunResult r = c.Run();
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(ReadFileOr(log / "order"), "poststop\n");
}

TEST_F(HooksTest, FailingHookFailsCreateWithItsOutput) {
  for (const char* kind : {"prestart", "createRuntime", "createContainer"}) {
    SCOPED_TRACE(kind);
    Bundle b;
    b.Hook(kind, {"/bin/sh", "-c", "echo boom >&2; exit 1"});
    Container c(rt(), b);
    RunResult cr = c.Create();
    EXPECT_NE(cr.exit_code, 0) << cr.Describe();
    EXPECT_TRUE(Contains(cr.err, "boom")) << cr.Describe();
    EXPECT_FALSE(c.State()) << "a container whose create failed must not exist";
    EXPECT_TRUE(CgroupDirs(b.cgroups_path()).empty()) << "cgroup leaked";
  }
}

TEST_F(HooksTest, HookTimeout) {
  Bundle b;
  b.Hook("prestart", {"/bin/sh", "-c", "exec sleep 5"}, 1);
  Container c(rt(), b);
  RunResult cr = c.Create();
  EXPECT_NE(cr.exit_code, 0) << cr.Describe();
  EXPECT_LT(cr.seconds, 4.0) << "the hook's timeout of 1s was not enforced";
  EXPECT_FALSE(c.State());
  EXPECT_TRUE(CgroupDirs(b.cgroups_path()).empty()) << "cgroup leaked";
}

}  // namespace
}  // namespace skiff::itest
