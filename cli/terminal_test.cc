#include "cli/terminal.h"

#include <gtest/gtest.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace skiff::cli {
namespace {

class PtyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct winsize ws = {};
    ws.ws_row = 24;
    ws.ws_col = 80;
    ASSERT_EQ(openpty(&master_, &slave_, nullptr, nullptr, &ws), 0);
  }
  void TearDown() override {
    close(master_);
    close(slave_);
  }
  bool Canonical() {
    struct termios t;
    EXPECT_EQ(tcgetattr(slave_, &t), 0);
    return (t.c_lflag & ICANON) && (t.c_lflag & ECHO);
  }
  int master_ = -1, slave_ = -1;
};

TEST_F(PtyTest, RawModeIsRestoredOnScopeExit) {
  ASSERT_TRUE(Canonical());
  {
    auto raw = RawMode::Enable(slave_);
    ASSERT_TRUE(raw.ok()) << raw.status();
    EXPECT_FALSE(Canonical());
    // Only one at a time: a second one would save the raw settings.
    EXPECT_FALSE(RawMode::Enable(slave_).ok());
  }
  EXPECT_TRUE(Canonical());
}

TEST_F(PtyTest, NotATerminalIsAnError) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  auto raw = RawMode::Enable(p[0]);
  EXPECT_FALSE(raw.ok());
  EXPECT_FALSE(GetWindowSize(p[0]).ok());
  close(p[0]);
  close(p[1]);
}

TEST_F(PtyTest, RawModeIsRestoredWhenKilledBySignal) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto raw = RawMode::Enable(slave_);
    if (!raw.ok()) _exit(2);
    kill(getpid(), SIGTERM);
    _exit(3);  // not reached: SIGTERM's default action ends the process
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_TRUE(Canonical());
}

TEST_F(PtyTest, RawModeIsRestoredOnExit) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto raw = RawMode::Enable(slave_);
    if (!raw.ok()) _exit(2);
    raw->release();  // exit() runs no destructors of locals
    exit(7);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
  EXPECT_TRUE(Canonical());
}

TEST_F(PtyTest, WindowSizeAndWinch) {
  auto size = GetWindowSize(slave_);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->rows, 24);
  EXPECT_EQ(size->columns, 80);

  std::atomic<int> calls{0};
  {
    WinchWatcher watcher([&] { calls++; });
    struct winsize ws = {};
    ws.ws_row = 50;
    ws.ws_col = 132;
    ASSERT_EQ(ioctl(master_, TIOCSWINSZ, &ws), 0);
    kill(getpid(), SIGWINCH);
    for (int i = 0; i < 200 && calls.load() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  EXPECT_GE(calls.load(), 1);
  size = GetWindowSize(slave_);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->rows, 50);
  EXPECT_EQ(size->columns, 132);
}

}  // namespace
}  // namespace skiff::cli
