#include "manager/images/compression.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace skiff::manager {

Compression DetectCompression(absl::string_view h) {
  auto starts = [&](absl::string_view magic) {
    return h.size() >= magic.size() && h.substr(0, magic.size()) == magic;
  };
  if (starts(absl::string_view("\x1f\x8b", 2))) return Compression::kGzip;
  if (starts(absl::string_view("\x28\xb5\x2f\xfd", 4))) return Compression::kZstd;
  if (starts("BZh")) return Compression::kBzip2;
  if (starts(absl::string_view("\xfd" "7zXZ\x00", 6))) return Compression::kXz;
  return Compression::kNone;
}

absl::StatusOr<Compression> DetectCompressionFd(int fd) {
  char buf[8];
  ssize_t n;
  do {
    n = pread(fd, buf, sizeof buf, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Errno("read blob header");
  return DetectCompression(absl::string_view(buf, static_cast<size_t>(n)));
}

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
    case Compression::kBzip2: return "bzip2";
    case Compression::kXz: return "xz";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<Decompressor>> Decompressor::Open(int fd, std::string what) {
  return Open(FdSource(fd), std::move(what));
}

ssize_t Decompressor::ReadCallback(struct archive* a, void* self, const void** out) {
  Decompressor* d = static_cast<Decompressor*>(self);
  absl::StatusOr<size_t> n = d->source_(d->buf_.data(), d->buf_.size());
  if (!n.ok()) {
    d->source_error_ = n.status();
    archive_set_error(a, EIO, "%s", std::string(n.status().message()).c_str());
    return -1;
  }
  *out = d->buf_.data();
  return static_cast<ssize_t>(*n);
}

absl::StatusOr<std::unique_ptr<Decompressor>> Decompressor::Open(ByteSource source,
                                                                 std::string what) {
  struct archive* a = archive_read_new();
  if (a == nullptr) return absl::ResourceExhaustedError("archive_read_new: out of memory");
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_filter_bzip2(a);
  archive_read_support_filter_xz(a);
  // "raw": the whole (decompressed) stream is one entry's data.
  archive_read_support_format_raw(a);
  std::unique_ptr<Decompressor> d(new Decompressor(a, std::move(what)));
  d->source_ = std::move(source);
  d->buf_.resize(1 << 16);
  if (archive_read_open(a, d.get(), nullptr, &Decompressor::ReadCallback, nullptr) != ARCHIVE_OK) {
    if (!d->source_error_.ok()) return Annotate(d->source_error_, d->what_);
    return absl::DataLossError(
        absl::StrCat(d->what_, ": cannot read: ", archive_error_string(a)));
  }
  struct archive_entry* e;
  int r = archive_read_next_header(a, &e);
  if (r == ARCHIVE_EOF) {
    d->eof_ = true;  // an empty blob
  } else if (r != ARCHIVE_OK) {
    if (!d->source_error_.ok()) return Annotate(d->source_error_, d->what_);
    return absl::DataLossError(absl::StrCat(d->what_, ": ", archive_error_string(a)));
  }
  return d;
}

Decompressor::~Decompressor() { archive_read_free(a_); }

absl::StatusOr<size_t> Decompressor::Read(char* buf, size_t n) {
  if (eof_) return 0;
  la_ssize_t r = archive_read_data(a_, buf, n);
  if (r < 0) {
    // The source's own error (a failed or restarted download) keeps its
    // code, so a caller can tell it from a corrupt stream.
    if (!source_error_.ok()) return Annotate(source_error_, what_);
    return absl::DataLossError(absl::StrCat(what_, ": decompressing: ", archive_error_string(a_)));
  }
  if (r == 0) eof_ = true;
  return static_cast<size_t>(r);
}

}  // namespace skiff::manager
