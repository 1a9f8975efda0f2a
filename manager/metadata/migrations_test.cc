#include "manager/metadata/migrations.h"

#include <string>

#include "gtest/gtest.h"
#include "manager/metadata/schema.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

using ::skiff::manager::testing::TempDir;

// Version 1 of a small schema, and a version 2 that adds a column and fills
// it from the existing rows (a data migration).
constexpr Migration kV1 = {1, "containers", "CREATE TABLE containers (id TEXT PRIMARY KEY, "
                                            "name TEXT NOT NULL)"};

absl::Status FillDisplayNames(Database& db) {
  return db.Exec("UPDATE containers SET display = '/' || name");
}

constexpr Migration kV2 = {2, "display names",
                           "ALTER TABLE containers ADD COLUMN display TEXT NOT NULL DEFAULT ''",
                           &FillDisplayNames};

constexpr Migration kOnlyV1[] = {kV1};
constexpr Migration kV1V2[] = {kV1, kV2};

std::unique_ptr<Database> MustOpen(const std::string& path) {
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path, {});
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? std::move(*db) : nullptr;
}

int Version(Database& db) {
  absl::StatusOr<int> v = SchemaVersion(db);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.value_or(-1);
}

TEST(MigrationsTest, NewDatabaseIsVersionZeroThenLatest) {
  TempDir dir;
  auto db = MustOpen(dir.Sub("meta.db"));
  EXPECT_EQ(Version(*db), 0);
  ASSERT_TRUE(Migrate(*db, kV1V2).ok());
  EXPECT_EQ(Version(*db), 2);
  EXPECT_TRUE(db->Exec("INSERT INTO containers (id, name, display) VALUES ('a', 'b', '/b')").ok());
}

TEST(MigrationsTest, UpgradesV1ToV2KeepingData) {
  TempDir dir;
  std::string path = dir.Sub("meta.db");
  {
    // An older skiffd: schema v1, with data.
    auto db = MustOpen(path);
    ASSERT_TRUE(Migrate(*db, kOnlyV1).ok());
    ASSERT_EQ(Version(*db), 1);
    ASSERT_TRUE(db->Exec("INSERT INTO containers VALUES ('c1', 'web'), ('c2', 'db')").ok());
  }
  // The newer skiffd opens the same file.
  auto db = MustOpen(path);
  ASSERT_TRUE(Migrate(*db, kV1V2).ok());
  EXPECT_EQ(Version(*db), 2);
  absl::StatusOr<Statement> st = db->Prepare("SELECT id, name, display FROM containers ORDER BY id");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->Text(0), "c1");
  EXPECT_EQ(st->Text(2), "/web");
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->Text(1), "db");
  EXPECT_EQ(st->Text(2), "/db");
  EXPECT_FALSE(*st->Step());

  absl::StatusOr<Statement> hist =
      db->Prepare("SELECT version, description FROM schema_version ORDER BY version");
  ASSERT_TRUE(hist.ok());
  ASSERT_TRUE(*hist->Step());
  EXPECT_EQ(hist->Text(1), "containers");
  ASSERT_TRUE(*hist->Step());
  EXPECT_EQ(hist->Int(0), 2);
  EXPECT_EQ(hist->Text(1), "display names");
}

TEST(MigrationsTest, RunningAgainChangesNothing) {
  TempDir dir;
  auto db = MustOpen(dir.Sub("meta.db"));
  ASSERT_TRUE(Migrate(*db, kV1V2).ok());
  ASSERT_TRUE(Migrate(*db, kV1V2).ok());
  absl::StatusOr<Statement> st = db->Prepare("SELECT COUNT(*) FROM schema_version");
  ASSERT_TRUE(st.ok() && *st->Step());
  EXPECT_EQ(st->Int(0), 2);
}

TEST(MigrationsTest, NewerDatabaseIsRefused) {
  TempDir dir;
  auto db = MustOpen(dir.Sub("meta.db"));
  ASSERT_TRUE(Migrate(*db, kV1V2).ok());
  absl::Status s = Migrate(*db, kOnlyV1);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("newer skiffd"), std::string::npos) << s;
  EXPECT_EQ(Version(*db), 2);
}

TEST(MigrationsTest, FailedMigrationLeavesThePreviousVersion) {
  TempDir dir;
  auto db = MustOpen(dir.Sub("meta.db"));
  ASSERT_TRUE(Migrate(*db, kOnlyV1).ok());
  // The first statement works, the second does not: neither stays.
  constexpr Migration broken[] = {
      kV1, {2, "broken", "CREATE TABLE extra (x INTEGER); ALTER TABLE nope ADD COLUMN y TEXT"}};
  absl::Status s = Migrate(*db, broken);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("schema migration 2 (broken)"), std::string::npos) << s;
  EXPECT_NE(s.message().find("nope"), std::string::npos) << s;
  EXPECT_EQ(Version(*db), 1);
  EXPECT_FALSE(db->Prepare("SELECT * FROM extra").ok()) << "partial migration was kept";
  EXPECT_FALSE(db->InTransaction());
}

TEST(MigrationsTest, FailedDataMigrationIsRolledBack) {
  TempDir dir;
  auto db = MustOpen(dir.Sub("meta.db"));
  constexpr Migration failing[] = {
      kV1, {2, "failing data step", "ALTER TABLE containers ADD COLUMN z TEXT",
            [](Database&) { return absl::InternalError("boom"); }}};
  absl::Status s = Migrate(*db, failing);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(Version(*db), 1);
  EXPECT_FALSE(db->Prepare("SELECT z FROM containers").ok());
}

TEST(MigrationsTest, ListMustCountFromOne) {
  TempDir dir;
  auto db = MustOpen(dir.Sub("meta.db"));
  constexpr Migration gap[] = {kV1, {3, "gap", "SELECT 1"}};
  EXPECT_EQ(Migrate(*db, gap).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Version(*db), 0);
}

TEST(MigrationsTest, SkiffSchemaApplies) {
  TempDir dir;
  auto db = MustOpen(dir.Sub("meta.db"));
  ASSERT_TRUE(Migrate(*db, SchemaMigrations()).ok());
  EXPECT_EQ(Version(*db), static_cast<int>(SchemaMigrations().size()));
  for (const char* table : {"images", "tags", "containers"}) {
    EXPECT_TRUE(db->Prepare(std::string("SELECT * FROM ") + table).ok()) << table;
  }
}

}  // namespace
}  // namespace skiff::manager
