#pragma once
// Schema versioning: a database records in its `schema_version` table every
// migration applied to it; Migrate applies the missing ones, in order, each in
// its own transaction together with its schema_version row, so a crash leaves
// the database at the old or at the new version, never in between.
//
// A migration is never edited once released: a schema change is a new entry
// at the end of the list. A database whose version is newer than the list
// (written by a newer skiffd) is refused, not downgraded.
//
//   constexpr Migration kMigrations[] = {
//       {1, "images and tags", "CREATE TABLE images (...); CREATE TABLE tags (...);"},
//       {2, "container labels", "ALTER TABLE containers ADD COLUMN labels TEXT"},
//   };
//   RETURN_IF_ERROR(Migrate(db, kMigrations));

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "manager/metadata/sqlite.h"

namespace skiff::manager {

struct Migration {
  // 1, 2, 3, ...: the list must count up from 1 without gaps.
  int version;
  // For schema_version and error messages.
  absl::string_view description;
  // Statements run by Database::Exec inside the migration's transaction.
  absl::string_view sql;
  // Optional data migration run after `sql`, in the same transaction.
  absl::Status (*run)(Database& db) = nullptr;
};

// The highest version recorded in `db`; 0 for a database without the
// schema_version table (new or empty).
absl::StatusOr<int> SchemaVersion(Database& db);

// Applies the migrations of `migrations` newer than SchemaVersion(db), in
// order. Safe against another process migrating the same file at the same
// time (each step re-reads the version under the write lock).
//   InvalidArgument     the list is not 1, 2, 3, ... (a programming error).
//   FailedPrecondition  the database is newer than the list.
//   others              a migration failed; its message names the version,
//                       and the database stays at the version before it.
absl::Status Migrate(Database& db, absl::Span<const Migration> migrations);

}  // namespace skiff::manager
