#include "manager/images/archive_save.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "manager/fsutil/fsutil.h"
#include "manager/images/compression.h"
#include "manager/images/media_types.h"
#include "manager/images/reference.h"

namespace skiff::manager {

using nlohmann::json;

namespace {

// A tar being written with libarchive; every entry is root-owned with a
// fixed mtime, so the same images always produce the same archive.
class TarWriter {
 public:
  explicit TarWriter(std::string path) : path_(std::move(path)) {}
  ~TarWriter() {
    if (a_ != nullptr) archive_write_free(a_);
  }

  absl::Status Open() {
    a_ = archive_write_new();
    archive_write_set_format_pax_restricted(a_);
    if (archive_write_open_filename(a_, path_.c_str()) != ARCHIVE_OK) return Error("create");
    return absl::OkStatus();
  }

  absl::Status Dir(const std::string& name) {
    if (!dirs_.insert(name).second) return absl::OkStatus();
    return Header(name + "/", AE_IFDIR, 0755, 0);
  }

  absl::Status File(const std::string& name, absl::string_view data) {
    RETURN_IF_ERROR(Header(name, AE_IFREG, 0644, static_cast<int64_t>(data.size())));
    return Data(name, data);
  }

  // A file whose content comes from `fd` (exactly `size` bytes).
  absl::Status FileFromFd(const std::string& name, int fd, int64_t size) {
    RETURN_IF_ERROR(Header(name, AE_IFREG, 0644, size));
    std::string buf(1 << 20, '\0');
    int64_t left = size;
    while (left > 0) {
      ssize_t n = ReadRetry(fd, buf.data(), static_cast<size_t>(std::min<int64_t>(left, buf.size())));
      if (n < 0) return Errno("read blob for", name);
      if (n == 0) return absl::DataLossError(absl::StrCat("blob for `", name, "` is short"));
      RETURN_IF_ERROR(Data(name, absl::string_view(buf.data(), static_cast<size_t>(n))));
      left -= n;
    }
    return absl::OkStatus();
  }

  absl::Status Close() {
    if (archive_write_close(a_) != ARCHIVE_OK) return Error("finish");
    return absl::OkStatus();
  }

 private:
  absl::Status Header(const std::string& name, unsigned type, int mode, int64_t size) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, static_cast<mode_t>(mode));
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, 0, 0);
    int r = archive_write_header(a_, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK) return Error(absl::StrCat("write entry `", name, "` to"));
    return absl::OkStatus();
  }

  absl::Status Data(const std::string& name, absl::string_view data) {
    while (!data.empty()) {
      la_ssize_t n = archive_write_data(a_, data.data(), data.size());
      if (n <= 0) return Error(absl::StrCat("write entry `", name, "` to"));
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  absl::Status Error(absl::string_view what) {
    return absl::InternalError(absl::StrCat(what, " `", path_, "`: ", archive_error_string(a_)));
  }

  std::string path_;
  struct archive* a_ = nullptr;
  std::set<std::string> dirs_;
};

absl::Status WriteBlob(TarWriter& tar, const ContentStore& store, const Digest& d,
                       const std::string& name) {
  ASSIGN_OR_RETURN(UniqueFd fd, store.Open(d));
  ASSIGN_OR_RETURN(int64_t size, store.Size(d));
  return tar.FileFromFd(name, fd.get(), size);
}

// Decompresses a layer into an unnamed temp file beside the output (docker
// archives carry uncompressed layers, and a tar header needs the size first),
// checking the result against the DiffID.
absl::StatusOr<UniqueFd> Uncompressed(const ContentStore& store, const Descriptor& layer,
                                      const Digest& diff_id, const std::string& tmp_dir,
                                      int64_t* size) {
  ASSIGN_OR_RETURN(UniqueFd in, store.Open(layer.digest));
  ASSIGN_OR_RETURN(auto dec, Decompressor::Open(in.get(), absl::StrCat("layer ", layer.digest.str())));
  UniqueFd out(open(tmp_dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!out) return Errno("create temp file in", tmp_dir);
  Sha256 h;
  std::string buf(1 << 20, '\0');
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, dec->Read(buf.data(), buf.size()));
    if (n == 0) break;
    absl::string_view chunk(buf.data(), n);
    h.Update(chunk);
    RETURN_IF_ERROR(WriteAll(out.get(), chunk, "temp layer file"));
  }
  *size = static_cast<int64_t>(h.size());
  Digest got = h.Finish();
  if (got != diff_id) {
    return absl::DataLossError(absl::StrCat("layer ", layer.digest.str(), " uncompresses to ",
                                            got.str(), " but the config lists DiffID ",
                                            diff_id.str()));
  }
  if (lseek(out.get(), 0, SEEK_SET) != 0) return Errno("seek temp layer file");
  return out;
}

absl::Status SaveDocker(TarWriter& tar, const std::vector<Image>& images,
                        const ContentStore& store, const std::string& tmp_dir) {
  json manifest = json::array();
  json repositories = json::object();
  std::set<Digest> written;
  for (const Image& img : images) {
    std::string config_name = img.config_digest.hex() + ".json";
    if (written.insert(img.config_digest).second) {
      RETURN_IF_ERROR(WriteBlob(tar, store, img.config_digest, config_name));
    }
    json layers = json::array();
    for (size_t i = 0; i < img.layers().size(); ++i) {
      const Descriptor& l = img.layers()[i];
      const Digest& diff = img.diff_ids().at(i);
      std::string name = diff.hex() + "/layer.tar";
      layers.push_back(name);
      if (!written.insert(diff).second) continue;
      RETURN_IF_ERROR(tar.Dir(diff.hex()));
      ASSIGN_OR_RETURN(UniqueFd fd, store.Open(l.digest));
      ASSIGN_OR_RETURN(Compression comp, DetectCompressionFd(fd.get()));
      if (comp == Compression::kNone && l.digest == diff) {
        RETURN_IF_ERROR(tar.FileFromFd(name, fd.get(), l.size));
      } else {
        int64_t size = 0;
        ASSIGN_OR_RETURN(UniqueFd raw, Uncompressed(store, l, diff, tmp_dir, &size));
        RETURN_IF_ERROR(tar.FileFromFd(name, raw.get(), size));
      }
    }
    json tags = json::array();
    for (const std::string& n : img.names) {
      absl::StatusOr<Reference> r = Reference::Parse(n);
      if (!r.ok() || r->tag().empty()) continue;  // digest-only names have no RepoTag
      // The full name: docker reads it as it reads its own short form, but
      // podman takes a short "name:tag" for localhost/name:tag.
      tags.push_back(absl::StrCat(r->Name(), ":", r->tag()));
      if (!img.diff_ids().empty()) {
        repositories[r->Name()][r->tag()] = img.diff_ids().back().hex();
      }
    }
    manifest.push_back({{"Config", config_name}, {"RepoTags", tags}, {"Layers", layers}});
  }
  RETURN_IF_ERROR(tar.File("manifest.json", manifest.dump()));
  if (!repositories.empty()) RETURN_IF_ERROR(tar.File("repositories", repositories.dump()));
  return absl::OkStatus();
}

absl::Status SaveOci(TarWriter& tar, const std::vector<Image>& images, const ContentStore& store) {
  RETURN_IF_ERROR(tar.File("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  RETURN_IF_ERROR(tar.Dir("blobs"));
  RETURN_IF_ERROR(tar.Dir("blobs/sha256"));
  Index index;
  index.media_type = media_types::kOciIndex;
  std::set<Digest> written;
  auto blob = [&](const Digest& d) -> absl::Status {
    if (!written.insert(d).second) return absl::OkStatus();
    return WriteBlob(tar, store, d, "blobs/sha256/" + d.hex());
  };
  for (const Image& img : images) {
    for (const Descriptor& l : img.layers()) RETURN_IF_ERROR(blob(l.digest));
    RETURN_IF_ERROR(blob(img.config_digest));
    RETURN_IF_ERROR(blob(img.manifest_digest));
    Descriptor d;
    d.media_type = img.manifest.media_type.empty() ? media_types::kOciManifest
                                                   : img.manifest.media_type;
    d.digest = img.manifest_digest;
    ASSIGN_OR_RETURN(d.size, store.Size(img.manifest_digest));
    if (img.names.empty()) index.manifests.push_back(d);
    for (const std::string& n : img.names) {
      Descriptor named = d;
      named.annotations[kAnnotationRefName] = n;
      named.annotations[kAnnotationContainerdImageName] = n;
      index.manifests.push_back(std::move(named));
    }
  }
  return tar.File("index.json", ToJson(index));
}

}  // namespace

absl::Status SaveArchive(const std::vector<Image>& images, const std::string& path,
                         ArchiveFormat format, const ContentStore& store) {
  std::string dir = ".";
  if (size_t s = path.rfind('/'); s != std::string::npos) dir = s == 0 ? "/" : path.substr(0, s);
  std::string tmp = absl::StrCat(path, ".tmp-", getpid());
  absl::Cleanup remove_tmp = [&] { unlink(tmp.c_str()); };
  absl::Status st;
  {
    TarWriter tar(tmp);
    st = tar.Open();
    if (st.ok()) {
      st = format == ArchiveFormat::kDockerArchive ? SaveDocker(tar, images, store, dir)
                                                   : SaveOci(tar, images, store);
    }
    if (st.ok()) st = tar.Close();
  }
  if (!st.ok()) return Annotate(st, absl::StrCat("saving `", path, "`"));
  if (rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename into place", path);
  std::move(remove_tmp).Cancel();
  return absl::OkStatus();
}

}  // namespace skiff::manager
