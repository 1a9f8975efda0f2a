#include "manager/images/image_manager.h"

#include <fcntl.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "manager/images/archive_load.h"
#include "manager/images/compression.h"
#include "manager/images/reference.h"
#include "manager/registry/push.h"
#include "manager/snapshots/chain_id.h"
#include "manager/snapshots/unpack.h"

namespace skiff::manager {
namespace {

using Tx = MetadataStore::Tx;

// "docker.io/library/busybox:latest" -> "busybox:latest".
std::string Familiar(const std::string& name) {
  absl::StatusOr<Reference> r = Reference::Parse(name);
  return r.ok() ? r->Familiar() : name;
}

bool IsLowerHex(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

std::string ShortId(absl::string_view id) {
  if (absl::StartsWith(id, "sha256:")) id.remove_prefix(7);
  return std::string(id.substr(0, 12));
}

absl::Time ParseCreated(const std::string& s) {
  absl::Time t;
  std::string err;
  if (!s.empty() && absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return t;
  return absl::UnixEpoch();
}

absl::StatusOr<Descriptor> TargetOf(const ImageRecord& r) {
  Descriptor d;
  d.media_type = r.target_media_type;
  ASSIGN_OR_RETURN(d.digest, Digest::Parse(r.target_digest));
  d.size = r.target_size;
  return d;
}

// docker's IsRunning: paused and restarting containers still hold the image.
bool IsRunning(ContainerState s) {
  return s == ContainerState::kRunning || s == ContainerState::kPaused ||
         s == ContainerState::kRestarting;
}

absl::Status InUse(const ContainerRecord& c) {
  if (IsRunning(c.state)) {
    return absl::FailedPreconditionError(
        absl::StrCat("image is in use by container ", c.id.substr(0, 12), " (", c.name,
                     "), which is ", ContainerStateName(c.state), ": stop and remove it first"));
  }
  return absl::FailedPreconditionError(absl::StrCat("image is in use by container ",
                                                    c.id.substr(0, 12), " (", c.name,
                                                    "): remove it or use --force"));
}

// The blobs an image record points at directly, whatever state its manifest
// is in.
void RecordBlobs(const ImageRecord& r, std::set<Digest>* out) {
  for (const std::string& s : {r.target_digest, r.manifest_digest, r.config_digest}) {
    if (absl::StatusOr<Digest> d = Digest::Parse(s); d.ok()) out->insert(*d);
  }
}

void ImageBlobs(const Image& img, std::set<Digest>* out) {
  for (const Digest* d : {&img.target.digest, &img.manifest_digest, &img.config_digest}) {
    if (!d->empty()) out->insert(*d);
  }
  for (const Descriptor& l : img.layers()) out->insert(l.digest);
}

}  // namespace

absl::StatusOr<Reference> ParseReferenceIn(absl::string_view s,
                                           absl::string_view default_registry) {
  if (default_registry.empty() || default_registry == "docker.io") return Reference::Parse(s);
  // distribution/reference's rule: the first component is a domain when it
  // has a '.' or ':' or is "localhost"; a name without one is the default
  // registry's, and a single component lives under "library/" as on Docker
  // Hub.
  absl::string_view name = s.substr(0, s.find('@'));
  const size_t slash = name.find('/');
  if (slash != absl::string_view::npos) {
    absl::string_view first = name.substr(0, slash);
    if (first.find_first_of(".:") != absl::string_view::npos || first == "localhost") {
      return Reference::Parse(s);
    }
  }
  absl::StatusOr<Reference> r = Reference::Parse(
      absl::StrCat(default_registry, slash == absl::string_view::npos ? "/library/" : "/", s));
  if (!r.ok()) {
    // Say what the user wrote, not what it was made into.
    absl::StatusOr<Reference> plain = Reference::Parse(s);
    if (!plain.ok()) return plain.status();
  }
  return r;
}

ImageManager::ImageManager(MetadataStore& store, ContentStore& content, Snapshotter& snapshotter,
                           EventBus& events, std::string default_registry)
    : store_(store),
      content_(content),
      snapshotter_(snapshotter),
      events_(events),
      default_registry_(std::move(default_registry)) {}

void ImageManager::PublishImage(const std::string& action, const std::string& id,
                                const std::string& name) {
  events_.PublishImage(action, id, {{"name", name}});
}

absl::StatusOr<std::vector<ResolvedImage>> ImageManager::Load(const std::string& tar_path) {
  absl::MutexLock lock(&mu_);
  return LoadLocked(tar_path);
}

absl::StatusOr<std::vector<ResolvedImage>> ImageManager::LoadLocked(const std::string& tar_path) {
  ASSIGN_OR_RETURN(std::vector<Digest> listed, content_.List());
  const std::set<Digest> before(listed.begin(), listed.end());
  // The blobs this load added that no recorded image uses are removed, all
  // of them when the load fails: a failed load keeps nothing.
  std::set<Digest> keep;
  absl::Cleanup sweep = [&] {
    absl::StatusOr<std::vector<Digest>> after = content_.List();
    if (!after.ok()) return;
    for (const Digest& d : *after) {
      if (before.count(d) != 0 || keep.count(d) != 0) continue;
      // A pull running meanwhile (it holds no image lock) may have added it.
      absl::MutexLock pins(&pins_mu_);
      if (pins_.count(d) == 0) (void)content_.Delete(d);
    }
  };

  {
    // LoadArchive cannot tell a missing file from one that is no archive;
    // the user needs to know which.
    UniqueFd probe(open(tar_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!probe) return Errno("opening image archive", tar_path);
  }
  absl::StatusOr<std::vector<Image>> loaded = LoadArchive(tar_path, content_);
  if (absl::IsNotFound(loaded.status())) {
    // The file is there: what is missing is in (or from) the archive.
    return absl::InvalidArgumentError(loaded.status().message());
  }
  if (!loaded.ok()) return loaded.status();
  std::vector<Image> images = *std::move(loaded);
  std::vector<ImageRecord> records;
  for (const Image& img : images) {
    absl::StatusOr<ImageRecord> r = NewRecord(img, img.target);
    if (!r.ok()) return Annotate(r.status(), absl::StrCat("loading `", tar_path, "`"));
    records.push_back(*std::move(r));
  }

  struct Moved {
    std::string name, from;
  };
  std::vector<Moved> moved;
  RETURN_IF_ERROR(store_.Write([&](Tx& tx) -> absl::Status {
    moved.clear();
    for (size_t i = 0; i < images.size(); ++i) {
      absl::StatusOr<ImageRecord> have = tx.GetImage(records[i].id);
      if (have.ok()) {
        records[i] = *std::move(have);  // loaded before: keep what it points at
      } else if (absl::IsNotFound(have.status())) {
        RETURN_IF_ERROR(tx.AddImage(records[i]));
      } else {
        return have.status();
      }
      for (const std::string& name : images[i].names) {
        ASSIGN_OR_RETURN(std::optional<std::string> prev, tx.SetTag(name, records[i].id));
        if (prev && *prev != records[i].id) moved.push_back({name, *prev});
      }
    }
    return absl::OkStatus();
  }));

  std::vector<ResolvedImage> out;
  for (size_t i = 0; i < images.size(); ++i) {
    RecordBlobs(records[i], &keep);
    ImageBlobs(images[i], &keep);
    ResolvedImage r;
    r.record = records[i];
    r.image = images[i];
    absl::StatusOr<ResolvedImage> full = Complete(records[i]);
    if (full.ok()) {
      r.image = full->image;
      r.names = full->names;
      ImageBlobs(r.image, &keep);
    }
    r.image.names = images[i].names;  // what the archive named it
    out.push_back(std::move(r));
  }
  for (const Moved& m : moved) PublishImage("untag", m.from, Familiar(m.name));
  for (const ResolvedImage& r : out) {
    PublishImage("load", r.record.id,
                 r.image.names.empty() ? r.record.id : Familiar(r.image.names.front()));
  }
  return out;
}

absl::StatusOr<PulledImage> ImageManager::Pull(registry::RegistryClient& client,
                                               const Reference& ref,
                                               const registry::PullOptions& options) {
  registry::PullOptions opts = options;
  absl::Mutex held_mu;  // the pin and unpack callbacks run on different threads
  std::vector<Digest> held;
  absl::Cleanup unpin = [&] {
    absl::MutexLock lock(&held_mu);
    Unpin(held);
  };
  opts.pin = [&](const std::vector<Digest>& digests) {
    absl::MutexLock lock(&held_mu);
    Pin(digests, &held);
  };
  opts.unpack = [&, this](const std::vector<Descriptor>& layers, const std::vector<Digest>& diff_ids,
                       const std::vector<std::shared_ptr<GrowingBlob>>& blobs,
                       const registry::PullProgressFn& progress) -> absl::Status {
    UnpackHooks hooks;
    std::vector<int> opened(layers.size(), 0);
    hooks.open = [&](size_t i) -> absl::StatusOr<ByteSource> {
      ByteSource src;
      // A second open means the download restarted from its first byte
      // under the first reader: rather than chase it again, wait for the
      // verified blob and read that.
      std::optional<ByteSource> following;
      if (++opened[i] == 1) {
        ASSIGN_OR_RETURN(following, blobs[i]->Follow());
      } else {
        RETURN_IF_ERROR(blobs[i]->Wait());
      }
      if (following.has_value()) {
        src = *std::move(following);
      } else {
        ASSIGN_OR_RETURN(src, OpenStoredLayer(content_, layers[i]));
      }
      // "Extracting" counts the compressed bytes read, as docker's does.
      // It is shown once the download is done, so a layer's line does not
      // flicker between the two while both run, and at the end (a layer
      // unpacked as fast as it arrived has no other moment to show it).
      auto read = std::make_shared<int64_t>(0);
      std::shared_ptr<GrowingBlob> blob = blobs[i];
      std::string id = layers[i].digest.Short();
      int64_t total = layers[i].size;
      const std::function<bool()> cancelled = options.cancelled;
      return ByteSource([=](char* buf, size_t n) -> absl::StatusOr<size_t> {
        if (cancelled && cancelled()) return absl::CancelledError("the pull was cancelled");
        ASSIGN_OR_RETURN(size_t got, src(buf, n));
        *read += static_cast<int64_t>(got);
        if (got == 0 || blob->finished()) progress({id, "Extracting", *read, total});
        return got;
      });
    };
    {
      absl::MutexLock lock(&held_mu);
      Pin(ChainIds(diff_ids), &held);
    }
    hooks.verify = [&](size_t i) { return blobs[i]->Wait(); };
    hooks.done = [&](size_t i, bool existed, uint64_t uncompressed_size) {
      if (existed) return;
      // Recording the image needs it; the unpack just measured it.
      {
        absl::MutexLock lock(&size_mu_);
        uncompressed_size_[layers[i].digest] = static_cast<int64_t>(uncompressed_size);
      }
      progress({layers[i].digest.Short(), "Pull complete", 0, 0});
    };
    return UnpackLayers(snapshotter_, content_, layers, diff_ids, hooks).status();
  };
  PulledImage out;
  ASSIGN_OR_RETURN(registry::PullResult pulled, registry::Pull(client, content_, ref, opts));
  out.target = pulled.target;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(out.image, RecordPulledLocked(ref, pulled));
  }
  // Recorded now, the image keeps its blobs and layers itself; this finds
  // them all unpacked unless something was removed before it was pinned.
  RETURN_IF_ERROR(Unpack(out.image).status());
  return out;
}

void ImageManager::Pin(const std::vector<Digest>& digests, std::vector<Digest>* held) {
  absl::MutexLock lock(&pins_mu_);
  for (const Digest& d : digests) {
    ++pins_[d];
    held->push_back(d);
  }
}

void ImageManager::Unpin(const std::vector<Digest>& held) {
  absl::MutexLock lock(&pins_mu_);
  for (const Digest& d : held) {
    auto it = pins_.find(d);
    if (it != pins_.end() && --it->second == 0) pins_.erase(it);
  }
}

absl::StatusOr<ImageRecord> ImageManager::NewRecord(const Image& img, const Descriptor& target) {
  ImageRecord r;
  r.id = img.config_digest.str();
  r.target_digest = target.digest.str();
  r.target_media_type = target.media_type;
  r.target_size = target.size;
  r.manifest_digest = img.manifest_digest.str();
  r.config_digest = img.config_digest.str();
  r.created = ParseCreated(img.config.created);
  r.added = absl::Now();
  for (const Descriptor& l : img.layers()) {
    ASSIGN_OR_RETURN(int64_t n, UncompressedSize(l));
    r.size += n;
  }
  return r;
}

absl::StatusOr<ResolvedImage> ImageManager::RecordPulled(const Reference& ref,
                                                         const registry::PullResult& pulled) {
  absl::MutexLock lock(&mu_);
  return RecordPulledLocked(ref, pulled);
}

absl::StatusOr<ResolvedImage> ImageManager::RecordPulledLocked(const Reference& ref,
                                                               const registry::PullResult& pulled) {
  absl::StatusOr<ImageRecord> made = NewRecord(pulled.image, pulled.target);
  if (!made.ok()) return Annotate(made.status(), absl::StrCat("recording pulled ", ref.String()));
  ImageRecord r = *std::move(made);
  const bool tagged = ref.digest().empty();
  std::optional<std::string> moved_from;
  RETURN_IF_ERROR(store_.Write([&](Tx& tx) -> absl::Status {
    moved_from.reset();
    absl::StatusOr<ImageRecord> have = tx.GetImage(r.id);
    if (have.ok()) {
      r = *std::move(have);
    } else if (absl::IsNotFound(have.status())) {
      RETURN_IF_ERROR(tx.AddImage(r));
    } else {
      return have.status();
    }
    if (tagged) {
      ASSIGN_OR_RETURN(std::optional<std::string> prev, tx.SetTag(ref.String(), r.id));
      if (prev && *prev != r.id) moved_from = *prev;
    }
    return absl::OkStatus();
  }));
  if (moved_from) PublishImage("untag", *moved_from, ref.Familiar());
  ASSIGN_OR_RETURN(ResolvedImage out, Complete(r));
  PublishImage("pull", r.id, ref.Familiar());
  return out;
}

absl::StatusOr<Descriptor> ImageManager::Push(registry::RegistryClient& client,
                                              const Reference& ref,
                                              const PushProgressFn& progress) {
  // Not under the image lock: a push can take minutes. An image removed
  // meanwhile makes the push fail on a missing blob, which is what the user
  // asked for.
  ASSIGN_OR_RETURN(ResolvedImage local, Resolve(ref.String()));
  ASSIGN_OR_RETURN(Descriptor target, TargetOf(local.record));
  auto report = [&](const Descriptor& d, const char* status, int64_t current) {
    if (progress) progress({d.digest.Short(), status, current, d.size});
  };
  ASSIGN_OR_RETURN(auto sources, MountSources(ref));
  // The layers one by one, for progress; registry::Push then finds them
  // there and sends the config and manifests.
  for (const Descriptor& layer : local.image.layers()) {
    report(layer, "Pushing", 0);
    auto source = sources.find(layer.digest);
    const std::string from = source == sources.end() ? std::string() : source->second;
    absl::StatusOr<registry::RegistryClient::BlobPushed> sent =
        client.PushBlob(ref.path(), layer, content_, from);
    if (!sent.ok()) return Annotate(sent.status(), absl::StrCat("pushing ", ref.String()));
    switch (*sent) {
      case registry::RegistryClient::BlobPushed::kExisted:
        report(layer, "Layer already exists", 0);
        break;
      case registry::RegistryClient::BlobPushed::kMounted:
        report(layer, ("Mounted from " + from).c_str(), 0);
        break;
      case registry::RegistryClient::BlobPushed::kUploaded:
        report(layer, "Pushed", layer.size);
        break;
    }
  }
  absl::StatusOr<Digest> pushed = registry::Push(client, content_, target, ref);
  if (!pushed.ok()) return Annotate(pushed.status(), absl::StrCat("pushing ", ref.String()));
  target.digest = *pushed;
  return target;
}

absl::StatusOr<std::map<Digest, std::string>> ImageManager::MountSources(const Reference& dest) {
  ASSIGN_OR_RETURN(std::vector<ResolvedImage> all, List());
  std::map<Digest, std::string> out;
  for (const ResolvedImage& img : all) {
    for (const std::string& name : img.names) {
      absl::StatusOr<Reference> r = Reference::Parse(name);
      if (!r.ok() || r->domain() != dest.domain() || r->path() == dest.path()) continue;
      for (const Descriptor& l : img.image.layers()) out.emplace(l.digest, r->path());
    }
  }
  return out;
}

absl::StatusOr<ImageManager::Match> ImageManager::Find(absl::string_view reference) {
  const std::string ref(reference);
  if (ref.empty()) return absl::InvalidArgumentError("empty image reference");
  const bool has_algo = absl::StartsWith(ref, "sha256:");
  const std::string hex = has_algo ? ref.substr(7) : ref;
  const bool hexish = IsLowerHex(hex);
  std::optional<Reference> parsed;
  absl::Status parse_error;
  if (!has_algo) {
    absl::StatusOr<Reference> p = Reference::Parse(ref);
    if (p.ok()) {
      parsed = *std::move(p);
    } else {
      parse_error = p.status();
    }
  }
  if (!hexish && !parsed) {
    return has_algo ? absl::InvalidArgumentError(
                          absl::StrCat("invalid image id `", ref, "`: want sha256: and hex digits"))
                    : parse_error;
  }
  const std::string shown = parsed && parsed->digest().empty() ? parsed->Familiar() : ref;

  return store_.Read([&](Tx& tx) -> absl::StatusOr<Match> {
    if (hexish && hex.size() == 64) {
      absl::StatusOr<ImageRecord> r = tx.GetImage("sha256:" + hex);
      if (r.ok()) return Match{*std::move(r), ""};
      if (!absl::IsNotFound(r.status())) return r.status();
    }
    if (parsed && !parsed->digest().empty()) {
      ASSIGN_OR_RETURN(std::vector<ImageRecord> all, tx.ListImages());
      const std::string d = parsed->digest().str();
      for (ImageRecord& r : all) {
        if (r.target_digest == d || r.manifest_digest == d) return Match{std::move(r), ""};
      }
    } else if (parsed) {
      // A short name is the default registry's first, then Docker Hub's
      // (what an archive or an older tag named it).
      std::vector<std::string> names;
      if (absl::StatusOr<Reference> in = ParseReferenceIn(ref, default_registry_);
          in.ok() && !(*in == *parsed)) {
        names.push_back(in->String());
      }
      names.push_back(parsed->String());
      for (const std::string& name : names) {
        absl::StatusOr<TagRecord> t = tx.GetTag(name);
        if (t.ok()) {
          ASSIGN_OR_RETURN(ImageRecord r, tx.GetImage(t->image_id));
          return Match{std::move(r), t->reference};
        }
        if (!absl::IsNotFound(t.status())) return t.status();
      }
    }
    if (hexish && hex.size() >= 4 && hex.size() < 64) {
      ASSIGN_OR_RETURN(std::vector<ImageRecord> found, tx.FindImagesByIdPrefix(hex));
      if (found.size() == 1) return Match{std::move(found[0]), ""};
      if (found.size() > 1) {
        std::vector<std::string> ids;
        for (const ImageRecord& r : found) ids.push_back(ShortId(r.id));
        return absl::InvalidArgumentError(absl::StrCat(
            "image id prefix `", ref, "` is ambiguous: it matches ", absl::StrJoin(ids, ", ")));
      }
    }
    return absl::NotFoundError(absl::StrCat("no such image: ", shown));
  });
}

absl::StatusOr<ResolvedImage> ImageManager::Complete(ImageRecord record) {
  ResolvedImage out;
  ASSIGN_OR_RETURN(Descriptor target, TargetOf(record));
  absl::StatusOr<Image> img = ResolveImage(content_, target);
  if (!img.ok()) return Annotate(img.status(), absl::StrCat("image ", ShortId(record.id)));
  out.image = *std::move(img);
  ASSIGN_OR_RETURN(std::vector<TagRecord> tags,
                   store_.Read([&](Tx& tx) { return tx.TagsOfImage(record.id); }));
  for (const TagRecord& t : tags) out.names.push_back(t.reference);
  std::sort(out.names.begin(), out.names.end());
  out.image.names = out.names;
  out.record = std::move(record);
  return out;
}

absl::StatusOr<ResolvedImage> ImageManager::CompleteOrBare(ImageRecord record) {
  absl::StatusOr<ResolvedImage> full = Complete(record);
  if (full.ok()) return full;
  ResolvedImage bare;
  ASSIGN_OR_RETURN(std::vector<TagRecord> tags,
                   store_.Read([&](Tx& tx) { return tx.TagsOfImage(record.id); }));
  for (const TagRecord& t : tags) bare.names.push_back(t.reference);
  std::sort(bare.names.begin(), bare.names.end());
  bare.record = std::move(record);
  return bare;
}

absl::StatusOr<ResolvedImage> ImageManager::Resolve(absl::string_view reference) {
  ASSIGN_OR_RETURN(Match m, Find(reference));
  return Complete(std::move(m.record));
}

absl::StatusOr<std::string> ImageManager::Unpack(const ResolvedImage& image) {
  absl::StatusOr<std::vector<Digest>> chains =
      UnpackLayers(snapshotter_, content_, image.image.layers(), image.image.diff_ids());
  if (!chains.ok()) {
    return Annotate(chains.status(), absl::StrCat("unpacking image ", ShortId(image.record.id)));
  }
  return chains->empty() ? std::string() : chains->back().str();
}

absl::StatusOr<std::vector<ResolvedImage>> ImageManager::List() {
  ASSIGN_OR_RETURN(std::vector<ImageRecord> records,
                   store_.Read([](Tx& tx) { return tx.ListImages(); }));
  std::vector<ResolvedImage> out;
  for (ImageRecord& r : records) {
    ASSIGN_OR_RETURN(ResolvedImage img, CompleteOrBare(std::move(r)));
    out.push_back(std::move(img));
  }
  return out;
}

absl::Status ImageManager::Tag(absl::string_view source, absl::string_view target) {
  absl::StatusOr<Reference> ref = Reference::Parse(target);
  if (!ref.ok()) return ref.status();
  if (!ref->digest().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid tag `", target, "`: a tag cannot have a digest; give name[:tag]"));
  }
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(Match m, Find(source));
  RETURN_IF_ERROR(store_.Write(
      [&](Tx& tx) -> absl::Status { return tx.SetTag(ref->String(), m.record.id).status(); }));
  PublishImage("tag", m.record.id, ref->Familiar());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ImageDeleteItem>> ImageManager::Remove(absl::string_view reference,
                                                                  bool force) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(Match m, Find(reference));
  const std::string id = m.record.id;
  ASSIGN_OR_RETURN(std::vector<TagRecord> tags,
                   store_.Read([&](Tx& tx) { return tx.TagsOfImage(id); }));
  ASSIGN_OR_RETURN(std::vector<ContainerRecord> users,
                   store_.Read([&](Tx& tx) { return tx.ContainersUsingImage(id); }));
  const ContainerRecord* running = nullptr;
  for (const ContainerRecord& c : users) {
    if (IsRunning(c.state)) running = &c;
  }
  const ContainerRecord* user = users.empty() ? nullptr : &users.front();

  std::vector<ImageDeleteItem> items;
  auto untag = [&](const std::string& name) -> absl::Status {
    RETURN_IF_ERROR(store_.Write([&](Tx& tx) { return tx.DeleteTag(name); }));
    items.push_back({Familiar(name), ""});
    PublishImage("untag", id, Familiar(name));
    return absl::OkStatus();
  };

  if (!m.tag.empty()) {
    // By name: another tag keeps the image, so only the last one matters.
    const bool last = tags.size() <= 1;
    if (last && running != nullptr) return InUse(*running);
    if (last && user != nullptr && !force) return InUse(*user);
    RETURN_IF_ERROR(untag(m.tag));
    if (!last || user != nullptr) return items;
  } else {
    if (running != nullptr) return InUse(*running);
    if (user != nullptr && !force) return InUse(*user);
    if (tags.size() > 1 && !force) {
      std::vector<std::string> names;
      for (const TagRecord& t : tags) names.push_back(Familiar(t.reference));
      return absl::FailedPreconditionError(
          absl::StrCat("unable to delete image ", ShortId(id), ": it has several tags (",
                       absl::StrJoin(names, ", "), "): remove them by name or use --force"));
    }
    for (const TagRecord& t : tags) RETURN_IF_ERROR(untag(t.reference));
    // Stopped containers still need its layers: it stays, dangling.
    if (user != nullptr) return items;
  }

  ASSIGN_OR_RETURN(ResolvedImage doomed, CompleteOrBare(m.record));
  RETURN_IF_ERROR(DeleteLocked(doomed).status());
  items.push_back({"", id});
  return items;
}

absl::StatusOr<uint64_t> ImageManager::DeleteLocked(const ResolvedImage& image) {
  const std::string& id = image.record.id;
  RETURN_IF_ERROR(store_.Write([&](Tx& tx) { return tx.DeleteImage(id); }));
  PublishImage("delete", id, id);

  // What the remaining images need. When one of them cannot be read its
  // layers are unknown, so no layer blob or snapshot is collected.
  ASSIGN_OR_RETURN(std::vector<ImageRecord> others,
                   store_.Read([](Tx& tx) { return tx.ListImages(); }));
  std::set<Digest> used_blobs;
  std::set<Digest> used_chains;
  bool complete = true;
  for (const ImageRecord& r : others) {
    RecordBlobs(r, &used_blobs);
    absl::StatusOr<Descriptor> target = TargetOf(r);
    absl::StatusOr<Image> other =
        target.ok() ? ResolveImage(content_, *target) : absl::StatusOr<Image>(target.status());
    if (!other.ok()) {
      complete = false;
      continue;
    }
    ImageBlobs(*other, &used_blobs);
    for (const Digest& c : ChainIds(other->diff_ids())) used_chains.insert(c);
  }

  uint64_t freed = 0;
  std::set<Digest> mine;
  RecordBlobs(image.record, &mine);
  if (complete) ImageBlobs(image.image, &mine);
  for (const Digest& d : mine) {
    if (used_blobs.count(d) != 0) continue;
    {
      absl::MutexLock pins(&pins_mu_);  // a pull in progress keeps what it pinned
      if (pins_.count(d) != 0) continue;
      absl::StatusOr<int64_t> size = content_.Size(d);
      if (content_.Delete(d).ok() && size.ok()) freed += static_cast<uint64_t>(*size);
    }
    absl::MutexLock lock(&size_mu_);
    uncompressed_size_.erase(d);
  }
  if (!complete) return freed;
  // Top down: a layer stays while a snapshot above it (a container's, or
  // another image's) still has it as parent; Remove refuses those.
  std::vector<Digest> chains = ChainIds(image.image.diff_ids());
  for (auto it = chains.rbegin(); it != chains.rend(); ++it) {
    if (used_chains.count(*it) != 0) continue;
    const std::string key = it->str();
    absl::StatusOr<SnapshotInfo> info = snapshotter_.Stat(key);
    if (!info.ok() || info->kind != SnapshotKind::kCommitted) continue;
    // Measured before the pins are held: it walks the layer's files.
    absl::StatusOr<SnapshotUsage> usage = snapshotter_.Usage(key);
    absl::MutexLock pins(&pins_mu_);
    if (pins_.count(*it) != 0) continue;
    if (snapshotter_.Remove(key).ok() && usage.ok()) freed += static_cast<uint64_t>(usage->bytes);
  }
  return freed;
}

absl::StatusOr<uint64_t> ImageManager::UntagAndDeleteLocked(const ResolvedImage& image,
                                                            std::vector<ImageDeleteItem>* items) {
  for (const std::string& name : image.names) {
    RETURN_IF_ERROR(store_.Write([&](Tx& tx) { return tx.DeleteTag(name); }));
    items->push_back({Familiar(name), ""});
    PublishImage("untag", image.record.id, Familiar(name));
  }
  ASSIGN_OR_RETURN(uint64_t freed, DeleteLocked(image));
  items->push_back({"", image.record.id});
  return freed;
}

absl::StatusOr<PruneResult> ImageManager::Prune(
    bool all, const std::function<bool(const ResolvedImage&)>& match) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::vector<ImageRecord> records,
                   store_.Read([](Tx& tx) { return tx.ListImages(); }));
  PruneResult out;
  for (ImageRecord& r : records) {
    ASSIGN_OR_RETURN(std::vector<ContainerRecord> users,
                     store_.Read([&](Tx& tx) { return tx.ContainersUsingImage(r.id); }));
    if (!users.empty()) continue;
    ASSIGN_OR_RETURN(ResolvedImage img, CompleteOrBare(r));
    if (!all && !img.names.empty()) continue;
    if (match && !match(img)) continue;
    ASSIGN_OR_RETURN(uint64_t freed, UntagAndDeleteLocked(img, &out.items));
    out.space_reclaimed += freed;
  }
  ASSIGN_OR_RETURN(uint64_t collected, CollectGarbageLocked());
  out.space_reclaimed += collected;
  return out;
}

absl::StatusOr<uint64_t> ImageManager::CollectGarbage() {
  absl::MutexLock lock(&mu_);
  return CollectGarbageLocked();
}

absl::StatusOr<uint64_t> ImageManager::CollectGarbageLocked() {
  ASSIGN_OR_RETURN(std::vector<ImageRecord> records,
                   store_.Read([](Tx& tx) { return tx.ListImages(); }));
  std::set<Digest> used_blobs;
  std::set<Digest> used_chains;
  for (const ImageRecord& r : records) {
    RecordBlobs(r, &used_blobs);
    absl::StatusOr<Descriptor> target = TargetOf(r);
    absl::StatusOr<Image> image =
        target.ok() ? ResolveImage(content_, *target) : absl::StatusOr<Image>(target.status());
    if (!image.ok()) return 0;
    ImageBlobs(*image, &used_blobs);
    for (const Digest& c : ChainIds(image->diff_ids())) used_chains.insert(c);
  }
  uint64_t freed = 0;
  ASSIGN_OR_RETURN(std::vector<Digest> blobs, content_.List());
  for (const Digest& d : blobs) {
    if (used_blobs.count(d) != 0) continue;
    {
      absl::MutexLock pins(&pins_mu_);
      if (pins_.count(d) != 0) continue;
      absl::StatusOr<int64_t> size = content_.Size(d);
      if (content_.Delete(d).ok() && size.ok()) freed += static_cast<uint64_t>(*size);
    }
    absl::MutexLock lock(&size_mu_);
    uncompressed_size_.erase(d);
  }
  // Layer snapshots are named by their chain id; a container's (named by
  // its id) is never a candidate, and keeps its parents: Remove refuses a
  // snapshot with children, so removal goes top down, pass by pass.
  std::vector<std::pair<Digest, std::string>> candidates;
  RETURN_IF_ERROR(snapshotter_.Walk([&](const SnapshotInfo& i) {
    absl::StatusOr<Digest> chain = Digest::Parse(i.key);
    if (i.kind == SnapshotKind::kCommitted && chain.ok() && used_chains.count(*chain) == 0) {
      candidates.emplace_back(*chain, i.key);
    }
    return absl::OkStatus();
  }));
  for (bool progress = true; progress && !candidates.empty();) {
    progress = false;
    for (auto it = candidates.begin(); it != candidates.end();) {
      absl::StatusOr<SnapshotUsage> usage = snapshotter_.Usage(it->second);
      absl::MutexLock pins(&pins_mu_);
      if (pins_.count(it->first) != 0) {
        it = candidates.erase(it);
      } else if (snapshotter_.Remove(it->second).ok()) {
        if (usage.ok()) freed += static_cast<uint64_t>(usage->bytes);
        it = candidates.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
  }
  return freed;
}

absl::Status ImageManager::Save(const std::vector<std::string>& references, const std::string& path,
                                ArchiveFormat format) {
  if (references.empty()) return absl::InvalidArgumentError("no images to save");
  absl::MutexLock lock(&mu_);  // no blob may go while it is copied
  std::vector<Image> images;
  for (const std::string& ref : references) {
    ASSIGN_OR_RETURN(Match m, Find(ref));
    auto same = std::find_if(images.begin(), images.end(),
                             [&](const Image& i) { return i.config_digest.str() == m.record.id; });
    if (same == images.end()) {
      ASSIGN_OR_RETURN(ResolvedImage r, Complete(m.record));
      r.image.names.clear();
      images.push_back(std::move(r.image));
      same = images.end() - 1;
    }
    if (!m.tag.empty() &&
        std::find(same->names.begin(), same->names.end(), m.tag) == same->names.end()) {
      same->names.push_back(m.tag);
    }
  }
  RETURN_IF_ERROR(SaveArchive(images, path, format, content_));
  for (const Image& img : images) {
    const std::string id = img.config_digest.str();
    PublishImage("save", id, img.names.empty() ? id : Familiar(img.names.front()));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ImageManager::UncompressedSize(const Descriptor& layer) {
  {
    absl::MutexLock lock(&size_mu_);
    auto it = uncompressed_size_.find(layer.digest);
    if (it != uncompressed_size_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(UniqueFd fd, content_.Open(layer.digest));
  ASSIGN_OR_RETURN(Compression c, DetectCompressionFd(fd.get()));
  int64_t size = 0;
  if (c == Compression::kNone) {
    ASSIGN_OR_RETURN(size, content_.Size(layer.digest));
  } else {
    ASSIGN_OR_RETURN(auto d, Decompressor::Open(fd.get(), "layer " + layer.digest.str()));
    std::string buf(1 << 16, '\0');
    while (true) {
      ASSIGN_OR_RETURN(size_t n, d->Read(buf.data(), buf.size()));
      if (n == 0) break;
      size += static_cast<int64_t>(n);
    }
  }
  absl::MutexLock lock(&size_mu_);
  uncompressed_size_[layer.digest] = size;
  return size;
}

}  // namespace skiff::manager
