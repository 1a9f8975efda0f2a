#include "shim/runtime_client.h"

#include "gtest/gtest.h"

namespace skiff::shim {
namespace {

TEST(JsonStringFieldTest, DecodesEscapes) {
  EXPECT_EQ(JsonStringField(R"({"msg":"a \"quoted\" \\ path\nnext\t\u00e9\ud83d\ude00"})", "msg"),
            "a \"quoted\" \\ path\nnext\t\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(JsonStringFieldTest, SkipsOtherValuesAndLookalikeKeys) {
  const char* line = R"({"level":"error","n":12,"nested":{"msg":"inner"},"arr":[1,"msg"],)"
                     R"("x":"has \"msg\":\"fake\" in it","msg":"real"})";
  EXPECT_EQ(JsonStringField(line, "msg"), "real");
  EXPECT_EQ(JsonStringField(line, "level"), "error");
  EXPECT_EQ(JsonStringField(line, "n"), std::nullopt);
  EXPECT_EQ(JsonStringField(line, "absent"), std::nullopt);
  EXPECT_EQ(JsonStringField("not json", "msg"), std::nullopt);
  EXPECT_EQ(JsonStringField(R"({"msg":"unterminated)", "msg"), std::nullopt);
}

TEST(ErrorFromRuntimeLogTest, LastErrorLineWins) {
  const char* log =
      "{\"level\":\"warning\",\"msg\":\"ignoring cap\",\"time\":\"t\"}\n"
      "{\"level\":\"error\",\"msg\":\"first error\",\"time\":\"t\"}\n"
      "{\"level\":\"error\",\"msg\":\"exec: `/nope`: no such file\",\"time\":\"t\"}\n"
      "{\"level\":\"info\",\"msg\":\"bye\",\"time\":\"t\"}\n";
  EXPECT_EQ(ErrorFromRuntimeLog(log), "exec: `/nope`: no such file");
  EXPECT_EQ(ErrorFromRuntimeLog("{\"level\":\"warning\",\"msg\":\"w\"}\n"), "w");
  EXPECT_EQ(ErrorFromRuntimeLog(""), std::nullopt);
  EXPECT_EQ(ErrorFromRuntimeLog("garbage\n"), std::nullopt);
}

class ArgvTest : public ::testing::Test {
 protected:
  ArgvTest() {
    loop_ = *EventLoop::Create();
    reaper_ = std::make_unique<Reaper>(*loop_);
  }
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<Reaper> reaper_;
};

TEST_F(ArgvTest, CreateAndExecLikeConmon) {
  RuntimeConfig cfg;
  cfg.binary = "/usr/bin/ocirun";
  cfg.root = "/run/r";
  cfg.global_args = {"--systemd-cgroup"};
  RuntimeClient rc(*loop_, *reaper_, cfg);
  EXPECT_EQ(rc.CreateArgv("c1", "/b", "/s/init.pid", "", "/s/runtime.log"),
            (std::vector<std::string>{"/usr/bin/ocirun", "--root", "/run/r", "--systemd-cgroup",
                                      "--log", "/s/runtime.log", "--log-format", "json", "create",
                                      "--bundle", "/b", "--pid-file", "/s/init.pid", "c1"}));
  EXPECT_EQ(rc.ExecArgv("c1", "/p.json", "/s/e.pid", "/s/e1.sock", "/s/e.log"),
            (std::vector<std::string>{"/usr/bin/ocirun", "--root", "/run/r", "--systemd-cgroup",
                                      "--log", "/s/e.log", "--log-format", "json", "exec",
                                      "--process", "/p.json", "--detach", "--pid-file", "/s/e.pid",
                                      "--console-socket", "/s/e1.sock", "c1"}));
  EXPECT_EQ(rc.DeleteArgv("c1"),
            (std::vector<std::string>{"/usr/bin/ocirun", "--root", "/run/r", "--systemd-cgroup",
                                      "delete", "--force", "c1"}));
}

// A fake runtime (a shell script) checks Run(): the pid file, the log, the timeout.
TEST_F(ArgvTest, RunReportsPidOrTheLoggedError) {
  RuntimeConfig cfg;
  cfg.binary = "/bin/sh";
  cfg.timeout_ms = 500;
  RuntimeClient rc(*loop_, *reaper_, cfg);
  std::string dir = testing::TempDir();
  std::string pid_file = dir + "/rc.pid", log = dir + "/rc.log";
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, nullptr);

  auto run = [&](const std::string& script) {
    absl::StatusOr<pid_t> result = absl::UnknownError("not called");
    bool done = false;
    rc.Run("test", {"/bin/sh", "-c", script, "sh", pid_file, log}, {}, pid_file, log,
           [&](absl::StatusOr<pid_t> r) {
             result = r;
             done = true;
             loop_->Stop();
           });
    // Poll for the child instead of a signalfd: enough for a test.
    while (!done) {
      reaper_->ReapAll();
      loop_->AddTimer(10, [&] { loop_->Stop(); });
      (void)loop_->Run();
    }
    return result;
  };
  // Exits 0 and names a child of ours: a short-lived grandchild is not, so
  // use the script's own child (it stays our descendant until reaped here).
  auto bad_pid = run("echo 1 > \"$1\"");
  EXPECT_FALSE(bad_pid.ok());
  EXPECT_NE(bad_pid.status().message().find("not a child"), std::string::npos) << bad_pid.status();
  auto err = run("echo '{\"level\":\"error\",\"msg\":\"bundle is broken\"}' >> \"$2\"; exit 1");
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.status().message(), "bundle is broken");
  auto silent = run("exit 4");
  ASSERT_FALSE(silent.ok());
  EXPECT_NE(silent.status().message().find("exited with status 4 and logged no error"),
            std::string::npos);
  auto slow = run("sleep 5");
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.status().code(), absl::StatusCode::kDeadlineExceeded);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace
}  // namespace skiff::shim
