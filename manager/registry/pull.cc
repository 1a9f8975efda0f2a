#include "manager/registry/pull.h"

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status.h"
#include "manager/images/media_types.h"

namespace skiff::manager::registry {
namespace {

class Progress {
 public:
  explicit Progress(const PullProgressFn& fn) : fn_(fn) {}
  void Report(const Descriptor& d, absl::string_view status, int64_t current) {
    if (!fn_) return;
    absl::MutexLock lock(&mu_);
    fn_(PullProgress{d.digest.Short(), std::string(status), current, d.size});
  }

 private:
  const PullProgressFn& fn_;
  absl::Mutex mu_;
};

// Fetches `blobs` with at most `parallel` transfers at once; the first error
// stops the others from starting new blobs and is returned.
absl::Status FetchAll(RegistryClient& client, ContentStore& store, const std::string& repo,
                      const std::vector<Descriptor>& blobs, int parallel, Progress& progress) {
  std::atomic<size_t> next{0};
  absl::Mutex mu;
  absl::Status first_error;
  std::atomic<bool> failed{false};
  auto worker = [&] {
    while (!failed.load()) {
      size_t i = next.fetch_add(1);
      if (i >= blobs.size()) return;
      const Descriptor& d = blobs[i];
      if (store.Exists(d.digest)) {
        progress.Report(d, "Already exists", d.size);
        continue;
      }
      absl::Status st = client.FetchBlob(repo, d, store,
                                         [&](int64_t n) { progress.Report(d, "Downloading", n); });
      if (!st.ok()) {
        absl::MutexLock lock(&mu);
        if (first_error.ok()) first_error = st;
        failed.store(true);
        return;
      }
      progress.Report(d, "Download complete", d.size);
    }
  };
  int n = std::max(1, std::min<int>(parallel, static_cast<int>(blobs.size())));
  std::vector<std::thread> threads;
  for (int i = 1; i < n; ++i) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
  return first_error;
}

}  // namespace

absl::StatusOr<PullResult> Pull(RegistryClient& client, ContentStore& store, const Reference& ref,
                                const PullOptions& options) {
  const std::string repo = ref.path();
  const std::string wanted = ref.digest().empty() ? ref.tag() : ref.digest().str();
  ASSIGN_OR_RETURN(FetchedManifest top, client.ResolveManifest(repo, wanted));

  FetchedManifest manifest_blob;
  std::optional<FetchedManifest> index_blob;
  if (media_types::IsIndex(top.descriptor.media_type)) {
    ASSIGN_OR_RETURN(Index index, ParseIndex(top.bytes));
    absl::StatusOr<Descriptor> chosen = SelectManifest(index, options.platform);
    if (!chosen.ok()) return Annotate(chosen.status(), absl::StrCat("pulling ", ref.String()));
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

  std::vector<Descriptor> blobs;
  std::set<Digest> seen;
  Progress progress(options.progress);
  for (const Descriptor* d : [&] {
         std::vector<const Descriptor*> all{&manifest.config};
         for (const Descriptor& l : manifest.layers) all.push_back(&l);
         return all;
       }()) {
    if (!seen.insert(d->digest).second) continue;
    blobs.push_back(*d);
    progress.Report(*d, "Waiting", 0);
  }
  absl::Status fetched = FetchAll(client, store, repo, blobs, options.max_parallel, progress);
  if (!fetched.ok()) return Annotate(fetched, absl::StrCat("pulling ", ref.String()));

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
