// runc's resource commands: update (flags and --resources), pause/resume,
// ps, events (--stats and the stream with OOM events), features.
#include <unistd.h>

#include <thread>

#include "gtest/gtest.h"
#include "tests/rootfs/bundle.h"

namespace skiff::itest {
namespace {

bool IsV2() { return PathExists("/sys/fs/cgroup/cgroup.controllers"); }

std::string Knob(const std::string& controller, const std::string& path,
                 const std::string& file) {
  return Trim(ReadFileOr(CgroupDir(controller, path) + "/" + file, "<missing>"));
}

// CPU time the cgroup has used, in microseconds.
uint64_t CpuUsage(const std::string& path) {
  if (IsV2()) {
    for (const std::string& line : SplitLines(ReadFileOr(CgroupDir("", path) + "/cpu.stat"))) {
      if (line.rfind("usage_usec ", 0) == 0) return std::stoull(line.substr(11));
    }
    return 0;
  }
  return std::stoull("0" + Knob("cpuacct", path, "cpuacct.usage")) / 1000;
}

// A fixture with one running container.
class UpdateTest : public RuntimeTest {
 protected:
  void Start(const std::vector<std::string>& args = {"/ocitest", "sleep", "60"}) {
    bundle_ = std::make_unique<Bundle>();
    bundle_->Args(args);
    bundle_->config()["linux"]["resources"]["memory"] = {{"limit", 64 * 1024 * 1024}};
    bundle_->config()["linux"]["resources"]["pids"] = {{"limit", 50}};
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
  const std::string& path() const { return bundle_->cgroups_path(); }
  std::string MemoryLimit() {
    return IsV2() ? Knob("", path(), "memory.max")
                  : Knob("memory", path(), "memory.limit_in_bytes");
  }
  std::string PidsMax() { return Knob(IsV2() ? "" : "pids", path(), "pids.max"); }

  std::unique_ptr<Bundle> bundle_;
  std::unique_ptr<Container> c_;
  int init_pid_ = 0;
};

TEST_F(UpdateTest, MemoryFlag) {
  Start();
  EXPECT_EQ(MemoryLimit(), "67108864");
  RunResult r = rt().Run({"update", "--memory", "128m", c_->id()});
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(MemoryLimit(), "134217728");
  // Only what was given changed.
  EXPECT_EQ(PidsMax(), "50");
  // 0 leaves a value alone, -1 lifts it.
  r = rt().Run({"update", "--pids-limit", "0", c_->id()});
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(PidsMax(), "50");
  r = rt().Run({"update", "--pids-limit", "-1", "--cpu-share", "256", c_->id()});
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(PidsMax(), "max");
  EXPECT_EQ(c_->Status(), "running");
}

TEST_F(UpdateTest, ResourcesFromStdin) {
  Start();
  RunOptions o;
  o.stdin_data = R"({"memory": {"limit": 100663296}, "pids": {"limit": 42},
                     "cpu": {"quota": 20000, "period": 100000}})";
  RunResult r = rt().Run({"update", "--resources", "-", c_->id()}, o);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(MemoryLimit(), "100663296");
  EXPECT_EQ(PidsMax(), "42");
  if (IsV2()) {
    EXPECT_EQ(Knob("", path(), "cpu.max"), "20000 100000");
  } else {
    EXPECT_EQ(Knob("cpu", path(), "cpu.cfs_quota_us"), "20000");
    EXPECT_EQ(Knob("cpu", path(), "cpu.cfs_period_us"), "100000");
  }
  // podman's form: --resources=FILE.
  TempDir tmp;
  ASSERT_TRUE(WriteFile(tmp / "res.json", R"({"pids": {"limit": 43}})"));
  r = rt().Run({"update", "--resources=" + (tmp / "res.json"), c_->id()});
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(PidsMax(), "43");
  // Bad JSON fails and changes nothing.
  o.stdin_data = "{not json";
  r = rt().Run({"update", "--resources", "-", c_->id()}, o);
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(PidsMax(), "43");
}

TEST_F(UpdateTest, PauseFreezesAndResumeThaws) {
  Start({"/bin/sh", "-c", "while :; do :; done"});
  RunResult p = rt().Run({"pause", c_->id()});
  ASSERT_TRUE(p.ok()) << p.Describe();
  EXPECT_EQ(c_->Status(), "paused");
  if (!IsV2()) {
    EXPECT_EQ(Knob("freezer", path(), "freezer.state"), "FROZEN");
  }
  // A busy loop that is frozen uses no CPU.
  uint64_t before = CpuUsage(path());
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(CpuUsage(path()), before) << "the container kept running while paused";
  // Pausing twice is an error, as in runc.
  EXPECT_NE(rt().Run({"pause", c_->id()}).exit_code, 0);

  RunResult r = rt().Run({"resume", c_->id()});
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(c_->Status(), "running");
  if (!IsV2()) {
    EXPECT_EQ(Knob("freezer", path(), "freezer.state"), "THAWED");
  }
  before = CpuUsage(path());
  EXPECT_TRUE(WaitFor([&] { return CpuUsage(path()) > before; }, milliseconds(3000)));
  // Resuming a running container is an error.
  EXPECT_NE(rt().Run({"resume", c_->id()}).exit_code, 0);
}

TEST_F(UpdateTest, PsJsonAndTable) {
  Start();
  RunResult r = rt().Run({"ps", "--format", "json", c_->id()});
  ASSERT_TRUE(r.ok()) << r.Describe();
  json pids = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(pids.is_array()) << r.out;
  bool found = false;
  for (const auto& p : pids) found = found || p == init_pid_;
  EXPECT_TRUE(found) << r.out << " lacks " << init_pid_;

  r = rt().Run({"ps", c_->id()});
  ASSERT_TRUE(r.ok()) << r.Describe();
  std::vector<std::string> lines = SplitLines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_TRUE(Contains(lines[0], "PID")) << r.out;
  EXPECT_TRUE(Contains(lines[1], " " + std::to_string(init_pid_) + " ")) << r.out;
  // Arguments after the id go to ps.
  r = rt().Run({"ps", c_->id(), "-o", "pid,comm"});
  ASSERT_TRUE(r.ok()) << r.Describe();
  lines = SplitLines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_EQ(Trim(lines[1]), std::to_string(init_pid_) + " ocitest");
}

TEST_F(UpdateTest, EventsStats) {
  Start();
  RunResult r = rt().Run({"events", "--stats", c_->id()});
  ASSERT_TRUE(r.ok()) << r.Describe();
  std::vector<std::string> lines = SplitLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  json ev = json::parse(lines[0], nullptr, false);
  ASSERT_TRUE(ev.is_object()) << r.out;
  EXPECT_EQ(ev["type"], "stats");
  EXPECT_EQ(ev["id"], c_->id());
  const json& data = ev["data"];
  ASSERT_TRUE(data.is_object()) << r.out;
  EXPECT_GT(data["memory"]["usage"].value("usage", uint64_t{0}), 0u) << r.out;
  EXPECT_EQ(data["memory"]["usage"].value("limit", uint64_t{0}), 64u * 1024 * 1024) << r.out;
  EXPECT_GE(data["pids"].value("current", 0), 1) << r.out;
  EXPECT_TRUE(data["cpu"]["usage"].contains("user")) << r.out;
}

TEST_F(UpdateTest, EventsStreamUntilTheContainerStops) {
  Start();
  CaptureFile out;
  RunOptions o;
  o.stdout_fd = out.fd();
  auto events = rt().Start({"events", "--interval", "200ms", c_->id()}, o);
  ASSERT_TRUE(WaitFor([&] { return SplitLines(out.Read()).size() >= 2; })) << out.Read();
  for (const std::string& line : SplitLines(out.Read())) {
    json ev = json::parse(line, nullptr, false);
    ASSERT_TRUE(ev.is_object()) << line;
    EXPECT_EQ(ev["type"], "stats");
  }
  ASSERT_TRUE(c_->Kill("KILL").ok());
  // runc 1.1 keeps streaming (logging stats errors) after the container is
  // gone; ocirun stops.
  if (RuntimeIsRunc()) return;
  RunResult r = events->Wait(milliseconds(5000));
  EXPECT_FALSE(r.timed_out) << "events kept running after the container stopped";
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
}

TEST_F(UpdateTest, EventsReportOom) {
  if (!IsV2() && !PathExists(CgroupDir("memory", "") + "/memory.memsw.limit_in_bytes") &&
      SplitLines(ReadFileOr("/proc/swaps")).size() > 1) {
    GTEST_SKIP() << "swap without swap accounting: the container would swap, not OOM";
  }
  bundle_ = std::make_unique<Bundle>();
  // After a second, awk grows a string to 64 MiB and is OOM-killed; the
  // container lives on.
  bundle_->Sh("sleep 1; awk 'BEGIN{s=\"x\"; while (length(s) < 67108864) s = s s}'; sleep 60");
  bundle_->config()["linux"]["resources"]["memory"] = {{"limit", 16 * 1024 * 1024},
                                                       {"swap", 16 * 1024 * 1024}};
  c_ = std::make_unique<Container>(rt(), *bundle_);
  ASSERT_TRUE(c_->Create().ok());
  CaptureFile out;
  RunOptions o;
  o.stdout_fd = out.fd();
  auto events = rt().Start({"events", "--interval", "10s", c_->id()}, o);
  ASSERT_TRUE(c_->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return Contains(out.Read(), "\"oom\""); }, milliseconds(10000)))
      << out.Read();
  json ev = json::parse(SplitLines(out.Read())[0], nullptr, false);
  EXPECT_EQ(ev, json({{"type", "oom"}, {"id", c_->id()}})) << out.Read();
  EXPECT_EQ(c_->Status(), "running");
}

TEST_F(UpdateTest, Features) {
  RunResult r = rt().Run({"features"});
  ASSERT_TRUE(r.ok()) << r.Describe();
  json f = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(f.is_object()) << r.out;
  EXPECT_EQ(f["ociVersionMin"], "1.0.0");
  EXPECT_TRUE(f["hooks"].is_array());
  EXPECT_TRUE(f["mountOptions"].is_array());
  bool has_bind = false;
  for (const auto& o : f["mountOptions"]) has_bind = has_bind || o == "rbind";
  EXPECT_TRUE(has_bind) << r.out;
  EXPECT_TRUE(f["linux"]["namespaces"].is_array());
  EXPECT_TRUE(f["linux"]["capabilities"].is_array());
  EXPECT_TRUE(f["linux"]["cgroup"]["v1"].is_boolean());
  EXPECT_TRUE(f["linux"]["seccomp"]["actions"].is_array());
  EXPECT_TRUE(f["annotations"].is_object());
}

TEST_F(UpdateTest, Errors) {
  RunResult r = rt().Run({"update", "--memory", "64m", "no-such-container"});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  r = rt().Run({"pause", "no-such-container"});
  EXPECT_NE(r.exit_code, 0) << r.Describe();

  Start();
  ASSERT_TRUE(c_->Kill("KILL").ok());
  ASSERT_TRUE(c_->WaitForStatus("stopped"));
  r = rt().Run({"pause", c_->id()});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  r = rt().Run({"resume", c_->id()});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  r = rt().Run({"events", "--stats", c_->id()});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
}

}  // namespace
}  // namespace skiff::itest
