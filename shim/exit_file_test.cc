#include "shim/exit_file.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "gtest/gtest.h"
#include "shim/rfc3339.h"

namespace skiff::shim {
namespace {

int ExitedWith(int code) {
  pid_t p = fork();
  if (p == 0) _exit(code);
  int st;
  waitpid(p, &st, 0);
  return st;
}

int KilledBy(int sig) {
  pid_t p = fork();
  if (p == 0) {
    signal(sig, SIG_DFL);
    raise(sig);
    _exit(99);
  }
  int st;
  waitpid(p, &st, 0);
  return st;
}

TEST(ExitFileTest, ExitedProcess) {
  ExitRecord r;
  r.id = "web";
  r.pid = 4242;
  r.wait_status = ExitedWith(3);
  r.exited_at = {1795845845, 123456789};
  EXPECT_EQ(FormatExitRecord(r),
            "{\"id\":\"web\",\"exec_id\":\"\",\"pid\":4242,\"status\":\"exited\",\"exit_code\":3,"
            "\"signal\":0,\"core_dumped\":false,\"exited_at\":\"2026-11-28T06:04:05.123456789Z\","
            "\"oom_killed\":false}\n");
}

TEST(ExitFileTest, SignaledProcessAndOom) {
  ExitRecord r;
  r.id = "web";
  r.exec_id = "e1";
  r.pid = 7;
  r.wait_status = KilledBy(SIGKILL);
  r.oom_killed = true;
  std::string s = FormatExitRecord(r);
  EXPECT_NE(s.find("\"exec_id\":\"e1\""), std::string::npos) << s;
  EXPECT_NE(s.find("\"status\":\"signaled\",\"exit_code\":137,\"signal\":9"), std::string::npos)
      << s;
  EXPECT_NE(s.find("\"oom_killed\":true"), std::string::npos) << s;
  EXPECT_EQ(ExitCode(r.wait_status), 137);
}

TEST(ExitFileTest, WrittenAtomically) {
  std::string path = absl::StrCat(testing::TempDir(), "/exit.", getpid());
  ExitRecord r;
  r.id = "c";
  r.wait_status = ExitedWith(0);
  ASSERT_TRUE(WriteExitFile(path, r).ok());
  EXPECT_EQ(*ReadFile(path), FormatExitRecord(r));
  EXPECT_FALSE(WriteExitFile("/nonexistent-dir/exit", r).ok());
}

TEST(Rfc3339Test, UtcWithNineDigits) {
  EXPECT_EQ(Rfc3339Nano({0, 0}), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(Rfc3339Nano({951782400, 5}), "2000-02-29T00:00:00.000000005Z");
  EXPECT_EQ(Rfc3339Nano({4102444799, 999999999}), "2099-12-31T23:59:59.999999999Z");
  // Every day for 400 years agrees with gmtime_r.
  for (time_t t = -86400L * 365 * 100; t < 86400L * 365 * 300; t += 86400 - 1) {
    struct tm tm;
    gmtime_r(&t, &tm);
    char want[128];
    snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.000000000Z", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    ASSERT_EQ(Rfc3339Nano({t, 0}), want) << t;
  }
}

}  // namespace
}  // namespace skiff::shim
