#pragma once
// `skiff push`: a local image (index or manifest, with its blobs in the
// content store) to a registry repository.
//
// Blobs the registry already has are not sent (HEAD first); with
// `mount_from` (another repository on the same registry), a blob is mounted
// from there when the registry allows it. For an index, every child
// manifest present in the store is pushed (by digest) before the index. The
// top manifest goes last, under the reference's tag (or digest), so the
// tag never points at something incomplete.
//
//   ASSIGN_OR_RETURN(Digest d, Push(*client, store, image.target, dest, {}));

#include <string>

#include "absl/status/statusor.h"
#include "manager/content/content_store.h"
#include "manager/images/manifest.h"
#include "manager/images/reference.h"
#include "manager/registry/client.h"

namespace skiff::manager::registry {

struct PushOptions {
  // A repository path on the same registry to mount blobs from.
  std::string mount_from;
};

// Returns the digest of the pushed top manifest or index.
absl::StatusOr<Digest> Push(RegistryClient& client, const ContentStore& store,
                            const Descriptor& target, const Reference& dest,
                            const PushOptions& options = {});

}  // namespace skiff::manager::registry
