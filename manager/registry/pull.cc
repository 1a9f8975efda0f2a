#include "manager/registry/pull.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status.h"
#include "manager/images/image_config.h"
#include "manager/images/media_types.h"

namespace skiff::manager::registry {
namespace {

// Serializes the progress callback across the fetch and unpack threads.
class Progress {
 public:
  explicit Progress(const PullProgressFn& fn) : fn_(fn) {}
  void Report(const PullProgress& p) {
    if (!fn_) return;
    absl::MutexLock lock(&mu_);
    fn_(p);
  }
  // Bytes only while downloading: docker shows no numbers on the other
  // statuses.
  void Report(const Descriptor& d, absl::string_view status, int64_t current = 0) {
    const bool counting = status == "Downloading";
    Report(PullProgress{d.digest.Short(), std::string(status), counting ? current : 0,
                        counting ? d.size : 0});
  }

 private:
  const PullProgressFn& fn_;
  absl::Mutex mu_;
};

// Fetches `blobs` with at most `parallel` transfers at once, finishing each
// one's GrowingBlob with the outcome. The first error, or `cancel`, stops
// new transfers; the blobs never started are finished with kCancelled so no
// reader waits for them. Returns the first error.
absl::Status FetchAll(RegistryClient& client, ContentStore& store, const std::string& repo,
                      const std::vector<Descriptor>& blobs,
                      const std::vector<std::shared_ptr<GrowingBlob>>& follow, int parallel,
                      Progress& progress, std::atomic<bool>& cancel,
                      const std::function<bool()>& cancelled) {
  std::atomic<size_t> next{0};
  absl::Mutex mu;
  absl::Status first_error;
  auto stop = [&] {
    if (!cancel.load() && cancelled && cancelled()) {
      absl::MutexLock lock(&mu);
      if (first_error.ok()) first_error = absl::CancelledError("the pull was cancelled");
      cancel.store(true);
    }
    return cancel.load();
  };
  auto worker = [&] {
    while (!stop()) {
      size_t i = next.fetch_add(1);
      if (i >= blobs.size()) return;
      const Descriptor& d = blobs[i];
      if (store.Exists(d.digest)) {
        progress.Report(d, "Already exists");
        follow[i]->Finish(absl::OkStatus());
        continue;
      }
      absl::Status st = client.FetchBlob(
          repo, d, store,
          [&](int64_t n) {
            progress.Report(d, "Downloading", n);
            return !stop();
          },
          follow[i].get());
      follow[i]->Finish(st);
      if (!st.ok()) {
        absl::MutexLock lock(&mu);
        if (first_error.ok()) first_error = st;
        cancel.store(true);
        return;
      }
      progress.Report(d, "Download complete");
    }
  };
  int n = std::max(1, std::min<int>(parallel, static_cast<int>(blobs.size())));
  std::vector<std::thread> threads;
  for (int i = 1; i < n; ++i) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
  for (const auto& b : follow) {
    b->Finish(absl::CancelledError("not fetched: the pull stopped on an earlier error"));
  }
  return first_error;
}

}  // namespace

absl::StatusOr<PullResult> Pull(RegistryClient& client, ContentStore& store, const Reference& ref,
                                const PullOptions& options) {
  const std::string repo = ref.path();
  const std::string wanted = ref.digest().empty() ? ref.tag() : ref.digest().str();
  auto context = [&](const absl::Status& st) {
    return Annotate(st, absl::StrCat("pulling ", ref.String()));
  };
  ASSIGN_OR_RETURN(FetchedManifest top, client.ResolveManifest(repo, wanted));

  FetchedManifest manifest_blob;
  std::optional<FetchedManifest> index_blob;
  if (media_types::IsIndex(top.descriptor.media_type)) {
    ASSIGN_OR_RETURN(Index index, ParseIndex(top.bytes));
    absl::StatusOr<Descriptor> chosen = SelectManifest(index, options.platform);
    if (!chosen.ok()) return context(chosen.status());
    ASSIGN_OR_RETURN(manifest_blob, client.ResolveManifest(repo, chosen->digest.str()));
    if (!media_types::IsManifest(manifest_blob.descriptor.media_type)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "pulling ", ref.String(), ": the index entry for ", PlatformString(options.platform),
          " is a `", manifest_blob.descriptor.media_type, "`, not an image manifest"));
    }
    index_blob = std::move(top);
  } else {
    manifest_blob = std::move(top);
  }
  ASSIGN_OR_RETURN(Manifest manifest, ParseManifest(manifest_blob.bytes));
  if (options.pin) {
    std::vector<Digest> relied{manifest_blob.descriptor.digest, manifest.config.digest};
    if (index_blob.has_value()) relied.push_back(index_blob->descriptor.digest);
    for (const Descriptor& l : manifest.layers) relied.push_back(l.digest);
    options.pin(relied);
  }

  // The config first: it is small, and its diff_ids are what the unpacker
  // checks each layer against.
  if (absl::Status st = client.FetchBlob(repo, manifest.config, store); !st.ok()) {
    return context(st);
  }
  std::vector<Digest> diff_ids;
  if (options.unpack) {
    absl::StatusOr<std::string> text = store.Get(manifest.config.digest, 16 << 20);
    if (!text.ok()) return context(text.status());
    absl::StatusOr<ImageConfig> config = ParseImageConfig(*text);
    if (!config.ok()) {
      return context(Annotate(config.status(), absl::StrCat("config ", manifest.config.digest.str())));
    }
    if (config->diff_ids.size() != manifest.layers.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pulling ", ref.String(), ": the manifest has ", manifest.layers.size(),
          " layers but the config lists ", config->diff_ids.size(), " diff_ids"));
    }
    diff_ids = std::move(config->diff_ids);
  }

  // Each distinct blob is fetched once; a layer listed twice shares it.
  std::vector<Descriptor> blobs;
  std::vector<std::shared_ptr<GrowingBlob>> follow;
  std::map<Digest, std::shared_ptr<GrowingBlob>> by_digest;
  std::vector<std::shared_ptr<GrowingBlob>> layer_blobs;
  Progress progress(options.progress);
  for (const Descriptor& l : manifest.layers) {
    auto [it, fresh] = by_digest.emplace(l.digest, nullptr);
    if (fresh) {
      it->second = GrowingBlob::Create();
      blobs.push_back(l);
      follow.push_back(it->second);
      progress.Report(l, "Pulling fs layer");
    }
    layer_blobs.push_back(it->second);
  }

  std::atomic<bool> cancel{false};
  absl::Status unpacked;
  std::thread unpacker;
  if (options.unpack) {
    PullProgressFn report = [&](const PullProgress& p) { progress.Report(p); };
    unpacker = std::thread([&, report] {
      unpacked = options.unpack(manifest.layers, diff_ids, layer_blobs, report);
      if (!unpacked.ok()) cancel.store(true);
    });
  }
  absl::Status fetched = FetchAll(client, store, repo, blobs, follow, options.max_parallel,
                                  progress, cancel, options.cancelled);
  if (unpacker.joinable()) unpacker.join();
  // A fetch error is the cause of the unpacker's; an unpack error that
  // stopped the fetch is the cause of its kCancelled; when both were
  // cancelled, the fetch's says why (the client went away).
  if (!fetched.ok() && (!absl::IsCancelled(fetched) || absl::IsCancelled(unpacked))) {
    return context(fetched);
  }
  if (!unpacked.ok()) return context(unpacked);
  if (!fetched.ok()) return context(fetched);
  // Cancelled while the last layers were unpacking: still nothing stored.
  if (options.cancelled && options.cancelled()) {
    return context(absl::CancelledError("the pull was cancelled"));
  }

  RETURN_IF_ERROR(store.Ingest(manifest_blob.bytes, manifest_blob.descriptor.digest).status());
  PullResult result;
  result.target = manifest_blob.descriptor;
  if (index_blob.has_value()) {
    RETURN_IF_ERROR(store.Ingest(index_blob->bytes, index_blob->descriptor.digest).status());
    result.target = index_blob->descriptor;
  }
  absl::StatusOr<Image> image = ResolveImage(store, result.target, options.platform);
  if (!image.ok()) return Annotate(image.status(), absl::StrCat("pulled ", ref.String()));
  result.image = std::move(*image);
  result.image.names = {ref.String()};
  return result;
}

}  // namespace skiff::manager::registry
