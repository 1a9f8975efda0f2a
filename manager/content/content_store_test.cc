#include "manager/content/content_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "manager/testing/tar_builder.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

using testing::TempDir;

int CountEntries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (struct dirent* e = readdir(d)) {
    if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") ++n;
  }
  closedir(d);
  return n;
}

class ContentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ContentStore::Open(tmp_.path());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  std::string Ingest() const { return tmp_.Sub("content/ingest"); }
  std::string Blobs() const { return tmp_.Sub("content/blobs/sha256"); }

  TempDir tmp_;
  std::unique_ptr<ContentStore> store_;
};

TEST_F(ContentStoreTest, IngestBytesThenReadBack) {
  absl::StatusOr<Digest> d = store_->Ingest("hello");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, Sha256Of("hello"));
  EXPECT_TRUE(store_->Exists(*d));
  EXPECT_EQ(store_->BlobPath(*d), Blobs() + "/" + d->hex());
  EXPECT_EQ(*store_->Get(*d), "hello");
  EXPECT_EQ(*store_->Size(*d), 5);
  struct stat st;
  ASSERT_EQ(stat(store_->BlobPath(*d).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  absl::StatusOr<UniqueFd> fd = store_->Open(*d);
  ASSERT_TRUE(fd.ok());
  char buf[8] = {};
  EXPECT_EQ(read(fd->get(), buf, sizeof buf), 5);
  EXPECT_EQ(CountEntries(Ingest()), 0);
}

TEST_F(ContentStoreTest, ExpectedDigestVerified) {
  Digest want = Sha256Of("abc");
  EXPECT_TRUE(store_->Ingest("abc", want).ok());
  absl::StatusOr<Digest> bad = store_->Ingest("abd", want);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  // Both digests are named, and nothing is left behind.
  EXPECT_NE(bad.status().message().find(want.str()), absl::string_view::npos) << bad.status();
  EXPECT_NE(bad.status().message().find(Sha256Of("abd").str()), absl::string_view::npos);
  EXPECT_FALSE(store_->Exists(Sha256Of("abd")));
  EXPECT_EQ(CountEntries(Ingest()), 0);
}

TEST_F(ContentStoreTest, WriterSizeCheckAndAbandon) {
  {
    auto w = store_->NewWriter();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write("abc").ok());
    EXPECT_EQ((*w)->size(), 3u);
    EXPECT_EQ(CountEntries(Ingest()), 1);  // the temp file, invisible under blobs/
    EXPECT_EQ(CountEntries(Blobs()), 0);
    absl::StatusOr<Digest> d = (*w)->Commit(std::nullopt, 4);
    EXPECT_FALSE(d.ok());
    EXPECT_NE(d.status().message().find("size mismatch"), absl::string_view::npos);
    EXPECT_FALSE((*w)->Commit().ok());  // spent
  }
  {
    auto w = store_->NewWriter();
    ASSERT_TRUE((*w)->Write("never committed").ok());
  }
  EXPECT_EQ(CountEntries(Ingest()), 0);
  EXPECT_EQ(CountEntries(Blobs()), 0);
}

TEST_F(ContentStoreTest, IngestFdAndStream) {
  std::string big(3 << 20, 'x');
  big[12345] = 'y';
  std::string path = tmp_.Sub("big");
  ASSERT_TRUE(testing::WriteTestFile(path, big).ok());
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  absl::StatusOr<Digest> d = store_->IngestFd(fd.get(), Sha256Of(big));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*store_->Size(*d), static_cast<int64_t>(big.size()));

  std::istringstream in("streamed");
  absl::StatusOr<Digest> s = store_->IngestStream(in);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, Sha256Of("streamed"));
}

TEST_F(ContentStoreTest, DuplicateIngestKeepsOneBlob) {
  ASSERT_TRUE(store_->Ingest("same").ok());
  ASSERT_TRUE(store_->Ingest("same").ok());
  EXPECT_EQ(CountEntries(Blobs()), 1);
  EXPECT_EQ(CountEntries(Ingest()), 0);
}

TEST_F(ContentStoreTest, ConcurrentWritersOfSameAndDifferentContent) {
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      results[i] = store_->Ingest(std::string(100000, static_cast<char>('a' + i % 2))).status();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(CountEntries(Blobs()), 2);
}

TEST_F(ContentStoreTest, ListDeleteAndNotFound) {
  Digest a = *store_->Ingest("a");
  Digest b = *store_->Ingest("b");
  // A stray file that is not a digest is not listed.
  ASSERT_TRUE(testing::WriteTestFile(Blobs() + "/README", "x").ok());
  absl::StatusOr<std::vector<Digest>> all = store_->List();
  ASSERT_TRUE(all.ok());
  std::vector<Digest> want = {a, b};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(*all, want);
  EXPECT_TRUE(store_->Delete(a).ok());
  EXPECT_FALSE(store_->Exists(a));
  absl::Status again = store_->Delete(a);
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(again.message().find(a.str()), absl::string_view::npos);
  EXPECT_EQ(store_->Get(a).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Size(a).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Open(a).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ContentStoreTest, GetHonoursLimit) {
  Digest d = *store_->Ingest(std::string(100, 'z'));
  EXPECT_EQ(store_->Get(d, 99).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(store_->Get(d, 100).ok());
}

TEST(ContentStoreOpenTest, RemovesLeftoverIngestFiles) {
  TempDir tmp;
  {
    auto s = ContentStore::Open(tmp.path());
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Ingest("kept").ok());
  }
  // What a crash mid-ingest leaves: a temp file (and even a directory).
  ASSERT_TRUE(testing::WriteTestFile(tmp.Sub("content/ingest/blob-abc123"), "partial").ok());
  ASSERT_EQ(mkdir(tmp.Sub("content/ingest/junkdir").c_str(), 0755), 0);
  auto s = ContentStore::Open(tmp.path());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(CountEntries(tmp.Sub("content/ingest")), 0);
  EXPECT_TRUE((*s)->Exists(Sha256Of("kept")));
}

TEST(ContentStoreOpenTest, ErrorNamesPath) {
  TempDir tmp;
  ASSERT_TRUE(testing::WriteTestFile(tmp.Sub("content"), "not a dir").ok());
  auto s = ContentStore::Open(tmp.path());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(tmp.Sub("content")), absl::string_view::npos) << s.status();
}

}  // namespace
}  // namespace skiff::manager
