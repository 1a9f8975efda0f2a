#include "manager/snapshots/dir_snapshotter.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status.h"
#include "manager/fsutil/fsutil.h"

namespace skiff::manager {

const char* SnapshotKindName(SnapshotKind k) {
  switch (k) {
    case SnapshotKind::kActive: return "active";
    case SnapshotKind::kView: return "view";
    case SnapshotKind::kCommitted: return "committed";
  }
  return "unknown";
}

namespace {

std::string InfoJson(const SnapshotInfo& i) {
  return nlohmann::json{{"key", i.key},
                        {"parent", i.parent},
                        {"kind", SnapshotKindName(i.kind)},
                        {"created", i.created}}
      .dump();
}

absl::StatusOr<SnapshotInfo> ParseInfo(const std::string& text, const std::string& path) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  auto bad = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat("snapshot metadata `", path, "`: ", why));
  };
  if (!j.is_object()) return bad("not a JSON object");
  SnapshotInfo i;
  if (!j.contains("key") || !j["key"].is_string()) return bad("no key");
  i.key = j["key"].get<std::string>();
  if (j.contains("parent") && j["parent"].is_string()) i.parent = j["parent"].get<std::string>();
  std::string kind = j.value("kind", "");
  if (kind == "active") {
    i.kind = SnapshotKind::kActive;
  } else if (kind == "view") {
    i.kind = SnapshotKind::kView;
  } else if (kind == "committed") {
    i.kind = SnapshotKind::kCommitted;
  } else {
    return bad(absl::StrCat("unknown kind \"", kind, "\""));
  }
  if (j.contains("created") && j["created"].is_number_integer()) i.created = j["created"].get<int64_t>();
  return i;
}

}  // namespace

absl::Status DirSnapshotter::Load() {
  RETURN_IF_ERROR(MakeDirs(root_, 0700));
  DIR* dir = opendir(root_.c_str());
  if (dir == nullptr) return Errno("open", root_);
  std::vector<std::string> names;
  while (struct dirent* e = readdir(dir)) names.push_back(e->d_name);
  closedir(dir);

  absl::MutexLock lock(&mu_);
  for (const std::string& n : names) {
    if (n == "." || n == "..") continue;
    if (absl::StartsWith(n, "tmp-") || absl::StartsWith(n, "rm-")) {
      RETURN_IF_ERROR(Annotate(RemoveAll(Dir(n)), "sweeping an interrupted snapshot"));
      continue;
    }
    int64_t id;
    if (!absl::SimpleAtoi(n, &id)) continue;  // not ours
    std::string path = Dir(n) + "/info.json";
    ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    ASSIGN_OR_RETURN(SnapshotInfo info, ParseInfo(text, path));
    next_id_ = std::max(next_id_, id + 1);
    std::string key = info.key;
    records_[key] = Record{n, std::move(info)};
  }
  return absl::OkStatus();
}

std::vector<std::string> DirSnapshotter::ChainFs(const std::string& key) const {
  std::vector<std::string> out;
  std::string k = key;
  while (!k.empty()) {
    auto it = records_.find(k);
    if (it == records_.end()) break;
    out.push_back(Dir(it->second.id) + "/fs");
    k = it->second.info.parent;
  }
  return out;
}

absl::StatusOr<std::vector<Mount>> DirSnapshotter::Create(const std::string& key,
                                                          const std::string& parent,
                                                          SnapshotKind kind) {
  if (key.empty()) return absl::InvalidArgumentError("snapshot key is empty");
  std::vector<std::string> parent_fs;
  std::string id;
  {
    absl::MutexLock lock(&mu_);
    if (records_.count(key) != 0 || pending_.count(key) != 0) {
      return absl::AlreadyExistsError(absl::StrCat("snapshot `", key, "` already exists"));
    }
    if (!parent.empty()) {
      auto p = records_.find(parent);
      if (p == records_.end()) {
        return absl::NotFoundError(absl::StrCat("parent snapshot `", parent, "` not found"));
      }
      if (p->second.info.kind != SnapshotKind::kCommitted) {
        return absl::FailedPreconditionError(absl::StrCat(
            "parent snapshot `", parent, "` is ", SnapshotKindName(p->second.info.kind),
            "; only a committed snapshot can be a parent"));
      }
      parent_fs = ChainFs(parent);
    }
    pending_.insert(key);
    pending_children_[parent]++;
    id = absl::StrCat(next_id_++);
  }
  auto unreserve = [&] {
    absl::MutexLock lock(&mu_);
    pending_.erase(key);
    if (--pending_children_[parent] == 0) pending_children_.erase(parent);
  };

  SnapshotInfo info{key, parent, kind, static_cast<int64_t>(time(nullptr))};
  absl::StatusOr<std::string> staging = MakeTempDir(root_, "tmp-");
  absl::Status st = staging.status();
  if (st.ok()) st = Populate(*staging, kind, parent_fs);
  if (st.ok()) st = WriteFileDurable(*staging + "/info.json", InfoJson(info));
  if (st.ok() && rename(staging->c_str(), Dir(id).c_str()) != 0) st = Errno("rename into place", Dir(id));
  if (st.ok()) st = FsyncDir(root_);
  if (!st.ok()) {
    if (staging.ok()) (void)RemoveAll(*staging);
    unreserve();
    return Annotate(st, absl::StrCat("creating snapshot `", key, "`"));
  }
  {
    absl::MutexLock lock(&mu_);
    records_[key] = Record{id, info};
  }
  unreserve();
  return MountsFor(Dir(id), kind, parent_fs);
}

absl::StatusOr<std::vector<Mount>> DirSnapshotter::Prepare(const std::string& key,
                                                           const std::string& parent) {
  return Create(key, parent, SnapshotKind::kActive);
}

absl::StatusOr<std::vector<Mount>> DirSnapshotter::View(const std::string& key,
                                                        const std::string& parent) {
  return Create(key, parent, SnapshotKind::kView);
}

absl::StatusOr<SnapshotInfo> DirSnapshotter::Stat(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return absl::NotFoundError(absl::StrCat("snapshot `", key, "` not found"));
  return it->second.info;
}

absl::StatusOr<std::vector<Mount>> DirSnapshotter::Mounts(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return absl::NotFoundError(absl::StrCat("snapshot `", key, "` not found"));
  const Record& r = it->second;
  if (r.info.kind == SnapshotKind::kCommitted) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot `", key, "` is committed: it has no mounts; Prepare or View on top of it"));
  }
  return MountsFor(Dir(r.id), r.info.kind, ChainFs(r.info.parent));
}

absl::Status DirSnapshotter::Commit(const std::string& name, const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return absl::NotFoundError(absl::StrCat("snapshot `", key, "` not found"));
  if (it->second.info.kind != SnapshotKind::kActive) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot `", key, "` is ", SnapshotKindName(it->second.info.kind),
                     "; only an active snapshot can be committed"));
  }
  if (name.empty()) return absl::InvalidArgumentError("commit: empty name");
  if (records_.count(name) != 0 || pending_.count(name) != 0) {
    return absl::AlreadyExistsError(absl::StrCat("snapshot `", name, "` already exists"));
  }
  Record r = it->second;
  r.info.key = name;
  r.info.kind = SnapshotKind::kCommitted;
  RETURN_IF_ERROR(Annotate(WriteFileDurable(Dir(r.id) + "/info.json", InfoJson(r.info)),
                           absl::StrCat("committing `", key, "` as `", name, "`")));
  records_.erase(it);
  records_[name] = std::move(r);
  return absl::OkStatus();
}

absl::Status DirSnapshotter::Remove(const std::string& key) {
  std::string doomed;
  {
    absl::MutexLock lock(&mu_);
    auto it = records_.find(key);
    if (it == records_.end()) return absl::NotFoundError(absl::StrCat("snapshot `", key, "` not found"));
    for (const auto& [k, r] : records_) {
      if (r.info.parent == key) {
        return absl::FailedPreconditionError(absl::StrCat(
            "snapshot `", key, "` is the parent of `", k, "`; remove that one first"));
      }
    }
    if (pending_children_.count(key) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("snapshot `", key, "` is the parent of a snapshot being created"));
    }
    doomed = absl::StrCat(root_, "/rm-", it->second.id);
    if (rename(Dir(it->second.id).c_str(), doomed.c_str()) != 0) {
      return Errno(absl::StrCat("removing snapshot `", key, "`: rename"), Dir(it->second.id));
    }
    records_.erase(it);
  }
  // Gone from the metadata already; a failure here only leaves files that
  // the next Open() deletes.
  return Annotate(RemoveAll(doomed), absl::StrCat("snapshot `", key,
                                                  "` removed, but deleting its files failed "
                                                  "(they are deleted at the next start)"));
}

absl::Status DirSnapshotter::Walk(const std::function<absl::Status(const SnapshotInfo&)>& fn) {
  std::vector<SnapshotInfo> all;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [k, r] : records_) all.push_back(r.info);
  }
  for (const SnapshotInfo& i : all) RETURN_IF_ERROR(fn(i));
  return absl::OkStatus();
}

absl::StatusOr<SnapshotUsage> DirSnapshotter::Usage(const std::string& key) {
  std::string fs;
  {
    absl::MutexLock lock(&mu_);
    auto it = records_.find(key);
    if (it == records_.end()) return absl::NotFoundError(absl::StrCat("snapshot `", key, "` not found"));
    fs = Dir(it->second.id) + "/fs";
  }
  ASSIGN_OR_RETURN(DiskUsage u, DirUsage(fs));
  return SnapshotUsage{u.bytes, u.inodes};
}

}  // namespace skiff::manager
