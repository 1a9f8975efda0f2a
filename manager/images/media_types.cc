#include "manager/images/media_types.h"

namespace skiff::manager::media_types {

bool IsManifest(absl::string_view t) { return t == kOciManifest || t == kDockerManifest; }

bool IsIndex(absl::string_view t) { return t == kOciIndex || t == kDockerManifestList; }

bool IsConfig(absl::string_view t) { return t == kOciConfig || t == kDockerConfig; }

bool IsLayer(absl::string_view t) {
  for (absl::string_view l :
       {kOciLayer, kOciLayerGzip, kOciLayerZstd, kOciLayerNondistributable,
        kOciLayerNondistributableGzip, kOciLayerNondistributableZstd, kDockerLayer,
        kDockerLayerGzip, kDockerLayerForeignGzip}) {
    if (t == l) return true;
  }
  return false;
}

}  // namespace skiff::manager::media_types
