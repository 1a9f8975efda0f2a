#include "manager/images/archive_load.h"

#include <archive.h>
#include <archive_entry.h>

#include <map>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "manager/images/compression.h"
#include "manager/images/json_util.h"
#include "manager/images/media_types.h"
#include "manager/images/reference.h"

namespace skiff::manager {

using json_util::json;

namespace {

// The top-level metadata files, read into memory instead of the store.
bool IsMetadataFile(const std::string& p) {
  return p == "manifest.json" || p == "index.json" || p == "oci-layout" || p == "repositories";
}

// docker save's legacy per-layer "<id>/json" and "<id>/VERSION" files.
bool IsLegacyLayerFile(const std::string& p) {
  return absl::EndsWith(p, "/json") || absl::EndsWith(p, "/VERSION");
}

// "./a//b/" -> "a/b"; ".." components are kept (and never match anything).
std::string CleanPath(absl::string_view p) {
  std::vector<std::string> out;
  for (absl::string_view c : absl::StrSplit(p, '/', absl::SkipEmpty())) {
    if (c == ".") continue;
    if (c == ".." && !out.empty() && out.back() != "..") {
      out.pop_back();
      continue;
    }
    out.emplace_back(c);
  }
  return absl::StrJoin(out, "/");
}

std::string Dirname(const std::string& p) {
  size_t s = p.rfind('/');
  return s == std::string::npos ? "" : p.substr(0, s);
}

struct ArchiveContents {
  std::map<std::string, std::string> metadata;  // manifest.json, index.json, ...
  std::map<std::string, Digest> files;           // every other regular file
  std::map<std::string, std::string> links;      // symlinks and hardlinks, resolved
};

absl::Status ArchiveError(struct archive* a, const std::string& tar_path, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("reading `", tar_path, "`: ", what, ": ", archive_error_string(a)));
}

absl::StatusOr<ArchiveContents> ReadArchive(const std::string& tar_path, ContentStore& store) {
  struct archive* a = archive_read_new();
  // Only the compressions built into libarchive: "all" would also run
  // external programs (lrzip, lzop, ...) chosen by a hostile file's magic.
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_filter_bzip2(a);
  archive_read_support_filter_xz(a);
  archive_read_support_format_tar(a);
  archive_read_support_format_gnutar(a);
  struct Closer {
    struct archive* a;
    ~Closer() { archive_read_free(a); }
  } closer{a};
  if (archive_read_open_filename(a, tar_path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return absl::NotFoundError(
        absl::StrCat("open image archive `", tar_path, "`: ", archive_error_string(a)));
  }
  ArchiveContents c;
  struct archive_entry* e;
  for (;;) {
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r == ARCHIVE_WARN) r = ARCHIVE_OK;
    if (r != ARCHIVE_OK) {
      return ArchiveError(a, tar_path, c.files.empty() && c.metadata.empty()
                                           ? "not a tar archive"
                                           : "reading the next entry");
    }
    const char* raw = archive_entry_pathname(e);
    std::string path = CleanPath(raw ? raw : "");
    if (path.empty()) continue;
    if (const char* hl = archive_entry_hardlink(e)) {
      c.links[path] = CleanPath(hl);
      continue;
    }
    mode_t type = archive_entry_filetype(e);
    if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(e);
      std::string t = target ? target : "";
      c.links[path] = CleanPath(absl::StartsWith(t, "/") ? t : Dirname(path) + "/" + t);
      continue;
    }
    if (type != AE_IFREG) continue;
    if (IsMetadataFile(path)) {
      if (archive_entry_size(e) > static_cast<la_int64_t>(kMaxManifestSize * 4)) {
        return absl::InvalidArgumentError(absl::StrCat("`", path, "` in `", tar_path,
                                                       "` is too large to be image metadata"));
      }
      std::string data;
      char buf[1 << 16];
      la_ssize_t n;
      while ((n = archive_read_data(a, buf, sizeof buf)) > 0) data.append(buf, static_cast<size_t>(n));
      if (n < 0) return ArchiveError(a, tar_path, path);
      c.metadata[path] = std::move(data);
      continue;
    }
    if (IsLegacyLayerFile(path)) continue;

    std::optional<Digest> expected;
    if (absl::StartsWith(path, "blobs/sha256/")) {
      absl::StatusOr<Digest> d = Digest::FromHex(path.substr(13));
      if (!d.ok()) return Annotate(d.status(), absl::StrCat("archive entry `", path, "`"));
      expected = *d;
      if (store.Exists(*d)) {  // already stored (and verified then): skip the copy
        c.files[path] = *d;
        continue;
      }
    }
    ASSIGN_OR_RETURN(auto w, store.NewWriter());
    const void* block;
    size_t size;
    la_int64_t offset;
    int64_t written = 0;
    while ((r = archive_read_data_block(a, &block, &size, &offset)) == ARCHIVE_OK) {
      if (offset > written) {  // a sparse hole
        std::string zeros(static_cast<size_t>(offset - written), '\0');
        RETURN_IF_ERROR(w->Write(zeros));
        written = offset;
      }
      RETURN_IF_ERROR(w->Write(absl::string_view(static_cast<const char*>(block), size)));
      written += static_cast<int64_t>(size);
    }
    if (r != ARCHIVE_EOF) return ArchiveError(a, tar_path, path);
    absl::StatusOr<Digest> d = w->Commit(expected);
    if (!d.ok()) return Annotate(d.status(), absl::StrCat("archive entry `", path, "`"));
    c.files[path] = *d;
  }
  return c;
}

// The blob behind `path` in the archive, following links.
absl::StatusOr<Digest> Resolve(const ArchiveContents& c, const std::string& path,
                               absl::string_view what) {
  std::string p = CleanPath(path);
  for (int hops = 0; hops < 16; ++hops) {
    auto f = c.files.find(p);
    if (f != c.files.end()) return f->second;
    auto l = c.links.find(p);
    if (l == c.links.end()) break;
    p = l->second;
  }
  return absl::NotFoundError(absl::StrCat(what, " `", path, "` is not in the archive"));
}

// A name from an annotation or RepoTags, normalized; nullopt when it is not a
// full reference (e.g. a bare tag "latest" in a docker 25 index.json).
std::optional<std::string> NameFrom(absl::string_view s) {
  if (s.empty()) return std::nullopt;
  absl::StatusOr<Reference> r = Reference::Parse(s);
  if (!r.ok()) return std::nullopt;
  return r->String();
}

void AddName(Image& img, const std::string& name) {
  for (const std::string& n : img.names) {
    if (n == name) return;
  }
  img.names.push_back(name);
}

// manifest.json's RepoTags, by config digest (docker archives, and docker
// 25's OCI layouts, which carry both).
absl::StatusOr<std::map<Digest, std::vector<std::string>>> DockerRepoTags(
    const ArchiveContents& c, const json& manifest) {
  std::map<Digest, std::vector<std::string>> out;
  for (size_t i = 0; i < manifest.size(); ++i) {
    const json& m = manifest[i];
    std::string p = json_util::At("manifest.json", i);
    RETURN_IF_ERROR(json_util::RequireObject(m, p));
    std::string config;
    RETURN_IF_ERROR(json_util::GetString(m, "Config", p, &config, true));
    ASSIGN_OR_RETURN(Digest cd, Resolve(c, config, "config"));
    std::vector<std::string> tags;
    RETURN_IF_ERROR(json_util::GetStringList(m, "RepoTags", p, &tags));
    for (const std::string& t : tags) {
      std::optional<std::string> n = NameFrom(t);
      if (!n) {
        return absl::InvalidArgumentError(
            absl::StrCat("field `", p, ".RepoTags`: invalid reference `", t, "`"));
      }
      out[cd].push_back(*n);
    }
  }
  return out;
}

absl::StatusOr<std::vector<Image>> LoadDockerArchive(const ArchiveContents& c, ContentStore& store,
                                                     const json& manifest) {
  std::vector<Image> images;
  for (size_t i = 0; i < manifest.size(); ++i) {
    const json& m = manifest[i];
    std::string p = json_util::At("manifest.json", i);
    RETURN_IF_ERROR(json_util::RequireObject(m, p));
    std::string config_path;
    RETURN_IF_ERROR(json_util::GetString(m, "Config", p, &config_path, true));
    std::vector<std::string> layer_paths;
    RETURN_IF_ERROR(json_util::GetStringList(m, "Layers", p, &layer_paths));

    Manifest om;
    om.media_type = media_types::kOciManifest;
    om.config.media_type = media_types::kOciConfig;
    ASSIGN_OR_RETURN(om.config.digest, Resolve(c, config_path, "config"));
    ASSIGN_OR_RETURN(om.config.size, store.Size(om.config.digest));
    ASSIGN_OR_RETURN(std::string ctext, store.Get(om.config.digest, kMaxConfigSize));
    absl::StatusOr<ImageConfig> config = ParseImageConfig(ctext);
    if (!config.ok()) return Annotate(config.status(), config_path);
    if (config->diff_ids.size() != layer_paths.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          p, ": ", layer_paths.size(), " layers but ", config_path, " lists ",
          config->diff_ids.size(), " diff_ids"));
    }
    for (size_t li = 0; li < layer_paths.size(); ++li) {
      Descriptor l;
      ASSIGN_OR_RETURN(l.digest, Resolve(c, layer_paths[li], "layer"));
      ASSIGN_OR_RETURN(l.size, store.Size(l.digest));
      ASSIGN_OR_RETURN(UniqueFd fd, store.Open(l.digest));
      ASSIGN_OR_RETURN(Compression comp, DetectCompressionFd(fd.get()));
      switch (comp) {
        case Compression::kNone:
          l.media_type = media_types::kOciLayer;
          // Uncompressed, the blob is its own DiffID: check it now.
          if (l.digest != config->diff_ids[li]) {
            return absl::DataLossError(absl::StrCat(
                "layer `", layer_paths[li], "` is ", l.digest.str(), " but ", config_path,
                " lists rootfs.diff_ids[", li, "] = ", config->diff_ids[li].str()));
          }
          break;
        case Compression::kGzip: l.media_type = media_types::kOciLayerGzip; break;
        case Compression::kZstd: l.media_type = media_types::kOciLayerZstd; break;
        default:
          return absl::InvalidArgumentError(absl::StrCat("layer `", layer_paths[li], "` is ",
                                                         CompressionName(comp),
                                                         "-compressed: want none, gzip or zstd"));
      }
      om.layers.push_back(std::move(l));
    }
    std::string mtext = ToJson(om);
    ASSIGN_OR_RETURN(Digest md, store.Ingest(mtext));
    Descriptor target;
    target.media_type = media_types::kOciManifest;
    target.digest = md;
    target.size = static_cast<int64_t>(mtext.size());
    ASSIGN_OR_RETURN(Image img, ResolveImage(store, target));
    std::vector<std::string> tags;
    RETURN_IF_ERROR(json_util::GetStringList(m, "RepoTags", p, &tags));
    for (const std::string& t : tags) {
      std::optional<std::string> n = NameFrom(t);
      if (!n) {
        return absl::InvalidArgumentError(
            absl::StrCat("field `", p, ".RepoTags`: invalid reference `", t, "`"));
      }
      AddName(img, *n);
    }
    images.push_back(std::move(img));
  }
  return images;
}

absl::StatusOr<std::vector<Image>> LoadOciLayout(const ArchiveContents& c, ContentStore& store,
                                                 const Platform& platform) {
  auto layout = c.metadata.find("oci-layout");
  if (layout != c.metadata.end()) {
    ASSIGN_OR_RETURN(json j, json_util::Parse(layout->second, "oci-layout"));
    RETURN_IF_ERROR(Annotate(json_util::RequireObject(j, ""), "oci-layout"));
    std::string version;
    RETURN_IF_ERROR(Annotate(json_util::GetString(j, "imageLayoutVersion", "", &version, true),
                             "oci-layout"));
    if (version != "1.0.0") {
      return absl::InvalidArgumentError(
          absl::StrCat("oci-layout: unsupported imageLayoutVersion \"", version, "\" (want 1.0.0)"));
    }
  }
  absl::StatusOr<Index> index = ParseIndex(c.metadata.at("index.json"));
  if (!index.ok()) return Annotate(index.status(), "index.json");

  std::map<Digest, std::vector<std::string>> repo_tags;
  auto mj = c.metadata.find("manifest.json");
  if (mj != c.metadata.end()) {
    ASSIGN_OR_RETURN(json m, json_util::Parse(mj->second, "manifest.json"));
    if (m.is_array()) {
      absl::StatusOr<std::map<Digest, std::vector<std::string>>> t = DockerRepoTags(c, m);
      if (t.ok()) repo_tags = *std::move(t);
    }
  }

  std::vector<Image> images;
  for (size_t i = 0; i < index->manifests.size(); ++i) {
    const Descriptor& d = index->manifests[i];
    absl::StatusOr<Image> img = ResolveImage(store, d, platform);
    if (!img.ok()) return Annotate(img.status(), absl::StrCat("index.json manifests[", i, "]"));
    std::vector<std::string> names;
    for (const char* key : {kAnnotationContainerdImageName, kAnnotationRefName}) {
      auto a = d.annotations.find(key);
      if (a == d.annotations.end()) continue;
      // A bare tag ("latest") is not a name: it names nothing without a
      // repository, which then has to come from manifest.json.
      if (a->second.find_first_of("/:") == std::string::npos &&
          std::string(key) == kAnnotationRefName) {
        continue;
      }
      if (std::optional<std::string> n = NameFrom(a->second)) {
        names.push_back(*n);
        break;
      }
    }
    auto rt = repo_tags.find(img->config_digest);
    if (names.empty() && rt != repo_tags.end()) names = rt->second;
    // Entries for the same target (one per tag) become one image.
    Image* same = nullptr;
    for (Image& prev : images) {
      if (prev.target.digest == img->target.digest) same = &prev;
    }
    if (same == nullptr) {
      images.push_back(*std::move(img));
      same = &images.back();
    }
    for (const std::string& n : names) AddName(*same, n);
  }
  return images;
}

}  // namespace

absl::StatusOr<std::vector<Image>> LoadArchive(const std::string& tar_path, ContentStore& store,
                                               const Platform& platform) {
  ASSIGN_OR_RETURN(ArchiveContents c, ReadArchive(tar_path, store));
  absl::StatusOr<std::vector<Image>> images;
  if (c.metadata.count("index.json") != 0) {
    images = LoadOciLayout(c, store, platform);
  } else if (c.metadata.count("manifest.json") != 0) {
    absl::StatusOr<json> m = json_util::Parse(c.metadata["manifest.json"], "manifest.json");
    if (!m.ok()) return Annotate(m.status(), tar_path);
    if (!m->is_array()) {
      return absl::InvalidArgumentError(
          absl::StrCat(tar_path, ": manifest.json: want an array of images"));
    }
    images = LoadDockerArchive(c, store, *m);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "`", tar_path,
        "` is not an image archive: it has neither index.json (OCI layout) nor manifest.json "
        "(docker save)"));
  }
  if (!images.ok()) return Annotate(images.status(), absl::StrCat("loading `", tar_path, "`"));
  return images;
}

}  // namespace skiff::manager
