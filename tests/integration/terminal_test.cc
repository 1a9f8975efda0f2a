// process.terminal: the pty master arrives on --console-socket, the
// container's stdio is the slave, /dev/console is the slave.
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/rootfs/bundle.h"

namespace skiff::itest {
namespace {

class TerminalTest : public RuntimeTest {};

TEST_F(TerminalTest, ConsoleSocketReceivesPtyMaster) {
  TempDir d;
  ConsoleSocket sock(d / "console.sock");
  ASSERT_TRUE(sock.listening());
  Bundle b;
  b.config()["process"]["terminal"] = true;
  b.Args({"/ocitest", "isatty", "0", "+", "isatty", "1", "+", "isatty", "2", "+", "ttyname", "0",
          "+", "stat", "/dev/console", "+", "sid"});
  Container c(rt(), b);
  RunResult cr = c.Create({"--console-socket", sock.path()});
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  int master = sock.ReceiveFd();
  ASSERT_GE(master, 0) << "no fd received on the console socket";
  EXPECT_TRUE(isatty(master)) << "received fd is not a terminal";
  ASSERT_TRUE(c.Start().ok());
  std::string out = ReadUntilClosed(master);
  close(master);
  auto lines = SplitLines(out);
  ASSERT_EQ(lines.size(), 6u) << out;
  EXPECT_EQ(lines[0], "yes");
  EXPECT_EQ(lines[1], "yes");
  EXPECT_EQ(lines[2], "yes");
  EXPECT_EQ(lines[3].rfind("/dev/pts/", 0), 0u) << lines[3];
  EXPECT_EQ(lines[4].rfind("c 136:", 0), 0u) << "/dev/console: " << lines[4];
  EXPECT_EQ(lines[5], "sid=1 pgid=1") << "pid 1 must lead a session with the tty";
}

TEST_F(TerminalTest, InputFromMasterReachesTheProcess) {
  TempDir d;
  ConsoleSocket sock(d / "console.sock");
  Bundle b;
  b.config()["process"]["terminal"] = true;
  b.Sh("read line; echo \"got:$line\"");
  Container c(rt(), b);
  ASSERT_TRUE(c.Create({"--console-socket", sock.path()}).ok());
  int master = sock.ReceiveFd();
  ASSERT_GE(master, 0);
  ASSERT_TRUE(c.Start().ok());
  ASSERT_EQ(write(master, "typed\n", 6), 6);
  std::string out = ReadUntilClosed(master);
  close(master);
  EXPECT_TRUE(Contains(out, "got:typed")) << out;
}

TEST_F(TerminalTest, ConsoleSize) {
  TempDir d;
  ConsoleSocket sock(d / "console.sock");
  Bundle b;
  b.config()["process"]["terminal"] = true;
  b.config()["process"]["consoleSize"] = {{"height", 30}, {"width", 100}};
  b.Args({"/bin/stty", "size"});
  Container c(rt(), b);
  ASSERT_TRUE(c.Create({"--console-socket", sock.path()}).ok());
  int master = sock.ReceiveFd();
  ASSERT_GE(master, 0);
  ASSERT_TRUE(c.Start().ok());
  std::string out = ReadUntilClosed(master);
  close(master);
  EXPECT_EQ(Trim(out), "30 100");
}

TEST_F(TerminalTest, RunDetachWithConsoleSocket) {
  TempDir d;
  ConsoleSocket sock(d / "console.sock");
  Bundle b;
  b.config()["process"]["terminal"] = true;
  b.Args({"/bin/echo", "detached-tty"});
  Container c(rt(), b);
  RunResult r = c.Run({"--detach", "--console-socket", sock.path()});
  ASSERT_TRUE(r.ok()) << r.Describe();
  int master = sock.ReceiveFd();
  ASSERT_GE(master, 0);
  std::string out = ReadUntilClosed(master);
  close(master);
  EXPECT_EQ(Trim(out), "detached-tty");
}

TEST_F(TerminalTest, ForegroundRunUsesTheCallersTerminal) {
  // `run` without --detach relays between its own controlling terminal and
  // the container's pty.
  Pty pty;
  ASSERT_TRUE(pty.ok());
  Bundle b;
  b.config()["process"]["terminal"] = true;
  b.Sh("/ocitest isatty 0; /ocitest stat /dev/console; exit 5");
  Container c(rt(), b);
  RunOptions o;
  o.ctty_fd = pty.slave();
  auto p = c.SpawnRun({}, o);
  pty.CloseSlave();
  std::string out = ReadUntilClosed(pty.master());
  RunResult r = p->Wait();
  EXPECT_EQ(r.exit_code, 5) << r.Describe() << "\ntty output: " << out;
  auto lines = SplitLines(out);
  ASSERT_GE(lines.size(), 2u) << out;
  EXPECT_EQ(lines[0], "yes");
  EXPECT_EQ(lines[1].rfind("c 136:", 0), 0u) << lines[1];
}

TEST_F(TerminalTest, TerminalWithoutConsoleSocketFailsCreate) {
  Bundle b;
  b.config()["process"]["terminal"] = true;
  Container c(rt(), b);
  RunResult r = c.Create();
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "console")) << r.Describe();
  EXPECT_FALSE(c.State());
}

TEST_F(TerminalTest, NoDevConsoleWithoutTerminal) {
  Bundle b;
  b.Args({"/ocitest", "exists", "/dev/console"});
  Container c(rt(), b);
  RunResult r = c.Run();
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(Trim(r.out), "no");
}

}  // namespace
}  // namespace skiff::itest
