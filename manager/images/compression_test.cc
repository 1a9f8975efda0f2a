#include "manager/images/compression.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "common/unique_fd.h"
#include "gtest/gtest.h"
#include "manager/testing/tar_builder.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

using testing::TarCompression;
using testing::TarEntry;

std::string ReadAllFrom(Decompressor& d) {
  std::string out;
  char buf[4096];
  for (;;) {
    absl::StatusOr<size_t> n = d.Read(buf, sizeof buf);
    EXPECT_TRUE(n.ok()) << n.status();
    if (!n.ok() || *n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

TEST(CompressionTest, DetectsMagic) {
  EXPECT_EQ(DetectCompression(std::string("\x1f\x8b\x08\x00", 4)), Compression::kGzip);
  EXPECT_EQ(DetectCompression("\x28\xb5\x2f\xfd..."), Compression::kZstd);
  EXPECT_EQ(DetectCompression("BZh91AY"), Compression::kBzip2);
  EXPECT_EQ(DetectCompression(std::string("\xfd" "7zXZ\0", 6)), Compression::kXz);
  EXPECT_EQ(DetectCompression("bin/\0\0\0"), Compression::kNone);
  EXPECT_EQ(DetectCompression(""), Compression::kNone);
  EXPECT_EQ(DetectCompression("\x1f"), Compression::kNone);
}

TEST(CompressionTest, DecompressesEachKind) {
  testing::TempDir tmp;
  std::vector<TarEntry> entries = {TarEntry::File("a", std::string(100000, 'q'))};
  std::string raw = *testing::BuildTar(entries);
  for (TarCompression c : {TarCompression::kNone, TarCompression::kGzip, TarCompression::kZstd}) {
    std::string blob = *testing::BuildTar(entries, c);
    std::string path = tmp.Sub("blob");
    ASSERT_TRUE(testing::WriteTestFile(path, blob).ok());
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    absl::StatusOr<Compression> k = DetectCompressionFd(fd.get());
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(*k, c == TarCompression::kNone   ? Compression::kNone
                  : c == TarCompression::kGzip ? Compression::kGzip
                                               : Compression::kZstd);
    auto d = Decompressor::Open(fd.get(), "blob");
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(ReadAllFrom(**d), raw) << CompressionName(*k);
  }
}

TEST(CompressionTest, EmptyAndCorrupt) {
  testing::TempDir tmp;
  std::string path = tmp.Sub("empty");
  ASSERT_TRUE(testing::WriteTestFile(path, "").ok());
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  auto d = Decompressor::Open(fd.get(), "empty");
  if (d.ok()) {
    EXPECT_EQ(ReadAllFrom(**d), "");
  }

  std::string gz = *testing::BuildTar({TarEntry::File("a", std::string(50000, 'x'))},
                                      TarCompression::kGzip);
  gz.resize(gz.size() / 2);  // truncated
  std::string bad = tmp.Sub("bad");
  ASSERT_TRUE(testing::WriteTestFile(bad, gz).ok());
  UniqueFd bfd(open(bad.c_str(), O_RDONLY | O_CLOEXEC));
  auto bd = Decompressor::Open(bfd.get(), "layer X");
  absl::Status st = bd.status();
  if (bd.ok()) {
    char buf[4096];
    for (;;) {
      absl::StatusOr<size_t> n = (*bd)->Read(buf, sizeof buf);
      if (!n.ok()) {
        st = n.status();
        break;
      }
      if (*n == 0) break;
    }
  }
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("layer X"), absl::string_view::npos) << st;
}

}  // namespace
}  // namespace skiff::manager
