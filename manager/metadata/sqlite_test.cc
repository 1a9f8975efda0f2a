#include "manager/metadata/sqlite.h"

#include <sys/stat.h>

#include <string>

#include "absl/time/clock.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

using ::skiff::manager::testing::TempDir;

std::unique_ptr<Database> MustOpen(const std::string& path, Database::Options options = {}) {
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path, options);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? std::move(*db) : nullptr;
}

int64_t CountRows(Database& db, const std::string& table) {
  absl::StatusOr<Statement> st = db.Prepare("SELECT COUNT(*) FROM " + table);
  EXPECT_TRUE(st.ok()) << st.status();
  absl::StatusOr<bool> row = st->Step();
  EXPECT_TRUE(row.ok() && *row);
  return st->Int(0);
}

TEST(DatabaseTest, OpenCreatesPrivateFileInWalMode) {
  TempDir dir;
  std::string path = dir.Sub("meta.db");
  auto db = MustOpen(path);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (x INTEGER)").ok());

  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((path + "-wal").c_str(), &st), 0) << "no WAL file";
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  absl::StatusOr<Statement> mode = db->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->Text(0), "wal");
  absl::StatusOr<Statement> fk = db->Prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(fk.ok());
  ASSERT_TRUE(*fk->Step());
  EXPECT_EQ(fk->Int(0), 1);
}

TEST(DatabaseTest, OpenInMissingDirectoryFailsWithPath) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir.Sub("no/such/meta.db"), {});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(db.status().message().find(dir.Sub("no/such/meta.db")), std::string::npos)
      << db.status();
}

TEST(DatabaseTest, NotADatabaseIsDataLoss) {
  TempDir dir;
  std::string path = dir.Sub("meta.db");
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("this is not an SQLite database, not even close; padding padding padding padding", f);
  fclose(f);
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path, {});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kDataLoss) << db.status();
  EXPECT_NE(db.status().message().find("move it aside"), std::string::npos) << db.status();
}

TEST(StatementTest, BindsAndReadsEveryType) {
  TempDir dir;
  auto db = MustOpen(dir.Sub("meta.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t (i INTEGER, s TEXT, b BLOB, n TEXT, tm INTEGER)").ok());
  absl::StatusOr<Statement> ins = db->Prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)");
  ASSERT_TRUE(ins.ok()) << ins.status();
  const absl::Time when = absl::FromUnixNanos(1700000000123456789);
  const std::string blob("a\0b", 3);
  ins->Bind(1, int64_t{-42}).Bind(2, "héllo").BindBlob(3, blob).BindNull(4).Bind(5, when);
  ASSERT_TRUE(ins->Run().ok());
  EXPECT_EQ(ins->Changes(), 1);

  absl::StatusOr<Statement> sel = db->Prepare("SELECT i, s, b, n, tm, NULL FROM t");
  ASSERT_TRUE(sel.ok());
  absl::StatusOr<bool> row = sel->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(sel->Int(0), -42);
  EXPECT_EQ(sel->Text(1), "héllo");
  EXPECT_EQ(sel->Blob(2), blob);
  EXPECT_TRUE(sel->IsNull(3));
  EXPECT_EQ(sel->Text(3), "");
  EXPECT_EQ(sel->Time(4), when);
  EXPECT_EQ(sel->Time(5), std::nullopt);
  row = sel->Step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row);
}

TEST(StatementTest, BadBindIndexIsReportedByStep) {
  TempDir dir;
  auto db = MustOpen(dir.Sub("meta.db"));
  absl::StatusOr<Statement> st = db->Prepare("SELECT ?");
  ASSERT_TRUE(st.ok());
  st->Bind(2, int64_t{1});
  absl::Status s = st->Run();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("binding parameter 2"), std::string::npos) << s;
}

TEST(StatementTest, ErrorsMapToStatusCodes) {
  TempDir dir;
  auto db = MustOpen(dir.Sub("meta.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE p (k TEXT PRIMARY KEY);"
                       "CREATE TABLE c (k TEXT REFERENCES p (k), v INTEGER CHECK (v > 0))")
                  .ok());
  ASSERT_TRUE(db->Exec("INSERT INTO p VALUES ('a')").ok());

  absl::Status dup = db->Exec("INSERT INTO p VALUES ('a')");
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists) << dup;
  EXPECT_NE(dup.message().find(db->path()), std::string::npos) << dup;

  absl::StatusOr<Statement> fk = db->Prepare("INSERT INTO c VALUES ('zzz', 1)");
  ASSERT_TRUE(fk.ok());
  EXPECT_EQ(fk->Run().code(), absl::StatusCode::kFailedPrecondition);

  absl::StatusOr<Statement> check = db->Prepare("INSERT INTO c VALUES ('a', -1)");
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->Run().code(), absl::StatusCode::kInvalidArgument);

  absl::StatusOr<Statement> bad = db->Prepare("SELEKT 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("SELEKT"), std::string::npos) << bad.status();
}

TEST(StatementTest, CachedStatementsAreReusedAndReentrant) {
  TempDir dir;
  auto db = MustOpen(dir.Sub("meta.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t (x INTEGER)").ok());
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<Statement> ins = db->Cached("INSERT INTO t VALUES (?)");
    ASSERT_TRUE(ins.ok());
    ins->Bind(1, i);
    ASSERT_TRUE(ins->Run().ok());
  }
  EXPECT_EQ(CountRows(*db, "t"), 3);

  // The same text twice at once: the second is a fresh statement.
  absl::StatusOr<Statement> a = db->Cached("SELECT x FROM t ORDER BY x");
  absl::StatusOr<Statement> b = db->Cached("SELECT x FROM t ORDER BY x");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(*a->Step());
  ASSERT_TRUE(*b->Step());
  ASSERT_TRUE(*a->Step());
  EXPECT_EQ(a->Int(0), 1);
  EXPECT_EQ(b->Int(0), 0);
}

TEST(TransactionTest, RollsBackUnlessCommitted) {
  TempDir dir;
  auto db = MustOpen(dir.Sub("meta.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t (x INTEGER)").ok());
  {
    absl::StatusOr<Transaction> tx = Transaction::Begin(*db);
    ASSERT_TRUE(tx.ok()) << tx.status();
    EXPECT_TRUE(db->InTransaction());
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)").ok());
  }
  EXPECT_FALSE(db->InTransaction());
  EXPECT_EQ(CountRows(*db, "t"), 0);
  {
    absl::StatusOr<Transaction> tx = Transaction::Begin(*db);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)").ok());
    ASSERT_TRUE(tx->Commit().ok());
    EXPECT_EQ(tx->Commit().code(), absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(CountRows(*db, "t"), 1);
}

TEST(TransactionTest, SecondWriterWaitsThenGivesUpWithUnavailable) {
  TempDir dir;
  auto a = MustOpen(dir.Sub("meta.db"));
  Database::Options short_wait;
  short_wait.busy_timeout = absl::Milliseconds(200);
  auto b = MustOpen(dir.Sub("meta.db"), short_wait);
  ASSERT_TRUE(a->Exec("CREATE TABLE t (x INTEGER)").ok());

  absl::StatusOr<Transaction> held = Transaction::Begin(*a);
  ASSERT_TRUE(held.ok());
  absl::Time start = absl::Now();
  absl::StatusOr<Transaction> second = Transaction::Begin(*b);
  ASSERT_FALSE(second.ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  EXPECT_NE(second.status().message().find("same --root"), std::string::npos) << second.status();

  // Readers are not blocked by the writer (WAL).
  absl::StatusOr<Statement> read = b->Prepare("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(read.ok());
  absl::StatusOr<bool> row = read->Step();
  ASSERT_TRUE(row.ok()) << row.status();
}

}  // namespace
}  // namespace skiff::manager
