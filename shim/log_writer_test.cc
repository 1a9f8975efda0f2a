#include "shim/log_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "gtest/gtest.h"

namespace skiff::shim {
namespace {

constexpr char kStamp[] = "2026-11-28T06:04:05.000000042Z";

class LogWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(testing::TempDir(), "/logw.", getpid(), ".", counter_++);
    mkdir(dir_.c_str(), 0700);
    path_ = dir_ + "/ctr.log";
  }
  std::unique_ptr<LogWriter> Open(uint64_t max_size = 0, int max_files = 3) {
    auto w = LogWriter::Open({path_, max_size, max_files});
    EXPECT_TRUE(w.ok()) << w.status();
    (*w)->set_clock([] { return timespec{1795845845, 42}; });
    return std::move(*w);
  }
  std::vector<std::string> Lines(const std::string& path) {
    auto text = ReadFile(path);
    if (!text.ok()) return {};
    std::vector<std::string> v = absl::StrSplit(*text, '\n');
    EXPECT_EQ(v.back(), "") << "the file must end with a newline";
    v.pop_back();
    return v;
  }
  std::string dir_, path_;
  static inline int counter_ = 0;
};

TEST_F(LogWriterTest, CriFormatWithStreamsAndTags) {
  auto w = Open();
  w->Write(LogStream::kStdout, "one\ntwo\n");
  w->Write(LogStream::kStderr, "err\n");
  w->Write(LogStream::kStdout, "par");
  w->Write(LogStream::kStdout, "tial\nlast");
  w->Flush();
  EXPECT_EQ(Lines(path_), (std::vector<std::string>{
                              absl::StrCat(kStamp, " stdout F one"),
                              absl::StrCat(kStamp, " stdout F two"),
                              absl::StrCat(kStamp, " stderr F err"),
                              absl::StrCat(kStamp, " stdout F partial"),
                              absl::StrCat(kStamp, " stdout P last"),
                          }));
  EXPECT_TRUE(w->error().ok());
}

TEST_F(LogWriterTest, StreamsKeepTheirOwnPartialLines) {
  auto w = Open();
  w->Write(LogStream::kStdout, "a");
  w->Write(LogStream::kStderr, "b");
  w->Write(LogStream::kStdout, "c\n");
  w->Write(LogStream::kStderr, "d\n");
  EXPECT_EQ(Lines(path_), (std::vector<std::string>{absl::StrCat(kStamp, " stdout F ac"),
                                                    absl::StrCat(kStamp, " stderr F bd")}));
}

TEST_F(LogWriterTest, EmptyLinesAndCarriageReturnsAreKept) {
  auto w = Open();
  w->Write(LogStream::kStdout, "\nx\r\n");
  EXPECT_EQ(Lines(path_), (std::vector<std::string>{absl::StrCat(kStamp, " stdout F "),
                                                    absl::StrCat(kStamp, " stdout F x\r")}));
}

TEST_F(LogWriterTest, LongLinesAreCutIntoPartialRecords) {
  auto w = Open();
  std::string line(2 * kMaxLineBytes + 100, 'a');
  // Arrives in odd pieces, as a pipe would deliver it.
  for (size_t i = 0; i < line.size(); i += 5000) w->Write(LogStream::kStdout, line.substr(i, 5000));
  w->Write(LogStream::kStdout, "\n");
  auto lines = Lines(path_);
  ASSERT_EQ(lines.size(), 3u);
  std::string prefix = absl::StrCat(kStamp, " stdout ");
  EXPECT_EQ(lines[0], prefix + "P " + std::string(kMaxLineBytes, 'a'));
  EXPECT_EQ(lines[1], prefix + "P " + std::string(kMaxLineBytes, 'a'));
  EXPECT_EQ(lines[2], prefix + "F " + std::string(100, 'a'));
}

TEST_F(LogWriterTest, LineOfExactlyMaxBytesIsFull) {
  auto w = Open();
  w->Write(LogStream::kStdout, std::string(kMaxLineBytes, 'b') + "\n");
  auto lines = Lines(path_);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].substr(0, 47), absl::StrCat(kStamp, " stdout F bbbbbbb"));
  EXPECT_EQ(lines[0].size(), 40 + kMaxLineBytes);
}

TEST_F(LogWriterTest, RotationKeepsMaxFilesAndLosesNoLine) {
  const int kLines = 1000;
  auto w = Open(/*max_size=*/2000, /*max_files=*/3);
  for (int i = 0; i < kLines; i++) w->Write(LogStream::kStdout, absl::StrCat("line ", i, "\n"));
  EXPECT_TRUE(w->error().ok()) << w->error();
  struct stat st;
  EXPECT_EQ(stat((path_ + ".3").c_str(), &st), -1) << "only 3 files are kept";
  std::vector<std::string> all;
  for (const std::string& p : {path_ + ".2", path_ + ".1", path_}) {
    ASSERT_EQ(stat(p.c_str(), &st), 0) << p;
    EXPECT_LE(st.st_size, 2000) << p;
    for (auto& l : Lines(p)) all.push_back(l);
  }
  // The newest lines, consecutive, ending with the last one.
  ASSERT_GT(all.size(), 10u);
  int first = kLines - static_cast<int>(all.size());
  for (size_t i = 0; i < all.size(); i++)
    EXPECT_EQ(all[i], absl::StrCat(kStamp, " stdout F line ", first + static_cast<int>(i)));
}

TEST_F(LogWriterTest, ReopenAppendsAndCountsTheExistingSize) {
  {
    auto w = Open(1000, 2);
    w->Write(LogStream::kStdout, std::string(950, 'x') + "\n");
  }
  auto w = Open(1000, 2);
  EXPECT_GT(w->size(), 900u);
  w->Write(LogStream::kStdout, "next\n");  // does not fit: rotates first
  EXPECT_EQ(Lines(path_), (std::vector<std::string>{absl::StrCat(kStamp, " stdout F next")}));
  EXPECT_EQ(Lines(path_ + ".1").size(), 1u);
}

TEST_F(LogWriterTest, ReopenAfterAnExternalRenameWritesANewFile) {
  auto w = Open();
  w->Write(LogStream::kStdout, "before\nhalf ");
  EXPECT_TRUE(w->has_pending(LogStream::kStdout));
  EXPECT_FALSE(w->has_pending(LogStream::kStderr));
  ASSERT_EQ(rename(path_.c_str(), (path_ + ".old").c_str()), 0);
  ASSERT_TRUE(w->Reopen().ok());
  EXPECT_EQ(w->size(), 0u);
  w->Write(LogStream::kStdout, "line\n");
  EXPECT_FALSE(w->has_pending(LogStream::kStdout));
  EXPECT_EQ(Lines(path_ + ".old"),
            (std::vector<std::string>{absl::StrCat(kStamp, " stdout F before")}));
  EXPECT_EQ(Lines(path_), (std::vector<std::string>{absl::StrCat(kStamp, " stdout F half line")}))
      << "the pending partial line went to the new file, whole";
}

TEST_F(LogWriterTest, FailedReopenKeepsTheOldFileAndSaysWhy) {
  auto w = Open();
  w->Write(LogStream::kStdout, "one\n");
  ASSERT_EQ(rename(path_.c_str(), (path_ + ".old").c_str()), 0);
  ASSERT_EQ(mkdir(path_.c_str(), 0700), 0);  // PATH cannot be opened for writing
  absl::Status st = w->Reopen();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(path_), std::string::npos) << st;
  w->Write(LogStream::kStdout, "two\n");
  EXPECT_EQ(Lines(path_ + ".old").size(), 2u) << "still writing to the old file";
}

TEST_F(LogWriterTest, MaxFilesMustBeAtLeastTwo) {
  auto w = LogWriter::Open({path_, 1000, 1});
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("at least 2"), std::string::npos);
}

TEST_F(LogWriterTest, OpenErrorNamesThePath) {
  auto w = LogWriter::Open({dir_ + "/no/such/dir/x.log", 0, 3});
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("no/such/dir/x.log"), std::string::npos);
}

}  // namespace
}  // namespace skiff::shim
