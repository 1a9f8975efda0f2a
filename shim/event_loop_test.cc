#include "shim/event_loop.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "shim/reaper.h"

namespace skiff::shim {
namespace {

TEST(EventLoopTest, FdCallbacksTimersAndPosts) {
  auto loop = *EventLoop::Create();
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  std::vector<std::string> order;
  ASSERT_TRUE(loop->Add(p[0], EPOLLIN,
                        [&](uint32_t) {
                          char c;
                          ASSERT_EQ(read(p[0], &c, 1), 1);
                          order.push_back(std::string("fd ") + c);
                          loop->Remove(p[0]);
                        })
                  .ok());
  loop->AddTimer(30, [&] {
    order.push_back("timer 30");
    loop->Stop();
  });
  auto cancelled = loop->AddTimer(10, [&] { order.push_back("cancelled"); });
  loop->CancelTimer(cancelled);
  loop->AddTimer(20, [&] {
    order.push_back("timer 20");
    ASSERT_EQ(write(p[1], "x", 1), 1);
  });
  loop->Post([&] { order.push_back("post"); });
  ASSERT_TRUE(loop->Run().ok());
  EXPECT_EQ(order, (std::vector<std::string>{"post", "timer 20", "fd x", "timer 30"}));
  close(p[0]);
  close(p[1]);
}

TEST(EventLoopTest, RemovedFdGetsNoMoreEventsThisRound) {
  auto loop = *EventLoop::Create();
  int a[2], b[2];
  ASSERT_EQ(pipe(a), 0);
  ASSERT_EQ(pipe(b), 0);
  ASSERT_EQ(write(a[1], "x", 1), 1);
  ASSERT_EQ(write(b[1], "x", 1), 1);
  int calls = 0;
  // Whichever runs first removes (and closes) the other.
  ASSERT_TRUE(loop->Add(a[0], EPOLLIN,
                        [&](uint32_t) {
                          calls++;
                          loop->Remove(b[0]);
                          loop->Remove(a[0]);
                        })
                  .ok());
  ASSERT_TRUE(loop->Add(b[0], EPOLLIN,
                        [&](uint32_t) {
                          calls++;
                          loop->Remove(a[0]);
                          loop->Remove(b[0]);
                        })
                  .ok());
  loop->AddTimer(50, [&] { loop->Stop(); });
  ASSERT_TRUE(loop->Run().ok());
  EXPECT_EQ(calls, 1);
  for (int fd : {a[0], a[1], b[0], b[1]}) close(fd);
}

TEST(ReaperTest, WatchedAndUnclaimedChildren) {
  auto loop = *EventLoop::Create();
  Reaper reaper(*loop);
  pid_t early = fork();
  if (early == 0) _exit(3);
  pid_t late = fork();
  if (late == 0) {
    usleep(100 * 1000);
    _exit(4);
  }
  EXPECT_TRUE(reaper.CheckChild(late).ok());
  EXPECT_FALSE(reaper.CheckChild(1).ok()) << "init is nobody's child";
  int late_status = -1, early_status = -1;
  reaper.Watch(late, [&](int st) {
    late_status = st;
    loop->Stop();
  });
  // `early` exits unwatched: reaped and kept for a later Watch.
  while (late_status < 0) {
    reaper.ReapAll();
    loop->AddTimer(10, [&] { loop->Stop(); });
    ASSERT_TRUE(loop->Run().ok());
  }
  EXPECT_TRUE(WIFEXITED(late_status) && WEXITSTATUS(late_status) == 4);
  EXPECT_TRUE(reaper.CheckChild(early).ok()) << "reaped but unclaimed";
  reaper.Watch(early, [&](int st) {
    early_status = st;
    loop->Stop();
  });
  ASSERT_TRUE(loop->Run().ok());
  EXPECT_TRUE(WIFEXITED(early_status) && WEXITSTATUS(early_status) == 3);
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1) << "no child left";
}

}  // namespace
}  // namespace skiff::shim
