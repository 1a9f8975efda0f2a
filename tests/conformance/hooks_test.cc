// Conformance: config.md "POSIX-platform Hooks" and runtime.md "Lifecycle" —
// when each hook kind runs, in which namespace, what it gets on stdin, and
// what a failing hook does to the operation.
//
// Hooks record themselves into a host directory: NAME.json (stdin),
// NAME.net / NAME.mnt (their namespaces) and a line in `order`. Hooks that
// run after pivot_root see that directory as /hooklog.
#include <sys/stat.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/conformance/conformance.h"

namespace skiff::conformance {
namespace {

using itest::Contains;
using itest::PathExists;
using itest::ProcessAlive;
using itest::ReadFileOr;
using itest::SplitLines;
using itest::Trim;
using itest::WaitFor;

const char* const kAllKinds[] = {"prestart",       "createRuntime", "createContainer",
                                 "startContainer", "poststart",     "poststop"};

// A hook that fails. It reads the state first, so that the failure is its
// exit status and not a runtime's write to a closed pipe.
constexpr char kFailingHook[] = "cat > /dev/null; exit 3";

class Hooks : public ConformanceTest {
 protected:
  // A shell script that records hook NAME into DIR (a path where the hook runs).
  static std::string RecordScript(const std::string& dir, const std::string& name) {
    return "s=$(cat); printf '%s' \"$s\" > " + dir + "/" + name + ".json; readlink /proc/self/ns/net > " +
           dir + "/" + name + ".net; readlink /proc/self/ns/mnt > " + dir + "/" + name +
           ".mnt; echo " + name + " >> " + dir + "/order";
  }
  // Adds a recording hook of `kind`: in the container (startContainer) the
  // hook's path is /hookbin/sh, which exists only in the rootfs, and it
  // writes to /hooklog; the others use the host's /bin/sh and log_ directly.
  void AddRecordingHook(Bundle& b, const std::string& kind, const std::string& name = "") {
    const std::string n = name.empty() ? kind : name;
    if (kind == "startContainer") {
      b.Hook(kind, {"/hookbin/sh", "-c", RecordScript("/hooklog", n)});
    } else {
      b.Hook(kind, {"/bin/sh", "-c", RecordScript(log_.path(), n)});
    }
  }
  // A bundle whose process appends "process" to the log and then sleeps.
  void Prepare(Bundle& b) {
    ASSERT_EQ(mkdir(b.InRootfs("/hookbin").c_str(), 0755), 0);
    ASSERT_EQ(symlink("/bin/busybox", b.InRootfs("/hookbin/sh").c_str()), 0);
    b.BindMount("/hooklog", log_.path());
    b.Sh("echo process >> /hooklog/order; exec /ocitest sleep 60");
  }
  std::string Order() { return ReadFileOr(log_ / "order"); }
  std::string Logged(const std::string& file) { return Trim(ReadFileOr(log_ / file)); }
  bool ProcessRan() { return Contains(Order(), "process\n"); }

  TempDir log_;
};

// "Hooks MUST be called in the listed order."
TEST_F(Hooks, CalledInListedOrder) {
  Bundle b;
  ASSERT_NO_FATAL_FAILURE(Prepare(b));
  for (const char* n : {"createRuntime-1", "createRuntime-2", "createRuntime-3"})
    AddRecordingHook(b, "createRuntime", n);
  for (const char* n : {"poststop-1", "poststop-2"}) AddRecordingHook(b, "poststop", n);
  Container c(rt(), b);
  RunResult cr = c.Create();
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  EXPECT_EQ(Order(), "createRuntime-1\ncreateRuntime-2\ncreateRuntime-3\n");
  ASSERT_TRUE(c.Kill("KILL").ok());
  ASSERT_TRUE(c.WaitForStatus("stopped"));
  RunResult dr = c.Delete();
  ASSERT_TRUE(dr.ok()) << dr.Describe();
  EXPECT_EQ(Order(),
            "createRuntime-1\ncreateRuntime-2\ncreateRuntime-3\npoststop-1\npoststop-2\n");
}

// runtime.md lifecycle steps 3-5: "The prestart hooks MUST be invoked by the
// runtime", then "The createRuntime hooks ...", then "The createContainer
// hooks ..." — all during create, before the user program runs (step 2:
// "the user-specified program (from process) MUST NOT be run at this time").
TEST_F(Hooks, CreateHooksRunDuringCreateInLifecycleOrder) {
  Bundle b;
  ASSERT_NO_FATAL_FAILURE(Prepare(b));
  for (const char* k : {"createContainer", "createRuntime", "prestart"}) AddRecordingHook(b, k);
  Container c(rt(), b);
  RunResult cr = c.Create();
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  EXPECT_EQ(Order(), "prestart\ncreateRuntime\ncreateContainer\n");
}

// startContainer: "MUST be called before the user-specified process is
// executed as part of the start operation."
TEST_F(Hooks, StartContainerRunsDuringStartBeforeTheProcess) {
  Bundle b;
  ASSERT_NO_FATAL_FAILURE(Prepare(b));
  AddRecordingHook(b, "startContainer");
  Container c(rt(), b);
  RunResult cr = c.Create();
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  EXPECT_EQ(Order(), "") << "startContainer ran during create";
  RunResult sr = c.Start();
  ASSERT_TRUE(sr.ok()) << sr.Describe();
  ASSERT_TRUE(WaitFor([&] { return ProcessRan(); })) << Order();
  EXPECT_EQ(Order(), "startContainer\nprocess\n");
}

// poststart: "The poststart hooks MUST be called after the user-specified
// process is executed but before the start operation returns."
// The hook reads /proc/PID/cmdline of the state's pid: it must be the user
// program already, and the hook must have run by the time start returns.
TEST_F(Hooks, PoststartRunsAfterTheProcessIsExecutedBeforeStartReturns) {
  Bundle b;
  ASSERT_NO_FATAL_FAILURE(Prepare(b));
  b.Args({"/ocitest", "sleep", "60"});
  b.Hook("poststart",
         {"/bin/sh", "-c",
          "s=$(cat); pid=$(printf '%s' \"$s\" | sed -n 's/.*\"pid\": *\\([0-9]*\\).*/\\1/p'); "
          "tr '\\000' ' ' < /proc/$pid/cmdline > " +
              log_.path() + "/poststart.cmdline; echo poststart >> " + log_.path() + "/order"});
  Container c(rt(), b);
  RunResult cr = c.Create();
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  EXPECT_EQ(Order(), "") << "poststart ran during create";
  RunResult sr = c.Start();
  ASSERT_TRUE(sr.ok()) << sr.Describe();
  EXPECT_EQ(Order(), "poststart\n") << "poststart had not run when start returned";
  EXPECT_EQ(Logged("poststart.cmdline"), "/ocitest sleep 60")
      << "the container process had not executed the user program yet";
}

// poststop: "The poststop hooks MUST be called after the container is
// deleted but before the delete operation returns."
TEST_F(Hooks, PoststopRunsDuringDeleteBeforeItReturns) {
  Bundle b;
  ASSERT_NO_FATAL_FAILURE(Prepare(b));
  AddRecordingHook(b, "poststop");
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  ASSERT_TRUE(c.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return ProcessRan(); }));
  ASSERT_TRUE(c.Kill("KILL").ok());
  ASSERT_TRUE(c.WaitForStatus("stopped"));
  EXPECT_EQ(Order(), "process\n") << "poststop ran before delete";
  RunResult dr = c.Delete();
  ASSERT_TRUE(dr.ok()) << dr.Describe();
  EXPECT_EQ(Order(), "process\npoststop\n");
}

// "The state of the container MUST be passed to hooks over stdin so that
// they may do work appropriate to the current state of the container."
// state.pid: "For hooks executed in the runtime namespace, it is the pid as
// seen by the runtime. For hooks executed in the container namespace, it is
// the pid as seen by the container."
TEST_F(Hooks, StateOnStdin) {
  Bundle b;
  ASSERT_NO_FATAL_FAILURE(Prepare(b));
  for (const char* k : kAllKinds) AddRecordingHook(b, k);
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  pid_t pid = StatePid(c);
  ASSERT_TRUE(c.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return ProcessRan(); }));
  ASSERT_TRUE(c.Kill("KILL").ok());
  ASSERT_TRUE(c.WaitForStatus("stopped"));
  ASSERT_TRUE(c.Delete().ok());
  for (std::string kind : kAllKinds) {
    SCOPED_TRACE(kind);
    std::string raw = Logged(kind + ".json");
    json s = json::parse(raw, nullptr, false);
    ASSERT_TRUE(s.is_object()) << "stdin is not the state JSON: '" << raw << "'";
    EXPECT_TRUE(s["ociVersion"].is_string()) << raw;
    EXPECT_EQ(s.value("id", ""), c.id()) << raw;
    EXPECT_EQ(s.value("bundle", ""), b.dir()) << raw;
    EXPECT_TRUE(s["status"].is_string()) << raw;
    if (kind == "poststop") continue;  // pid: "REQUIRED when status is created or running"
    bool in_container = kind == "createContainer" || kind == "startContainer";
    EXPECT_EQ(s.value("pid", -1), in_container ? 1 : pid) << raw;
  }
}

// Where each hook runs. createRuntime: "The createRuntime hooks MUST be
// executed in the runtime namespace." Likewise prestart, poststart and
// poststop ("MUST be executed in the runtime namespace").
TEST_F(Hooks, RuntimeNamespaceHooks) {
  Bundle b;
  ASSERT_NO_FATAL_FAILURE(Prepare(b));
  for (const char* k : {"prestart", "createRuntime", "poststart", "poststop"})
    AddRecordingHook(b, k);
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  ASSERT_TRUE(c.Start().ok());
  ASSERT_TRUE(c.Kill("KILL").ok());
  ASSERT_TRUE(c.WaitForStatus("stopped"));
  ASSERT_TRUE(c.Delete().ok());
  for (std::string kind : {"prestart", "createRuntime", "poststart", "poststop"}) {
    EXPECT_EQ(Logged(kind + ".net"), itest::OwnNamespace("net")) << kind;
    EXPECT_EQ(Logged(kind + ".mnt"), itest::OwnNamespace("mnt")) << kind;
  }
}

// createContainer: "The createContainer hooks' path MUST resolve in the
// runtime namespace. The createContainer hooks MUST be executed in the
// container namespace." startContainer: "The startContainer hooks' path
// MUST resolve in the container namespace. The startContainer hooks MUST be
// executed in the container namespace." (/hookbin/sh exists only in the
// rootfs.)
TEST_F(Hooks, ContainerNamespaceHooks) {
  Bundle b;
  ASSERT_NO_FATAL_FAILURE(Prepare(b));
  ASSERT_FALSE(PathExists("/hookbin/sh")) << "the host must not have /hookbin/sh";
  AddRecordingHook(b, "createContainer");
  AddRecordingHook(b, "startContainer");
  Container c(rt(), b);
  RunResult cr = c.Create();
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  pid_t pid = StatePid(c);
  ASSERT_GT(pid, 0);
  const std::string net = NsLinkOf(pid, "net"), mnt = NsLinkOf(pid, "mnt");
  RunResult sr = c.Start();
  ASSERT_TRUE(sr.ok()) << sr.Describe();
  ASSERT_TRUE(WaitFor([&] { return ProcessRan(); })) << Order();
  for (std::string kind : {"createContainer", "startContainer"}) {
    EXPECT_EQ(Logged(kind + ".net"), net) << kind;
    EXPECT_EQ(Logged(kind + ".mnt"), mnt) << kind;
  }
}

// runtime.md steps 3-5: "If any prestart/createRuntime/createContainer hook
// fails, the runtime MUST generate an error, stop the container, and
// continue the lifecycle at step 12." (12: the container is destroyed.)
TEST_F(Hooks, FailingCreateHookFailsCreate) {
  for (const char* kind : {"prestart", "createRuntime", "createContainer"}) {
    SCOPED_TRACE(kind);
    TempDir log;
    Bundle b;
    b.BindMount("/hooklog", log.path());
    b.Sh("echo process >> /hooklog/order; exec /ocitest sleep 60");
    b.Hook(kind, {"/bin/sh", "-c", kFailingHook});
    Container c(rt(), b);
    RunResult cr = c.Create();
    EXPECT_NE(cr.exit_code, 0) << cr.Describe();
    RunResult sr = c.Start();  // must not be able to run the program either
    EXPECT_NE(sr.exit_code, 0) << sr.Describe();
    usleep(100000);
    EXPECT_EQ(ReadFileOr(log / "order"), "") << "the user program ran";
    ExpectNoTrace(c.id(), b);
  }
}

// runtime.md: a failing createRuntime hook continues "the lifecycle at step
// 12", and step 13 is "The poststop hooks MUST be invoked by the runtime."
TEST_F(Hooks, FailingCreateHookStillRunsPoststop) {
  Bundle b;
  ASSERT_NO_FATAL_FAILURE(Prepare(b));
  b.Hook("createRuntime", {"/bin/sh", "-c", kFailingHook});
  AddRecordingHook(b, "poststop");
  Container c(rt(), b);
  RunResult cr = c.Create();
  EXPECT_NE(cr.exit_code, 0) << cr.Describe();
  rt().Run({"delete", c.id()});  // whether or not the runtime kept anything
  EXPECT_EQ(Order(), "poststop\n");
}

// runtime.md step 7: "If any startContainer hook fails, the runtime MUST
// generate an error, stop the container, and continue the lifecycle at step
// 12." The user program must not run (step 8 is never reached).
TEST_F(Hooks, FailingStartContainerHookFailsStart) {
  Bundle b;
  ASSERT_NO_FATAL_FAILURE(Prepare(b));
  b.Hook("startContainer", {"/hookbin/sh", "-c", kFailingHook});
  Container c(rt(), b);
  RunResult cr = c.Create();
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  pid_t pid = StatePid(c);
  RunResult sr = c.Start();
  EXPECT_NE(sr.exit_code, 0) << sr.Describe();
  usleep(200000);
  EXPECT_FALSE(ProcessRan()) << "the user program ran after startContainer failed";
  EXPECT_NE(c.Status(), "running");
  EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(pid); })) << "the container was not stopped";
}

// runtime.md step 9: "If any poststart hook fails, the runtime MUST log a
// warning, but the remaining hooks and lifecycle continue as if the hook had
// succeeded."
TEST_F(Hooks, FailingPoststartHookOnlyWarns) {
  Bundle b;
  ASSERT_NO_FATAL_FAILURE(Prepare(b));
  b.Hook("poststart", {"/bin/sh", "-c", kFailingHook});
  AddRecordingHook(b, "poststart", "poststart-2");
  Container c(rt(), b);
  RunResult cr = c.Create();
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  RunResult sr = c.Start();
  EXPECT_EQ(sr.exit_code, 0) << sr.Describe();
  EXPECT_TRUE(WaitFor([&] { return ProcessRan(); })) << Order();
  EXPECT_TRUE(Contains(Order(), "poststart-2\n")) << "the remaining poststart hook did not run";
  EXPECT_EQ(c.Status(), "running");
}

// runtime.md step 13: "If any poststop hook fails, the runtime MUST log a
// warning, but the remaining hooks and lifecycle continue as if the hook had
// succeeded."
TEST_F(Hooks, FailingPoststopHookOnlyWarns) {
  Bundle b;
  ASSERT_NO_FATAL_FAILURE(Prepare(b));
  b.Hook("poststop", {"/bin/sh", "-c", kFailingHook});
  AddRecordingHook(b, "poststop", "poststop-2");
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  ASSERT_TRUE(c.Start().ok());
  ASSERT_TRUE(c.Kill("KILL").ok());
  ASSERT_TRUE(c.WaitForStatus("stopped"));
  RunResult dr = c.Delete();
  EXPECT_EQ(dr.exit_code, 0) << dr.Describe();
  EXPECT_TRUE(Contains(Order(), "poststop-2\n")) << "the remaining poststop hook did not run";
  ExpectNoTrace(c.id(), b);
}

// hooks[].timeout: "is the number of seconds before aborting the hook." An
// aborted create hook is a failed one.
TEST_F(Hooks, TimeoutAbortsTheHook) {
  Bundle b;
  b.Hook("createRuntime", {"/bin/sh", "-c", "exec sleep 10"}, 1);
  Container c(rt(), b);
  RunResult cr = c.Create();
  EXPECT_NE(cr.exit_code, 0) << cr.Describe();
  EXPECT_LT(cr.seconds, 6.0) << "the 1 s timeout was not enforced";
  ExpectNoTrace(c.id(), b);
}

// hooks[].args: "with the same semantics as IEEE Std 1003.1-2008 execv's
// argv." hooks[].env: "with the same semantics as IEEE Std 1003.1-2008's
// environ." — the hook gets exactly that environment, not the runtime's.
TEST_F(Hooks, ArgsAndEnvHaveExecvSemantics) {
  Bundle b;
  b.Hook("createRuntime",
         {"/bin/sh", "-c",
          "echo \"$0|$1|$HOOK_VAR|${CONFORMANCE_RUNTIME_ONLY-unset}\" > " + log_.path() + "/out",
          "custom-argv0", "first arg"},
         std::nullopt, {"HOOK_VAR=from hook env"});
  Container c(rt(), b);
  RunOptions o;
  o.env = {"CONFORMANCE_RUNTIME_ONLY=leaked"};
  RunResult cr = c.Create({}, o);
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  EXPECT_EQ(Logged("out"), "custom-argv0|first arg|from hook env|unset");
}

}  // namespace
}  // namespace skiff::conformance
