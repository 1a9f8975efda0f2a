#include "cli/render/progress.h"

#include <gtest/gtest.h>

#include <sstream>

namespace skiff::cli {
namespace {

skiff::v1::Progress P(const std::string& id, const std::string& status, int64_t current = 0,
                      int64_t total = 0) {
  skiff::v1::Progress p;
  p.set_id(id);
  p.set_status(status);
  p.set_current(current);
  p.set_total(total);
  return p;
}

TEST(ProgressBarTest, DockerLayout) {
  EXPECT_EQ(ProgressBar(0, 0, 200), "");
  EXPECT_EQ(ProgressBar(1200000, 0, 200), "   1.2MB");
  EXPECT_EQ(ProgressBar(1200000, 3400000, 80), "   1.2MB/3.4MB");
  EXPECT_EQ(ProgressBar(1700000, 3400000, 200),
            "[=========================>                         ]    1.7MB/3.4MB");
  EXPECT_EQ(ProgressBar(3400000, 3400000, 200),
            "[==================================================>]    3.4MB/3.4MB");
  // More than the total (a size that was a guess): the bar without numbers.
  EXPECT_EQ(ProgressBar(5, 4, 200), "[==================================================>] ");
}

TEST(ProgressRendererTest, PlainPrintsOneLinePerStatusChangeWithoutBars) {
  std::ostringstream out;
  ProgressRenderer r(out, /*terminal=*/false);
  r.Update(P("1", "Pulling from test/busybox"));
  r.Update(P("a46fbb00284b", "Pulling fs layer"));
  r.Update(P("a46fbb00284b", "Downloading", 100, 1000));
  r.Update(P("a46fbb00284b", "Downloading", 500, 1000));
  r.Update(P("a46fbb00284b", "Pull complete"));
  r.Update(P("", "Digest: sha256:abc"));
  EXPECT_EQ(out.str(),
            "1: Pulling from test/busybox\n"
            "a46fbb00284b: Pulling fs layer\n"
            "a46fbb00284b: Downloading\n"
            "a46fbb00284b: Pull complete\n"
            "Digest: sha256:abc\n");
  EXPECT_EQ(out.str().find('\x1b'), std::string::npos);
}

TEST(ProgressRendererTest, TerminalRedrawsEachLayerInPlace) {
  std::ostringstream out;
  ProgressRenderer r(out, /*terminal=*/true, /*width=*/80);
  r.Update(P("aaa", "Waiting"));
  r.Update(P("bbb", "Waiting"));
  r.Update(P("aaa", "Downloading", 1200000, 3400000));
  EXPECT_EQ(out.str(),
            // aaa: a new line, then up 1 to draw on it and back down.
            "\n\x1b[1A\x1b[2K\raaa: Waiting\r\x1b[1B"
            // bbb: a second line.
            "\n\x1b[1A\x1b[2K\rbbb: Waiting\r\x1b[1B"
            // aaa again: two lines up, redrawn, two down.
            "\x1b[2A\x1b[2K\raaa: Downloading    1.2MB/3.4MB\r\x1b[2B");
}

TEST(ProgressRendererTest, TerminalMessageWithoutIdStartsANewBlock) {
  std::ostringstream out;
  ProgressRenderer r(out, /*terminal=*/true, /*width=*/80);
  r.Update(P("aaa", "Pull complete"));
  r.Update(P("", "Digest: sha256:abc"));
  r.Update(P("aaa", "Pushed"));
  EXPECT_EQ(out.str(),
            "\n\x1b[1A\x1b[2K\raaa: Pull complete\r\x1b[1B"
            "\x1b[2K\rDigest: sha256:abc\n"
            "\n\x1b[1A\x1b[2K\raaa: Pushed\r\x1b[1B");
}

TEST(ProgressRendererTest, ErrorReplacesTheStatus) {
  std::ostringstream out;
  ProgressRenderer r(out, /*terminal=*/false);
  skiff::v1::Progress p = P("aaa", "Downloading");
  p.set_error("digest mismatch");
  r.Update(p);
  EXPECT_EQ(out.str(), "aaa: digest mismatch\n");
}

}  // namespace
}  // namespace skiff::cli
