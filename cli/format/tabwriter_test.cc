#include "cli/format/tabwriter.h"

#include <string>

#include "gtest/gtest.h"

namespace skiff::cli {
namespace {

std::string Align(const std::string& text, int min_width, int padding) {
  TabWriter tw(min_width, padding);
  tw.Write(text);
  return tw.Flush();
}

TEST(TabWriterTest, MatchesDockerPs) {
  TabWriter tw(/*min_width=*/10);
  tw.Write("CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\n");
  tw.Write("abc123def456\tnginx\t\"/docker-entrypoint.…\"\t2 minutes ago\tUp 2 minutes\t80/tcp\tweb\n");
  EXPECT_EQ(tw.Flush(),
            "CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS         PORTS     NAMES\n"
            "abc123def456   nginx     \"/docker-entrypoint.…\"   2 minutes ago   Up 2 minutes   80/tcp    web\n");
}

TEST(TabWriterTest, DefaultMinWidthIsTwenty) {
  TabWriter tw;
  tw.Write("A\tB\n");
  EXPECT_EQ(tw.Flush(), "A                   B\n");
}

TEST(TabWriterTest, ColumnBlocksEndAtALineWithFewerCells) {
  EXPECT_EQ(Align("a\tb\tc\naa\tbb\tcc\naaa\naaaa\tbbbb\n", 0, 1),
            "a  b  c\n"
            "aa bb cc\n"
            "aaa\n"
            "aaaa bbbb\n");
}

TEST(TabWriterTest, NestedBlocksGetTheirOwnWidths) {
  // Column 1 exists only in the first two lines; the third line still
  // shares column 0 with them.
  EXPECT_EQ(Align("x\tyyyyyy\tz\nx\ty\tz\nxxxxx\tq\n", 0, 1),
            "x     yyyyyy z\n"
            "x     y      z\n"
            "xxxxx q\n");
}

TEST(TabWriterTest, LastCellIsNotPaddedButEmptyTerminatedCellsAre) {
  EXPECT_EQ(Align("x\t\n", 5, 1), "x    \n");
  EXPECT_EQ(Align("\tb\n", 3, 1), "   b\n");
  EXPECT_EQ(Align("only text\n", 20, 3), "only text\n");
}

TEST(TabWriterTest, CountsUtf8CharactersNotBytes) {
  EXPECT_EQ(Align("héllo\tx\nab\ty\n", 0, 2), "héllo  x\nab     y\n");
}

TEST(TabWriterTest, FinalLineWithoutNewlineIsKept) {
  EXPECT_EQ(Align("a\tb", 0, 1), "a b");
  EXPECT_EQ(Align("a\tb\nc", 0, 1), "a b\nc");
  EXPECT_EQ(Align("", 10, 3), "");
  EXPECT_EQ(Align("\n\n", 10, 3), "\n\n");
}

TEST(TabWriterTest, WritesAccumulateAcrossCallsAndFlushResets) {
  TabWriter tw(0, 1);
  tw.Write("NAME\tSIZE\n");
  tw.Write("a");
  tw.Write("lpine\t5MB\n");
  EXPECT_EQ(tw.Flush(), "NAME   SIZE\nalpine 5MB\n");
  tw.Write("x\ty\n");
  EXPECT_EQ(tw.Flush(), "x y\n");
  EXPECT_EQ(tw.Flush(), "");
}

}  // namespace
}  // namespace skiff::cli
