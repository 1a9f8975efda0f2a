#include "manager/content/growing_blob.h"

#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace skiff::manager {

void GrowingBlob::Begin(UniqueFd file) {
  absl::MutexLock lock(&mu_);
  if (finished_.has_value()) return;
  file_ = std::make_shared<File>(File{std::move(file), ++generation_});
  size_ = 0;
}

void GrowingBlob::Grew(uint64_t size) {
  absl::MutexLock lock(&mu_);
  size_ = size;
}

void GrowingBlob::Finish(absl::Status status) {
  absl::MutexLock lock(&mu_);
  if (finished_.has_value()) return;
  finished_ = std::move(status);
}

bool GrowingBlob::finished() const {
  absl::MutexLock lock(&mu_);
  return finished_.has_value();
}

absl::Status GrowingBlob::Wait() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](std::optional<absl::Status>* f) { return f->has_value(); }, &finished_));
  return *finished_;
}

absl::StatusOr<std::optional<ByteSource>> GrowingBlob::Follow() {
  std::shared_ptr<File> file;
  {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return file_ != nullptr || finished_.has_value();
    };
    mu_.Await(absl::Condition(&ready));
    if (finished_.has_value() && !finished_->ok()) return *finished_;
    if (file_ == nullptr) return std::optional<ByteSource>();
    file = file_;
  }
  auto self = shared_from_this();
  auto offset = std::make_shared<uint64_t>(0);
  return std::optional<ByteSource>(
      [self, file, offset](char* buf, size_t n) -> absl::StatusOr<size_t> {
        ASSIGN_OR_RETURN(size_t got, self->ReadAt(file, *offset, buf, n));
        *offset += got;
        return got;
      });
}

absl::StatusOr<size_t> GrowingBlob::ReadAt(const std::shared_ptr<File>& file, uint64_t offset,
                                           char* buf, size_t n) {
  uint64_t available;
  {
    absl::MutexLock lock(&mu_);
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return finished_.has_value() || generation_ != file->generation || size_ > offset;
    };
    mu_.Await(absl::Condition(&ready));
    if (finished_.has_value() && !finished_->ok()) return *finished_;
    if (generation_ != file->generation) {
      return absl::AbortedError("the download restarted from the first byte");
    }
    if (size_ <= offset) return 0;  // finished, and everything was read
    available = size_ - offset;
  }
  size_t want = static_cast<size_t>(std::min<uint64_t>(n, available));
  for (;;) {
    ssize_t r = pread(file->fd.get(), buf, want, static_cast<off_t>(offset));
    if (r >= 0) {
      if (r == 0 && want > 0) {
        return absl::DataLossError(absl::StrCat("blob file is shorter (", offset,
                                                " bytes) than what was written"));
      }
      return static_cast<size_t>(r);
    }
    if (errno != EINTR) return Errno("read the blob being downloaded");
  }
}

}  // namespace skiff::manager
