// Conformance: runtime.md "Operations" — the errors each operation MUST
// generate, and that a failed operation has no effect. Runtimes word their
// errors differently, so only runtime-agnostic facts are asserted: a
// non-zero exit status, the container left as it was, nothing left behind.
#include <fcntl.h>
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
using itest::WriteFile;

class Operations : public ConformanceTest {
 protected:
  // A started container whose program appends a line to shared/runs, then
  // sleeps (or exits at once).
  void StartCounting(Container& c, Bundle& b, const TempDir& shared, bool exit_at_once) {
    b.BindMount("/shared", shared.path());
    b.Sh(std::string("echo run >> /shared/runs") + (exit_at_once ? "" : "; exec /ocitest sleep 60"));
    ASSERT_TRUE(c.Create().ok());
    ASSERT_TRUE(c.Start().ok());
    ASSERT_TRUE(WaitFor([&] { return PathExists(shared / "runs"); }));
  }

  // create must fail and leave nothing behind: "If the runtime cannot apply
  // a property as specified in the configuration, it MUST generate an error
  // and a new container MUST NOT be created."
  void ExpectCreateFails(Bundle& b) {
    TempDir shared;
    b.BindMount("/shared", shared.path());
    b.Sh("echo ran > /shared/ran");
    Container c(rt(), b);
    RunResult cr = c.Create();
    EXPECT_NE(cr.exit_code, 0) << "create accepted it: " << cr.Describe();
    if (cr.ok()) c.Start();
    usleep(100000);
    EXPECT_FALSE(PathExists(shared / "ran")) << "the user program ran";
    if (!cr.ok()) ExpectNoTrace(c.id(), b);
  }
};

// start: "Attempting to start a container that is not created MUST have no
// effect on the container and MUST generate an error." (a running one)
TEST_F(Operations, StartOfRunningContainerFails) {
  TempDir shared;
  Bundle b;
  Container c(rt(), b);
  ASSERT_NO_FATAL_FAILURE(StartCounting(c, b, shared, false));
  pid_t pid = StatePid(c);
  RunResult sr = c.Start();
  EXPECT_NE(sr.exit_code, 0) << sr.Describe();
  usleep(100000);
  EXPECT_EQ(c.Status(), "running");
  EXPECT_EQ(StatePid(c), pid);
  EXPECT_EQ(ReadFileOr(shared / "runs"), "run\n") << "the program ran again";
}

// start: "... not created MUST have no effect ... and MUST generate an
// error." (a stopped one)
TEST_F(Operations, StartOfStoppedContainerFails) {
  TempDir shared;
  Bundle b;
  Container c(rt(), b);
  ASSERT_NO_FATAL_FAILURE(StartCounting(c, b, shared, true));
  ASSERT_TRUE(c.WaitForStatus("stopped"));
  RunResult sr = c.Start();
  EXPECT_NE(sr.exit_code, 0) << sr.Describe();
  usleep(100000);
  EXPECT_EQ(c.Status(), "stopped");
  EXPECT_EQ(ReadFileOr(shared / "runs"), "run\n") << "the program ran again";
}

// kill: "Attempting to send a signal to a container that is neither created
// nor running MUST have no effect on the container and MUST generate an
// error."
TEST_F(Operations, KillOfStoppedContainerFails) {
  TempDir shared;
  Bundle b;
  Container c(rt(), b);
  ASSERT_NO_FATAL_FAILURE(StartCounting(c, b, shared, true));
  ASSERT_TRUE(c.WaitForStatus("stopped"));
  RunResult k = c.Kill("KILL");
  EXPECT_NE(k.exit_code, 0) << k.Describe();
  EXPECT_EQ(c.Status(), "stopped");
}

// delete: "Attempting to delete a container that is not stopped MUST have no
// effect on the container and MUST generate an error." (a running one,
// without --force)
TEST_F(Operations, DeleteOfRunningContainerFails) {
  TempDir shared;
  Bundle b;
  Container c(rt(), b);
  ASSERT_NO_FATAL_FAILURE(StartCounting(c, b, shared, false));
  pid_t pid = StatePid(c);
  RunResult d = c.Delete();
  EXPECT_NE(d.exit_code, 0) << d.Describe();
  EXPECT_EQ(c.Status(), "running");
  EXPECT_TRUE(ProcessAlive(pid));
  EXPECT_FALSE(itest::CgroupDirs(b.cgroups_path()).empty()) << "the cgroup was removed";
}

// delete: "Attempting to delete a container that is not stopped MUST have no
// effect on the container and MUST generate an error." (a created one)
TEST_F(Operations, DeleteOfCreatedContainerFails) {
  Bundle b;
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  pid_t pid = StatePid(c);
  RunResult d = c.Delete();
  EXPECT_NE(d.exit_code, 0) << d.Describe();
  EXPECT_EQ(c.Status(), "created");
  EXPECT_TRUE(ProcessAlive(pid));
}

// state: "Attempting to query a container that does not exist MUST generate
// an error." start, kill, delete: "MUST generate an error if it is not
// provided the container ID" — an unknown one is none, and "not created" /
// "neither created nor running" / "not stopped" all hold for it.
TEST_F(Operations, UnknownIdFails) {
  const std::string id = itest::UniqueId("unknown");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"state", id}, {"start", id}, {"kill", id, "KILL"}, {"delete", id}}) {
    SCOPED_TRACE(args[0]);
    RunResult r = rt().Run(args);
    EXPECT_NE(r.exit_code, 0) << r.Describe();
  }
  EXPECT_FALSE(rt().State(id));
}

// "This operation MUST generate an error if it is not provided the
// container ID" (state, start, kill, delete) / "... a path to the bundle and
// the container ID" (create).
TEST_F(Operations, MissingIdFails) {
  Bundle b;
  b.Write();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"state"}, {"start"}, {"kill"}, {"delete"}, {"create", "--bundle", b.dir()}}) {
    SCOPED_TRACE(args[0]);
    RunResult r = rt().Run(args);
    EXPECT_NE(r.exit_code, 0) << r.Describe();
  }
  EXPECT_TRUE(itest::CgroupDirs(b.cgroups_path()).empty());
}

// create: "If the ID provided is not unique across all containers within the
// scope of the runtime, or is not valid in any other way, the implementation
// MUST generate an error and a new container MUST NOT be created."
TEST_F(Operations, CreateWithDuplicateIdFails) {
  TempDir shared;
  Bundle first;
  first.Args({"/ocitest", "sleep", "60"});
  Container c(rt(), first);
  ASSERT_TRUE(c.Create().ok());
  pid_t pid = StatePid(c);

  Bundle second;
  second.BindMount("/shared", shared.path());
  second.Sh("echo ran > /shared/ran");
  second.Write();
  RunResult r = rt().Run({"create", "--bundle", second.dir(), c.id()});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  // The first container is untouched.
  auto s = c.State();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->value("status", ""), "created");
  EXPECT_EQ(s->value("pid", 0), pid);
  EXPECT_EQ(s->value("bundle", ""), first.dir());
  EXPECT_TRUE(ProcessAlive(pid));
  // Nothing of the second was created or run.
  EXPECT_TRUE(itest::CgroupDirs(second.cgroups_path()).empty());
  RunResult sr = c.Start();
  ASSERT_TRUE(sr.ok()) << sr.Describe();
  usleep(100000);
  EXPECT_FALSE(PathExists(shared / "ran")) << "the second bundle's program ran";
}

// root.path: "A directory MUST exist at the path declared by the field." /
// create: "If the runtime is unable to create the environment specified in
// the config.json, it MUST generate an error."
TEST_F(Operations, CreateWithMissingRootfsFails) {
  Bundle b;
  b.config()["root"]["path"] = "no-such-rootfs";
  ExpectCreateFails(b);
}

// process.args: "This specification extends the IEEE standard in that at
// least one entry is REQUIRED".
TEST_F(Operations, CreateWithEmptyArgsFails) {
  Bundle b;
  Container c(rt(), b);
  b.config()["process"]["args"] = json::array();
  RunResult cr = c.Create();
  RunResult r = cr.ok() ? c.Start() : cr;
  EXPECT_NE(r.exit_code, 0) << "create and start accepted empty args: " << r.Describe();
}

// start: "This operation MUST generate an error if process was not set."
TEST_F(Operations, StartWithoutProcessFails) {
  Bundle b;
  b.config().erase("process");
  Container c(rt(), b);
  RunResult cr = c.Create();
  RunResult r = cr.ok() ? c.Start() : cr;
  EXPECT_NE(r.exit_code, 0) << "create and start accepted a config without process: "
                            << r.Describe();
  if (!cr.ok()) ExpectNoTrace(c.id(), b);
}

// A config.json that is not JSON: "If the runtime is unable to create the
// environment specified in the config.json, it MUST generate an error."
TEST_F(Operations, CreateWithUnparsableConfigFails) {
  Bundle b;
  std::string id = itest::UniqueId();
  ASSERT_TRUE(WriteFile(b.dir() + "/config.json", "{\"ociVersion\": \"1.0.2\", \"process\": {"));
  RunResult r = rt().Run({"create", "--bundle", b.dir(), id});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  ExpectNoTrace(id, b);
}

// namespaces[]: "If a namespaces field contains duplicated namespaces with
// same type, the runtime MUST generate an error."
TEST_F(Operations, CreateWithDuplicatedNamespaceFails) {
  Bundle b;
  b.config()["linux"]["namespaces"].push_back({{"type", "ipc"}});
  b.config()["linux"]["namespaces"].push_back({{"type", "ipc"}});
  ExpectCreateFails(b);
}

// namespaces[].path: "The runtime MUST generate an error if path is not
// associated with a namespace of type type."
TEST_F(Operations, CreateWithNamespacePathOfWrongTypeFails) {
  NsHolder ipc("ipc");
  ASSERT_TRUE(ipc.ok()) << ipc.error();
  Bundle b;
  b.AddNamespace("network", ipc.path());  // an ipc namespace given as network
  ExpectCreateFails(b);
}

// process.rlimits: "If rlimits contains duplicated entries with same type,
// the runtime MUST generate an error."
TEST_F(Operations, CreateWithDuplicatedRlimitFails) {
  Bundle b;
  b.config()["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 100}, {"hard", 100}},
                                      {{"type", "RLIMIT_NOFILE"}, {"soft", 200}, {"hard", 200}}};
  ExpectCreateFails(b);
}

// process.cwd: "This value MUST be an absolute path." and create: "If the
// runtime cannot apply a property as specified in the configuration, it
// MUST generate an error".
TEST_F(Operations, CreateWithRelativeCwdFails) {
  Bundle b;
  b.config()["process"]["cwd"] = "etc";
  TempDir shared;
  b.BindMount("/shared", shared.path());
  b.Sh("echo ran > /shared/ran");
  Container c(rt(), b);
  RunResult cr = c.Create();
  RunResult r = cr.ok() ? c.Start() : cr;
  EXPECT_NE(r.exit_code, 0) << "a relative cwd was accepted: " << r.Describe();
  usleep(100000);
  EXPECT_FALSE(PathExists(shared / "ran")) << "the user program ran";
}

}  // namespace
}  // namespace skiff::conformance
