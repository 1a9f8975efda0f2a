#include "manager/metadata/sqlite.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace skiff::manager {
namespace {

absl::StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      switch (rc) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
          return absl::StatusCode::kAlreadyExists;
        case SQLITE_CONSTRAINT_FOREIGNKEY:
          return absl::StatusCode::kFailedPrecondition;
        default:
          return absl::StatusCode::kInvalidArgument;
      }
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::StatusCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return absl::StatusCode::kPermissionDenied;
    case SQLITE_CANTOPEN:
      return absl::StatusCode::kNotFound;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_RANGE:
    case SQLITE_MISUSE:
    case SQLITE_ERROR:
      return absl::StatusCode::kInternal;
    default:
      return absl::StatusCode::kInternal;
  }
}

// A hint for the errors a user can do something about.
absl::string_view HintFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return " (another process holds the database lock; is a second skiffd using the same "
             "--root?)";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return " (the metadata database is damaged; move it aside to start empty)";
    case SQLITE_FULL:
      return " (the file system is full)";
    case SQLITE_READONLY:
      return " (the database file or its directory is read-only)";
    default:
      return "";
  }
}

}  // namespace

// ---- Statement ---------------------------------------------------------------

Statement::Statement(Statement&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)),
      stmt_(std::exchange(o.stmt_, nullptr)),
      cached_(o.cached_),
      bind_error_(std::move(o.bind_error_)) {}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    Release();
    db_ = std::exchange(o.db_, nullptr);
    stmt_ = std::exchange(o.stmt_, nullptr);
    cached_ = o.cached_;
    bind_error_ = std::move(o.bind_error_);
  }
  return *this;
}

Statement::~Statement() { Release(); }

void Statement::Release() {
  if (stmt_ == nullptr) return;
  if (cached_ && db_ != nullptr) {
    db_->ReturnToCache(stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
}

void Statement::NoteBindError(int rc, int index) {
  if (rc != SQLITE_OK && bind_error_.ok()) {
    bind_error_ = db_->Error(rc, absl::StrCat("binding parameter ", index, " of `",
                                              sqlite3_sql(stmt_), "`"));
  }
}

Statement& Statement::Bind(int index, int64_t value) {
  NoteBindError(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::Bind(int index, absl::string_view text) {
  // SQLITE_TRANSIENT: SQLite copies, so temporaries may be bound.
  NoteBindError(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                    SQLITE_UTF8),
                index);
  return *this;
}

Statement& Statement::BindBlob(int index, absl::string_view bytes) {
  NoteBindError(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT),
                index);
  return *this;
}

Statement& Statement::BindNull(int index) {
  NoteBindError(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

Statement& Statement::Bind(int index, std::optional<absl::Time> t) {
  if (!t.has_value()) return BindNull(index);
  return Bind(index, absl::ToUnixNanos(*t));
}

absl::StatusOr<bool> Statement::Step() {
  if (!bind_error_.ok()) return bind_error_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // sqlite3_step returns the extended code with the v2 prepare interface.
  absl::Status err = db_->Error(rc, absl::StrCat("`", sqlite3_sql(stmt_), "`"));
  sqlite3_reset(stmt_);
  return err;
}

absl::Status Statement::Run() {
  for (;;) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return absl::OkStatus();
  }
}

void Statement::Reset() { sqlite3_reset(stmt_); }

bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col));
}

std::string Statement::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  if (p == nullptr) return "";
  return std::string(static_cast<const char*>(p), sqlite3_column_bytes(stmt_, col));
}

std::optional<absl::Time> Statement::Time(int col) const {
  if (IsNull(col)) return std::nullopt;
  return absl::FromUnixNanos(Int(col));
}

int64_t Statement::Changes() const { return sqlite3_changes64(db_->handle()); }

// ---- Database ----------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                         const Options& options) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (options.read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    // Create the file with its final mode before SQLite does with 0644: it
    // holds container configs, environment variables included.
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, options.file_mode);
    if (fd < 0) return Errno("opening metadata database", path);
    close(fd);
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<Database> db(new Database(path, raw));
  if (rc != SQLITE_OK) {
    if (raw == nullptr) return absl::ResourceExhaustedError("sqlite3_open_v2: out of memory");
    return db->Error(rc, "opening");
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));

  if (!options.read_only) {
    ASSIGN_OR_RETURN(Statement wal, db->Prepare("PRAGMA journal_mode=WAL"));
    ASSIGN_OR_RETURN(bool row, wal.Step());
    std::string mode = row ? absl::AsciiStrToLower(wal.Text(0)) : "";
    if (mode != "wal") {
      return absl::FailedPreconditionError(absl::StrCat(
          "metadata `", path, "`: cannot switch to WAL journal mode (got \"", mode,
          "\"); put --root on a local file system that supports shared memory mappings"));
    }
    RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=NORMAL"));
  }
  RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON"));
  return db;
}

Database::~Database() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  cache_.clear();
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

absl::Status Database::Error(int rc, absl::string_view what) const {
  const char* msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  // sqlite3_errmsg may describe an older error when rc came from elsewhere.
  if (db_ != nullptr && sqlite3_extended_errcode(db_) != rc) msg = sqlite3_errstr(rc);
  return absl::Status(CodeFor(rc),
                      absl::StrCat("metadata `", path_, "`: ", what, ": ", msg, HintFor(rc)));
}

absl::Status Database::Exec(absl::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return absl::OkStatus();
  std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return absl::Status(CodeFor(rc), absl::StrCat("metadata `", path_, "`: `", sql, "`: ", msg,
                                                HintFor(rc)));
}

absl::StatusOr<Statement> Database::Prepare(absl::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, absl::StrCat("preparing `", sql, "`"));
  if (stmt == nullptr) return absl::InvalidArgumentError(absl::StrCat("empty SQL: `", sql, "`"));
  return Statement(this, stmt, /*cached=*/false);
}

absl::StatusOr<Statement> Database::Cached(absl::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it != cache_.end()) {
    sqlite3_stmt* stmt = it->second;
    cache_.erase(it);
    return Statement(this, stmt, /*cached=*/true);
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, absl::StrCat("preparing `", sql, "`"));
  if (stmt == nullptr) return absl::InvalidArgumentError(absl::StrCat("empty SQL: `", sql, "`"));
  return Statement(this, stmt, /*cached=*/true);
}

void Database::ReturnToCache(sqlite3_stmt* stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  auto [it, inserted] = cache_.emplace(sqlite3_sql(stmt), stmt);
  if (!inserted) sqlite3_finalize(stmt);  // a second user of the same text
}

bool Database::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

// ---- Transaction -------------------------------------------------------------

absl::StatusOr<Transaction> Transaction::Begin(Database& db, Mode mode) {
  RETURN_IF_ERROR(db.Exec(mode == Mode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED"));
  return Transaction(&db);
}

Transaction::~Transaction() { (void)Rollback(); }

absl::Status Transaction::Commit() {
  if (db_ == nullptr) return absl::FailedPreconditionError("transaction already ended");
  absl::Status s = db_->Exec("COMMIT");
  // A failed COMMIT (busy) leaves the transaction open: the destructor rolls
  // it back.
  if (s.ok()) db_ = nullptr;
  return s;
}

absl::Status Transaction::Rollback() {
  if (db_ == nullptr) return absl::OkStatus();
  Database* db = std::exchange(db_, nullptr);
  // An error may already have rolled SQLite's transaction back.
  if (!db->InTransaction()) return absl::OkStatus();
  return db->Exec("ROLLBACK");
}

}  // namespace skiff::manager
