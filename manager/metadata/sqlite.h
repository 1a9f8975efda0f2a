#pragma once
// A thin, typed layer over the SQLite C API: a connection that owns its
// sqlite3 handle and caches prepared statements, statements with typed binds
// and columns, and RAII transactions. Every failure is an absl::Status whose
// code follows the SQLite result (UNIQUE -> AlreadyExists, BUSY ->
// Unavailable, CORRUPT -> DataLoss, ...) and whose message names the database
// file.
//
// Not thread-safe: one Database is used by one thread at a time (the
// MetadataStore serializes its users). Several Database objects, in one
// process or several, may share a file; WAL mode lets readers run while one
// writer writes, and the busy timeout makes a second writer wait.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(path, {}));
//   RETURN_IF_ERROR(db->Exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)"));
//   {
//     ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db));
//     ASSIGN_OR_RETURN(Statement ins, db->Prepare("INSERT INTO t VALUES (?, ?)"));
//     ins.Bind(1, "a").Bind(2, int64_t{1});
//     RETURN_IF_ERROR(ins.Run());
//     RETURN_IF_ERROR(tx.Commit());
//   }  // not committed: rolled back here

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct sqlite3;
struct sqlite3_stmt;

namespace skiff::manager {

class Database;

// A prepared statement. Bind parameters are 1-based, columns 0-based (as in
// SQLite). Move-only. A statement from Database::Prepare is finalized when
// destroyed; one from Database::Cached is reset and handed back to the cache.
class Statement {
 public:
  Statement(Statement&& o) noexcept;
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binds return *this so they chain; a bind error (index out of range) is
  // kept and reported by the next Step/Run.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, int64_t{value}); }
  Statement& Bind(int index, absl::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, absl::string_view(text)); }
  Statement& Bind(int index, const std::string& text) {
    return Bind(index, absl::string_view(text));
  }
  Statement& BindBlob(int index, absl::string_view bytes);
  Statement& BindNull(int index);
  // Unix nanoseconds; nullopt binds NULL.
  Statement& Bind(int index, std::optional<absl::Time> t);
  Statement& Bind(int index, absl::Time t) { return Bind(index, std::optional<absl::Time>(t)); }

  // Advances: true when a row is ready to read, false when done.
  [[nodiscard]] absl::StatusOr<bool> Step();
  // Runs a statement that returns no rows (INSERT, UPDATE, DDL) to its end.
  [[nodiscard]] absl::Status Run();
  // Rewinds to run again; bindings are kept.
  void Reset();

  bool IsNull(int col) const;
  int64_t Int(int col) const;
  std::string Text(int col) const;
  std::string Blob(int col) const;
  // A column written with Bind(absl::Time); NULL reads as nullopt.
  std::optional<absl::Time> Time(int col) const;

  // Rows changed by the last Run/Step of an INSERT, UPDATE or DELETE.
  int64_t Changes() const;

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt, bool cached) : db_(db), stmt_(stmt), cached_(cached) {}
  void Release();
  void NoteBindError(int rc, int index);

  Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  bool cached_ = false;
  absl::Status bind_error_;
};

class Database {
 public:
  struct Options {
    // How long a statement waits for another connection's lock before it
    // fails with Unavailable.
    absl::Duration busy_timeout = absl::Seconds(5);
    // Mode of a database file created by Open (its -wal and -shm files get
    // the same); the metadata holds container configs, env included.
    int file_mode = 0600;
    // Open an existing file read-only (for inspection tools); no WAL switch.
    bool read_only = false;
  };

  // Opens (creating unless read_only) the database at `path` and sets it up:
  // journal_mode=WAL (an error if the file system cannot do WAL),
  // synchronous=NORMAL (a committed transaction survives a crash of the
  // process; only a power loss may lose the last ones), foreign_keys=ON and
  // the busy timeout.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                        const Options& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& path() const { return path_; }

  // Runs one or more ;-separated statements that return no rows.
  [[nodiscard]] absl::Status Exec(absl::string_view sql);

  // A fresh statement, finalized when destroyed.
  [[nodiscard]] absl::StatusOr<Statement> Prepare(absl::string_view sql);
  // A statement prepared once per connection and reused: for the queries run
  // again and again. Only one user at a time per SQL text: asking again for
  // the same text while the first is alive prepares a fresh one.
  [[nodiscard]] absl::StatusOr<Statement> Cached(absl::string_view sql);

  // An error for SQLite result `rc`, with this connection's message:
  // "metadata `<path>`: <what>: <sqlite message>".
  absl::Status Error(int rc, absl::string_view what) const;

  // True inside BEGIN ... COMMIT/ROLLBACK.
  bool InTransaction() const;

  sqlite3* handle() const { return db_; }

 private:
  friend class Statement;
  Database(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  void ReturnToCache(sqlite3_stmt* stmt);

  std::string path_;
  sqlite3* db_ = nullptr;
  // SQL text -> idle prepared statement.
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// BEGIN ... COMMIT with rollback on scope exit unless committed. Move-only.
// kImmediate takes the write lock at BEGIN (waiting up to the busy timeout),
// so a write transaction never fails half way because another connection
// wrote first; kDeferred is for read-only snapshots.
class Transaction {
 public:
  enum class Mode { kDeferred, kImmediate };

  [[nodiscard]] static absl::StatusOr<Transaction> Begin(Database& db,
                                                         Mode mode = Mode::kImmediate);
  Transaction(Transaction&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();

  [[nodiscard]] absl::Status Commit();
  // Explicit rollback; also what the destructor does.
  absl::Status Rollback();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace skiff::manager
