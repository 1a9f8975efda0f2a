#pragma once
// The media types of OCI image-spec v1 and Docker image manifest v2 schema 2,
// and what each one is. Both families are accepted everywhere; Skiff writes
// OCI types for what it creates itself.

#include <string>

#include "absl/strings/string_view.h"

namespace skiff::manager::media_types {

inline constexpr char kOciManifest[] = "application/vnd.oci.image.manifest.v1+json";
inline constexpr char kOciIndex[] = "application/vnd.oci.image.index.v1+json";
inline constexpr char kOciConfig[] = "application/vnd.oci.image.config.v1+json";
inline constexpr char kOciLayer[] = "application/vnd.oci.image.layer.v1.tar";
inline constexpr char kOciLayerGzip[] = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr char kOciLayerZstd[] = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr char kOciLayerNondistributable[] =
    "application/vnd.oci.image.layer.nondistributable.v1.tar";
inline constexpr char kOciLayerNondistributableGzip[] =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr char kOciLayerNondistributableZstd[] =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";

inline constexpr char kDockerManifest[] = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr char kDockerManifestList[] =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr char kDockerConfig[] = "application/vnd.docker.container.image.v1+json";
inline constexpr char kDockerLayer[] = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr char kDockerLayerGzip[] = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr char kDockerLayerForeignGzip[] =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

// An image manifest (one platform): OCI or Docker schema 2.
bool IsManifest(absl::string_view media_type);
// A list of manifests for several platforms: OCI index or Docker manifest list.
bool IsIndex(absl::string_view media_type);
bool IsConfig(absl::string_view media_type);
// A layer tar in any of the compressions above (also the nondistributable
// and foreign variants, which Skiff treats as ordinary layers).
bool IsLayer(absl::string_view media_type);

}  // namespace skiff::manager::media_types
