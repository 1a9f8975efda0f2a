#pragma once
// The images skiffd knows: loading and saving archives, names (tags), and
// turning a user's reference into an image whose layers are unpacked into
// committed snapshots, ready for a container's rootfs.
//
// A user's image reference is, in this order: a full image id
// ("sha256:<hex>" or the 64 hex digits), a name ("busybox",
// "busybox:1.36", "docker.io/library/busybox:latest", normalized as docker
// does; a name without a domain is looked up in the default registry first,
// then on docker.io), or a unique id prefix (at least 4 hex digits). An
// unknown reference is NotFound ("no such image: busybox:latest"); an
// ambiguous prefix is InvalidArgument.
//
// Thread-safe. Events (image load, pull, tag, untag, delete) go to the
// EventBus.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "manager/content/content_store.h"
#include "manager/events/event_bus.h"
#include "manager/images/archive_save.h"
#include "manager/images/image.h"
#include "manager/images/reference.h"
#include "manager/metadata/store.h"
#include "manager/registry/client.h"
#include "manager/registry/pull.h"
#include "manager/snapshots/snapshotter.h"

namespace skiff::manager {

struct ResolvedImage {
  ImageRecord record;           // id is "sha256:<hex>"
  Image image;                  // manifest, config, layers
  std::vector<std::string> names;  // every tag pointing at it
};

// One line of `docker rmi` / `docker image prune`: exactly one field set.
struct ImageDeleteItem {
  std::string untagged;  // "busybox:latest"
  std::string deleted;   // "sha256:<hex>"
};

struct PulledImage {
  ResolvedImage image;
  // What the reference named at the registry (index or manifest): its
  // digest is the one to pull by. It differs from image.record's target
  // when the image was known already, from an archive or another name.
  Descriptor target;
};

// Progress of one blob of a push: id is the short digest; status
// "Pushing", then "Pushed" or "Layer already exists".
using PushProgressFn = std::function<void(const registry::PullProgress&)>;

// Parses a user's reference, filling in a missing domain with
// `default_registry` ("127.0.0.1:5000": "busybox" ->
// "127.0.0.1:5000/library/busybox:latest", "ns/app" ->
// "127.0.0.1:5000/ns/app:latest"). With "docker.io" or "" this is
// Reference::Parse.
absl::StatusOr<Reference> ParseReferenceIn(absl::string_view s, absl::string_view default_registry);

struct PruneResult {
  std::vector<ImageDeleteItem> items;
  // Bytes of the blobs and snapshots removed.
  uint64_t space_reclaimed = 0;
};

class ImageManager {
 public:
  // `default_registry` (skiffd --default-registry): a short name
  // ("busybox:1") is looked up there first, then on docker.io.
  ImageManager(MetadataStore& store, ContentStore& content, Snapshotter& snapshotter,
               EventBus& events, std::string default_registry = "docker.io");

  // Loads every image of a docker-archive or OCI layout tar (maybe
  // compressed), records them and their names (moving a name that pointed at
  // another image), and returns them; each one's `image.names` are the names
  // the archive gave it. Loading an image again is fine. A failed load keeps
  // no record and no blob. NotFound / PermissionDenied are about `tar_path`
  // itself; what is wrong inside the archive is InvalidArgument (DataLoss
  // for a digest mismatch).
  absl::StatusOr<std::vector<ResolvedImage>> Load(const std::string& tar_path);

  absl::StatusOr<ResolvedImage> Resolve(absl::string_view reference);

  // docker pull: fetches `ref` from `client` (the client of ref.domain())
  // into the content store, unpacking each layer into its snapshot while it
  // downloads (registry/pull.h), then records it (RecordPulled), so a
  // container starts from it at once. Progress adds "Extracting" and "Pull
  // complete" per layer to the download's. Does not hold the image lock
  // while it downloads (other pulls, loads, tags and removals go on): it
  // pins the blobs and layer snapshots it relies on, and a removal meanwhile
  // keeps those. A failed pull records nothing; the verified blobs and
  // committed layer snapshots it made are reused by the next attempt.
  absl::StatusOr<PulledImage> Pull(registry::RegistryClient& client, const Reference& ref,
                                   const registry::PullOptions& options);

  // Records what registry::Pull fetched, as Load records an archive's
  // images: the image (kept as it is when its id is known already) and,
  // for a reference with a tag, the tag (moved from another image). Event
  // "pull".
  absl::StatusOr<ResolvedImage> RecordPulled(const Reference& ref,
                                             const registry::PullResult& pulled);

  // docker push: the local image named `ref` (as Resolve finds it) to the
  // repository `ref` names on `client`'s registry, layers first (reported to
  // `progress`), the manifest (or index) last under the tag. A layer the
  // registry lacks is mounted from another repository there when a local
  // name says one has it ("Mounted from <repo>", as docker), else uploaded.
  // Returns the
  // pushed top descriptor (digest and size of the manifest or index).
  // NotFound when there is no such local image.
  absl::StatusOr<Descriptor> Push(registry::RegistryClient& client, const Reference& ref,
                                  const PushProgressFn& progress);

  // Unpacks the image's layers (each chain once) and returns the chain id of
  // the top layer: the parent for a container's Prepare. "" for an image
  // without layers.
  absl::StatusOr<std::string> Unpack(const ResolvedImage& image);

  // Every image, newest (by created) first. An image whose blobs cannot be
  // read is still listed, with its record and names and an empty `image`.
  absl::StatusOr<std::vector<ResolvedImage>> List();

  // Points the name `target` ("busybox:1.36", normalized) at the image
  // `source` refers to, moving it from another image. InvalidArgument for a
  // malformed target or one with a digest. Event "tag".
  absl::Status Tag(absl::string_view source, absl::string_view target);

  // docker rmi. By name: removes that tag, and the image with it when it was
  // the last one. By id: removes the image and all its tags; with several
  // tags only with `force`. An image a container uses is refused
  // (FailedPrecondition "image is in use by container <id12> (<name>): ...")
  // unless `force`, and always while such a container runs; with `force` and
  // only stopped users the image is untagged but kept (dangling), since the
  // containers still need its layers. Events "untag", "delete".
  absl::StatusOr<std::vector<ImageDeleteItem>> Remove(absl::string_view reference, bool force);

  // Deletes the images without tags (with `all`: every image) that no
  // container uses and that `match` (if set) accepts, with their blobs and
  // snapshots.
  absl::StatusOr<PruneResult> Prune(bool all,
                                    const std::function<bool(const ResolvedImage&)>& match);

  // Removes the blobs and committed layer snapshots no image record uses
  // and no pull in progress pinned: what failed pulls left (their verified
  // blobs and committed layers are kept for a retry until then). Nothing is
  // collected when an image record cannot be read (its layers are unknown).
  // Layer snapshots that containers are built on stay. Returns the bytes
  // freed. skiffd runs it at start; image prune runs it too.
  absl::StatusOr<uint64_t> CollectGarbage();

  // Writes the images as one archive at `path`. An image named by a tag
  // carries that tag; one named by id carries none (as docker save). Event
  // "save".
  absl::Status Save(const std::vector<std::string>& references, const std::string& path,
                    ArchiveFormat format);

  // Bytes of the layer once decompressed (its DiffID's size); computed once
  // per layer and remembered.
  absl::StatusOr<int64_t> UncompressedSize(const Descriptor& layer);

  // The rest of the ImageService (list filters, inspect, history) is
  // implemented by the service on top of these and the stores.
  MetadataStore& store() { return store_; }
  ContentStore& content() { return content_; }
  Snapshotter& snapshotter() { return snapshotter_; }
  EventBus& events() { return events_; }

 private:
  // What a reference matched: the image, and the tag when it matched a name.
  struct Match {
    ImageRecord record;
    std::string tag;  // normalized; "" for an id or id prefix
  };
  absl::StatusOr<Match> Find(absl::string_view reference);
  absl::StatusOr<ResolvedImage> Complete(ImageRecord record);
  // Complete, or only the record and names when the image's blobs are
  // unreadable (so it can still be listed and removed).
  absl::StatusOr<ResolvedImage> CompleteOrBare(ImageRecord record);
  absl::StatusOr<std::vector<ResolvedImage>> LoadLocked(const std::string& tar_path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // For each blob, a repository on dest's registry other than dest's own
  // that should hold it: another name of a local image with that layer
  // (pulled from, pushed to, or tagged for there). A push mounts from it; a
  // guess that turns out wrong costs one request and falls back to upload.
  absl::StatusOr<std::map<Digest, std::string>> MountSources(const Reference& dest);
  absl::StatusOr<ResolvedImage> RecordPulledLocked(const Reference& ref,
                                                   const registry::PullResult& pulled)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes the image record (with any tags left) and then every blob and
  // committed snapshot no other image needs; returns the bytes freed.
  absl::StatusOr<uint64_t> CollectGarbageLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The record of `img` as named by `target` (its index or manifest), with
  // the layers' uncompressed size, not yet stored.
  absl::StatusOr<ImageRecord> NewRecord(const Image& img, const Descriptor& target);
  absl::StatusOr<uint64_t> DeleteLocked(const ResolvedImage& image)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Untags `image` completely (events and items) and deletes it.
  absl::StatusOr<uint64_t> UntagAndDeleteLocked(const ResolvedImage& image,
                                                std::vector<ImageDeleteItem>* items)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PublishImage(const std::string& action, const std::string& id, const std::string& name);

  MetadataStore& store_;
  ContentStore& content_;
  Snapshotter& snapshotter_;
  EventBus& events_;
  const std::string default_registry_;

  // Serializes everything that adds or deletes images, tags, blobs or
  // snapshots, so a garbage collection never sees half of a load.
  absl::Mutex mu_;
  absl::Mutex size_mu_ ABSL_ACQUIRED_AFTER(mu_);

  // Blobs and layer snapshots (chain ids) that pulls in progress rely on,
  // with a count per pull. A deletion checks and deletes under pins_mu_, so
  // a pull either pins first (the deletion keeps it) or finds it gone (and
  // fetches or unpacks it again).
  void Pin(const std::vector<Digest>& digests, std::vector<Digest>* held);
  void Unpin(const std::vector<Digest>& held);
  absl::Mutex pins_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::map<Digest, int> pins_ ABSL_GUARDED_BY(pins_mu_);
  std::map<Digest, int64_t> uncompressed_size_ ABSL_GUARDED_BY(size_mu_);
};

}  // namespace skiff::manager
