// The store under concurrent use: threads sharing one MetadataStore, and two
// stores (two connections, as two processes would have) on the same file,
// one writing while the other reads.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "manager/metadata/store.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

using ::skiff::manager::testing::TempDir;
using Tx = MetadataStore::Tx;

ContainerRecord Container(int writer, int i) {
  ContainerRecord c;
  c.id = absl::StrFormat("%02x%062x", writer, i);
  c.name = absl::StrCat("c", writer, "-", i);
  c.image = "busybox";
  c.image_id = "sha256:aaaa";
  c.config = "{}";
  c.created = absl::FromUnixSeconds(1700000000 + i);
  return c;
}

std::unique_ptr<MetadataStore> MustOpen(const std::string& path) {
  absl::StatusOr<std::unique_ptr<MetadataStore>> s = MetadataStore::Open(path);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

TEST(StoreConcurrencyTest, ReaderSeesWholeTransactionsWhileAnotherConnectionWrites) {
  TempDir dir;
  auto writer = MustOpen(dir.Sub("meta.db"));
  auto reader = MustOpen(dir.Sub("meta.db"));
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(reader, nullptr);
  constexpr int kPairs = 150;

  std::atomic<bool> done{false};
  absl::Status write_status;
  std::thread w([&] {
    // Each transaction adds two containers: a reader must never see one
    // without the other.
    for (int i = 0; i < kPairs && write_status.ok(); ++i) {
      write_status = writer->Write([&](Tx& tx) -> absl::Status {
        RETURN_IF_ERROR(tx.AddContainer(Container(1, i)));
        return tx.AddContainer(Container(2, i));
      });
    }
    done = true;
  });

  size_t last = 0;
  int reads = 0;
  absl::Status read_status;
  while (read_status.ok()) {
    bool finished = done.load();
    absl::StatusOr<std::vector<ContainerRecord>> all =
        reader->Read([](Tx& tx) { return tx.ListContainers(); });
    if (!all.ok()) {
      read_status = all.status();
      break;
    }
    ++reads;
    EXPECT_EQ(all->size() % 2, 0u) << "saw half a transaction";
    EXPECT_GE(all->size(), last) << "went back in time";
    last = all->size();
    if (finished) break;
  }
  w.join();
  ASSERT_TRUE(write_status.ok()) << write_status;
  ASSERT_TRUE(read_status.ok()) << read_status;
  EXPECT_EQ(last, 2u * kPairs);
  EXPECT_GT(reads, 1);
}

TEST(StoreConcurrencyTest, TwoConnectionsWritingWaitForEachOther) {
  TempDir dir;
  auto a = MustOpen(dir.Sub("meta.db"));
  auto b = MustOpen(dir.Sub("meta.db"));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  constexpr int kEach = 100;
  absl::Status sa, sb;
  std::thread ta([&] {
    for (int i = 0; i < kEach && sa.ok(); ++i) {
      sa = a->Write([&](Tx& tx) { return tx.AddContainer(Container(1, i)); });
    }
  });
  std::thread tb([&] {
    for (int i = 0; i < kEach && sb.ok(); ++i) {
      sb = b->Write([&](Tx& tx) { return tx.AddContainer(Container(2, i)); });
    }
  });
  ta.join();
  tb.join();
  ASSERT_TRUE(sa.ok()) << sa;
  ASSERT_TRUE(sb.ok()) << sb;
  EXPECT_EQ(a->Read([](Tx& tx) { return tx.ListContainers(); })->size(), 2u * kEach);
}

TEST(StoreConcurrencyTest, ThreadsShareOneStore) {
  TempDir dir;
  auto store = MustOpen(dir.Sub("meta.db"));
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 4, kEach = 50;
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach && results[t].ok(); ++i) {
        // A read-modify-write racing with the other threads: the name check
        // and the insert are one transaction.
        results[t] = store->Write([&](Tx& tx) -> absl::Status {
          absl::StatusOr<ContainerRecord> taken = tx.GetContainerByName(absl::StrCat("n", i));
          ContainerRecord c = Container(t, i);
          c.name = taken.ok() ? absl::StrCat("n", i, "-", t) : absl::StrCat("n", i);
          return tx.AddContainer(c);
        });
        if (results[t].ok()) {
          absl::StatusOr<std::vector<ContainerRecord>> all =
              store->Read([](Tx& tx) { return tx.ListContainers(); });
          if (!all.ok()) results[t] = all.status();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const absl::Status& s : results) ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(store->Read([](Tx& tx) { return tx.ListContainers(); })->size(),
            static_cast<size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace skiff::manager
