#include "shim/tty_eof.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <cstring>

#include "gtest/gtest.h"

namespace skiff::shim {
namespace {

struct termios Cooked() {
  struct termios t;
  memset(&t, 0, sizeof t);
  t.c_lflag = ICANON | ECHO;
  t.c_iflag = ICRNL;
  t.c_cc[VEOF] = 4;
  t.c_cc[VEOL] = _POSIX_VDISABLE;
  t.c_cc[VEOL2] = _POSIX_VDISABLE;
  return t;
}

TEST(TtyEofSequence, AtTheStartOfALineIsJustVeof) {
  EXPECT_EQ(TtyEofSequence(Cooked(), '\n'), "\x04");
  EXPECT_EQ(TtyEofSequence(Cooked(), '\r'), "\x04") << "ICRNL: Enter ends the line";
  EXPECT_EQ(TtyEofSequence(Cooked(), '\x04'), "\x04") << "after an EOF the line is empty";
}

TEST(TtyEofSequence, APendingLineIsEndedFirst) {
  EXPECT_EQ(TtyEofSequence(Cooked(), 'x'), "\n\x04");
  struct termios t = Cooked();
  t.c_iflag = 0;
  EXPECT_EQ(TtyEofSequence(t, '\r'), "\n\x04") << "without ICRNL, \\r ends no line";
  t.c_cc[VEOL] = ';';
  EXPECT_EQ(TtyEofSequence(t, ';'), "\x04") << "VEOL ends a line";
}

TEST(TtyEofSequence, UsesTheTtysOwnEofCharacter) {
  struct termios t = Cooked();
  t.c_cc[VEOF] = 'Z' - '@';
  EXPECT_EQ(TtyEofSequence(t, '\n'), "\x1a");
}

TEST(TtyEofSequence, RawModeGetsTheBareCharacterAndDisabledVeofNothing) {
  struct termios t = Cooked();
  t.c_lflag = 0;
  EXPECT_EQ(TtyEofSequence(t, 'x'), "\x04");
  t = Cooked();
  t.c_cc[VEOF] = _POSIX_VDISABLE;
  EXPECT_EQ(TtyEofSequence(t, 'x'), "");
}

// read(2) that gives up (-2) after 5 s instead of hanging the test.
ssize_t ReadWithin5s(int fd, char* buf, size_t n) {
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, 5000) != 1) return -2;
  return read(fd, buf, n);
}

// On a real pty (no root needed): the sequence makes a canonical reader
// see its pending bytes, then end-of-file.
TEST(TtyEofSequence, RealPtyReaderSeesTheLineThenEof) {
  int master, slave;
  ASSERT_EQ(openpty(&master, &slave, nullptr, nullptr, nullptr), 0) << strerror(errno);
  struct termios t;
  ASSERT_EQ(tcgetattr(master, &t), 0) << "the master reports the slave's termios";
  std::string in = "abc" + TtyEofSequence(t, 'c');
  ASSERT_EQ(write(master, in.data(), in.size()), static_cast<ssize_t>(in.size()));
  char buf[64];
  ASSERT_EQ(ReadWithin5s(slave, buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf, 4), "abc\n");
  EXPECT_EQ(ReadWithin5s(slave, buf, sizeof buf), 0) << "end-of-file";
  close(master);
  close(slave);
}

}  // namespace
}  // namespace skiff::shim
