#include "manager/metadata/migrations.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status.h"

namespace skiff::manager {
namespace {

constexpr absl::string_view kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY,"
    " description TEXT NOT NULL,"
    " applied_at INTEGER NOT NULL)";

}  // namespace

absl::StatusOr<int> SchemaVersion(Database& db) {
  ASSIGN_OR_RETURN(Statement exists,
                   db.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                              "name = 'schema_version'"));
  ASSIGN_OR_RETURN(bool has_table, exists.Step());
  if (!has_table) return 0;
  ASSIGN_OR_RETURN(Statement max, db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  ASSIGN_OR_RETURN(bool row, max.Step());
  return row ? static_cast<int>(max.Int(0)) : 0;
}

absl::Status Migrate(Database& db, absl::Span<const Migration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("schema migrations must be numbered 1, 2, 3, ...: entry ", i + 1,
                       " has version ", migrations[i].version));
    }
  }
  const int latest = static_cast<int>(migrations.size());

  for (;;) {
    // The write lock first, then the version: two processes starting at once
    // do not both apply the same step.
    ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db, Transaction::Mode::kImmediate));
    ASSIGN_OR_RETURN(int current, SchemaVersion(db));
    if (current > latest) {
      return absl::FailedPreconditionError(absl::StrCat(
          "metadata `", db.path(), "` has schema version ", current,
          ", newer than this skiffd knows (", latest,
          "): it was written by a newer skiffd; run that version or a newer one"));
    }
    if (current == latest) return tx.Commit();

    const Migration& m = migrations[current];
    auto fail = [&](const absl::Status& s) {
      return Annotate(s, absl::StrCat("schema migration ", m.version, " (", m.description, ")"));
    };
    absl::Status s = db.Exec(kCreateVersionTable);
    if (s.ok()) s = db.Exec(m.sql);
    if (s.ok() && m.run != nullptr) s = m.run(db);
    if (!s.ok()) return fail(s);
    ASSIGN_OR_RETURN(Statement record,
                     db.Prepare("INSERT INTO schema_version (version, description, applied_at) "
                                "VALUES (?, ?, ?)"));
    record.Bind(1, m.version).Bind(2, m.description).Bind(3, absl::Now());
    s = record.Run();
    if (s.ok()) s = tx.Commit();
    if (!s.ok()) return fail(s);
  }
}

}  // namespace skiff::manager
