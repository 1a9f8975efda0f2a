#include "manager/testing/tar_builder.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "manager/fsutil/fsutil.h"

namespace skiff::manager::testing {

namespace {

la_ssize_t AppendCallback(struct archive*, void* client, const void* buf, size_t n) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

}  // namespace

absl::StatusOr<std::string> BuildTar(const std::vector<TarEntry>& entries,
                                     TarCompression compression) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (compression == TarCompression::kGzip) archive_write_add_filter_gzip(a);
  if (compression == TarCompression::kZstd) archive_write_add_filter_zstd(a);
  archive_write_set_bytes_in_last_block(a, 1);
  if (archive_write_open(a, &out, nullptr, AppendCallback, nullptr) != ARCHIVE_OK) {
    std::string err = archive_error_string(a);
    archive_write_free(a);
    return absl::InternalError("archive_write_open: " + err);
  }
  for (const TarEntry& e : entries) {
    struct archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.path.c_str());
    archive_entry_set_uid(ae, e.uid);
    archive_entry_set_gid(ae, e.gid);
    archive_entry_set_mtime(ae, e.mtime, 0);
    int mode = e.mode;
    switch (e.type) {
      case TarEntry::kFile:
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_size(ae, static_cast<la_int64_t>(e.data.size()));
        if (mode < 0) mode = 0644;
        break;
      case TarEntry::kDir:
        archive_entry_set_filetype(ae, AE_IFDIR);
        if (mode < 0) mode = 0755;
        break;
      case TarEntry::kSymlink:
        archive_entry_set_filetype(ae, AE_IFLNK);
        archive_entry_set_symlink(ae, e.link.c_str());
        if (mode < 0) mode = 0777;
        break;
      case TarEntry::kHardlink:
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_hardlink(ae, e.link.c_str());
        if (mode < 0) mode = 0644;
        break;
      case TarEntry::kCharDev:
      case TarEntry::kBlockDev:
        archive_entry_set_filetype(ae, e.type == TarEntry::kCharDev ? AE_IFCHR : AE_IFBLK);
        archive_entry_set_rdevmajor(ae, e.dev_major);
        archive_entry_set_rdevminor(ae, e.dev_minor);
        if (mode < 0) mode = 0666;
        break;
      case TarEntry::kFifo:
        archive_entry_set_filetype(ae, AE_IFIFO);
        if (mode < 0) mode = 0644;
        break;
    }
    archive_entry_set_perm(ae, static_cast<mode_t>(mode));
    for (const auto& [name, value] : e.xattrs) {
      archive_entry_xattr_add_entry(ae, name.c_str(), value.data(), value.size());
    }
    int r = archive_write_header(a, ae);
    archive_entry_free(ae);
    if (r != ARCHIVE_OK) {
      std::string err = archive_error_string(a);
      archive_write_free(a);
      return absl::InternalError(absl::StrCat("tar entry `", e.path, "`: ", err));
    }
    if (e.type == TarEntry::kFile && !e.data.empty()) {
      archive_write_data(a, e.data.data(), e.data.size());
    }
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

absl::Status WriteTestFile(const std::string& path, const std::string& data, int mode) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return Errno("create", path);
  return WriteAll(fd.get(), data, path);
}

}  // namespace skiff::manager::testing
