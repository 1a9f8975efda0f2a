#pragma once
// Layer blob compression: found by magic bytes (never trusted from a media
// type alone), and undone by libarchive while streaming.
//
//   ASSIGN_OR_RETURN(auto r, Decompressor::Open(fd));   // gzip, zstd or plain
//   while ((n = r->Read(buf, sizeof buf)) > 0) ...      // the tar bytes

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/byte_source.h"

struct archive;

namespace skiff::manager {

enum class Compression { kNone, kGzip, kZstd, kBzip2, kXz };

// From the first bytes of a blob (4 are enough for gzip and zstd, 6 for xz).
Compression DetectCompression(absl::string_view head);
// Reads the first bytes of `fd` with pread (the offset is not moved).
absl::StatusOr<Compression> DetectCompressionFd(int fd);
const char* CompressionName(Compression c);

// A stream of the decompressed bytes of an fd: gzip, zstd, bzip2, xz, or
// none, found by libarchive from the magic bytes.
class Decompressor {
 public:
  // Does not take ownership of `fd`; reads it from its current offset.
  static absl::StatusOr<std::unique_ptr<Decompressor>> Open(int fd, std::string what);
  // Reads `source`, which the Decompressor keeps.
  static absl::StatusOr<std::unique_ptr<Decompressor>> Open(ByteSource source, std::string what);
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  // Up to `n` bytes; 0 at the end. Errors name `what` and libarchive's
  // reason (a truncated or corrupt stream).
  absl::StatusOr<size_t> Read(char* buf, size_t n);

 private:
  Decompressor(struct archive* a, std::string what) : a_(a), what_(std::move(what)) {}
  static ssize_t ReadCallback(struct archive* a, void* self, const void** out);

  struct archive* a_;
  ByteSource source_;
  std::string buf_;
  absl::Status source_error_;
  std::string what_;
  bool eof_ = false;
};

}  // namespace skiff::manager
