#include <fcntl.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "common/file_util.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "gtest/gtest.h"

namespace skiff {
namespace {

TEST(StatusTest, ErrnoErrorNamesTargetAndErrnoText) {
  absl::Status s = ErrnoError(ENOENT, "open", "/nope");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "open `/nope`: No such file or directory");
}

TEST(StatusTest, AnnotateKeepsCode) {
  absl::Status s = Annotate(absl::NotFoundError("x"), "creating cgroup");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "creating cgroup: x");
  EXPECT_TRUE(Annotate(absl::OkStatus(), "y").ok());
}

absl::StatusOr<int> Half(int x) {
  if (x % 2) return absl::InvalidArgumentError("odd");
  return x / 2;
}
absl::StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}
TEST(StatusTest, AssignOrReturnPropagates) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().message(), "odd");
}

TEST(FileUtilTest, AtomicWriteThenRead) {
  std::string dir = testing::TempDir();
  std::string p = dir + "/atomic.txt";
  ASSERT_TRUE(WriteFileAtomic(p, "hello", 0600).ok());
  EXPECT_EQ(*ReadFile(p), "hello");
  struct stat st;
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(WriteFileAtomic(p, "again").ok());
  EXPECT_EQ(*ReadFile(p), "again");
}

TEST(FileUtilTest, ErrorsNamePath) {
  auto r = ReadFile("/nonexistent/x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/x"), std::string::npos);
}

TEST(UniqueFdTest, ClosesOnce) {
  int raw;
  {
    UniqueFd fd(open("/dev/null", O_RDONLY));
    raw = fd.get();
    ASSERT_GE(raw, 0);
    UniqueFd moved = std::move(fd);
    EXPECT_FALSE(fd.valid());
    EXPECT_EQ(moved.get(), raw);
  }
  EXPECT_EQ(fcntl(raw, F_GETFD), -1);
}

}  // namespace
}  // namespace skiff
