// Create, start, stop, kill, remove, pause, rename: the state changes of a
// container. Queries are in container_query.cc, exits and recovery in
// container_monitor.cc, exec in container_exec.cc.
#include "manager/lifecycle/container_manager.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/status.h"
#include "google/protobuf/util/json_util.h"
#include "manager/containers/spec_builder.h"
#include "manager/lifecycle/container_internal.h"
#include "manager/lifecycle/names.h"
#include "manager/lifecycle/subprocess.h"
#include "manager/snapshots/mount.h"
#include "nlohmann/json.hpp"

namespace skiff::manager {

namespace v1 = skiff::v1;

namespace {

absl::Status MakeDirs(const std::string& path, mode_t mode = 0711) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", path, ": ", ec.message()));
  chmod(path.c_str(), mode);
  return absl::OkStatus();
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

absl::StatusOr<uint64_t> LogSizeOption(const v1::HostConfig& host, uint64_t def) {
  auto it = host.log_config().config().find("max-size");
  if (it == host.log_config().config().end()) return def;
  ASSIGN_OR_RETURN(auto size, ParseSizeOption(it->second));
  return size;
}

}  // namespace

std::string RandomHex(size_t bytes) {
  std::random_device rd;
  std::string out;
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < bytes; ++i) {
    unsigned v = rd() & 0xff;
    out.push_back(kHex[v >> 4]);
    out.push_back(kHex[v & 15]);
  }
  return out;
}

absl::StatusOr<uint64_t> ParseSizeOption(const std::string& text) {
  if (text.empty()) return absl::InvalidArgumentError("empty size");
  size_t i = 0;
  while (i < text.size() && absl::ascii_isdigit(text[i])) ++i;
  uint64_t n = 0;
  if (i == 0 || !absl::SimpleAtoi(text.substr(0, i), &n)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid size: ", text));
  }
  std::string unit = absl::AsciiStrToLower(text.substr(i));
  if (unit.empty() || unit == "b") return n;
  if (unit == "k" || unit == "kb") return n << 10;
  if (unit == "m" || unit == "mb") return n << 20;
  if (unit == "g" || unit == "gb") return n << 30;
  return absl::InvalidArgumentError(absl::StrCat("invalid size: ", text, " (use k, m or g)"));
}

// ---- stored configuration

absl::StatusOr<ContainerManager::Stored> ContainerManager::LoadStored(const ContainerRecord& rec) {
  Stored s;
  nlohmann::json j = nlohmann::json::parse(rec.config, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError(absl::StrCat("container ", rec.id, ": stored config is not JSON"));
  }
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  auto parse = [&](const char* key, google::protobuf::Message* m) -> absl::Status {
    if (!j.contains(key)) return absl::OkStatus();
    auto st = google::protobuf::util::JsonStringToMessage(j[key].dump(), m, opts);
    if (!st.ok()) {
      return absl::DataLossError(absl::StrCat("container ", rec.id, ": stored ", key, ": ",
                                              st.ToString()));
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(parse("config", &s.config));
  RETURN_IF_ERROR(parse("host_config", &s.host));
  s.manually_stopped = j.value("manually_stopped", false);
  s.has_been_started = j.value("has_been_started", false);
  if (j.contains("args") && j["args"].is_array()) {
    for (const auto& a : j["args"]) {
      if (a.is_string()) s.args.push_back(a.get<std::string>());
    }
  }
  return s;
}

absl::StatusOr<std::string> ContainerManager::EncodeStored(const Stored& s) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  std::string config, host;
  auto st = google::protobuf::util::MessageToJsonString(s.config, &config, opts);
  if (!st.ok()) return absl::InternalError(st.ToString());
  st = google::protobuf::util::MessageToJsonString(s.host, &host, opts);
  if (!st.ok()) return absl::InternalError(st.ToString());
  nlohmann::json j;
  j["config"] = nlohmann::json::parse(config);
  j["host_config"] = nlohmann::json::parse(host);
  j["manually_stopped"] = s.manually_stopped;
  j["has_been_started"] = s.has_been_started;
  j["args"] = s.args;
  return j.dump();
}

absl::Status ContainerManager::SaveStored(const std::string& id, const Stored& s) {
  ASSIGN_OR_RETURN(std::string encoded, EncodeStored(s));
  return store_.Write([&](MetadataStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(ContainerRecord rec, tx.GetContainer(id));
    rec.config = encoded;
    return tx.UpdateContainer(rec);
  });
}

// ---- paths and bookkeeping

std::string ContainerManager::BundleDir(const std::string& id) const {
  return absl::StrCat(options_.state, "/containers/", id);
}
// Unix socket paths are limited to 107 bytes: the shim's dir (which holds
// its sockets) is named by a 16-digit id prefix, unique among containers.
std::string ContainerManager::ShimDir(const std::string& id) const {
  return absl::StrCat(options_.state, "/shim/", id.substr(0, 16));
}
std::string ContainerManager::LogPath(const std::string& id) const {
  return absl::StrCat(options_.root, "/containers/", id, "/container.log");
}
std::string ContainerManager::RuntimeRoot() const { return options_.state + "/ocirun"; }

std::shared_ptr<ContainerManager::Live> ContainerManager::LiveOf(const std::string& id) {
  absl::MutexLock l(&mu_);
  auto& p = live_[id];
  if (!p) p = std::make_shared<Live>();
  return p;
}

absl::StatusOr<ContainerRecord> ContainerManager::Resolve(const std::string& ref) {
  if (ref.empty()) return absl::InvalidArgumentError("a container name or id is required");
  return store_.Read([&](MetadataStore::Tx& tx) { return tx.ResolveContainer(ref); });
}

void ContainerManager::DeleteRuntimeContainer(const std::string& id) {
  // Spawning the runtime costs milliseconds; it is only needed when it
  // still has state for the container.
  if (access((RuntimeRoot() + "/" + id).c_str(), F_OK) != 0 && errno == ENOENT) return;
  (void)RunRuntime({"delete", "--force", id});
}

absl::Status ContainerManager::RunRuntime(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {options_.runtime, "--root", RuntimeRoot()};
  argv.insert(argv.end(), args.begin(), args.end());
  ASSIGN_OR_RETURN(CommandResult r, RunCommand(argv, absl::Seconds(60)));
  if (r.exit_code == 0) return absl::OkStatus();
  std::string msg(absl::StripAsciiWhitespace(r.err));
  if (absl::StartsWith(msg, "ocirun: ")) msg = msg.substr(8);
  if (msg.empty()) msg = absl::StrCat("exit status ", r.exit_code);
  return absl::InternalError(absl::StrCat("ocirun ", args.empty() ? "" : args[0], ": ", msg));
}

void ContainerManager::NoteExit(const std::string& id, const v1::ExitStatus& st, bool removed) {
  absl::MutexLock l(&mu_);
  auto it = live_.find(id);
  if (it == live_.end()) it = live_.emplace(id, std::make_shared<Live>()).first;
  it->second->exits++;
  it->second->last_exit = st;
  if (removed) {
    it->second->removed = true;
    live_.erase(it);
    removed_exits_[id] = st;
    removed_order_.push_back(id);
    if (removed_order_.size() > 1024) {
      removed_exits_.erase(removed_order_.front());
      removed_order_.pop_front();
    }
  }
  changed_.SignalAll();
}

// ---- create

absl::StatusOr<v1::CreateContainerResponse> ContainerManager::Create(
    const v1::CreateContainerRequest& req) {
  v1::CreateContainerResponse resp;
  std::string name = req.name();
  if (!name.empty() && name[0] == '/') name = name.substr(1);
  if (!name.empty() && !ValidContainerName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid container name \"", req.name(), "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"));
  }
  const v1::HostConfig& host = req.host_config();
  const std::string& net = host.network_mode();
  if (!net.empty() && net != "none" && net != "host" && net != "default") {
    return absl::UnimplementedError(absl::StrCat(
        "network mode \"", net, "\" is not supported yet: use --network none or --network host"));
  }
  for (const auto& m : host.mounts()) {
    if (m.type() == v1::Mount::MOUNT_TYPE_VOLUME) {
      return absl::UnimplementedError(
          absl::StrCat("named volumes are not supported yet (volume \"", m.source(), "\")"));
    }
  }
  if (host.auto_remove() &&
      host.restart_policy().name() != v1::RestartPolicy::RESTART_POLICY_NO) {
    return absl::InvalidArgumentError("conflicting options: --restart and --rm");
  }
  if (req.config().image().empty()) return absl::InvalidArgumentError("an image is required");

  absl::StatusOr<ResolvedImage> image = images_.Resolve(req.config().image());
  if (!image.ok()) {
    if (absl::IsNotFound(image.status())) {
      return absl::NotFoundError(absl::StrCat(image.status().message(),
                                              " (load it first: skiff load -i FILE)"));
    }
    return image.status();
  }
  Stored stored;
  stored.config = MergeImageConfig(req.config(), image->image.config.config);
  stored.config.set_image(req.config().image());
  stored.host = host;
  if (stored.host.network_mode().empty() || stored.host.network_mode() == "default") {
    // Bridge networking arrives with NetworkService; until then a container
    // without --network gets its own empty network namespace.
    stored.host.set_network_mode("none");
  }
  ASSIGN_OR_RETURN(stored.args, ProcessArgs(stored.config));
  if (!stored.config.stop_signal().empty()) {
    RETURN_IF_ERROR(ParseSignal(stored.config.stop_signal()).status());
  }
  std::string id = RandomHex(32);
  while (store_.Read([&](MetadataStore::Tx& tx) { return tx.ResolveContainer(id.substr(0, 16)); })
             .ok()) {
    id = RandomHex(32);
  }
  {
    // Validate every flag now, as docker does at create: the rootfs is not
    // needed for that (the user is resolved at start).
    SpecInput probe;
    probe.id = id;
    probe.config = stored.config;
    probe.config.clear_user();
    probe.host.clear_group_add();
    probe.host = stored.host;
    // An empty directory stands in for the rootfs.
    probe.rootfs = options_.state + "/empty-rootfs";
    RETURN_IF_ERROR(MakeDirs(probe.rootfs, 0555));
    probe.cgroups_path = "/skiff/" + id;
    RETURN_IF_ERROR(BuildSpec(probe).status());
  }
  ASSIGN_OR_RETURN(std::string parent, images_.Unpack(*image));

  if (name.empty()) {
    name = GenerateContainerName([&](const std::string& n) {
      return store_.Read([&](MetadataStore::Tx& tx) { return tx.GetContainerByName(n); }).ok();
    });
  }
  ContainerRecord rec;
  rec.id = id;
  rec.name = name;
  rec.image = req.config().image();
  rec.image_id = image->record.id;
  rec.created = absl::Now();
  rec.state = ContainerState::kCreated;
  for (const auto& [k, v] : stored.config.labels()) rec.labels[k] = v;
  ASSIGN_OR_RETURN(rec.config, EncodeStored(stored));

  // Snapshot and directories first, the record last: a crash in between
  // leaves only things Recover() sweeps away.
  auto cleanup = [&] {
    (void)snapshotter_.Remove(id);
    RemoveTree(BundleDir(id));
    RemoveTree(ShimDir(id));
    RemoveTree(absl::StrCat(options_.root, "/containers/", id));
  };
  absl::StatusOr<std::vector<Mount>> mounts = snapshotter_.Prepare(id, parent);
  if (!mounts.ok()) return Annotate(mounts.status(), "cannot prepare the container's rootfs");
  absl::Status st = MakeDirs(BundleDir(id) + "/rootfs");
  if (st.ok()) st = MakeDirs(absl::StrCat(options_.root, "/containers/", id), 0700);
  if (st.ok()) st = store_.Write([&](MetadataStore::Tx& tx) { return tx.AddContainer(rec); });
  if (!st.ok()) {
    cleanup();
    return st;
  }
  events_.PublishContainer("create", id, name, rec.image, rec.labels);
  resp.set_id(id);
  return resp;
}

// ---- start

absl::StatusOr<bool> ContainerManager::Start(const std::string& ref) {
  ASSIGN_OR_RETURN(ContainerRecord rec, Resolve(ref));
  auto live = LiveOf(rec.id);
  absl::MutexLock op(&live->op);
  return StartLocked(rec.id, /*restarting=*/false);
}

absl::StatusOr<bool> ContainerManager::StartLocked(const std::string& id, bool restarting) {
  ASSIGN_OR_RETURN(ContainerRecord rec,
                   store_.Read([&](MetadataStore::Tx& tx) { return tx.GetContainer(id); }));
  switch (rec.state) {
    case ContainerState::kRunning:
      return false;
    case ContainerState::kPaused:
      return absl::FailedPreconditionError(
          absl::StrCat("container ", rec.name, " is paused: unpause it instead"));
    case ContainerState::kRemoving:
    case ContainerState::kDead:
      return absl::FailedPreconditionError(
          absl::StrCat("container ", rec.name, " is being removed"));
    default:
      break;
  }
  ASSIGN_OR_RETURN(Stored stored, LoadStored(rec));
  const std::string bundle = BundleDir(id);
  const std::string rootfs = bundle + "/rootfs";
  const std::string shim_dir = ShimDir(id);

  auto fail = [&](absl::Status why) -> absl::Status {
    UnwatchShim(id);
    (void)RunRuntime({"delete", "--force", id});
    (void)UnmountAll(rootfs);
    absl::Status saved = store_.Write([&](MetadataStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(ContainerRecord r, tx.GetContainer(id));
      r.error = std::string(why.message());
      if (r.state == ContainerState::kRestarting) r.state = ContainerState::kExited;
      if (r.state == ContainerState::kExited || stored.has_been_started) {
        r.state = ContainerState::kExited;
        r.exit_code = 128;
        r.finished_at = absl::Now();
      }
      return tx.UpdateContainer(r);
    });
    (void)saved;
    return why;
  };

  RETURN_IF_ERROR(MakeDirs(rootfs));
  ASSIGN_OR_RETURN(std::vector<Mount> mounts, snapshotter_.Mounts(id));
  (void)UnmountAll(rootfs);
  if (absl::Status st = MountAll(mounts, rootfs); !st.ok()) {
    return fail(Annotate(st, "cannot mount the container's rootfs"));
  }
  std::string hostname = stored.config.hostname().empty() ? id.substr(0, 12)
                                                          : stored.config.hostname();
  const std::string& net = stored.host.network_mode();
  if (net == "host" && stored.config.hostname().empty()) {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) == 0) hostname = buf;
  }
  stored.config.set_hostname(hostname);
  absl::StatusOr<std::string> resolv = ResolvConfFile(net);
  if (!resolv.ok()) return fail(resolv.status());
  for (auto [file, data] : std::vector<std::pair<std::string, std::string>>{
           {"hostname", HostnameFile(hostname)},
           {"hosts", HostsFile(hostname, net)},
           {"resolv.conf", *resolv}}) {
    if (absl::Status st = WriteFileAtomic(bundle + "/" + file, data, 0644); !st.ok()) {
      return fail(st);
    }
  }
  SpecInput in;
  in.id = id;
  in.config = stored.config;
  in.host = stored.host;
  in.rootfs = rootfs;
  in.hostname_file = bundle + "/hostname";
  in.hosts_file = bundle + "/hosts";
  in.resolv_conf_file = bundle + "/resolv.conf";
  in.cgroups_path = stored.host.cgroup_parent().empty()
                        ? absl::StrCat("/skiff/", id)
                        : absl::StrCat(stored.host.cgroup_parent(), "/", id);
  absl::StatusOr<nlohmann::json> spec = BuildSpec(in);
  if (!spec.ok()) return fail(spec.status());
  if (absl::Status st = WriteFileAtomic(bundle + "/config.json", spec->dump(2), 0644); !st.ok()) {
    return fail(st);
  }

  // A runtime container left from the previous run (the daemon died in the
  // middle of a start or an exit).
  DeleteRuntimeContainer(id);
  RemoveTree(shim_dir);
  RETURN_IF_ERROR(MakeDirs(shim_dir, 0700));
  if (absl::Status st = WatchShim(id, 0); !st.ok()) return fail(st);

  skiff::shim::Options opts;
  opts.id = id;
  opts.bundle = bundle;
  opts.state_dir = shim_dir;
  opts.runtime.binary = options_.runtime;
  opts.runtime.root = RuntimeRoot();
  opts.log_path = LogPath(id);
  absl::StatusOr<uint64_t> max_size = LogSizeOption(stored.host, opts.log_max_size);
  if (!max_size.ok()) return fail(Annotate(max_size.status(), "--log-opt max-size"));
  opts.log_max_size = *max_size;
  if (auto it = stored.host.log_config().config().find("max-file");
      it != stored.host.log_config().config().end()) {
    int n = 0;
    if (!absl::SimpleAtoi(it->second, &n) || n < 2) {
      return fail(absl::InvalidArgumentError("--log-opt max-file: want a number of at least 2"));
    }
    opts.log_max_files = n;
  }
  opts.terminal = stored.config.tty();
  opts.stdin = stored.config.open_stdin();
  // Docker closes a container's stdin when the client's input ends, never
  // for a terminal (and never on detach): a tty's input stays open.
  opts.stdin_once = stored.config.stdin_once() && !stored.config.tty();
  absl::StatusOr<skiff::shim::Launched> launched = skiff::shim::LaunchShim(options_.shim, opts);
  if (!launched.ok()) return fail(launched.status());
  if (absl::Status st = WatchShim(id, launched->shim_pid); !st.ok()) return fail(st);
  // Attach clients waiting for this start connect now, before the process
  // runs.
  SetShimUp(id, true);
  if (absl::Status st = RunRuntime({"start", id}); !st.ok()) {
    SetShimUp(id, false);
    return fail(st);
  }

  stored.has_been_started = true;
  if (!restarting) stored.manually_stopped = false;
  ASSIGN_OR_RETURN(std::string encoded, EncodeStored(stored));
  RETURN_IF_ERROR(store_.Write([&](MetadataStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(ContainerRecord r, tx.GetContainer(id));
    r.state = ContainerState::kRunning;
    r.pid = launched->container_pid;
    r.started_at = absl::Now();
    r.error.clear();
    r.oom_killed = false;
    if (restarting) r.restart_count++;
    r.config = encoded;
    return tx.UpdateContainer(r);
  }));
  events_.PublishContainer(restarting ? "restart" : "start", id, rec.name, rec.image, rec.labels);
  return true;
}

// ---- signals, stop, kill, restart

absl::Status ContainerManager::SignalContainer(const std::string& id, int signal) {
  return RunRuntime({"kill", id, std::to_string(signal)});
}

bool ContainerManager::WaitForExit(const std::string& id, uint64_t exits_before,
                                   absl::Duration timeout) {
  absl::Time deadline = timeout == absl::InfiniteDuration() ? absl::InfiniteFuture()
                                                            : absl::Now() + timeout;
  absl::MutexLock l(&mu_);
  for (;;) {
    auto it = live_.find(id);
    if (it == live_.end() || it->second->exits > exits_before) return true;
    if (changed_.WaitWithDeadline(&mu_, deadline) && absl::Now() >= deadline) {
      it = live_.find(id);
      return it == live_.end() || it->second->exits > exits_before;
    }
  }
}

absl::StatusOr<bool> ContainerManager::Stop(const std::string& ref,
                                            std::optional<int> timeout_seconds,
                                            const std::string& signal) {
  ASSIGN_OR_RETURN(ContainerRecord rec, Resolve(ref));
  auto live = LiveOf(rec.id);
  uint64_t before = 0;
  int timeout = 10;
  {
    absl::MutexLock op(&live->op);
    ASSIGN_OR_RETURN(rec, store_.Read([&](MetadataStore::Tx& tx) { return tx.GetContainer(rec.id); }));
    ASSIGN_OR_RETURN(Stored stored, LoadStored(rec));
    if (stored.config.has_stop_timeout_seconds()) timeout = stored.config.stop_timeout_seconds();
    if (timeout_seconds) timeout = *timeout_seconds;
    stored.manually_stopped = true;
    RETURN_IF_ERROR(SaveStored(rec.id, stored));
    if (rec.state == ContainerState::kRestarting) {
      RETURN_IF_ERROR(store_.Write([&](MetadataStore::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(ContainerRecord r, tx.GetContainer(rec.id));
        r.state = ContainerState::kExited;
        return tx.UpdateContainer(r);
      }));
      return false;
    }
    if (rec.state != ContainerState::kRunning && rec.state != ContainerState::kPaused) {
      return false;
    }
    std::string sig_name = !signal.empty() ? signal
                           : !stored.config.stop_signal().empty() ? stored.config.stop_signal()
                                                                  : "SIGTERM";
    ASSIGN_OR_RETURN(int sig, ParseSignal(sig_name));
    {
      absl::MutexLock l(&mu_);
      before = live->exits;
    }
    RETURN_IF_ERROR(SignalContainer(rec.id, sig));
    if (rec.state == ContainerState::kPaused) (void)RunRuntime({"resume", rec.id});
    events_.PublishContainer("kill", rec.id, rec.name, rec.image, rec.labels,
                             {{"signal", std::to_string(sig)}});
  }
  absl::Duration wait = timeout < 0 ? absl::InfiniteDuration() : absl::Seconds(timeout);
  if (!WaitForExit(rec.id, before, wait)) {
    {
      absl::MutexLock op(&live->op);
      (void)SignalContainer(rec.id, SIGKILL);
      events_.PublishContainer("kill", rec.id, rec.name, rec.image, rec.labels,
                               {{"signal", std::to_string(SIGKILL)}});
    }
    if (!WaitForExit(rec.id, before, absl::Seconds(30))) {
      return absl::DeadlineExceededError(
          absl::StrCat("container ", rec.name, " did not exit 30 s after SIGKILL"));
    }
  }
  events_.PublishContainer("stop", rec.id, rec.name, rec.image, rec.labels);
  return true;
}

absl::Status ContainerManager::Kill(const std::string& ref, const std::string& signal) {
  ASSIGN_OR_RETURN(ContainerRecord rec, Resolve(ref));
  ASSIGN_OR_RETURN(int sig, ParseSignal(signal.empty() ? "SIGKILL" : signal));
  auto live = LiveOf(rec.id);
  absl::MutexLock op(&live->op);
  ASSIGN_OR_RETURN(rec, store_.Read([&](MetadataStore::Tx& tx) { return tx.GetContainer(rec.id); }));
  if (rec.state != ContainerState::kRunning && rec.state != ContainerState::kPaused) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot kill container ", rec.name, ": container is not running"));
  }
  RETURN_IF_ERROR(SignalContainer(rec.id, sig));
  events_.PublishContainer("kill", rec.id, rec.name, rec.image, rec.labels,
                           {{"signal", std::to_string(sig)}});
  return absl::OkStatus();
}

absl::Status ContainerManager::Restart(const std::string& ref, std::optional<int> timeout_seconds,
                                       const std::string& signal) {
  ASSIGN_OR_RETURN(ContainerRecord rec, Resolve(ref));
  RETURN_IF_ERROR(Stop(rec.id, timeout_seconds, signal).status());
  return Start(rec.id).status();
}

// ---- remove

absl::StatusOr<std::string> ContainerManager::Remove(const std::string& ref, bool force) {
  ASSIGN_OR_RETURN(ContainerRecord rec, Resolve(ref));
  auto live = LiveOf(rec.id);
  bool active = rec.state == ContainerState::kRunning || rec.state == ContainerState::kPaused ||
                rec.state == ContainerState::kRestarting;
  if (active && !force) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot remove container ", rec.name, ": container is ", ContainerStateName(rec.state),
        ": stop the container before removing or use --force"));
  }
  if (active) {
    uint64_t before = 0;
    bool signalled = false;
    {
      absl::MutexLock op(&live->op);
      ASSIGN_OR_RETURN(rec, store_.Read([&](MetadataStore::Tx& tx) { return tx.GetContainer(rec.id); }));
      ASSIGN_OR_RETURN(Stored stored, LoadStored(rec));
      stored.manually_stopped = true;
      RETURN_IF_ERROR(SaveStored(rec.id, stored));
      if (rec.state == ContainerState::kRunning || rec.state == ContainerState::kPaused) {
        {
          absl::MutexLock l(&mu_);
          before = live->exits;
        }
        RETURN_IF_ERROR(SignalContainer(rec.id, SIGKILL));
        if (rec.state == ContainerState::kPaused) (void)RunRuntime({"resume", rec.id});
        signalled = true;
      }
    }
    if (signalled && !WaitForExit(rec.id, before, absl::Seconds(30))) {
      return absl::DeadlineExceededError(
          absl::StrCat("container ", rec.name, " did not exit 30 s after SIGKILL"));
    }
  }
  absl::MutexLock op(&live->op);
  ASSIGN_OR_RETURN(rec, store_.Read([&](MetadataStore::Tx& tx) { return tx.GetContainer(rec.id); }));
  if (rec.state == ContainerState::kRunning || rec.state == ContainerState::kPaused) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", rec.name, " was started again while being removed"));
  }
  return RemoveLocked(rec);
}

absl::StatusOr<std::string> ContainerManager::RemoveLocked(const ContainerRecord& rec) {
  RETURN_IF_ERROR(store_.Write([&](MetadataStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(ContainerRecord r, tx.GetContainer(rec.id));
    r.state = ContainerState::kRemoving;
    return tx.UpdateContainer(r);
  }));
  UnwatchShim(rec.id);
  DeleteRuntimeContainer(rec.id);
  absl::Status st = UnmountAll(BundleDir(rec.id) + "/rootfs");
  if (st.ok()) {
    st = snapshotter_.Remove(rec.id);
    if (absl::IsNotFound(st)) st = absl::OkStatus();
  }
  if (!st.ok()) {
    (void)store_.Write([&](MetadataStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(ContainerRecord r, tx.GetContainer(rec.id));
      r.state = ContainerState::kDead;
      r.error = std::string(st.message());
      return tx.UpdateContainer(r);
    });
    return Annotate(st, absl::StrCat("cannot remove container ", rec.name));
  }
  RemoveTree(BundleDir(rec.id));
  RemoveTree(ShimDir(rec.id));
  RemoveTree(absl::StrCat(options_.root, "/containers/", rec.id));
  RETURN_IF_ERROR(store_.Write([&](MetadataStore::Tx& tx) { return tx.DeleteContainer(rec.id); }));
  events_.PublishContainer("destroy", rec.id, rec.name, rec.image, rec.labels);
  v1::ExitStatus last;
  last.set_exit_code(rec.exit_code);
  last.set_oom_killed(rec.oom_killed);
  {
    absl::MutexLock l(&mu_);
    auto it = live_.find(rec.id);
    if (it != live_.end() && it->second->exits > 0) last = it->second->last_exit;
  }
  NoteExit(rec.id, last, /*removed=*/true);
  return rec.id;
}

// ---- pause, rename

absl::Status ContainerManager::Pause(const std::string& ref) {
  ASSIGN_OR_RETURN(ContainerRecord rec, Resolve(ref));
  auto live = LiveOf(rec.id);
  absl::MutexLock op(&live->op);
  ASSIGN_OR_RETURN(rec, store_.Read([&](MetadataStore::Tx& tx) { return tx.GetContainer(rec.id); }));
  if (rec.state == ContainerState::kPaused) {
    return absl::FailedPreconditionError(absl::StrCat("container ", rec.name, " is already paused"));
  }
  if (rec.state != ContainerState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat("container ", rec.name, " is not running"));
  }
  RETURN_IF_ERROR(RunRuntime({"pause", rec.id}));
  RETURN_IF_ERROR(store_.Write([&](MetadataStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(ContainerRecord r, tx.GetContainer(rec.id));
    r.state = ContainerState::kPaused;
    return tx.UpdateContainer(r);
  }));
  events_.PublishContainer("pause", rec.id, rec.name, rec.image, rec.labels);
  return absl::OkStatus();
}

absl::Status ContainerManager::Unpause(const std::string& ref) {
  ASSIGN_OR_RETURN(ContainerRecord rec, Resolve(ref));
  auto live = LiveOf(rec.id);
  absl::MutexLock op(&live->op);
  ASSIGN_OR_RETURN(rec, store_.Read([&](MetadataStore::Tx& tx) { return tx.GetContainer(rec.id); }));
  if (rec.state != ContainerState::kPaused) {
    return absl::FailedPreconditionError(absl::StrCat("container ", rec.name, " is not paused"));
  }
  RETURN_IF_ERROR(RunRuntime({"resume", rec.id}));
  RETURN_IF_ERROR(store_.Write([&](MetadataStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(ContainerRecord r, tx.GetContainer(rec.id));
    if (r.state == ContainerState::kPaused) r.state = ContainerState::kRunning;
    return tx.UpdateContainer(r);
  }));
  events_.PublishContainer("unpause", rec.id, rec.name, rec.image, rec.labels);
  return absl::OkStatus();
}

absl::Status ContainerManager::Rename(const std::string& ref, const std::string& new_name_in) {
  std::string new_name = new_name_in;
  if (!new_name.empty() && new_name[0] == '/') new_name = new_name.substr(1);
  if (!ValidContainerName(new_name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid container name \"", new_name_in, "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"));
  }
  ASSIGN_OR_RETURN(ContainerRecord rec, Resolve(ref));
  RETURN_IF_ERROR(
      store_.Write([&](MetadataStore::Tx& tx) { return tx.RenameContainer(rec.id, new_name); }));
  events_.PublishContainer("rename", rec.id, new_name, rec.image, rec.labels,
                           {{"oldName", "/" + rec.name}});
  return absl::OkStatus();
}

}  // namespace skiff::manager
