// Watching shims, handling exits, restart policies, waits, and recovery
// after a daemon restart.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/status.h"
#include "glog/logging.h"
#include "manager/lifecycle/container_internal.h"
#include "manager/lifecycle/container_manager.h"
#include "manager/snapshots/mount.h"
#include "nlohmann/json.hpp"
#include "proto/skiff/v1/time.h"

namespace skiff::manager {

namespace v1 = skiff::v1;

namespace {

constexpr uint64_t kWakeTag = ~0ull;
constexpr uint64_t kInotifyTag = ~0ull - 1;

bool IsShimPid(pid_t pid) {
  if (pid <= 0) return false;
  absl::StatusOr<std::string> comm = ReadFile(absl::StrCat("/proc/", pid, "/comm"));
  return comm.ok() && absl::StartsWith(*comm, "skiff-shim");
}


v1::ExitStatus ExitOf(const ContainerRecord& rec) {
  v1::ExitStatus st;
  st.set_exit_code(rec.exit_code);
  st.set_oom_killed(rec.oom_killed);
  st.set_error(rec.error);
  if (rec.finished_at) *st.mutable_finished_at() = TimeToProto(*rec.finished_at);
  return st;
}

}  // namespace

ContainerManager::ContainerManager(ManagerOptions options, MetadataStore& store,
                                   ImageManager& images, Snapshotter& snapshotter,
                                   EventBus& events)
    : options_(std::move(options)),
      store_(store),
      images_(images),
      snapshotter_(snapshotter),
      events_(events) {
  inotify_.reset(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
  wake_.reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  PCHECK(inotify_.valid() && epoll_.valid() && wake_.valid()) << "cannot set up the exit monitor";
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev);
  ev.data.u64 = kInotifyTag;
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, inotify_.get(), &ev);
  monitor_ = std::thread([this] { MonitorLoop(); });
}

ContainerManager::~ContainerManager() {
  stopping_ = true;
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof one);
  if (monitor_.joinable()) monitor_.join();
}

absl::Status ContainerManager::WatchShim(const std::string& id, pid_t shim_pid) {
  auto live = LiveOf(id);
  absl::MutexLock l(&mu_);
  if (live->wd < 0) {
    // A new watch is a new run of the container.
    live->run++;
    int wd = inotify_add_watch(inotify_.get(), ShimDir(id).c_str(),
                               IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);
    if (wd < 0) return Errno("cannot watch the shim's state dir", ShimDir(id));
    live->wd = wd;
    wd_ids_[wd] = {id, live->run};
  }
  if (shim_pid > 0 && !live->pidfd.valid()) {
    int fd = static_cast<int>(syscall(SYS_pidfd_open, shim_pid, 0));
    if (fd < 0) return Errno(absl::StrCat("pidfd_open of skiff-shim ", shim_pid));
    live->pidfd.reset(fd);
    pidfd_ids_[fd] = {id, live->run};
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<uint64_t>(fd);
    epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
  }
  return absl::OkStatus();
}

void ContainerManager::UnwatchShim(const std::string& id) {
  absl::MutexLock l(&mu_);
  auto it = live_.find(id);
  if (it == live_.end()) return;
  Live& live = *it->second;
  if (live.wd >= 0) {
    inotify_rm_watch(inotify_.get(), live.wd);
    wd_ids_.erase(live.wd);
    live.wd = -1;
  }
  if (live.pidfd.valid()) {
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, live.pidfd.get(), nullptr);
    pidfd_ids_.erase(live.pidfd.get());
    live.pidfd.reset();
  }
}

void ContainerManager::MonitorLoop() {
  while (!stopping_) {
    epoll_event evs[16];
    int n = epoll_wait(epoll_.get(), evs, 16, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      PLOG(ERROR) << "exit monitor: epoll_wait";
      return;
    }
    for (int i = 0; i < n; ++i) {
      uint64_t tag = evs[i].data.u64;
      if (tag == kWakeTag) return;
      struct ExitEvent {
        std::string id;
        bool shim_gone;
        uint64_t run;
      };
      std::vector<ExitEvent> exits;
      if (tag == kInotifyTag) {
        alignas(inotify_event) char buf[8192];
        for (;;) {
          ssize_t got = read(inotify_.get(), buf, sizeof buf);
          if (got <= 0) break;
          for (char* p = buf; p < buf + got;) {
            auto* e = reinterpret_cast<inotify_event*>(p);
            p += sizeof(inotify_event) + e->len;
            if (e->len == 0 || std::string(e->name) != "exit") continue;
            absl::MutexLock l(&mu_);
            auto it = wd_ids_.find(e->wd);
            if (it != wd_ids_.end()) exits.push_back({it->second.first, false, it->second.second});
          }
        }
      } else {
        int fd = static_cast<int>(tag);
        absl::MutexLock l(&mu_);
        epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
        auto it = pidfd_ids_.find(fd);
        if (it != pidfd_ids_.end()) {
          exits.push_back({it->second.first, true, it->second.second});
          auto live = live_.find(it->second.first);
          if (live != live_.end() && live->second->pidfd.get() == fd) live->second->pidfd.reset();
          pidfd_ids_.erase(it);
        }
      }
      // Exits are handled off this thread: handling takes the container's
      // lock, which a Start may hold while it waits for its shim.
      for (const ExitEvent& e : exits) {
        std::thread([this, e] { HandleExit(e.id, e.shim_gone, e.run); }).detach();
      }
    }
  }
}

void ContainerManager::HandleExit(const std::string& id, bool shim_gone, uint64_t run) {
  auto live = LiveOf(id);
  absl::MutexLock op(&live->op);
  {
    absl::MutexLock l(&mu_);
    if (run != 0 && run != live->run) return;  // an earlier run's shim
  }
  absl::StatusOr<ContainerRecord> rec =
      store_.Read([&](MetadataStore::Tx& tx) { return tx.GetContainer(id); });
  if (!rec.ok()) return;
  if (rec->state != ContainerState::kRunning && rec->state != ContainerState::kPaused) return;

  const std::string exit_file = ShimDir(id) + "/exit";
  absl::StatusOr<std::string> text = ReadFile(exit_file);
  int exit_code = 255;
  bool oom = false;
  absl::Time finished = absl::Now();
  std::string error;
  if (text.ok()) {
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_object()) {
      exit_code = j.value("exit_code", 255);
      oom = j.value("oom_killed", false);
      std::string at = j.value("exited_at", "");
      std::string err;
      absl::Time t;
      if (absl::ParseTime(absl::RFC3339_full, at, &t, &err)) finished = t;
    } else {
      error = absl::StrCat("unreadable exit record ", exit_file);
    }
  } else if (!shim_gone) {
    return;  // another file in the shim's dir; the exit file comes later
  } else {
    error = absl::StrCat("skiff-shim ended without recording the exit status (see ",
                         ShimDir(id), "/shim.log)");
  }
  UnwatchShim(id);
  SetShimUp(id, false);
  DeleteRuntimeContainer(id);
  (void)UnmountAll(BundleDir(id) + "/rootfs");

  absl::StatusOr<Stored> stored = LoadStored(*rec);
  bool restart = false;
  if (stored.ok() && !stored->manually_stopped) {
    const auto& policy = stored->host.restart_policy();
    switch (policy.name()) {
      case v1::RestartPolicy::RESTART_POLICY_ALWAYS:
      case v1::RestartPolicy::RESTART_POLICY_UNLESS_STOPPED:
        restart = true;
        break;
      case v1::RestartPolicy::RESTART_POLICY_ON_FAILURE:
        restart = exit_code != 0 && (policy.maximum_retry_count() <= 0 ||
                                     rec->restart_count < policy.maximum_retry_count());
        break;
      default:
        break;
    }
  }
  absl::Status saved = store_.Write([&](MetadataStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(ContainerRecord r, tx.GetContainer(id));
    r.state = restart ? ContainerState::kRestarting : ContainerState::kExited;
    r.pid = 0;
    r.exit_code = exit_code;
    r.oom_killed = oom;
    r.finished_at = finished;
    r.error = error;
    *rec = r;
    return tx.UpdateContainer(r);
  });
  if (!saved.ok()) LOG(ERROR) << "container " << id << ": cannot record its exit: " << saved;
  if (oom) events_.PublishContainer("oom", id, rec->name, rec->image, rec->labels);
  events_.PublishContainer("die", id, rec->name, rec->image, rec->labels,
                           {{"exitCode", std::to_string(exit_code)}});
  v1::ExitStatus status = ExitOf(*rec);

  if (stored.ok() && stored->host.auto_remove()) {
    absl::StatusOr<std::string> removed = RemoveLocked(*rec);
    if (!removed.ok()) {
      LOG(ERROR) << "container " << id << ": --rm: " << removed.status();
      NoteExit(id, status, false);
    }
    return;
  }
  NoteExit(id, status, false);
  if (restart) {
    int n = std::min(rec->restart_count, 10);
    absl::Duration backoff = std::min(absl::Milliseconds(100) * (1 << n), absl::Minutes(1));
    std::thread([this, id, backoff] {
      absl::SleepFor(backoff);
      auto live = LiveOf(id);
      absl::MutexLock op(&live->op);
      absl::StatusOr<ContainerRecord> r =
          store_.Read([&](MetadataStore::Tx& tx) { return tx.GetContainer(id); });
      if (!r.ok() || r->state != ContainerState::kRestarting) return;
      absl::StatusOr<bool> started = StartLocked(id, /*restarting=*/true);
      if (!started.ok()) {
        LOG(WARNING) << "container " << id << ": restart failed: " << started.status();
      }
    }).detach();
  }
}

bool ContainerManager::IsRunning(const std::string& id) {
  absl::StatusOr<ContainerRecord> rec =
      store_.Read([&](MetadataStore::Tx& tx) { return tx.GetContainer(id); });
  return rec.ok() && (rec->state == ContainerState::kRunning ||
                      rec->state == ContainerState::kPaused ||
                      rec->state == ContainerState::kRestarting);
}

absl::StatusOr<ContainerManager::WaitTicket> ContainerManager::RegisterWait(
    const std::string& ref, v1::WaitContainerRequest::Condition c) {
  ASSIGN_OR_RETURN(ContainerRecord rec, Resolve(ref));
  WaitTicket t;
  t.id = rec.id;
  t.condition = c;
  auto live = LiveOf(rec.id);
  absl::MutexLock l(&mu_);
  t.exits_seen = live->exits;
  return t;
}

absl::StatusOr<v1::ExitStatus> ContainerManager::AwaitWait(const WaitTicket& t,
                                                           const std::function<bool()>& cancelled) {
  for (;;) {
    if (t.condition == v1::WaitContainerRequest::CONDITION_NOT_RUNNING) {
      absl::StatusOr<ContainerRecord> rec =
          store_.Read([&](MetadataStore::Tx& tx) { return tx.GetContainer(t.id); });
      if (!rec.ok() || (rec->state != ContainerState::kRunning &&
                        rec->state != ContainerState::kPaused &&
                        rec->state != ContainerState::kRestarting)) {
        if (rec.ok()) return ExitOf(*rec);
        absl::MutexLock l(&mu_);
        auto it = live_.find(t.id);
        if (it != live_.end()) return it->second->last_exit;
        auto r = removed_exits_.find(t.id);
        if (r != removed_exits_.end()) return r->second;
        return rec.status();
      }
    }
    {
      absl::MutexLock l(&mu_);
      auto it = live_.find(t.id);
      std::shared_ptr<Live> live = it == live_.end() ? nullptr : it->second;
      if (live == nullptr || live->removed) {
        auto r = removed_exits_.find(t.id);
        if (r != removed_exits_.end()) return r->second;
        if (live != nullptr) return live->last_exit;
      }
      if (t.condition == v1::WaitContainerRequest::CONDITION_NEXT_EXIT && live != nullptr &&
          live->exits > t.exits_seen) {
        return live->last_exit;
      }
      changed_.WaitWithTimeout(&mu_, absl::Milliseconds(250));
    }
    if (cancelled()) return absl::CancelledError("the client went away");
  }
}

void ContainerManager::SetShimUp(const std::string& id, bool up) {
  auto live = LiveOf(id);
  std::vector<std::shared_ptr<PendingAttach>> pending;
  {
    absl::MutexLock l(&mu_);
    live->shim_up = up;
    if (up) pending.swap(live->pending);
  }
  for (auto& p : pending) {
    auto r = skiff::shim::AttachClient::Attach(ShimDir(id) + "/attach.sock", "", p->stdin);
    absl::MutexLock l(&mu_);
    p->result = std::move(r);
    p->done = true;
    changed_.SignalAll();
  }
}

absl::StatusOr<ContainerManager::AttachTicket> ContainerManager::RegisterAttach(
    const std::string& id, bool stdin) {
  auto live = LiveOf(id);
  AttachTicket t;
  t.id = id;
  t.pending = std::make_shared<PendingAttach>();
  t.pending->stdin = stdin;
  bool direct = false;
  {
    absl::MutexLock l(&mu_);
    direct = live->shim_up;
    if (!direct) live->pending.push_back(t.pending);
  }
  if (direct) {
    auto r = skiff::shim::AttachClient::Attach(ShimDir(id) + "/attach.sock", "", stdin);
    absl::MutexLock l(&mu_);
    t.pending->result = std::move(r);
    t.pending->done = true;
  }
  return t;
}

absl::StatusOr<std::unique_ptr<skiff::shim::AttachClient>> ContainerManager::AwaitAttach(
    const AttachTicket& t, const std::function<bool()>& cancelled) {
  auto live = LiveOf(t.id);
  absl::MutexLock l(&mu_);
  while (!t.pending->done) {
    changed_.WaitWithTimeout(&mu_, absl::Milliseconds(250));
    if (!t.pending->done && (cancelled() || live->removed)) {
      auto& v = live->pending;
      v.erase(std::remove(v.begin(), v.end(), t.pending), v.end());
      return absl::CancelledError("the client went away before the container started");
    }
  }
  return std::move(t.pending->result);
}

absl::StatusOr<ContainerEndpoints> ContainerManager::Endpoints(const std::string& ref) {
  ASSIGN_OR_RETURN(ContainerRecord rec, Resolve(ref));
  ASSIGN_OR_RETURN(Stored stored, LoadStored(rec));
  ContainerEndpoints e;
  e.id = rec.id;
  e.name = rec.name;
  e.running = rec.state == ContainerState::kRunning || rec.state == ContainerState::kPaused;
  e.paused = rec.state == ContainerState::kPaused;
  e.tty = stored.config.tty();
  e.open_stdin = stored.config.open_stdin();
  e.stdin_once = stored.config.stdin_once();
  e.log_path = LogPath(rec.id);
  e.attach_socket = ShimDir(rec.id) + "/attach.sock";
  e.control_socket = ShimDir(rec.id) + "/control.sock";
  return e;
}

// ---- recovery

absl::Status ContainerManager::SweepOrphans() {
  ASSIGN_OR_RETURN(std::vector<ContainerRecord> all,
                   store_.Read([&](MetadataStore::Tx& tx) { return tx.ListContainers(); }));
  std::set<std::string> known;
  for (const auto& c : all) known.insert(c.id);
  auto is_container_id = [](const std::string& s) {
    if (s.size() != 64) return false;
    for (char c : s) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
  };
  std::vector<std::string> orphans;
  RETURN_IF_ERROR(snapshotter_.Walk([&](const SnapshotInfo& info) -> absl::Status {
    if (info.kind != SnapshotKind::kCommitted && is_container_id(info.key) &&
        !known.count(info.key)) {
      orphans.push_back(info.key);
    }
    return absl::OkStatus();
  }));
  for (const std::string& dir : {options_.state + "/containers", options_.root + "/containers"}) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      std::string id = e.path().filename().string();
      if (known.count(id)) continue;
      (void)UnmountAll(e.path().string() + "/rootfs");
      std::filesystem::remove_all(e.path(), ec);
      LOG(INFO) << "removed " << e.path().string() << " (no such container)";
    }
  }
  {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(options_.state + "/shim", ec)) {
      std::string prefix = e.path().filename().string();
      bool used = false;
      for (const auto& id : known) used = used || id.rfind(prefix, 0) == 0;
      if (!used) std::filesystem::remove_all(e.path(), ec);
    }
  }
  for (const auto& key : orphans) {
    (void)RunRuntime({"delete", "--force", key});
    absl::Status st = snapshotter_.Remove(key);
    LOG(INFO) << "removed snapshot " << key << " of a container that was never recorded: " << st;
  }
  return absl::OkStatus();
}

absl::Status ContainerManager::Recover() {
  RETURN_IF_ERROR(SweepOrphans());
  ASSIGN_OR_RETURN(std::vector<ContainerRecord> all,
                   store_.Read([&](MetadataStore::Tx& tx) { return tx.ListContainers(); }));
  std::vector<std::string> exited_meanwhile;
  for (const ContainerRecord& rec : all) {
    switch (rec.state) {
      case ContainerState::kRunning:
      case ContainerState::kPaused: {
        std::string pid_text = ReadFile(ShimDir(rec.id) + "/shim.pid").value_or("");
        int shim_pid = 0;
        bool alive = absl::SimpleAtoi(absl::StripAsciiWhitespace(pid_text), &shim_pid) &&
                     IsShimPid(shim_pid);
        if (alive && WatchShim(rec.id, shim_pid).ok()) {
          SetShimUp(rec.id, true);
          // The exit may have been recorded before the watch existed.
          if (access((ShimDir(rec.id) + "/exit").c_str(), F_OK) == 0) {
            exited_meanwhile.push_back(rec.id);
          }
          LOG(INFO) << "container " << rec.name << " is still running (shim " << shim_pid << ")";
        } else {
          exited_meanwhile.push_back(rec.id);
        }
        break;
      }
      case ContainerState::kCreated: {
        // A start cut short: no process, no mount.
        (void)RunRuntime({"delete", "--force", rec.id});
        (void)UnmountAll(BundleDir(rec.id) + "/rootfs");
        break;
      }
      case ContainerState::kRestarting: {
        absl::Status st = store_.Write([&](MetadataStore::Tx& tx) -> absl::Status {
          ASSIGN_OR_RETURN(ContainerRecord r, tx.GetContainer(rec.id));
          r.state = ContainerState::kExited;
          return tx.UpdateContainer(r);
        });
        if (!st.ok()) LOG(ERROR) << st;
        break;
      }
      case ContainerState::kRemoving:
      case ContainerState::kDead: {
        auto live = LiveOf(rec.id);
        absl::MutexLock op(&live->op);
        absl::StatusOr<std::string> removed = RemoveLocked(rec);
        if (!removed.ok()) LOG(ERROR) << removed.status();
        break;
      }
      default:
        break;
    }
  }
  for (const std::string& id : exited_meanwhile) HandleExit(id, /*shim_gone=*/true);

  // Restart policies at daemon start: `always` and `unless-stopped`
  // containers that the user did not stop come back.
  ASSIGN_OR_RETURN(all, store_.Read([&](MetadataStore::Tx& tx) { return tx.ListContainers(); }));
  for (const ContainerRecord& rec : all) {
    if (rec.state != ContainerState::kExited) continue;
    absl::StatusOr<Stored> stored = LoadStored(rec);
    if (!stored.ok() || stored->manually_stopped || !stored->has_been_started) continue;
    auto name = stored->host.restart_policy().name();
    if (name != v1::RestartPolicy::RESTART_POLICY_ALWAYS &&
        name != v1::RestartPolicy::RESTART_POLICY_UNLESS_STOPPED) {
      continue;
    }
    absl::StatusOr<bool> started = Start(rec.id);
    LOG(INFO) << "restart policy: starting " << rec.name << ": "
              << (started.ok() ? "ok" : started.status().ToString());
  }
  return absl::OkStatus();
}

}  // namespace skiff::manager
