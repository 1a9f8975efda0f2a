#include "shim/protocol.h"

#include "gtest/gtest.h"

namespace skiff::shim {
namespace {

TEST(FrameTest, RoundTripAcrossArbitrarySplits) {
  std::string wire;
  AppendFrame(&wire, kStdout, "hello");
  AppendFrame(&wire, kStderr, "");
  AppendFrame(&wire, kExit, std::string(70000, 'x'));
  for (size_t step : {1u, 3u, 4096u, 1000000u}) {
    FrameReader r;
    std::vector<Frame> got;
    for (size_t i = 0; i < wire.size(); i += step) {
      r.Feed(absl::string_view(wire).substr(i, step));
      while (auto f = r.Next()) got.push_back(*f);
    }
    ASSERT_EQ(got.size(), 3u) << "step " << step;
    EXPECT_EQ(got[0].type, kStdout);
    EXPECT_EQ(got[0].payload, "hello");
    EXPECT_EQ(got[1].type, kStderr);
    EXPECT_EQ(got[1].payload, "");
    EXPECT_EQ(got[2].payload.size(), 70000u);
    EXPECT_EQ(r.buffered(), 0u);
  }
}

TEST(FrameTest, HeaderIsTypeThenBigEndianLength) {
  std::string wire;
  AppendFrame(&wire, kStdin, std::string(258, 'a'));
  ASSERT_EQ(wire.size(), 5u + 258);
  EXPECT_EQ(wire[0], 'i');
  EXPECT_EQ(wire.substr(1, 4), std::string("\0\0\x01\x02", 4));
}

TEST(FrameTest, OversizedFrameIsAnError) {
  FrameReader r;
  r.Feed(std::string("i\x7f\0\0\0", 5));
  EXPECT_FALSE(r.Next());
  EXPECT_FALSE(r.error().ok());
  EXPECT_NE(r.error().message().find("larger than the limit"), std::string::npos);
}

TEST(HelloTest, EncodesFlagsAndSession) {
  auto h = DecodeHello(EncodeHello(true, "e1"));
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->stdin);
  EXPECT_EQ(h->session, "e1");
  h = DecodeHello(EncodeHello(false, ""));
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->stdin);
  EXPECT_EQ(h->session, "");
  EXPECT_FALSE(DecodeHello(""));
  EXPECT_FALSE(DecodeHello(EncodeHello(false, "../x")));
}

TEST(ResizeTest, RowsThenCols) {
  uint16_t r = 0, c = 0;
  ASSERT_TRUE(DecodeResize(EncodeResize(40, 300), &r, &c));
  EXPECT_EQ(r, 40);
  EXPECT_EQ(c, 300);
  EXPECT_FALSE(DecodeResize("abc", &r, &c));
}

TEST(ExecRequestTest, RoundTrip) {
  ExecRequest q;
  q.id = "e-1.x";
  q.process = "/run/p.json";
  q.tty = true;
  q.stdin = true;
  q.stdin_once = true;
  q.attach = true;
  q.log = "/var/log/e.log";
  q.exit_file = "/run/e.exit";
  auto r = DecodeExecRequest(EncodeExecRequest(q));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id, q.id);
  EXPECT_EQ(r->process, q.process);
  EXPECT_TRUE(r->tty && r->stdin && r->stdin_once && r->attach);
  EXPECT_EQ(r->log, q.log);
  EXPECT_EQ(r->exit_file, q.exit_file);
}

TEST(ExecRequestTest, ErrorsSayWhatIsWrong) {
  auto msg = [](absl::string_view p) {
    auto r = DecodeExecRequest(p);
    return r.ok() ? std::string("ok") : std::string(r.status().message());
  };
  EXPECT_NE(msg("process=/p\n").find("id ``"), std::string::npos);
  EXPECT_NE(msg("id=e1\n").find("process= is required"), std::string::npos);
  EXPECT_NE(msg("id=e1\nprocess=rel.json\n").find("absolute path"), std::string::npos);
  EXPECT_NE(msg("id=e1\nprocess=/p\ntty=yes\n").find("want 0 or 1"), std::string::npos);
  EXPECT_NE(msg("id=e1\nprocess=/p\nfoo=1\n").find("unknown key `foo`"), std::string::npos);
  EXPECT_NE(msg("id=e1\nprocess=/p\nstdin-once=1\n").find("needs stdin=1"), std::string::npos);
  EXPECT_NE(msg("id=e1\nprocess=/p\nnoequals\n").find("not key=value"), std::string::npos);
}

TEST(SessionIdTest, Charset) {
  EXPECT_TRUE(ValidSessionId("a"));
  EXPECT_TRUE(ValidSessionId("exec-1_2.3"));
  EXPECT_FALSE(ValidSessionId(""));
  EXPECT_FALSE(ValidSessionId(".hidden"));
  EXPECT_FALSE(ValidSessionId("a/b"));
  EXPECT_FALSE(ValidSessionId(std::string(65, 'a')));
}

}  // namespace
}  // namespace skiff::shim
