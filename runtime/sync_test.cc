#include "runtime/sync.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::runtime {
namespace {

using ::testing::HasSubstr;

TEST(SyncSocketTest, PairIsSeqpacketAndCloexec) {
  SyncSocket parent, child;
  ASSERT_TRUE(SyncSocket::Pair(&parent, &child).ok());
  ASSERT_GE(parent.fd(), 0);
  ASSERT_GE(child.fd(), 0);
  EXPECT_NE(parent.fd(), child.fd());
  int type = 0;
  socklen_t len = sizeof type;
  ASSERT_EQ(getsockopt(parent.fd(), SOL_SOCKET, SO_TYPE, &type, &len), 0);
  EXPECT_EQ(type, SOCK_SEQPACKET);
  EXPECT_TRUE(fcntl(parent.fd(), F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(fcntl(child.fd(), F_GETFD) & FD_CLOEXEC);
}

TEST(SyncSocketTest, SendRecvRoundTrip) {
  SyncSocket parent, child;
  ASSERT_TRUE(SyncSocket::Pair(&parent, &child).ok());

  SyncMsg m;
  m.type = SyncType::kGo;
  m.pid = 1234;
  ASSERT_TRUE(parent.Send(m).ok());
  auto got = child.Recv();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->type, SyncType::kGo);
  EXPECT_EQ(got->pid, 1234);
  EXPECT_EQ(got->err, 0);

  // Both directions, messages stay separate and ordered.
  ASSERT_TRUE(child.Send(SyncType::kRunHooks).ok());
  ASSERT_TRUE(child.Send(SyncType::kReady).ok());
  EXPECT_TRUE(parent.Expect(SyncType::kRunHooks).ok());
  EXPECT_TRUE(parent.Expect(SyncType::kReady).ok());
}

TEST(SyncSocketTest, PassesFd) {
  SyncSocket parent, child;
  ASSERT_TRUE(SyncSocket::Pair(&parent, &child).ok());
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  UniqueFd r(p[0]), w(p[1]);

  ASSERT_TRUE(child.Send(SyncType::kPty, w.get()).ok());
  w.reset();  // the only write end left is the one in flight

  UniqueFd passed;
  ASSERT_TRUE(parent.Expect(SyncType::kPty, &passed).ok());
  ASSERT_TRUE(passed.valid());
  EXPECT_TRUE(fcntl(passed.get(), F_GETFD) & FD_CLOEXEC);
  ASSERT_EQ(write(passed.get(), "hello", 5), 5);
  passed.reset();
  char buf[16] = {};
  ASSERT_EQ(read(r.get(), buf, sizeof buf), 5);
  EXPECT_STREQ(buf, "hello");
  EXPECT_EQ(read(r.get(), buf, sizeof buf), 0);  // no copy leaked
}

TEST(SyncSocketTest, PassedFdIsClosedWhenNotWanted) {
  SyncSocket parent, child;
  ASSERT_TRUE(SyncSocket::Pair(&parent, &child).ok());
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  UniqueFd r(p[0]), w(p[1]);
  ASSERT_TRUE(child.Send(SyncType::kPty, w.get()).ok());
  w.reset();
  ASSERT_TRUE(parent.Expect(SyncType::kPty).ok());
  char c;
  EXPECT_EQ(read(r.get(), &c, 1), 0);  // the received copy was closed
}

TEST(SyncSocketTest, ErrorBecomesStatus) {
  SyncSocket parent, child;
  ASSERT_TRUE(SyncSocket::Pair(&parent, &child).ok());
  child.SendError("mounts", "mount proc on", "/proc", EPERM, "a user namespace needs a pid ns");
  absl::Status s = parent.Expect(SyncType::kReady);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), absl::StrCat("mounts: mount proc on `/proc`: ", strerror(EPERM),
                                      " (a user namespace needs a pid ns)"));
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;

  // Without a path or hint.
  child.SendError("exec", "execve", "", ENOENT);
  s = parent.Expect(SyncType::kReady);
  EXPECT_EQ(s.message(), absl::StrCat("exec: execve: ", strerror(ENOENT)));
  EXPECT_TRUE(absl::IsNotFound(s)) << s;

  // Without an errno.
  child.SendError("init", "bad config", "", 0, "fix it");
  s = parent.Expect(SyncType::kReady);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "init: bad config (fix it)");
}

TEST(SyncSocketTest, LongFieldsAreTruncatedNotOverflowed) {
  SyncSocket parent, child;
  ASSERT_TRUE(SyncSocket::Pair(&parent, &child).ok());
  std::string long_path(2000, 'p');
  child.SendError(std::string(100, 's'), "op", long_path, EIO);
  auto m = parent.Recv();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->type, SyncType::kError);
  EXPECT_EQ(strlen(m->stage), sizeof(m->stage) - 1);
  EXPECT_EQ(strlen(m->path), sizeof(m->path) - 1);
  EXPECT_EQ(m->err, EIO);
}

TEST(SyncSocketTest, PeerClosedIsUnavailable) {
  SyncSocket parent, child;
  ASSERT_TRUE(SyncSocket::Pair(&parent, &child).ok());
  child.Close();
  auto m = parent.Recv();
  EXPECT_TRUE(absl::IsUnavailable(m.status())) << m.status();
  absl::Status s = parent.Expect(SyncType::kReady);
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  // Sending to a closed peer fails instead of raising SIGPIPE.
  EXPECT_FALSE(parent.Send(SyncType::kGo).ok());
}

TEST(SyncSocketTest, WrongTypeIsError) {
  SyncSocket parent, child;
  ASSERT_TRUE(SyncSocket::Pair(&parent, &child).ok());
  ASSERT_TRUE(child.Send(SyncType::kReady).ok());
  absl::Status s = parent.Expect(SyncType::kRunHooks);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("expected message"));
}

TEST(SyncSocketTest, ShortMessageIsError) {
  SyncSocket parent, child;
  ASSERT_TRUE(SyncSocket::Pair(&parent, &child).ok());
  ASSERT_EQ(write(child.fd(), "xy", 2), 2);
  auto m = parent.Recv();
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(std::string(m.status().message()), HasSubstr("short message"));
}

}  // namespace
}  // namespace skiff::runtime
