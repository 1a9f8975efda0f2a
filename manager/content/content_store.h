#pragma once
// The content store: immutable blobs addressed by their sha256 digest, laid
// out as containerd lays them out:
//
//   <root>/content/blobs/sha256/<hex>   committed blobs, mode 0444
//   <root>/content/ingest/<random>      blobs being written
//
// Promises:
//  - A blob is visible under blobs/ only complete and verified: every byte is
//    hashed while it is written to a temp file in ingest/, the file is
//    fsync'd and renamed into place (then the directory is fsync'd). A crash
//    leaves at most a temp file, which Open() removes.
//  - A digest mismatch is an error naming both digests (expected and got);
//    the temp file is removed and nothing is stored.
//  - Methods are safe to call from several threads and processes at once:
//    they only use atomic file system operations. Two writers of the same
//    content both succeed and leave one blob.
//  - Open() assumes one owner process (skiffd): it empties ingest/.
//
//   ASSIGN_OR_RETURN(auto store, ContentStore::Open("/var/lib/skiff"));
//   ASSIGN_OR_RETURN(Digest d, store->Ingest(bytes, expected));
//   ASSIGN_OR_RETURN(UniqueFd fd, store->Open(d));

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/unique_fd.h"
#include "manager/content/digest.h"

namespace skiff::manager {

// One blob being written. Destroying it without a successful Commit removes
// the temp file.
class ContentWriter {
 public:
  ~ContentWriter();
  ContentWriter(const ContentWriter&) = delete;
  ContentWriter& operator=(const ContentWriter&) = delete;

  [[nodiscard]] absl::Status Write(absl::string_view data);
  // Bytes written so far.
  uint64_t size() const { return hash_.size(); }
  // A read-only fd of the temp file, to read the blob while it is written
  // (growing_blob.h). It stays valid after Commit renames the file.
  absl::StatusOr<UniqueFd> OpenReader() const;

  // Checks the digest (and size, when given) against what was written, then
  // makes the blob visible. Returns the blob's digest. Call at most once;
  // the writer is spent afterwards, whatever the outcome.
  [[nodiscard]] absl::StatusOr<Digest> Commit(std::optional<Digest> expected = std::nullopt,
                                              std::optional<int64_t> expected_size = std::nullopt);

 private:
  friend class ContentStore;
  ContentWriter(std::string blobs_dir, std::string tmp_path, UniqueFd fd)
      : blobs_dir_(std::move(blobs_dir)), tmp_path_(std::move(tmp_path)), fd_(std::move(fd)) {}
  void Discard();

  std::string blobs_dir_;
  std::string tmp_path_;
  UniqueFd fd_;
  Sha256 hash_;
  bool done_ = false;
};

class ContentStore {
 public:
  // Opens the store under `root` (the daemon's --root), creating the
  // directories, and removes leftovers of interrupted ingests.
  static absl::StatusOr<std::unique_ptr<ContentStore>> Open(const std::string& root);

  // Starts writing a blob whose digest is known only at the end.
  absl::StatusOr<std::unique_ptr<ContentWriter>> NewWriter();

  // Stores `bytes`, everything read from `fd` until EOF, or everything read
  // from `in`, verifying `expected` when given.
  absl::StatusOr<Digest> Ingest(absl::string_view bytes,
                                std::optional<Digest> expected = std::nullopt);
  absl::StatusOr<Digest> IngestFd(int fd, std::optional<Digest> expected = std::nullopt);
  absl::StatusOr<Digest> IngestStream(std::istream& in,
                                      std::optional<Digest> expected = std::nullopt);

  bool Exists(const Digest& d) const;
  // NotFound names the digest when the blob is missing.
  absl::StatusOr<int64_t> Size(const Digest& d) const;
  // A read-only fd of the blob.
  absl::StatusOr<UniqueFd> Open(const Digest& d) const;
  // The blob's bytes; ResourceExhausted when it is larger than `max_size`
  // (manifests and configs are read with a limit, layers never are).
  absl::StatusOr<std::string> Get(const Digest& d, uint64_t max_size = UINT64_MAX) const;
  // NotFound when the blob is missing.
  absl::Status Delete(const Digest& d);
  // Every committed blob, sorted.
  absl::StatusOr<std::vector<Digest>> List() const;

  // Where a blob lives (whether or not it exists).
  std::string BlobPath(const Digest& d) const { return blobs_dir_ + "/" + d.hex(); }
  const std::string& root() const { return root_; }

 private:
  ContentStore(std::string root, std::string blobs_dir, std::string ingest_dir)
      : root_(std::move(root)), blobs_dir_(std::move(blobs_dir)), ingest_dir_(std::move(ingest_dir)) {}

  std::string root_;
  std::string blobs_dir_;
  std::string ingest_dir_;
};

}  // namespace skiff::manager
