#include "manager/content/content_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "manager/fsutil/fsutil.h"

namespace skiff::manager {

ContentWriter::~ContentWriter() { Discard(); }

void ContentWriter::Discard() {
  if (done_) return;
  done_ = true;
  fd_.reset();
  unlink(tmp_path_.c_str());
}

absl::Status ContentWriter::Write(absl::string_view data) {
  if (done_) return absl::FailedPreconditionError("content writer: write after commit");
  absl::Status st = WriteAll(fd_.get(), data, tmp_path_);
  if (!st.ok()) {
    Discard();
    return st;
  }
  hash_.Update(data);
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> ContentWriter::OpenReader() const {
  if (done_) return absl::FailedPreconditionError("content writer: already committed or failed");
  int fd = open(tmp_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open for reading", tmp_path_);
  return UniqueFd(fd);
}

absl::StatusOr<Digest> ContentWriter::Commit(std::optional<Digest> expected,
                                             std::optional<int64_t> expected_size) {
  if (done_) return absl::FailedPreconditionError("content writer: already committed or failed");
  uint64_t size = hash_.size();
  Digest got = hash_.Finish();
  if (expected.has_value() && *expected != got) {
    Discard();
    return absl::DataLossError(absl::StrCat("digest mismatch: expected ", expected->str(), ", got ",
                                            got.str(), " (", size, " bytes)"));
  }
  if (expected_size.has_value() && static_cast<uint64_t>(*expected_size) != size) {
    Discard();
    return absl::DataLossError(absl::StrCat("size mismatch for ", got.str(), ": expected ",
                                            *expected_size, " bytes, got ", size));
  }
  std::string dest = blobs_dir_ + "/" + got.hex();
  struct stat st;
  if (stat(dest.c_str(), &st) == 0) {  // same content already stored
    Discard();
    return got;
  }
  absl::Status status;
  if (fchmod(fd_.get(), 0444) != 0) status = Errno("chmod", tmp_path_);
  if (status.ok() && fsync(fd_.get()) != 0) status = Errno("fsync", tmp_path_);
  if (status.ok() && rename(tmp_path_.c_str(), dest.c_str()) != 0) {
    status = Errno("rename into place", dest);
  }
  if (!status.ok()) {
    Discard();
    return status;
  }
  done_ = true;
  fd_.reset();
  RETURN_IF_ERROR(FsyncDir(blobs_dir_));
  return got;
}

absl::StatusOr<std::unique_ptr<ContentStore>> ContentStore::Open(const std::string& root) {
  std::string blobs = root + "/content/blobs/sha256";
  std::string ingest = root + "/content/ingest";
  RETURN_IF_ERROR(Annotate(MakeDirs(blobs, 0755), "content store"));
  RETURN_IF_ERROR(Annotate(MakeDirs(ingest, 0700), "content store"));
  // Whatever is in ingest/ belongs to a writer of a previous run that never
  // committed (a crash): it is garbage by construction.
  UniqueFd ifd(open(ingest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!ifd) return Errno("open", ingest);
  RETURN_IF_ERROR(Annotate(RemoveChildren(ifd.get(), ingest), "cleaning interrupted ingests"));
  return std::unique_ptr<ContentStore>(new ContentStore(root, blobs, ingest));
}

absl::StatusOr<std::unique_ptr<ContentWriter>> ContentStore::NewWriter() {
  std::string tmpl = ingest_dir_ + "/blob-XXXXXX";
  int fd = mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return Errno("create temp file in", ingest_dir_);
  return std::unique_ptr<ContentWriter>(new ContentWriter(blobs_dir_, tmpl, UniqueFd(fd)));
}

absl::StatusOr<Digest> ContentStore::Ingest(absl::string_view bytes,
                                            std::optional<Digest> expected) {
  ASSIGN_OR_RETURN(auto w, NewWriter());
  RETURN_IF_ERROR(w->Write(bytes));
  return w->Commit(expected);
}

absl::StatusOr<Digest> ContentStore::IngestFd(int fd, std::optional<Digest> expected) {
  ASSIGN_OR_RETURN(auto w, NewWriter());
  std::string buf(1 << 20, '\0');
  for (;;) {
    ssize_t n = ReadRetry(fd, buf.data(), buf.size());
    if (n < 0) return Errno("read blob from fd");
    if (n == 0) break;
    RETURN_IF_ERROR(w->Write(absl::string_view(buf.data(), static_cast<size_t>(n))));
  }
  return w->Commit(expected);
}

absl::StatusOr<Digest> ContentStore::IngestStream(std::istream& in,
                                                  std::optional<Digest> expected) {
  ASSIGN_OR_RETURN(auto w, NewWriter());
  std::string buf(1 << 20, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    std::streamsize n = in.gcount();
    if (n > 0) RETURN_IF_ERROR(w->Write(absl::string_view(buf.data(), static_cast<size_t>(n))));
  }
  if (in.bad()) return absl::DataLossError("read blob from stream: I/O error");
  return w->Commit(expected);
}

bool ContentStore::Exists(const Digest& d) const {
  struct stat st;
  return !d.empty() && stat(BlobPath(d).c_str(), &st) == 0;
}

absl::StatusOr<int64_t> ContentStore::Size(const Digest& d) const {
  struct stat st;
  if (stat(BlobPath(d).c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("blob ", d.str(), " not found"));
    return Errno("stat blob", BlobPath(d));
  }
  return static_cast<int64_t>(st.st_size);
}

absl::StatusOr<UniqueFd> ContentStore::Open(const Digest& d) const {
  UniqueFd fd(open(BlobPath(d).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("blob ", d.str(), " not found"));
    return Errno("open blob", BlobPath(d));
  }
  return fd;
}

absl::StatusOr<std::string> ContentStore::Get(const Digest& d, uint64_t max_size) const {
  ASSIGN_OR_RETURN(UniqueFd fd, Open(d));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Errno("stat blob", BlobPath(d));
  if (static_cast<uint64_t>(st.st_size) > max_size) {
    return absl::ResourceExhaustedError(absl::StrCat("blob ", d.str(), " is ", st.st_size,
                                                     " bytes, more than the limit of ", max_size));
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = ReadRetry(fd.get(), out.data() + off, out.size() - off);
    if (n < 0) return Errno("read blob", BlobPath(d));
    if (n == 0) return absl::DataLossError(absl::StrCat("blob ", d.str(), " shrank while read"));
    off += static_cast<size_t>(n);
  }
  return out;
}

absl::Status ContentStore::Delete(const Digest& d) {
  if (unlink(BlobPath(d).c_str()) != 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("blob ", d.str(), " not found"));
    return Errno("delete blob", BlobPath(d));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Digest>> ContentStore::List() const {
  DIR* dir = opendir(blobs_dir_.c_str());
  if (dir == nullptr) return Errno("open", blobs_dir_);
  std::vector<Digest> out;
  errno = 0;
  while (struct dirent* e = readdir(dir)) {
    absl::StatusOr<Digest> d = Digest::FromHex(e->d_name);
    if (d.ok()) out.push_back(*std::move(d));  // anything else is not ours
  }
  int err = errno;
  closedir(dir);
  if (err != 0) return ErrnoError(err, "readdir", blobs_dir_);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace skiff::manager
