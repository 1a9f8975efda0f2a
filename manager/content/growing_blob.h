#pragma once
// A blob that can be read while it is still being fetched, so a layer is
// decompressed and unpacked as its bytes arrive instead of after the
// download (and without reading it back from the content store later).
//
// The fetch writes the blob into a content-store temp file as usual and tells
// the GrowingBlob where it is (Begin), how far it got (Grew) and how it ended
// (Finish). A reader follows that file: it reads what is there and waits for
// more, and sees the end only once the fetch has committed the blob, that is
// after its digest was verified. So a reader never takes an unverified byte
// as the whole blob; a caller that must not act on unverified data (commit a
// snapshot) also waits for Finish, since a decompressor may stop reading
// before the last byte.
//
// A fetch that restarts from the first byte (a registry that cannot resume)
// calls Begin again; a reader of the earlier file fails with kAborted and the
// caller starts over from the committed blob.
//
//   fetch thread:                      unpack thread:
//     blob->Begin(writer.OpenReader())   ASSIGN_OR_RETURN(auto src, blob->Follow());
//     blob->Grew(n) ...                  if (!src) read the content store instead
//     blob->Finish(status)               ... (*src)(buf, n) ...; blob->Wait()

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/byte_source.h"
#include "common/unique_fd.h"

namespace skiff::manager {

class GrowingBlob : public std::enable_shared_from_this<GrowingBlob> {
 public:
  // Always shared: a reader's source keeps the blob alive.
  static std::shared_ptr<GrowingBlob> Create() {
    return std::shared_ptr<GrowingBlob>(new GrowingBlob());
  }

  // The fetch's side; any thread.
  // The blob's bytes go to a new file (opened for reading), from offset 0.
  void Begin(UniqueFd file);
  // The current file now holds `size` bytes.
  void Grew(uint64_t size);
  // The fetch ended: OK means the blob is complete, verified and committed.
  // Later calls are ignored, so a caller can finish every blob on the way out.
  void Finish(absl::Status status);

  // The reader's side.
  // Waits until the fetch began or ended. Returns a source that reads the
  // blob from its first byte as it arrives; nullopt when the fetch ended
  // without writing (the blob was already in the store); the fetch's error
  // when it failed first.
  absl::StatusOr<std::optional<ByteSource>> Follow();
  // Waits for Finish and returns its status.
  absl::Status Wait();
  bool finished() const;

 private:
  GrowingBlob() = default;

  struct File {
    UniqueFd fd;
    uint64_t generation;
  };
  absl::StatusOr<size_t> ReadAt(const std::shared_ptr<File>& file, uint64_t offset, char* buf,
                                size_t n);

  mutable absl::Mutex mu_;
  std::shared_ptr<File> file_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t size_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<absl::Status> finished_ ABSL_GUARDED_BY(mu_);
};

}  // namespace skiff::manager
