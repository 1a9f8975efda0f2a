#include "runtime/hooks.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::runtime {
namespace {

using ::testing::HasSubstr;

class HooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = getenv("TEST_TMPDIR");
    dir_ = std::string(base && *base ? base : "/tmp") + "/hooks_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
  }

  static std::string Slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

  static Hook Sh(const std::string& script) {
    Hook h;
    h.path = "/bin/sh";
    h.args = {"sh", "-c", script};
    return h;
  }

  static double Seconds() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
  }

  std::string dir_;
};

TEST_F(HooksTest, NoHooksIsOk) { EXPECT_TRUE(RunHooks("prestart", {}, "{}").ok()); }

TEST_F(HooksTest, StateOnStdin) {
  std::string out = dir_ + "/state";
  const std::string state = R"({"ociVersion":"1.0.2","id":"c1","status":"created","pid":42})";
  absl::Status s = RunHooks("createRuntime", {Sh("cat > " + out)}, state);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Slurp(out), state);
}

TEST_F(HooksTest, EnvIsPassedAndOnlyThat) {
  std::string out = dir_ + "/env";
  Hook h = Sh("echo \"$FOO|$BAR|${HOME-unset}\" > " + out);
  h.env = {"FOO=one", "BAR=two words"};
  absl::Status s = RunHooks("prestart", {h}, "{}");
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Slurp(out), "one|two words|unset\n");
}

TEST_F(HooksTest, Args0IsArgv0NotPath) {
  std::string out = dir_ + "/argv0";
  Hook h;
  h.path = "/bin/sh";
  h.args = {"custom-name", "-c", "echo \"$0\" > " + out};
  ASSERT_TRUE(RunHooks("poststart", {h}, "{}").ok());
  EXPECT_EQ(Slurp(out), "custom-name\n");
}

TEST_F(HooksTest, NoArgsRunsPathAlone) {
  std::string script = dir_ + "/hook.sh";
  std::string out = dir_ + "/ran";
  std::ofstream(script) << "#!/bin/sh\necho \"$0 $#\" > " << out << "\n";
  ASSERT_EQ(chmod(script.c_str(), 0755), 0);
  Hook h;
  h.path = script;
  absl::Status s = RunHooks("poststop", {h}, "{}");
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Slurp(out), script + " 0\n");
}

TEST_F(HooksTest, FailingHookReportsStatusAndOutput) {
  absl::Status s = RunHooks("createRuntime", {Sh("echo boom >&2; exit 3")}, "{}");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "createRuntime hook `/bin/sh` exited with status 3: boom");
}

TEST_F(HooksTest, StopsAtFirstFailure) {
  std::string out = dir_ + "/second";
  absl::Status s = RunHooks("prestart", {Sh("exit 1"), Sh("touch " + out)}, "{}");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(access(out.c_str(), F_OK), 0);
}

TEST_F(HooksTest, KilledBySignal) {
  absl::Status s = RunHooks("prestart", {Sh("kill -TERM $$")}, "{}");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("killed by signal 15"));
}

TEST_F(HooksTest, TimeoutKillsHook) {
  Hook h;
  h.path = "/bin/sleep";
  h.args = {"sleep", "5"};
  h.timeout = 1;
  double start = Seconds();
  absl::Status s = RunHooks("prestart", {h}, "{}");
  double took = Seconds() - start;
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("timed out after 1s"));
  EXPECT_LT(took, 3.0);
  EXPECT_GE(took, 0.9);
}

TEST_F(HooksTest, TimeoutHoldsWhenHookClosesItsOutput) {
  // The hook no longer holds the output pipe, so only the deadline can end it.
  Hook h = Sh("exec >/dev/null 2>&1 </dev/null; sleep 5");
  h.timeout = 1;
  double start = Seconds();
  absl::Status s = RunHooks("prestart", {h}, "{}");
  double took = Seconds() - start;
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  EXPECT_LT(took, 3.0);
}

TEST_F(HooksTest, FastHookWithinTimeoutIsOk) {
  Hook h = Sh("cat >/dev/null; true");
  h.timeout = 5;
  absl::Status s = RunHooks("prestart", {h}, "{}");
  EXPECT_TRUE(s.ok()) << s;
}

TEST_F(HooksTest, MissingBinary) {
  Hook h;
  h.path = dir_ + "/no-such-hook";
  absl::Status s = RunHooks("prestart", {h}, "{}");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("prestart hook `" + h.path + "`"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("No such file or directory"));
}

TEST_F(HooksTest, HookIgnoringLargeStdinDoesNotBlock) {
  // More than a pipe holds, to a hook that never reads it (and is still
  // running when it is written, so the write cannot raise SIGPIPE).
  std::string big(1 << 20, 'x');
  absl::Status s = RunHooks("prestart", {Sh("sleep 0.2")}, big);
  EXPECT_TRUE(s.ok()) << s;
}

}  // namespace
}  // namespace skiff::runtime
