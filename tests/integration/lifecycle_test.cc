// The container lifecycle through the command line: create, state, start,
// kill, delete, list, run --detach, pid files, and what each leaves behind.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstring>
#include <functional>

#include "gtest/gtest.h"
#include "tests/rootfs/bundle.h"

namespace skiff::itest {
namespace {

// Paths under dir whose name contains needle (the runtime's state for an id).
void FindNamed(const std::string& dir, const std::string& needle, std::vector<std::string>* out) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    std::string p = dir + "/" + n;
    if (Contains(n, needle)) out->push_back(p);
    if (e->d_type == DT_DIR) FindNamed(p, needle, out);
  }
  closedir(d);
}

std::string Joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

class LifecycleTest : public RuntimeTest {
 protected:
  std::vector<std::string> StateLeftFor(const std::string& id) {
    std::vector<std::string> out;
    FindNamed(rt().root(), id, &out);
    return out;
  }
};

TEST_F(LifecycleTest, CreateStartKillDelete) {
  TempDir shared;
  Bundle b;
  b.BindMount("/shared", shared.path());
  b.Sh("echo ran > /shared/ran; exec /ocitest sleep 60");
  Container c(rt(), b);

  RunResult cr = c.Create();
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  std::string err;
  auto st = c.State(&err);
  ASSERT_TRUE(st) << err;
  EXPECT_EQ(st->value("status", ""), "created");
  EXPECT_EQ(st->value("id", ""), c.id());
  EXPECT_EQ(st->value("bundle", ""), b.dir());
  EXPECT_TRUE((*st)["ociVersion"].is_string() && !(*st)["ociVersion"].get<std::string>().empty())
      << st->dump();
  int pid = st->value("pid", 0);
  EXPECT_GT(pid, 0) << st->dump();
  EXPECT_TRUE(ProcessAlive(pid)) << "the container's init must exist after create";
  // The user program has not run yet.
  usleep(100000);
  EXPECT_FALSE(PathExists(shared / "ran")) << "process ran before start";
  EXPECT_FALSE(CgroupDirs(b.cgroups_path()).empty()) << "no cgroup after create";

  RunResult sr = c.Start();
  ASSERT_TRUE(sr.ok()) << sr.Describe();
  EXPECT_TRUE(WaitFor([&] { return PathExists(shared / "ran"); })) << "process did not run";
  EXPECT_EQ(c.Status(), "running");
  st = c.State();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->value("pid", 0), pid) << "pid changed across start";

  RunResult kr = c.Kill("KILL");
  ASSERT_TRUE(kr.ok()) << kr.Describe();
  EXPECT_TRUE(c.WaitForStatus("stopped")) << c.Status();
  EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(pid); }));

  RunResult dr = c.Delete();
  ASSERT_TRUE(dr.ok()) << dr.Describe();
  EXPECT_FALSE(c.State()) << "state still answers after delete";
  EXPECT_EQ(Joined(StateLeftFor(c.id())), "") << "state left under --root";
  EXPECT_TRUE(CgroupDirs(b.cgroups_path()).empty()) << Joined(CgroupDirs(b.cgroups_path()));
}

TEST_F(LifecycleTest, KillAcceptsSignalNamesAndNumbers) {
  for (std::string sig : {"KILL", "SIGKILL", "9"}) {
    SCOPED_TRACE("kill " + sig);
    Bundle b;
    b.Args({"/ocitest", "sleep", "60"});
    Container c(rt(), b);
    ASSERT_TRUE(c.Create().ok());
    ASSERT_TRUE(c.Start().ok());
    RunResult k = c.Kill(sig);
    EXPECT_TRUE(k.ok()) << k.Describe();
    EXPECT_TRUE(c.WaitForStatus("stopped")) << c.Status();
  }
}

TEST_F(LifecycleTest, KillDefaultsToSigterm) {
  TempDir shared;
  Bundle b;
  b.BindMount("/shared", shared.path());
  b.Args({"/ocitest", "trap", "/shared/sig"});
  Container c(rt(), b);
  CaptureFile out;
  RunOptions o;
  o.stdout_fd = out.fd();
  ASSERT_TRUE(c.Create({}, o).ok());
  ASSERT_TRUE(c.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return Contains(out.Read(), "ready"); })) << out.Read();
  RunResult k = rt().Run({"kill", c.id()});
  EXPECT_TRUE(k.ok()) << k.Describe();
  EXPECT_TRUE(WaitFor([&] { return Trim(ReadFileOr(shared / "sig")) == "15"; }))
      << ReadFileOr(shared / "sig");
  EXPECT_TRUE(c.WaitForStatus("stopped"));
}

TEST_F(LifecycleTest, KillDeliversOtherSignals) {
  TempDir shared;
  Bundle b;
  b.BindMount("/shared", shared.path());
  b.Args({"/ocitest", "trap", "/shared/sig"});
  Container c(rt(), b);
  CaptureFile out;
  RunOptions o;
  o.stdout_fd = out.fd();
  ASSERT_TRUE(c.Create({}, o).ok());
  ASSERT_TRUE(c.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return Contains(out.Read(), "ready"); })) << out.Read();
  RunResult k = c.Kill("USR1");
  EXPECT_TRUE(k.ok()) << k.Describe();
  EXPECT_TRUE(WaitFor([&] { return Trim(ReadFileOr(shared / "sig")) == "10"; }))
      << ReadFileOr(shared / "sig");
}

TEST_F(LifecycleTest, KillAll) {
  Bundle b;
  b.Sh("/ocitest sleep 60 & /ocitest sleep 60 & echo started; wait");
  Container c(rt(), b);
  CaptureFile out;
  RunOptions o;
  o.stdout_fd = out.fd();
  ASSERT_TRUE(c.Create({}, o).ok());
  ASSERT_TRUE(c.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return Contains(out.Read(), "started"); }));
  std::string procs_file = CgroupDir("pids", b.cgroups_path()) + "/cgroup.procs";
  EXPECT_TRUE(WaitFor([&] { return SplitLines(ReadFileOr(procs_file)).size() >= 3; }))
      << ReadFileOr(procs_file);
  RunResult k = c.Kill("KILL", {"--all"});
  EXPECT_TRUE(k.ok()) << k.Describe();
  EXPECT_TRUE(c.WaitForStatus("stopped"));
  EXPECT_TRUE(WaitFor([&] { return Trim(ReadFileOr(procs_file)).empty(); }))
      << "left in the cgroup: " << ReadFileOr(procs_file);
}

TEST_F(LifecycleTest, DeleteForceRunningContainer) {
  Bundle b;
  b.Args({"/ocitest", "sleep", "60"});
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  ASSERT_TRUE(c.Start().ok());
  auto st = c.State();
  ASSERT_TRUE(st);
  int pid = st->value("pid", 0);
  ASSERT_TRUE(ProcessAlive(pid));
  RunResult d = c.Delete(/*force=*/true);
  ASSERT_TRUE(d.ok()) << d.Describe();
  EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(pid); })) << "init survived delete --force";
  EXPECT_FALSE(c.State());
  EXPECT_EQ(Joined(StateLeftFor(c.id())), "");
  EXPECT_TRUE(CgroupDirs(b.cgroups_path()).empty()) << Joined(CgroupDirs(b.cgroups_path()));
}

TEST_F(LifecycleTest, DeleteRunningWithoutForceFails) {
  Bundle b;
  b.Args({"/ocitest", "sleep", "60"});
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  ASSERT_TRUE(c.Start().ok());
  RunResult d = c.Delete();
  EXPECT_NE(d.exit_code, 0) << d.Describe();
  EXPECT_EQ(c.Status(), "running") << "a failed delete must leave the container alone";
}

TEST_F(LifecycleTest, DeleteCreatedContainer) {
  // runc deletes a created (never started) container without --force.
  Bundle b;
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  auto st = c.State();
  ASSERT_TRUE(st);
  int pid = st->value("pid", 0);
  RunResult d = c.Delete();
  EXPECT_TRUE(d.ok()) << d.Describe();
  EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(pid); }));
  EXPECT_FALSE(c.State());
  EXPECT_TRUE(CgroupDirs(b.cgroups_path()).empty());
}

TEST_F(LifecycleTest, ExitedContainerIsStoppedAndDeletable) {
  Bundle b;
  b.Args({"/ocitest", "exit", "0"});
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  ASSERT_TRUE(c.Start().ok());
  EXPECT_TRUE(c.WaitForStatus("stopped")) << c.Status();
  RunResult d = c.Delete();
  EXPECT_TRUE(d.ok()) << d.Describe();
  EXPECT_TRUE(CgroupDirs(b.cgroups_path()).empty());
}

TEST_F(LifecycleTest, CreatedContainerWritesToCreatesStdio) {
  Bundle b;
  b.Args({"/bin/echo", "from-container"});
  Container c(rt(), b);
  CaptureFile out;
  RunOptions o;
  o.stdout_fd = out.fd();
  ASSERT_TRUE(c.Create({}, o).ok());
  EXPECT_EQ(out.Read(), "");
  ASSERT_TRUE(c.Start().ok());
  EXPECT_TRUE(c.WaitForStatus("stopped"));
  EXPECT_EQ(out.Read(), "from-container\n");
}

TEST_F(LifecycleTest, AnnotationsInState) {
  Bundle b;
  b.config()["annotations"] = {{"org.skiff.test", "yes"}};
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  auto st = c.State();
  ASSERT_TRUE(st);
  EXPECT_EQ((*st)["annotations"].value("org.skiff.test", ""), "yes") << st->dump();
}

TEST_F(LifecycleTest, List) {
  Bundle b;
  b.Args({"/ocitest", "sleep", "60"});
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  ASSERT_TRUE(c.Start().ok());

  RunResult table = rt().Run({"list"});
  ASSERT_TRUE(table.ok()) << table.Describe();
  auto lines = SplitLines(table.out);
  ASSERT_EQ(lines.size(), 2u) << table.out;
  EXPECT_EQ(lines[0].rfind("ID", 0), 0u) << lines[0];
  for (const char* col : {"PID", "STATUS", "BUNDLE", "CREATED", "OWNER"})
    EXPECT_TRUE(Contains(lines[0], col)) << lines[0];
  EXPECT_EQ(lines[1].rfind(c.id() + " ", 0), 0u) << lines[1];
  EXPECT_TRUE(Contains(lines[1], "running")) << lines[1];
  EXPECT_TRUE(Contains(lines[1], b.dir())) << lines[1];

  RunResult js = rt().Run({"list", "--format", "json"});
  ASSERT_TRUE(js.ok()) << js.Describe();
  json arr = json::parse(js.out, nullptr, false);
  ASSERT_TRUE(arr.is_array()) << js.out;
  ASSERT_EQ(arr.size(), 1u) << js.out;
  EXPECT_EQ(arr[0].value("id", ""), c.id());
  EXPECT_EQ(arr[0].value("status", ""), "running");
  EXPECT_EQ(arr[0].value("bundle", ""), b.dir());
  EXPECT_GT(arr[0].value("pid", 0), 0);

  RunResult q = rt().Run({"list", "-q"});
  ASSERT_TRUE(q.ok()) << q.Describe();
  EXPECT_EQ(q.out, c.id() + "\n");
}

TEST_F(LifecycleTest, ListEmpty) {
  RunResult table = rt().Run({"list"});
  ASSERT_TRUE(table.ok()) << table.Describe();
  auto lines = SplitLines(table.out);
  ASSERT_EQ(lines.size(), 1u) << table.out;  // the header only
  EXPECT_EQ(lines[0].rfind("ID", 0), 0u);
  RunResult q = rt().Run({"list", "-q"});
  ASSERT_TRUE(q.ok()) << q.Describe();
  EXPECT_EQ(q.out, "");
}

TEST_F(LifecycleTest, StateOfUnknownIdFails) {
  std::string id = UniqueId("nosuch");
  RunResult r = rt().Run({"state", id});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  // runc says only "container does not exist"; naming the id is better.
  EXPECT_TRUE(Contains(r.err, id) || ContainsNoCase(r.err, "not exist")) << r.Describe();
}

TEST_F(LifecycleTest, OperationsOnUnknownIdFail) {
  std::string id = UniqueId("nosuch");
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"start", id}, {"kill", id, "KILL"}, {"delete", id}}) {
    RunResult r = rt().Run(args);
    EXPECT_NE(r.exit_code, 0) << args[0] << ": " << r.Describe();
    EXPECT_FALSE(Trim(r.err).empty()) << args[0];
  }
}

TEST_F(LifecycleTest, DeleteForceOfUnknownIdSucceeds) {
  // runc: `delete --force` of a missing container is not an error.
  RunResult r = rt().Run({"delete", "--force", UniqueId("nosuch")});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
}

TEST_F(LifecycleTest, StartTwiceFails) {
  Bundle b;
  b.Args({"/ocitest", "sleep", "60"});
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  ASSERT_TRUE(c.Start().ok());
  RunResult again = c.Start();
  EXPECT_NE(again.exit_code, 0) << again.Describe();
  EXPECT_EQ(c.Status(), "running");
}

TEST_F(LifecycleTest, DuplicateIdFails) {
  Bundle b;
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  Bundle b2;
  b2.Write();
  RunResult r = rt().Run({"create", "--bundle", b2.dir(), c.id()});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.err, c.id()) || ContainsNoCase(r.err, "exist")) << r.Describe();
  EXPECT_EQ(c.Status(), "created") << "the first container must be untouched";
  EXPECT_TRUE(CgroupDirs(b2.cgroups_path()).empty());
}

TEST_F(LifecycleTest, PidFile) {
  TempDir d;
  Bundle b;
  Container c(rt(), b);
  ASSERT_TRUE(c.Create({"--pid-file", d / "pid"}).ok());
  auto st = c.State();
  ASSERT_TRUE(st);
  EXPECT_EQ(Trim(ReadFileOr(d / "pid")), std::to_string(st->value("pid", -1)));
}

TEST_F(LifecycleTest, RunDetach) {
  TempDir d;
  Bundle b;
  b.Args({"/ocitest", "sleep", "60"});
  Container c(rt(), b);
  RunResult r = c.Run({"--detach", "--pid-file", d / "pid"});
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_LT(r.seconds, 10);
  EXPECT_EQ(c.Status(), "running");
  auto st = c.State();
  ASSERT_TRUE(st);
  EXPECT_EQ(Trim(ReadFileOr(d / "pid")), std::to_string(st->value("pid", -1)));
}

TEST_F(LifecycleTest, ForegroundRunCleansUp) {
  // A foreground `run` deletes the container when its process exits.
  Bundle b;
  b.Args({"/ocitest", "exit", "0"});
  Container c(rt(), b);
  RunResult r = c.Run();
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_FALSE(c.State()) << "state still answers after run";
  EXPECT_EQ(Joined(StateLeftFor(c.id())), "");
  EXPECT_TRUE(CgroupDirs(b.cgroups_path()).empty()) << Joined(CgroupDirs(b.cgroups_path()));
}

TEST_F(LifecycleTest, KillCreatedContainer) {
  Bundle b;
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  RunResult k = c.Kill("KILL");
  EXPECT_TRUE(k.ok()) << k.Describe();
  EXPECT_TRUE(c.WaitForStatus("stopped")) << c.Status();
  RunResult d = c.Delete();
  EXPECT_TRUE(d.ok()) << d.Describe();
}

TEST_F(LifecycleTest, StartStoppedContainerFails) {
  Bundle b;
  b.Args({"/ocitest", "exit", "0"});
  Container c(rt(), b);
  ASSERT_TRUE(c.Create().ok());
  ASSERT_TRUE(c.Start().ok());
  ASSERT_TRUE(c.WaitForStatus("stopped"));
  RunResult again = c.Start();
  EXPECT_NE(again.exit_code, 0) << again.Describe();
}

TEST_F(LifecycleTest, BundleDefaultsToCwdAndIsReportedAbsolute) {
  Bundle b;
  b.Write();
  std::string id = UniqueId();
  RunOptions o;
  o.cwd = b.dir();
  RunResult r = rt().Run({"create", id}, o);  // no --bundle: the cwd
  ASSERT_TRUE(r.ok()) << r.Describe();
  auto st = rt().State(id);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->value("bundle", ""), b.dir());
  rt().Run({"delete", "--force", id});

  // A relative --bundle is made absolute too.
  std::string id2 = UniqueId();
  o.cwd = "/tmp";
  std::string rel = b.dir().substr(strlen("/tmp/"));
  r = rt().Run({"create", "--bundle", rel, id2}, o);
  ASSERT_TRUE(r.ok()) << r.Describe();
  st = rt().State(id2);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->value("bundle", ""), b.dir());
  rt().Run({"delete", "--force", id2});
}

TEST_F(LifecycleTest, AbsoluteRootPath) {
  Bundle b;
  b.config()["root"]["path"] = b.rootfs();
  b.Args({"/bin/echo", "abs-root"});
  Container c(rt(), b);
  RunOptions o;
  o.cwd = "/";
  RunResult r = c.Run({}, o);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "abs-root\n");
}

TEST_F(LifecycleTest, MissingRootDirectoryIsCreated) {
  TempDir d;
  std::string root = d / "state/nested";
  Bundle b;
  b.Write();
  std::string id = UniqueId();
  RunResult r = RunCommand({rt().binary(), "--root", root, "create", "--bundle", b.dir(), id});
  EXPECT_TRUE(r.ok()) << r.Describe();
  EXPECT_TRUE(PathExists(root));
  RunResult del = RunCommand({rt().binary(), "--root", root, "delete", "--force", id});
  EXPECT_TRUE(del.ok()) << del.Describe();
}

TEST_F(LifecycleTest, InvalidIdsRejected) {
  Bundle b;
  b.Write();
  for (std::string id : {"../escape", "a/b", ""}) {
    RunResult r = rt().Run({"create", "--bundle", b.dir(), id});
    EXPECT_NE(r.exit_code, 0) << "id '" << id << "': " << r.Describe();
    rt().Run({"delete", "--force", id});
  }
  EXPECT_FALSE(PathExists(rt().root() + "/../escape"));
}

}  // namespace
}  // namespace skiff::itest
