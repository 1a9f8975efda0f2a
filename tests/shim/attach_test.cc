// Attach clients: several at once, stdin, resize, detach, slow clients.
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/shim/shim_fixture.h"

namespace skiff::itest {
namespace {

using shim::AttachClient;

class AttachTest : public ShimTest {};

int Count(const std::string& s, const std::string& needle) {
  int n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) n++;
  return n;
}

// The container waits for /tmp/go, so both clients are attached before it speaks.
TEST_F(AttachTest, TwoClientsSeeTheSameOutput) {
  Bundle b;
  b.Sh("while [ ! -e /tmp/go ]; do sleep 0.02; done; echo hello both; echo to stderr >&2; exit 4");
  auto o = Opts(UniqueId("two"));
  Container c(rt(), b, o.id);
  LaunchAndStart(b, o, c);
  auto a1 = AttachClient::Attach(o.attach_socket);
  auto a2 = AttachClient::Attach(o.attach_socket);
  ASSERT_TRUE(a1.ok()) << a1.status();
  ASSERT_TRUE(a2.ok()) << a2.status();
  ASSERT_TRUE(WriteFile(b.InRootfs("/tmp/go"), ""));
  for (auto* a : {&*a1, &*a2}) {
    auto out = (*a)->ReadUntilExit(absl::Seconds(10));
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(out->out, "hello both\n");
    EXPECT_EQ(out->err, "to stderr\n");
    auto rec = json::parse(out->exit_record);
    EXPECT_EQ(rec["exit_code"], 4);
    EXPECT_EQ(out->exit_record, ReadFileOr(o.exit_file))
        << "the exit file and the 'x' frame carry the same record";
  }
}

TEST_F(AttachTest, StdinReachesCatAndStdinOnceClosesIt) {
  Bundle b;
  b.Args({"/bin/cat"});
  auto o = Opts(UniqueId("cat"));
  o.stdin = true;
  o.stdin_once = true;
  Container c(rt(), b, o.id);
  LaunchAndStart(b, o, c);
  auto a = AttachClient::Attach(o.attach_socket, "", /*stdin=*/true);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE((*a)->SendStdin("hello\n").ok());
  ASSERT_TRUE((*a)->SendStdin(std::string(200000, 'z') + "\n").ok());
  ASSERT_TRUE((*a)->CloseStdin().ok());  // the only stdin client: cat gets EOF
  auto out = (*a)->ReadUntilExit(absl::Seconds(10));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->out, "hello\n" + std::string(200000, 'z') + "\n");
  EXPECT_EQ(json::parse(out->exit_record)["exit_code"], 0);
  auto lines = StreamLines(ParseCriLog(ReadFileOr(o.log_path)), "stdout");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "hello");
}

TEST_F(AttachTest, StdinStaysOpenAcrossClientsWithoutStdinOnce) {
  Bundle b;
  b.Sh("while read l; do echo got:$l; done; echo eof");
  auto o = Opts(UniqueId("stdin"));
  o.stdin = true;
  Container c(rt(), b, o.id);
  LaunchAndStart(b, o, c);
  {
    auto a = AttachClient::Attach(o.attach_socket, "", true);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE((*a)->SendStdin("one\n").ok());
    auto ev = (*a)->Next(absl::Seconds(5));
    ASSERT_TRUE(ev.ok());
    EXPECT_EQ(ev->data, "got:one\n");
    ASSERT_TRUE((*a)->Detach().ok());
  }
  auto a = AttachClient::Attach(o.attach_socket, "", true);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->SendStdin("two\n").ok());
  auto ev = (*a)->Next(absl::Seconds(5));
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->data, "got:two\n") << "stdin survived the first client's detach";
  EXPECT_EQ(c.Status(), "running");
  ASSERT_TRUE(c.Kill("KILL").ok());
  ASSERT_TRUE(WaitExit(o.exit_file));
}

TEST_F(AttachTest, ResizeChangesSttySizeInside) {
  Bundle b;
  b.config()["process"]["terminal"] = true;
  b.Sh("read x; stty size; exit 0");
  auto o = Opts(UniqueId("resize"));
  o.terminal = true;
  o.stdin = true;
  Container c(rt(), b, o.id);
  LaunchAndStart(b, o, c);
  auto a = AttachClient::Attach(o.attach_socket, "", true);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE((*a)->Resize(41, 123).ok());
  ASSERT_TRUE((*a)->SendStdin("go\n").ok());  // after the resize, on the same connection
  auto out = (*a)->ReadUntilExit(absl::Seconds(10));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(Contains(out->out, "41 123")) << out->out;
  EXPECT_TRUE(Contains(ReadFileOr(o.log_path), " stdout F 41 123\r")) << ReadFileOr(o.log_path);
}

// A tty's input cannot be closed like a pipe: with --stdin-once the shim ends
// it with the tty's EOF character, after ending the pending line, so `cat`
// sees end-of-file and exits.
TEST_F(AttachTest, TtyStdinOnceGivesCatEndOfFileWhenTheClientSaysSo) {
  Bundle b;
  b.config()["process"]["terminal"] = true;
  b.Args({"/bin/cat"});
  auto o = Opts(UniqueId("ttyeof"));
  o.terminal = true;
  o.stdin = true;
  o.stdin_once = true;
  Container c(rt(), b, o.id);
  LaunchAndStart(b, o, c);
  auto a = AttachClient::Attach(o.attach_socket, "", /*stdin=*/true);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE((*a)->SendStdin("hello\nno newline yet").ok());
  ASSERT_TRUE((*a)->CloseStdin().ok());
  auto out = (*a)->ReadUntilExit(absl::Seconds(10));
  ASSERT_TRUE(out.ok()) << out.status() << "\nshim.log:\n" << ReadFileOr(o.shim_log);
  EXPECT_EQ(json::parse(out->exit_record)["exit_code"], 0);
  // The tty echoes the input and cat writes it back: each line twice (in an
  // order that depends on scheduling), the second ended by the shim's newline.
  EXPECT_EQ(Count(out->out, "hello\r\n"), 2) << out->out;
  EXPECT_EQ(Count(out->out, "no newline yet"), 2) << out->out;
  EXPECT_TRUE(Contains(out->out, "no newline yet\r\n")) << out->out;
  EXPECT_FALSE(Contains(out->out, "^D")) << "the EOF character is not echoed";
  EXPECT_TRUE(Contains(ReadFileOr(o.shim_log), "end-of-file sent to the tty"));
}

// The same when the last stdin client simply goes away; an output-only
// client watches.
TEST_F(AttachTest, TtyStdinOnceGivesEndOfFileWhenTheLastStdinClientLeaves) {
  Bundle b;
  b.config()["process"]["terminal"] = true;
  b.Sh("while read l; do echo got:$l; done; echo eof-seen; exit 3");
  auto o = Opts(UniqueId("ttyeof2"));
  o.terminal = true;
  o.stdin = true;
  o.stdin_once = true;
  Container c(rt(), b, o.id);
  LaunchAndStart(b, o, c);
  auto watcher = AttachClient::Attach(o.attach_socket);
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  {
    auto typist = AttachClient::Attach(o.attach_socket, "", /*stdin=*/true);
    ASSERT_TRUE(typist.ok()) << typist.status();
    ASSERT_TRUE((*typist)->SendStdin("one\r").ok());  // Enter, as a terminal sends it
    (*typist)->Close();                               // leaves without 'c'
  }
  auto out = (*watcher)->ReadUntilExit(absl::Seconds(10));
  ASSERT_TRUE(out.ok()) << out.status() << "\nshim.log:\n" << ReadFileOr(o.shim_log);
  EXPECT_TRUE(Contains(out->out, "got:one")) << out->out;
  EXPECT_FALSE(Contains(out->out, "got:\r")) << "no empty line: the line had ended" << out->out;
  EXPECT_TRUE(Contains(out->out, "eof-seen")) << out->out;
  EXPECT_EQ(json::parse(out->exit_record)["exit_code"], 3);
}

TEST_F(AttachTest, ClientThatNeverReadsIsDroppedAndBlocksNothing) {
  Bundle b;
  // About 8 MB of output, far more than a client queue and socket buffers.
  b.Sh(
      "while [ ! -e /tmp/go ]; do sleep 0.02; done; yes 0123456789abcdef | head -c 8000000; echo "
      "done");
  auto o = Opts(UniqueId("slow"));
  o.log_max_size = 0;  // one file (the CRI log of 8 MB of short lines is 27 MB)
  Container c(rt(), b, o.id);
  LaunchAndStart(b, o, c);
  auto slow = AttachClient::Attach(o.attach_socket);
  ASSERT_TRUE(slow.ok());
  ASSERT_TRUE(WriteFile(b.InRootfs("/tmp/go"), ""));
  // The container finishes while the client sleeps.
  auto rec = WaitExit(o.exit_file, milliseconds(30000));
  ASSERT_TRUE(rec);
  EXPECT_EQ((*rec)["exit_code"], 0);
  // The slow client was cut off: it gets some output, then EOF, no exit record.
  size_t got = 0;
  bool exit_seen = false;
  for (;;) {
    auto ev = (*slow)->Next(absl::Seconds(10));
    ASSERT_TRUE(ev.ok()) << ev.status();
    if (ev->kind == AttachClient::Event::Kind::kClosed) break;
    if (ev->kind == AttachClient::Event::Kind::kExit) exit_seen = true;
    got += ev->data.size();
  }
  EXPECT_LT(got, 8000000u);
  EXPECT_FALSE(exit_seen);
  EXPECT_TRUE(Contains(ReadFileOr(o.shim_log), "dropped")) << ReadFileOr(o.shim_log);
  // The log has every line.
  auto lines = StreamLines(ParseCriLog(ReadFileOr(o.log_path)), "stdout");
  ASSERT_EQ(lines.size(), 8000000u / 17 + 1);
  EXPECT_EQ(lines.back(), "0123done");  // 8000000 = 17 * 470588 + 4
}

TEST_F(AttachTest, UnknownSessionAndMissingHelloAreRefused) {
  Bundle b;
  b.Args({"/ocitest", "sleep", "60"});
  auto o = Opts(UniqueId("refuse"));
  Container c(rt(), b, o.id);
  LaunchAndStart(b, o, c);
  auto a = AttachClient::Attach(o.attach_socket, "nosuchexec");
  ASSERT_FALSE(a.ok());
  EXPECT_TRUE(Contains(std::string(a.status().message()), "no exec session `nosuchexec`"));
  ASSERT_TRUE(c.Kill("KILL").ok());
  ASSERT_TRUE(WaitExit(o.exit_file));
}

}  // namespace
}  // namespace skiff::itest
