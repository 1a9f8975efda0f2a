#include "manager/snapshots/unpack.h"

#include <unistd.h>

#include <atomic>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "manager/snapshots/apply_layer.h"
#include "manager/snapshots/chain_id.h"

namespace skiff::manager {

namespace {

constexpr char kExtractPrefix[] = "extract-";

// Where and how to apply a layer, from the mounts of its extract snapshot.
absl::Status ApplyTarget(const std::vector<Mount>& mounts, std::string* target, ApplyOptions* opts) {
  if (mounts.size() == 1 && mounts[0].type == "bind") {
    *target = mounts[0].source;
    opts->whiteouts = WhiteoutMode::kDelete;
    return absl::OkStatus();
  }
  if (mounts.size() == 1 && mounts[0].type == "overlay") {
    for (const std::string& o : mounts[0].options) {
      if (absl::StartsWith(o, "upperdir=")) *target = o.substr(9);
      if (absl::StartsWith(o, "lowerdir=")) {
        opts->lower_dirs = absl::StrSplit(o.substr(9), ':', absl::SkipEmpty());
      }
    }
    opts->whiteouts = WhiteoutMode::kOverlay;
    if (!target->empty()) return absl::OkStatus();
  }
  std::string shown;
  for (const Mount& m : mounts) absl::StrAppend(&shown, shown.empty() ? "" : "; ", MountString(m));
  return absl::InternalError(absl::StrCat("cannot apply a layer onto mounts: ", shown));
}

}  // namespace

absl::StatusOr<ByteSource> OpenStoredLayer(const ContentStore& store, const Descriptor& layer) {
  ASSIGN_OR_RETURN(UniqueFd fd, store.Open(layer.digest));
  auto owned = std::make_shared<UniqueFd>(std::move(fd));
  ByteSource read = FdSource(owned->get());
  return ByteSource([owned, read](char* buf, size_t n) { return read(buf, n); });
}

absl::StatusOr<std::vector<Digest>> UnpackLayers(Snapshotter& sn, const ContentStore& store,
                                                 const std::vector<Descriptor>& layers,
                                                 const std::vector<Digest>& diff_ids,
                                                 const UnpackHooks& hooks) {
  if (layers.size() != diff_ids.size()) {
    return absl::InvalidArgumentError(absl::StrCat("unpack: ", layers.size(), " layers but ",
                                                   diff_ids.size(), " diff_ids"));
  }
  static std::atomic<uint64_t> counter{0};
  std::vector<Digest> chains = ChainIds(diff_ids);
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string chain = chains[i].str();
    const std::string parent = i == 0 ? "" : chains[i - 1].str();
    absl::StatusOr<SnapshotInfo> have = sn.Stat(chain);
    if (have.ok()) {
      if (have->kind == SnapshotKind::kCommitted) {
        if (hooks.done) hooks.done(i, /*existed=*/true, 0);
        continue;
      }
      return absl::FailedPreconditionError(absl::StrCat(
          "snapshot `", chain, "` exists but is ", SnapshotKindName(have->kind), ", not committed"));
    }
    if (have.status().code() != absl::StatusCode::kNotFound) return have.status();

    auto context = [&](const absl::Status& st) {
      return Annotate(st, absl::StrCat("unpacking layer ", i, " (", layers[i].digest.str(), ")"));
    };
    // A source restarted under us (kAborted) gets a fresh snapshot and
    // source; a download restarts at most a few times before it fails.
    constexpr int kAttempts = 4;
    uint64_t uncompressed_size = 0;
    for (int attempt = 1;; ++attempt) {
      std::string key = absl::StrCat(kExtractPrefix, getpid(), ".", counter++, "-", chain);
      ASSIGN_OR_RETURN(std::vector<Mount> mounts, sn.Prepare(key, parent));
      auto fail = [&](const absl::Status& st) {
        (void)sn.Remove(key);
        return context(st);
      };
      std::string target;
      ApplyOptions opts;
      opts.expected_diff_id = diff_ids[i];
      if (absl::Status st = ApplyTarget(mounts, &target, &opts); !st.ok()) return fail(st);
      absl::StatusOr<ByteSource> source = hooks.open ? hooks.open(i) : OpenStoredLayer(store, layers[i]);
      if (!source.ok()) return fail(source.status());
      absl::StatusOr<ApplyResult> applied = ApplyLayer(*std::move(source), target, opts);
      if (!applied.ok()) {
        if (applied.status().code() == absl::StatusCode::kAborted && attempt < kAttempts) {
          (void)sn.Remove(key);
          continue;
        }
        return fail(applied.status());
      }
      if (hooks.verify) {
        if (absl::Status st = hooks.verify(i); !st.ok()) return fail(st);
      }
      uncompressed_size = applied->uncompressed_size;
      absl::Status st = sn.Commit(chain, key);
      if (st.code() == absl::StatusCode::kAlreadyExists) {  // unpacked meanwhile by someone else
        (void)sn.Remove(key);
      } else if (!st.ok()) {
        return fail(st);
      }
      break;
    }
    if (hooks.done) hooks.done(i, /*existed=*/false, uncompressed_size);
  }
  return chains;
}

absl::Status RemoveStaleExtractions(Snapshotter& sn) {
  std::vector<std::string> stale;
  RETURN_IF_ERROR(sn.Walk([&](const SnapshotInfo& i) {
    if (i.kind == SnapshotKind::kActive && absl::StartsWith(i.key, kExtractPrefix)) {
      stale.push_back(i.key);
    }
    return absl::OkStatus();
  }));
  for (const std::string& k : stale) RETURN_IF_ERROR(sn.Remove(k));
  return absl::OkStatus();
}

}  // namespace skiff::manager
