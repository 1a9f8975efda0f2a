#pragma once
// The images skiffd knows: loading and saving archives, names (tags), and
// turning a user's reference into an image whose layers are unpacked into
// committed snapshots, ready for a container's rootfs.
//
// A user's image reference is, in this order: a full image id
// ("sha256:<hex>" or the 64 hex digits), a name ("busybox",
// "busybox:1.36", "docker.io/library/busybox:latest", normalized as docker
// does), or a unique id prefix (at least 4 hex digits). An unknown reference
// is NotFound ("no such image: busybox:latest"); an ambiguous prefix is
// InvalidArgument.
//
// Thread-safe. Events (image load, tag, untag, delete) go to the EventBus.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "manager/content/content_store.h"
#include "manager/events/event_bus.h"
#include "manager/images/image.h"
#include "manager/metadata/store.h"
#include "manager/snapshots/snapshotter.h"

namespace skiff::manager {

struct ResolvedImage {
  ImageRecord record;           // id is "sha256:<hex>"
  Image image;                  // manifest, config, layers
  std::vector<std::string> names;  // every tag pointing at it
};

class ImageManager {
 public:
  ImageManager(MetadataStore& store, ContentStore& content, Snapshotter& snapshotter,
               EventBus& events);

  // Loads every image of a docker-archive or OCI layout tar (maybe
  // compressed), records them and their names (moving a name that pointed at
  // another image), and returns them.
  absl::StatusOr<std::vector<ResolvedImage>> Load(const std::string& tar_path);

  absl::StatusOr<ResolvedImage> Resolve(absl::string_view reference);

  // Unpacks the image's layers (each chain once) and returns the chain id of
  // the top layer: the parent for a container's Prepare. "" for an image
  // without layers.
  absl::StatusOr<std::string> Unpack(const ResolvedImage& image);

  // The rest of the ImageService (tag, remove, prune, history, save) is
  // implemented by the service on top of these and the stores.
  MetadataStore& store() { return store_; }
  ContentStore& content() { return content_; }
  Snapshotter& snapshotter() { return snapshotter_; }
  EventBus& events() { return events_; }

 private:
  MetadataStore& store_;
  ContentStore& content_;
  Snapshotter& snapshotter_;
  EventBus& events_;
};

}  // namespace skiff::manager
