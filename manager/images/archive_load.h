#pragma once
// `skiff load`: images from a tar archive, in either format:
//
//  - docker-archive (`docker save`, `podman save`): manifest.json lists each
//    image's config file, RepoTags and layer files (<id>/layer.tar, or
//    blobs/sha256/<hex> since docker 25); a `repositories` file may be there
//    too and is not needed.
//  - OCI image layout (`podman save --format oci-archive`, skopeo): an
//    `oci-layout` file, index.json whose entries name images through the
//    org.opencontainers.image.ref.name (or io.containerd.image.name)
//    annotation, and blobs/sha256/<hex>.
//
// The archive itself may be gzip or zstd compressed, and so may each layer.
// Every file becomes a blob in the content store as it streams by; files
// under blobs/sha256/ must match their names (a mismatch fails the load,
// naming the entry and both digests). For docker archives, which have no
// manifests, an OCI manifest is written for each image. An index is
// resolved to the manifest of `platform`. Each image is then resolved
// (see image.h): whatever it needs must be in the archive or already in the
// store.
//
// Nothing is extracted to disk: layers are unpacked later, by chain id
// (manager/snapshots).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "manager/content/content_store.h"
#include "manager/images/image.h"
#include "manager/images/platform.h"

namespace skiff::manager {

absl::StatusOr<std::vector<Image>> LoadArchive(const std::string& tar_path, ContentStore& store,
                                               const Platform& platform = DefaultPlatform());

}  // namespace skiff::manager
