#pragma once
// skiffd's metadata store: images, tags and containers in SQLite
// (`<root>/meta.db`), with typed accessors.
//
// Lifecycle: Open() creates or opens the database, switches it to WAL and
// migrates its schema to the latest version (schema.h); the store is then used
// by any number of threads until destroyed. Work happens in transactions:
//
//   // One atomic read-modify-write; an error (or an early return of one)
//   // rolls everything back.
//   absl::Status s = store->Write([&](MetadataStore::Tx& tx) -> absl::Status {
//     ASSIGN_OR_RETURN(ContainerRecord c, tx.GetContainer(id));
//     c.state = ContainerState::kRunning;
//     c.started_at = absl::Now();
//     return tx.UpdateContainer(c);
//   });
//
//   // A consistent snapshot; the lambda's StatusOr<T> is returned as is.
//   absl::StatusOr<ContainerRecord> c =
//       store->Read([&](MetadataStore::Tx& tx) { return tx.ResolveContainer("web"); });
//
// Errors, for every accessor:
//   NotFound          the id, name or reference does not exist ("no such
//                     container: web").
//   AlreadyExists     a container id or name, an image id is taken; the
//                     message names the holder.
//   InvalidArgument   an empty id or name, an ambiguous id prefix.
//   Unavailable       the database stayed locked by another process for the
//                     busy timeout.
//   DataLoss          a row that cannot be read back (corrupt database).
//
// Thread-safety: Read and Write serialize on one connection; a Tx must not
// escape its lambda, and a lambda must not call Read or Write (deadlock).
// Other processes (a second store on the same file) can read while this one
// writes (WAL).

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "manager/metadata/records.h"
#include "manager/metadata/sqlite.h"

namespace skiff::manager {

class MetadataStore {
 public:
  struct Options {
    absl::Duration busy_timeout = absl::Seconds(5);
  };

  // `path` is the database file (its directory must exist), usually
  // "<--root>/meta.db".
  static absl::StatusOr<std::unique_ptr<MetadataStore>> Open(const std::string& path,
                                                             const Options& options);
  static absl::StatusOr<std::unique_ptr<MetadataStore>> Open(const std::string& path) {
    return Open(path, Options());
  }

  // The typed accessors, valid inside Read or Write only.
  class Tx {
   public:
    // ---- images
    absl::Status AddImage(const ImageRecord& image);
    absl::StatusOr<ImageRecord> GetImage(absl::string_view id);
    // Newest (by created) first.
    absl::StatusOr<std::vector<ImageRecord>> ListImages();
    // Images whose id starts with `prefix` ("sha256:" optional, then hex).
    absl::StatusOr<std::vector<ImageRecord>> FindImagesByIdPrefix(absl::string_view prefix);
    // Removes the image and its tags.
    absl::Status DeleteImage(absl::string_view id);

    // ---- tags
    // Points `reference` at `image_id`, creating or moving the tag. Returns
    // the image the tag pointed at before when it moved, else nullopt.
    absl::StatusOr<std::optional<std::string>> SetTag(absl::string_view reference,
                                                      absl::string_view image_id);
    absl::StatusOr<TagRecord> GetTag(absl::string_view reference);
    absl::Status DeleteTag(absl::string_view reference);
    // Sorted by reference.
    absl::StatusOr<std::vector<TagRecord>> ListTags();
    absl::StatusOr<std::vector<TagRecord>> TagsOfImage(absl::string_view image_id);

    // ---- containers
    absl::Status AddContainer(const ContainerRecord& container);
    absl::StatusOr<ContainerRecord> GetContainer(absl::string_view id);
    absl::StatusOr<ContainerRecord> GetContainerByName(absl::string_view name);
    // A user's container reference: an exact id, else a name (a leading "/"
    // is ignored), else a unique id prefix. An ambiguous prefix is
    // InvalidArgument and lists the candidates.
    absl::StatusOr<ContainerRecord> ResolveContainer(absl::string_view ref);
    // Newest (by created) first.
    absl::StatusOr<std::vector<ContainerRecord>> ListContainers();
    absl::StatusOr<std::vector<ContainerRecord>> ContainersUsingImage(absl::string_view image_id);
    // Writes every field of the container with this id (id and created are
    // kept as stored).
    absl::Status UpdateContainer(const ContainerRecord& container);
    absl::Status RenameContainer(absl::string_view id, absl::string_view new_name);
    absl::Status DeleteContainer(absl::string_view id);

   private:
    friend class MetadataStore;
    explicit Tx(Database& db) : db_(db) {}
    absl::StatusOr<std::vector<ContainerRecord>> QueryContainers(absl::string_view where,
                                                                 absl::string_view arg);
    absl::Status NameFree(absl::string_view name, absl::string_view except_id);
    Database& db_;
  };

  // Runs `fn(Tx&)` in a write transaction (BEGIN IMMEDIATE) and commits when
  // it returns OK; rolls back otherwise. Returns what `fn` returns: an
  // absl::Status or an absl::StatusOr<T>.
  template <typename F>
  auto Write(F&& fn) ABSL_LOCKS_EXCLUDED(mu_) {
    return Run(Transaction::Mode::kImmediate, std::forward<F>(fn));
  }
  // Runs `fn(Tx&)` on a consistent snapshot (a read transaction). For reads
  // only: a write inside may fail with Unavailable instead of waiting.
  template <typename F>
  auto Read(F&& fn) ABSL_LOCKS_EXCLUDED(mu_) {
    return Run(Transaction::Mode::kDeferred, std::forward<F>(fn));
  }

  const std::string& path() const { return path_; }

 private:
  MetadataStore(std::string path, std::unique_ptr<Database> db)
      : path_(std::move(path)), db_(std::move(db)) {}

  static const absl::Status& StatusOf(const absl::Status& s) { return s; }
  template <typename T>
  static const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
    return s.status();
  }

  template <typename F>
  auto Run(Transaction::Mode mode, F&& fn) -> std::invoke_result_t<F, Tx&> {
    using R = std::invoke_result_t<F, Tx&>;
    absl::MutexLock lock(&mu_);
    absl::StatusOr<Transaction> tx = Transaction::Begin(*db_, mode);
    if (!tx.ok()) return R(tx.status());
    Tx t(*db_);
    R result = fn(t);
    if (!StatusOf(result).ok()) return result;  // ~Transaction rolls back
    absl::Status committed = tx->Commit();
    if (!committed.ok()) return R(committed);
    return result;
  }

  const std::string path_;
  absl::Mutex mu_;
  std::unique_ptr<Database> db_ ABSL_PT_GUARDED_BY(mu_);
};

}  // namespace skiff::manager
