#include "manager/content/growing_blob.h"

#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "manager/content/content_store.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

using testing::TempDir;

// Reads `src` to its end (or first error), `chunk` bytes at a time.
absl::StatusOr<std::string> Drain(ByteSource& src, size_t chunk = 7) {
  std::string out, buf(chunk, '\0');
  for (;;) {
    absl::StatusOr<size_t> n = src(buf.data(), buf.size());
    if (!n.ok()) return n.status();
    if (*n == 0) return out;
    out.append(buf.data(), *n);
  }
}

class GrowingBlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ContentStore::Open(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  TempDir dir_;
  std::unique_ptr<ContentStore> store_;
};

TEST_F(GrowingBlobTest, ReaderFollowsTheWriterAndEndsOnlyAfterCommit) {
  auto blob = GrowingBlob::Create();
  const std::string data = "the quick brown fox jumps over the lazy dog, many times over";
  const Digest digest = Sha256Of(data);

  absl::StatusOr<std::string> read;
  std::thread reader([&] {
    absl::StatusOr<std::optional<ByteSource>> src = blob->Follow();
    if (!src.ok()) {
      read = src.status();
      return;
    }
    ASSERT_TRUE(src->has_value());
    read = Drain(**src);
  });

  auto w = store_->NewWriter();
  ASSERT_TRUE(w.ok());
  auto fd = (*w)->OpenReader();
  ASSERT_TRUE(fd.ok()) << fd.status();
  blob->Begin(std::move(*fd));
  for (size_t i = 0; i < data.size(); i += 5) {
    ASSERT_TRUE((*w)->Write(data.substr(i, 5)).ok());
    blob->Grew((*w)->size());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // Every byte is written, but the reader must not see the end yet.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(blob->finished());
  auto committed = (*w)->Commit(digest);
  ASSERT_TRUE(committed.ok()) << committed.status();
  blob->Finish(absl::OkStatus());
  reader.join();
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, data);
  EXPECT_TRUE(blob->Wait().ok());
}

TEST_F(GrowingBlobTest, ReaderFailsWithTheFetchError) {
  auto blob = GrowingBlob::Create();
  auto w = store_->NewWriter();
  ASSERT_TRUE(w.ok());
  auto fd = (*w)->OpenReader();
  ASSERT_TRUE(fd.ok());
  blob->Begin(std::move(*fd));
  ASSERT_TRUE((*w)->Write("partial").ok());
  blob->Grew(7);

  auto src = blob->Follow();
  ASSERT_TRUE(src.ok());
  ASSERT_TRUE(src->has_value());
  std::string buf(64, '\0');
  auto n = (**src)(buf.data(), buf.size());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(buf.substr(0, *n), "partial");

  std::thread fail([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    blob->Finish(absl::DataLossError("digest mismatch: expected sha256:aa, got sha256:bb"));
  });
  n = (**src)(buf.data(), buf.size());  // blocks until the failure
  fail.join();
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(blob->Wait().code(), absl::StatusCode::kDataLoss);
  // A later Finish does not change the outcome.
  blob->Finish(absl::OkStatus());
  EXPECT_EQ(blob->Wait().code(), absl::StatusCode::kDataLoss);
}

TEST_F(GrowingBlobTest, RestartFromTheFirstByteAbortsTheReader) {
  auto blob = GrowingBlob::Create();
  auto w1 = store_->NewWriter();
  ASSERT_TRUE(w1.ok());
  blob->Begin(*(*w1)->OpenReader());
  ASSERT_TRUE((*w1)->Write("abc").ok());
  blob->Grew(3);
  auto src = blob->Follow();
  ASSERT_TRUE(src.ok() && src->has_value());
  std::string buf(2, '\0');
  ASSERT_TRUE((**src)(buf.data(), buf.size()).ok());

  auto w2 = store_->NewWriter();
  ASSERT_TRUE(w2.ok());
  blob->Begin(*(*w2)->OpenReader());
  auto n = (**src)(buf.data(), buf.size());
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kAborted);

  // A new reader follows the new file.
  ASSERT_TRUE((*w2)->Write("xyz").ok());
  blob->Grew(3);
  ASSERT_TRUE((*w2)->Commit(Sha256Of("xyz")).ok());
  blob->Finish(absl::OkStatus());
  auto again = blob->Follow();
  ASSERT_TRUE(again.ok() && again->has_value());
  auto all = Drain(**again);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, "xyz");
}

TEST_F(GrowingBlobTest, BlobAlreadyStoredHasNothingToFollow) {
  auto blob = GrowingBlob::Create();
  blob->Finish(absl::OkStatus());
  auto src = blob->Follow();
  ASSERT_TRUE(src.ok());
  EXPECT_FALSE(src->has_value());
}

TEST_F(GrowingBlobTest, FollowReturnsAnEarlyFailure) {
  auto blob = GrowingBlob::Create();
  blob->Finish(absl::UnavailableError("connection refused"));
  auto src = blob->Follow();
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace skiff::manager
