#pragma once
// The part of a snapshotter that both implementations share: snapshots as
// directories under one root, with their metadata beside their files.
//
//   <root>/<id>/info.json   {"key","parent","kind","created"}
//   <root>/<id>/fs/         the snapshot's own files (overlay: its upper dir)
//   <root>/<id>/work/       overlay's work dir (overlay only)
//   <root>/tmp-*/           a snapshot being created
//   <root>/rm-*/            a snapshot being removed
//
// A snapshot is made in a tmp- directory, filled (Populate), given its
// info.json and renamed to its numeric id: it appears whole or not at all.
// Commit rewrites info.json atomically (the id and files stay). Remove
// renames the directory to rm-<id> before deleting it. Open() deletes every
// tmp- and rm- directory, so a crash at any point leaves nothing half-made.
//
// Subclasses say how a new snapshot's directory is filled and which mounts
// present it. Thread-safe: metadata changes happen under a mutex; filling a
// directory (a copy, for native) happens outside it, with the key reserved.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "manager/snapshots/snapshotter.h"

namespace skiff::manager {

class DirSnapshotter : public Snapshotter {
 public:
  absl::StatusOr<SnapshotInfo> Stat(const std::string& key) override;
  absl::StatusOr<std::vector<Mount>> Prepare(const std::string& key,
                                             const std::string& parent) override;
  absl::StatusOr<std::vector<Mount>> View(const std::string& key,
                                          const std::string& parent) override;
  absl::StatusOr<std::vector<Mount>> Mounts(const std::string& key) override;
  absl::Status Commit(const std::string& name, const std::string& key) override;
  absl::Status Remove(const std::string& key) override;
  absl::Status Walk(const std::function<absl::Status(const SnapshotInfo&)>& fn) override;
  absl::StatusOr<SnapshotUsage> Usage(const std::string& key) override;

  const std::string& root() const { return root_; }

 protected:
  explicit DirSnapshotter(std::string root) : root_(std::move(root)) {}

  // Creates the root, sweeps tmp-/rm- leftovers and reads every info.json.
  absl::Status Load();

  // Fills the directory of a new snapshot: at least `dir`/fs.
  // `parent_fs` holds the fs dirs of the parent chain, nearest first.
  virtual absl::Status Populate(const std::string& dir, SnapshotKind kind,
                                const std::vector<std::string>& parent_fs) = 0;
  // The mounts that present a snapshot living in `dir`.
  virtual std::vector<Mount> MountsFor(const std::string& dir, SnapshotKind kind,
                                       const std::vector<std::string>& parent_fs) = 0;

 private:
  struct Record {
    std::string id;
    SnapshotInfo info;
  };

  absl::StatusOr<std::vector<Mount>> Create(const std::string& key, const std::string& parent,
                                            SnapshotKind kind);
  std::string Dir(const std::string& id) const { return root_ + "/" + id; }
  // fs dirs of `key` and its ancestors, nearest first.
  std::vector<std::string> ChainFs(const std::string& key) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string root_;
  mutable absl::Mutex mu_;
  std::map<std::string, Record> records_ ABSL_GUARDED_BY(mu_);
  // Keys being created, and how many of them sit on each parent.
  std::set<std::string> pending_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> pending_children_ ABSL_GUARDED_BY(mu_);
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace skiff::manager
