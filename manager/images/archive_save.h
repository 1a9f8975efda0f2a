#pragma once
// `skiff save`: images from the content store into a tar archive that
// `docker load`, `podman load` and LoadArchive read back.
//
//  - kDockerArchive: what `docker save` writes: manifest.json (Config,
//    RepoTags, Layers), `repositories`,
//    <config hex>.json and <diff id hex>/layer.tar. Layers are written
//    uncompressed, as docker does, so each layer.tar is its DiffID. RepoTags
//    hold full names ("docker.io/library/busybox:latest"): docker reads them
//    like its own short form, and podman would read "busybox:latest" as
//    localhost/busybox:latest.
//  - kOciLayout: an OCI image layout: oci-layout, index.json with one entry
//    per name (org.opencontainers.image.ref.name and
//    io.containerd.image.name set to the full name), and blobs/sha256/ with
//    the manifest, config and layers exactly as stored.
//
// Each image is saved as its platform manifest (an index it was loaded
// through is not carried over). The archive is written to a temp file beside
// `path` and renamed over it at the end: a failed save leaves no file.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "manager/content/content_store.h"
#include "manager/images/image.h"

namespace skiff::manager {

enum class ArchiveFormat { kDockerArchive, kOciLayout };

absl::Status SaveArchive(const std::vector<Image>& images, const std::string& path,
                         ArchiveFormat format, const ContentStore& store);

}  // namespace skiff::manager
