// Inspect, ps, prune and top.
#include <fnmatch.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <regex>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status.h"
#include "manager/lifecycle/container_internal.h"
#include "manager/lifecycle/container_manager.h"
#include "manager/lifecycle/subprocess.h"
#include "manager/snapshots/mount.h"
#include "nlohmann/json.hpp"
#include "proto/skiff/v1/time.h"

namespace skiff::manager {

namespace v1 = skiff::v1;

namespace {


v1::ContainerStatus StatusOf(ContainerState s) {
  switch (s) {
    case ContainerState::kCreated: return v1::CONTAINER_STATUS_CREATED;
    case ContainerState::kRunning: return v1::CONTAINER_STATUS_RUNNING;
    case ContainerState::kPaused: return v1::CONTAINER_STATUS_PAUSED;
    case ContainerState::kRestarting: return v1::CONTAINER_STATUS_RESTARTING;
    case ContainerState::kRemoving: return v1::CONTAINER_STATUS_REMOVING;
    case ContainerState::kExited: return v1::CONTAINER_STATUS_EXITED;
    case ContainerState::kDead: return v1::CONTAINER_STATUS_DEAD;
  }
  return v1::CONTAINER_STATUS_UNSPECIFIED;
}

// Filters grouped by key: terms with one key are ORed, keys ANDed.
using FilterMap = std::map<std::string, std::vector<std::string>>;

absl::StatusOr<FilterMap> GroupFilters(const google::protobuf::RepeatedPtrField<v1::Filter>& fs,
                                       const std::set<std::string>& allowed) {
  FilterMap m;
  for (const auto& f : fs) {
    if (!allowed.count(f.key())) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid filter '", f.key(), "': supported are ", absl::StrJoin(allowed, ", ")));
    }
    m[f.key()].push_back(f.value());
  }
  return m;
}

bool LabelMatches(const std::map<std::string, std::string>& labels, const std::string& term) {
  size_t eq = term.find('=');
  if (eq == std::string::npos) return labels.count(term) > 0;
  auto it = labels.find(term.substr(0, eq));
  return it != labels.end() && it->second == term.substr(eq + 1);
}

}  // namespace

absl::StatusOr<v1::ContainerInfo> ContainerManager::InfoOf(const ContainerRecord& rec) {
  ASSIGN_OR_RETURN(Stored stored, LoadStored(rec));
  v1::ContainerInfo info;
  info.set_id(rec.id);
  info.set_name(rec.name);
  *info.mutable_created() = TimeToProto(rec.created);
  if (!stored.args.empty()) {
    info.set_path(stored.args[0]);
    for (size_t i = 1; i < stored.args.size(); ++i) info.add_args(stored.args[i]);
  }
  v1::ContainerState* st = info.mutable_state();
  st->set_status(StatusOf(rec.state));
  st->set_running(rec.state == ContainerState::kRunning || rec.state == ContainerState::kPaused);
  st->set_paused(rec.state == ContainerState::kPaused);
  st->set_restarting(rec.state == ContainerState::kRestarting);
  st->set_dead(rec.state == ContainerState::kDead);
  st->set_oom_killed(rec.oom_killed);
  st->set_pid(st->running() ? rec.pid : 0);
  st->set_exit_code(rec.exit_code);
  st->set_error(rec.error);
  if (rec.started_at) *st->mutable_started_at() = TimeToProto(*rec.started_at);
  if (rec.finished_at) *st->mutable_finished_at() = TimeToProto(*rec.finished_at);
  info.set_image_id(rec.image_id);
  info.set_image(rec.image);
  info.set_restart_count(rec.restart_count);
  info.set_driver(options_.driver);
  info.mutable_platform()->set_os("linux");
  info.mutable_platform()->set_architecture("amd64");
  *info.mutable_config() = stored.config;
  *info.mutable_host_config() = stored.host;
  for (const auto& m : stored.host.mounts()) {
    v1::MountPoint* mp = info.add_mounts();
    mp->set_type(m.type());
    mp->set_source(m.source());
    mp->set_destination(m.target());
    mp->set_rw(!m.read_only());
    mp->set_propagation(m.propagation().empty() && m.type() == v1::Mount::MOUNT_TYPE_BIND
                            ? "rprivate"
                            : m.propagation());
  }
  if (st->running() && stored.host.network_mode() != "host") {
    info.mutable_network_settings()->set_sandbox_key(absl::StrCat("/proc/", rec.pid, "/ns/net"));
  }
  info.set_log_path(LogPath(rec.id));
  info.set_bundle_path(BundleDir(rec.id));
  // Made by the first start; empty before, as docker shows them.
  auto if_made = [](const std::string& path) { return access(path.c_str(), F_OK) == 0 ? path : ""; };
  info.set_resolv_conf_path(if_made(BundleDir(rec.id) + "/resolv.conf"));
  info.set_hostname_path(if_made(BundleDir(rec.id) + "/hostname"));
  info.set_hosts_path(if_made(BundleDir(rec.id) + "/hosts"));
  info.set_rootfs_path(BundleDir(rec.id) + "/rootfs");
  if (absl::StatusOr<std::vector<Mount>> mounts = snapshotter_.Mounts(rec.id);
      mounts.ok() && mounts->size() == 1 && (*mounts)[0].type == "overlay") {
    auto& data = *info.mutable_graph_driver_data();
    for (const std::string& o : (*mounts)[0].options) {
      for (auto [prefix, key] : {std::pair{"lowerdir=", "LowerDir"}, std::pair{"upperdir=", "UpperDir"},
                                 std::pair{"workdir=", "WorkDir"}}) {
        if (absl::StartsWith(o, prefix)) data[key] = o.substr(strlen(prefix));
      }
    }
    data["MergedDir"] = info.rootfs_path();
  }
  return info;
}

absl::StatusOr<v1::ContainerInfo> ContainerManager::Inspect(const std::string& ref) {
  ASSIGN_OR_RETURN(ContainerRecord rec, Resolve(ref));
  return InfoOf(rec);
}

absl::StatusOr<std::vector<v1::ContainerSummary>> ContainerManager::List(
    const v1::ListContainersRequest& req) {
  ASSIGN_OR_RETURN(FilterMap filters,
                   GroupFilters(req.filters(), {"id", "name", "label", "status", "ancestor",
                                                "exited", "before", "since"}));
  ASSIGN_OR_RETURN(std::vector<ContainerRecord> all,
                   store_.Read([&](MetadataStore::Tx& tx) { return tx.ListContainers(); }));
  // before / since: by creation time of the named container.
  std::optional<absl::Time> before, since;
  for (const char* key : {"before", "since"}) {
    auto it = filters.find(key);
    if (it == filters.end()) continue;
    ASSIGN_OR_RETURN(ContainerRecord ref, Resolve(it->second.front()));
    (std::string(key) == "before" ? before : since) = ref.created;
  }
  // ancestor: image references resolved to ids.
  std::set<std::string> ancestor_ids;
  if (auto it = filters.find("ancestor"); it != filters.end()) {
    for (const auto& ref : it->second) {
      absl::StatusOr<ResolvedImage> img = images_.Resolve(ref);
      if (img.ok()) ancestor_ids.insert(img->record.id);
    }
  }
  auto values = [&](const char* key) -> const std::vector<std::string>& {
    static const std::vector<std::string> kNone;
    auto it = filters.find(key);
    return it == filters.end() ? kNone : it->second;
  };
  for (const auto& s : values("status")) {
    if (!ParseContainerState(s).ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid filter 'status=", s,
          "': want created, restarting, running, removing, paused, exited or dead"));
    }
  }
  std::vector<std::regex> name_res;
  for (const auto& n : values("name")) {
    try {
      name_res.emplace_back(n);
    } catch (const std::regex_error&) {
      return absl::InvalidArgumentError(absl::StrCat("invalid filter 'name=", n, "': bad regexp"));
    }
  }
  bool all_states = req.all() || req.limit() > 0 || filters.count("status") ||
                    filters.count("exited");
  std::vector<v1::ContainerSummary> out;
  for (const ContainerRecord& rec : all) {
    bool running = rec.state == ContainerState::kRunning || rec.state == ContainerState::kPaused ||
                   rec.state == ContainerState::kRestarting;
    if (!all_states && !running) continue;
    auto any = [&](const char* key, auto pred) {
      auto it = filters.find(key);
      if (it == filters.end() || it->second.empty()) return true;
      for (const auto& v : it->second) {
        if (pred(v)) return true;
      }
      return false;
    };
    if (!any("id", [&](const std::string& v) { return absl::StartsWith(rec.id, v); })) continue;
    if (!name_res.empty()) {
      bool ok = false;
      for (const auto& re : name_res) ok = ok || std::regex_search(rec.name, re);
      if (!ok) continue;
    }
    bool labels_ok = true;
    for (const auto& term : values("label")) labels_ok = labels_ok && LabelMatches(rec.labels, term);
    if (!labels_ok) continue;
    if (!any("status", [&](const std::string& v) { return v == ContainerStateName(rec.state); })) {
      continue;
    }
    if (filters.count("ancestor") &&
        !(ancestor_ids.count(rec.image_id) ||
          any("ancestor", [&](const std::string& v) { return v == rec.image; }))) {
      continue;
    }
    if (filters.count("exited")) {
      if (rec.state != ContainerState::kExited) continue;
      if (!any("exited", [&](const std::string& v) {
            int code = 0;
            return absl::SimpleAtoi(v, &code) && code == rec.exit_code;
          })) {
        continue;
      }
    }
    if (before && rec.created >= *before) continue;
    if (since && rec.created <= *since) continue;

    absl::StatusOr<Stored> stored = LoadStored(rec);
    v1::ContainerSummary s;
    s.set_id(rec.id);
    s.set_name(rec.name);
    s.set_image(rec.image);
    s.set_image_id(rec.image_id);
    if (stored.ok()) s.set_command(absl::StrJoin(stored->args, " "));
    *s.mutable_created() = TimeToProto(rec.created);
    s.set_status(StatusOf(rec.state));
    s.set_exit_code(rec.exit_code);
    if (rec.started_at) *s.mutable_started_at() = TimeToProto(*rec.started_at);
    if (rec.finished_at) *s.mutable_finished_at() = TimeToProto(*rec.finished_at);
    for (const auto& [k, v] : rec.labels) (*s.mutable_labels())[k] = v;
    s.set_restart_count(rec.restart_count);
    if (req.size()) {
      absl::StatusOr<SnapshotUsage> u = snapshotter_.Usage(rec.id);
      if (u.ok()) s.set_size_rw(u->bytes);
    }
    out.push_back(std::move(s));
    if (req.limit() > 0 && static_cast<int>(out.size()) >= req.limit()) break;
  }
  return out;
}

absl::StatusOr<v1::PruneContainersResponse> ContainerManager::Prune(
    const v1::PruneContainersRequest& req) {
  ASSIGN_OR_RETURN(FilterMap filters, GroupFilters(req.filters(), {"until", "label", "label!"}));
  std::optional<absl::Time> until;
  if (auto it = filters.find("until"); it != filters.end()) {
    const std::string& v = it->second.front();
    absl::Duration d;
    absl::Time t;
    std::string err;
    int64_t secs = 0;
    if (absl::ParseDuration(v, &d)) {
      until = absl::Now() - d;
    } else if (absl::SimpleAtoi(v, &secs)) {
      until = absl::FromUnixSeconds(secs);
    } else if (absl::ParseTime(absl::RFC3339_full, v, &t, &err)) {
      until = t;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("invalid filter 'until=", v,
                                                     "': want a duration (10m) or a timestamp"));
    }
  }
  ASSIGN_OR_RETURN(std::vector<ContainerRecord> all,
                   store_.Read([&](MetadataStore::Tx& tx) { return tx.ListContainers(); }));
  v1::PruneContainersResponse resp;
  for (const ContainerRecord& rec : all) {
    if (rec.state != ContainerState::kExited && rec.state != ContainerState::kCreated &&
        rec.state != ContainerState::kDead) {
      continue;
    }
    if (until && rec.created >= *until) continue;
    bool ok = true;
    for (const auto& t : filters["label"]) ok = ok && LabelMatches(rec.labels, t);
    for (const auto& t : filters["label!"]) ok = ok && !LabelMatches(rec.labels, t);
    if (!ok) continue;
    absl::StatusOr<SnapshotUsage> u = snapshotter_.Usage(rec.id);
    absl::StatusOr<std::string> removed = Remove(rec.id, false);
    if (!removed.ok()) continue;
    resp.add_deleted_ids(rec.id);
    if (u.ok()) resp.set_space_reclaimed(resp.space_reclaimed() + u->bytes);
  }
  return resp;
}

absl::StatusOr<v1::TopResponse> ContainerManager::Top(const std::string& ref,
                                                      const std::string& ps_args) {
  ASSIGN_OR_RETURN(ContainerRecord rec, Resolve(ref));
  if (rec.state != ContainerState::kRunning && rec.state != ContainerState::kPaused) {
    return absl::FailedPreconditionError(absl::StrCat("container ", rec.name, " is not running"));
  }
  ASSIGN_OR_RETURN(CommandResult pids,
                   RunCommand({options_.runtime, "--root", RuntimeRoot(), "ps", "--format",
                               "json", rec.id}));
  if (pids.exit_code != 0) {
    return absl::InternalError(absl::StrCat("ocirun ps: ", absl::StripAsciiWhitespace(pids.err)));
  }
  nlohmann::json j = nlohmann::json::parse(pids.out, nullptr, false);
  std::set<std::string> wanted;
  if (j.is_array()) {
    for (const auto& p : j) {
      if (p.is_number_integer()) wanted.insert(std::to_string(p.get<int64_t>()));
    }
  }
  std::vector<std::string> argv = {"ps"};
  std::string args = ps_args.empty() ? "-ef" : ps_args;
  for (absl::string_view a : absl::StrSplit(args, ' ', absl::SkipEmpty())) {
    argv.emplace_back(a);
  }
  ASSIGN_OR_RETURN(CommandResult ps, RunCommand(argv));
  if (ps.exit_code != 0) {
    return absl::InvalidArgumentError(absl::StrCat("ps ", args, ": ",
                                                   absl::StripAsciiWhitespace(ps.err)));
  }
  std::vector<std::string> lines = absl::StrSplit(ps.out, '\n', absl::SkipEmpty());
  if (lines.empty()) return absl::InternalError("ps printed nothing");
  v1::TopResponse resp;
  std::vector<std::string> titles = absl::StrSplit(lines[0], ' ', absl::SkipEmpty());
  int pid_col = -1;
  for (size_t i = 0; i < titles.size(); ++i) {
    resp.add_titles(titles[i]);
    if (titles[i] == "PID") pid_col = static_cast<int>(i);
  }
  if (pid_col < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("ps ", args, ": its output has no PID column; add -o pid or use -ef"));
  }
  for (size_t l = 1; l < lines.size(); ++l) {
    std::vector<std::string> f = absl::StrSplit(lines[l], ' ', absl::SkipEmpty());
    if (f.size() < titles.size()) continue;
    // The last column (the command) may contain spaces.
    std::vector<std::string> row(f.begin(), f.begin() + titles.size() - 1);
    row.push_back(absl::StrJoin(f.begin() + titles.size() - 1, f.end(), " "));
    if (!wanted.count(row[pid_col])) continue;
    auto* r = resp.add_processes();
    for (auto& v : row) r->add_fields(v);
  }
  return resp;
}

}  // namespace skiff::manager
