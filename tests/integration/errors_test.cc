// Failures: bad bundles and configs, programs that cannot run. Each must
// exit non-zero with a message naming the problem, and leave nothing behind
// (no state under --root, no cgroup). Runtimes word their errors
// differently, so only a key word is checked.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/rootfs/bundle.h"

namespace skiff::itest {
namespace {

class ErrorsTest : public RuntimeTest {
 protected:
  // Asserts that the container left no trace after a failed command.
  void ExpectNothingLeft(const std::string& id, const Bundle& b) {
    EXPECT_FALSE(rt().State(id)) << "state still answers for " << id;
    std::vector<std::string> left;
    if (DIR* d = opendir(rt().root().c_str())) {
      while (struct dirent* e = readdir(d)) {
        if (Contains(e->d_name, id)) left.push_back(e->d_name);
      }
      closedir(d);
    }
    EXPECT_TRUE(left.empty()) << "state left under --root: " << left[0];
    auto cg = CgroupDirs(b.cgroups_path());
    EXPECT_TRUE(cg.empty()) << "cgroup left: " << cg[0];
  }

  // create, then (if create succeeded) start; returns the failing result.
  RunResult CreateAndStart(Container& c) {
    RunResult r = c.Create();
    if (!r.ok()) return r;
    return c.Start();
  }
};

TEST_F(ErrorsTest, MissingConfigJson) {
  Bundle b;
  std::string id = UniqueId();
  RunResult r = rt().Run({"create", "--bundle", b.dir(), id});  // config.json never written
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "config.json")) << r.Describe();
  ExpectNothingLeft(id, b);
}

TEST_F(ErrorsTest, BrokenJson) {
  Bundle b;
  WriteFile(b.dir() + "/config.json", "{\"ociVersion\": \"1.0.2\", bad json");
  std::string id = UniqueId();
  RunResult r = rt().Run({"create", "--bundle", b.dir(), id});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  // runc: "invalid character 'b' looking for beginning of object key string"
  EXPECT_TRUE(ContainsNoCase(r.err, "json") || ContainsNoCase(r.err, "parse") ||
              ContainsNoCase(r.err, "invalid"))
      << r.Describe();
  ExpectNothingLeft(id, b);
}

TEST_F(ErrorsTest, MissingBundleDirectory) {
  std::string id = UniqueId();
  RunResult r = rt().Run({"create", "--bundle", "/nonexistent-skiff-bundle", id});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "nonexistent-skiff-bundle") || Contains(r.err, "config.json") ||
              ContainsNoCase(r.err, "no such file"))
      << r.Describe();
  EXPECT_FALSE(rt().State(id));
}

TEST_F(ErrorsTest, ProcessArgsMissing) {
  Bundle b;
  b.config()["process"].erase("args");
  Container c(rt(), b);
  RunResult r = CreateAndStart(c);
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "args")) << r.Describe();
  c.Delete(true);
  ExpectNothingLeft(c.id(), b);
}

TEST_F(ErrorsTest, RootfsMissing) {
  Bundle b;
  b.config()["root"]["path"] = "no-such-rootfs";
  Container c(rt(), b);
  RunResult r = c.Create();
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "no-such-rootfs") || ContainsNoCase(r.err, "rootfs"))
      << r.Describe();
  ExpectNothingLeft(c.id(), b);
}

TEST_F(ErrorsTest, ProgramNotFound) {
  for (std::string prog : {"/no-such-program", "no-such-program-in-path"}) {
    SCOPED_TRACE(prog);
    Bundle b;
    b.Args({prog, "arg"});
    Container c(rt(), b);
    RunResult r = c.Run();
    EXPECT_NE(r.exit_code, 0) << r.Describe();
    EXPECT_TRUE(Contains(r.err, prog)) << r.Describe();
    ExpectNothingLeft(c.id(), b);
  }
}

TEST_F(ErrorsTest, ProgramNotFoundFailsCreate) {
  // runc checks the program in create, before the user can start it.
  Bundle b;
  b.Args({"/no-such-program"});
  Container c(rt(), b);
  RunResult r = c.Create();
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "/no-such-program")) << r.Describe();
  ExpectNothingLeft(c.id(), b);
}

TEST_F(ErrorsTest, ProgramNotExecutable) {
  Bundle b;
  b.Args({"/etc/passwd"});
  Container c(rt(), b);
  RunResult r = c.Run();
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "permission denied")) << r.Describe();
  ExpectNothingLeft(c.id(), b);
}

TEST_F(ErrorsTest, UnknownNamespaceType) {
  Bundle b;
  b.config()["linux"]["namespaces"].push_back({{"type", "bogus"}});
  Container c(rt(), b);
  RunResult r = c.Create();
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "bogus")) << r.Describe();
  ExpectNothingLeft(c.id(), b);
}

TEST_F(ErrorsTest, UnknownCapabilityIsIgnoredWithAWarning) {
  // runc: level=warning msg="ignoring unknown or unavailable capabilities: [CAP_NOT_A_THING]"
  Bundle b;
  b.config()["process"]["capabilities"]["bounding"].push_back("CAP_NOT_A_THING");
  b.Args({"/ocitest", "pid"});
  Container c(rt(), b);
  RunResult r = c.Run();
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "1\n");
  EXPECT_TRUE(Contains(r.err, "CAP_NOT_A_THING")) << r.Describe();
}

TEST_F(ErrorsTest, UnknownRlimit) {
  Bundle b;
  b.config()["process"]["rlimits"].push_back(
      {{"type", "RLIMIT_BOGUS"}, {"soft", 1}, {"hard", 1}});
  Container c(rt(), b);
  RunResult r = c.Run();
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "RLIMIT_BOGUS")) << r.Describe();
  ExpectNothingLeft(c.id(), b);
}

TEST_F(ErrorsTest, JoiningAMissingNamespacePathFails) {
  Bundle b;
  b.AddNamespace("network", "/nonexistent/netns");
  Container c(rt(), b);
  RunResult r = c.Create();
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "/nonexistent/netns")) << r.Describe();
  ExpectNothingLeft(c.id(), b);
}

TEST_F(ErrorsTest, LogFileInJsonFormat) {
  TempDir d;
  Bundle b;
  b.Args({"/no-such-program"});
  rt().global_flags = {"--log", d / "log.json", "--log-format", "json"};
  Container c(rt(), b);
  RunResult r = c.Run();
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  rt().global_flags.clear();
  std::string log = ReadFileOr(d / "log.json");
  ASSERT_FALSE(log.empty()) << "nothing logged";
  bool found_error = false;
  for (const auto& line : SplitLines(log)) {
    if (Trim(line).empty()) continue;
    json j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "not a JSON line: " << line;
    EXPECT_TRUE(j.contains("level") && j.contains("msg")) << line;
    if (j.value("level", "") == "error") {
      found_error = true;
      EXPECT_TRUE(Contains(j.value("msg", ""), "/no-such-program")) << line;
    }
  }
  EXPECT_TRUE(found_error) << log;
}

TEST_F(ErrorsTest, LogFileInTextFormat) {
  TempDir d;
  Bundle b;
  b.Args({"/no-such-program"});
  rt().global_flags = {"--log", d / "log.txt"};
  Container c(rt(), b);
  RunResult r = c.Run();
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  rt().global_flags.clear();
  std::string log = ReadFileOr(d / "log.txt");
  EXPECT_TRUE(Contains(log, "level=error")) << log;
  EXPECT_TRUE(Contains(log, "/no-such-program")) << log;
}

TEST_F(ErrorsTest, UnknownCommandAndVersion) {
  RunResult bad = rt().Run({"no-such-command"});
  EXPECT_NE(bad.exit_code, 0) << bad.Describe();
  RunResult v = RunCommand({rt().binary(), "--version"});
  EXPECT_EQ(v.exit_code, 0) << v.Describe();
  EXPECT_TRUE(ContainsNoCase(v.out, "version")) << v.Describe();
  EXPECT_TRUE(Contains(v.out, "spec: 1.")) << v.Describe();
}

TEST_F(ErrorsTest, SpecWritesAValidDefaultConfig) {
  TempDir d;
  RunOptions o;
  o.cwd = d.path();
  RunResult r = RunCommand({rt().binary(), "spec"}, o);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  json spec = json::parse(ReadFileOr(d / "config.json"), nullptr, false);
  ASSERT_TRUE(spec.is_object());
  EXPECT_TRUE(spec["ociVersion"].is_string());
  EXPECT_EQ(spec["root"].value("path", ""), "rootfs");
  EXPECT_TRUE(spec["process"]["args"].is_array());
  EXPECT_TRUE(spec["linux"]["namespaces"].is_array());
  EXPECT_TRUE(spec["mounts"].is_array());
  // A second `spec` refuses to overwrite it.
  RunResult again = RunCommand({rt().binary(), "spec"}, o);
  EXPECT_NE(again.exit_code, 0) << again.Describe();
  EXPECT_TRUE(Contains(again.err, "config.json")) << again.Describe();
}

}  // namespace
}  // namespace skiff::itest
