#include "manager/images/image.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "manager/images/media_types.h"

namespace skiff::manager {

namespace {

absl::Status CheckBlob(const ContentStore& store, const Descriptor& d, absl::string_view what) {
  absl::StatusOr<int64_t> size = store.Size(d.digest);
  if (!size.ok()) {
    if (size.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(absl::StrCat(what, " ", d.digest.str(), " is missing"));
    }
    return size.status();
  }
  if (*size != d.size) {
    return absl::DataLossError(absl::StrCat(what, " ", d.digest.str(), " is ", *size,
                                            " bytes, but its descriptor says ", d.size));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadJsonBlob(const ContentStore& store, const Descriptor& d,
                                         absl::string_view what, uint64_t limit) {
  RETURN_IF_ERROR(CheckBlob(store, d, what));
  return store.Get(d.digest, limit);
}

}  // namespace

absl::StatusOr<Image> ResolveImage(const ContentStore& store, const Descriptor& target,
                                   const Platform& platform) {
  Image img;
  img.target = target;
  Descriptor desc = target;
  // Indexes may nest (rarely); a bound keeps a hostile loop finite.
  for (int depth = 0;; ++depth) {
    if (depth > 4) return absl::InvalidArgumentError("indexes nested more than 4 deep");
    if (desc.media_type.empty() || !(media_types::IsIndex(desc.media_type) ||
                                     media_types::IsManifest(desc.media_type))) {
      ASSIGN_OR_RETURN(std::string text, ReadJsonBlob(store, desc, "manifest", kMaxManifestSize));
      ASSIGN_OR_RETURN(std::string sniffed, SniffManifestType(text));
      if (!desc.media_type.empty() && desc.media_type != sniffed) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unsupported media type `", desc.media_type, "` for ", desc.digest.str(),
            ": want an image manifest or index"));
      }
      desc.media_type = sniffed;
    }
    if (!media_types::IsIndex(desc.media_type)) break;
    ASSIGN_OR_RETURN(std::string text, ReadJsonBlob(store, desc, "index", kMaxManifestSize));
    absl::StatusOr<Index> idx = ParseIndex(text);
    if (!idx.ok()) return Annotate(idx.status(), desc.digest.str());
    absl::StatusOr<Descriptor> chosen = SelectManifest(*idx, platform);
    if (!chosen.ok()) return Annotate(chosen.status(), absl::StrCat("index ", desc.digest.str()));
    desc = *std::move(chosen);
  }
  if (!media_types::IsManifest(desc.media_type)) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported media type `", desc.media_type,
                                                   "` for ", desc.digest.str()));
  }
  ASSIGN_OR_RETURN(std::string mtext, ReadJsonBlob(store, desc, "manifest", kMaxManifestSize));
  absl::StatusOr<Manifest> m = ParseManifest(mtext);
  if (!m.ok()) return Annotate(m.status(), desc.digest.str());
  img.manifest_digest = desc.digest;
  img.manifest = *std::move(m);

  const Descriptor& cd = img.manifest.config;
  if (!media_types::IsConfig(cd.media_type)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "manifest ", desc.digest.str(), ": config media type `", cd.media_type,
        "` is not an image config (an artifact, not a runnable image)"));
  }
  ASSIGN_OR_RETURN(std::string ctext, ReadJsonBlob(store, cd, "config", kMaxConfigSize));
  absl::StatusOr<ImageConfig> config = ParseImageConfig(ctext);
  if (!config.ok()) return Annotate(config.status(), cd.digest.str());
  img.config_digest = cd.digest;
  img.config = *std::move(config);

  for (size_t i = 0; i < img.manifest.layers.size(); ++i) {
    const Descriptor& l = img.manifest.layers[i];
    if (!media_types::IsLayer(l.media_type)) {
      return absl::InvalidArgumentError(absl::StrCat("manifest ", desc.digest.str(), ": layers[", i,
                                                     "] has unsupported media type `",
                                                     l.media_type, "`"));
    }
    RETURN_IF_ERROR(CheckBlob(store, l, absl::StrCat("layer ", i)));
  }
  if (img.config.diff_ids.size() != img.manifest.layers.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "image ", desc.digest.str(), ": the manifest has ", img.manifest.layers.size(),
        " layers but the config lists ", img.config.diff_ids.size(), " diff_ids"));
  }
  return img;
}

}  // namespace skiff::manager
