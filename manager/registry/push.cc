#include "manager/registry/push.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "manager/images/image.h"
#include "manager/images/media_types.h"

namespace skiff::manager::registry {
namespace {

absl::Status PushImageManifest(RegistryClient& client, const ContentStore& store,
                               const std::string& repo, const Descriptor& desc,
                               const std::string& tag_or_digest, const PushOptions& options) {
  ASSIGN_OR_RETURN(std::string bytes, store.Get(desc.digest, kMaxManifestSize));
  ASSIGN_OR_RETURN(Manifest m, ParseManifest(bytes));
  std::vector<Descriptor> blobs{m.config};
  blobs.insert(blobs.end(), m.layers.begin(), m.layers.end());
  for (const Descriptor& b : blobs) {
    RETURN_IF_ERROR(client.PushBlob(repo, b, store, options.mount_from).status());
  }
  std::string type = desc.media_type.empty() ? media_types::kOciManifest : desc.media_type;
  return client.PushManifest(repo, tag_or_digest, type, bytes).status();
}

}  // namespace

absl::StatusOr<Digest> Push(RegistryClient& client, const ContentStore& store,
                            const Descriptor& target, const Reference& dest,
                            const PushOptions& options) {
  const std::string repo = dest.path();
  const std::string tag = dest.digest().empty() ? dest.tag() : dest.digest().str();
  if (!dest.digest().empty() && dest.digest() != target.digest) {
    return absl::InvalidArgumentError(absl::StrCat("cannot push ", target.digest.str(), " as ",
                                                   dest.String(), ": the digests differ"));
  }
  ASSIGN_OR_RETURN(std::string bytes, store.Get(target.digest, kMaxManifestSize));
  std::string type = target.media_type;
  if (type.empty()) {
    ASSIGN_OR_RETURN(type, SniffManifestType(bytes));
  }
  if (media_types::IsManifest(type)) {
    Descriptor d = target;
    d.media_type = type;
    RETURN_IF_ERROR(PushImageManifest(client, store, repo, d, tag, options));
    return target.digest;
  }
  if (!media_types::IsIndex(type)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot push ", target.digest.str(), ": `", type, "` is not an image"));
  }
  ASSIGN_OR_RETURN(Index index, ParseIndex(bytes));
  for (const Descriptor& child : index.manifests) {
    // Indexes often name platforms that were never pulled; push what is here.
    if (!store.Exists(child.digest) || !media_types::IsManifest(child.media_type)) continue;
    RETURN_IF_ERROR(PushImageManifest(client, store, repo, child, child.digest.str(), options));
  }
  ASSIGN_OR_RETURN(Digest d, client.PushManifest(repo, tag, type, bytes));
  return d;
}

}  // namespace skiff::manager::registry
