#pragma once
// The lifecycle of skiffd's containers: records in the metadata store, a
// snapshot for the rootfs, an OCI bundle under --state, and one skiff-shim
// per running container that runs `ocirun create`, keeps stdio, log and
// exit status; skiffd runs `ocirun start` and the other runtime verbs.
//
// State on disk (--root R, --state S):
//   R/containers/<id>/container.log[.N]   the log (survives reboots)
//   S/containers/<id>/config.json rootfs/ hostname hosts resolv.conf
//   S/shim/<id[:16]>/                     the shim's state dir (exit file,
//                                         attach and control sockets; short,
//                                         for the 107-byte socket path limit)
//   S/ocirun/                             the runtime's --root
//
// Exits: an inotify watch on each shim's state dir sees the exit file
// appear, and a pidfd on each shim sees it die; either leads to
// HandleExit, which records the exit, deletes the runtime's container,
// unmounts the rootfs, emits `die`, and applies --rm or the restart policy.
//
// Crash safety: a record is written only after its snapshot and bundle dir
// exist; Recover() (at daemon start) sweeps snapshots and dirs without a
// record, re-adopts running containers whose shim is alive, records exits
// that happened while the daemon was down, and puts back to `created` any
// container whose start was interrupted.
//
// Thread-safe. Operations on one container are serialized; waiting for an
// exit never holds that lock.

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/unique_fd.h"
#include "manager/events/event_bus.h"
#include "manager/images/image_manager.h"
#include "manager/metadata/store.h"
#include "manager/snapshots/snapshotter.h"
#include "proto/skiff/v1/container.pb.h"
#include "proto/skiff/v1/types.pb.h"
#include "shim/attach_client.h"

namespace skiff::manager {

struct ManagerOptions {
  std::string root;     // --root
  std::string state;    // --state
  std::string runtime;  // absolute path of ocirun
  std::string shim;     // absolute path of skiff-shim
  std::string driver = "overlay";  // snapshotter name, for inspect
};

// What the attach, exec and logs RPCs need to reach a container's shim.
struct ContainerEndpoints {
  std::string id;
  std::string name;
  bool running = false;
  bool paused = false;
  bool tty = false;
  bool open_stdin = false;
  bool stdin_once = false;
  std::string log_path;
  std::string attach_socket;
  std::string control_socket;
};

class ContainerManager {
 public:
  ContainerManager(ManagerOptions options, MetadataStore& store, ImageManager& images,
                   Snapshotter& snapshotter, EventBus& events);
  ~ContainerManager();

  // At daemon start, before serving: see the header comment. Then starts
  // the containers whose restart policy says so.
  absl::Status Recover();

  absl::StatusOr<skiff::v1::CreateContainerResponse> Create(
      const skiff::v1::CreateContainerRequest& req);
  // False when it was already running.
  absl::StatusOr<bool> Start(const std::string& ref);
  // False when it was not running.
  absl::StatusOr<bool> Stop(const std::string& ref, std::optional<int> timeout_seconds,
                            const std::string& signal);
  absl::Status Kill(const std::string& ref, const std::string& signal);
  absl::Status Restart(const std::string& ref, std::optional<int> timeout_seconds,
                       const std::string& signal);
  // Returns the full id.
  absl::StatusOr<std::string> Remove(const std::string& ref, bool force);
  absl::Status Pause(const std::string& ref);
  absl::Status Unpause(const std::string& ref);
  absl::Status Rename(const std::string& ref, const std::string& new_name);
  absl::StatusOr<skiff::v1::ContainerInfo> Inspect(const std::string& ref);
  absl::StatusOr<std::vector<skiff::v1::ContainerSummary>> List(
      const skiff::v1::ListContainersRequest& req);
  absl::StatusOr<skiff::v1::PruneContainersResponse> Prune(
      const skiff::v1::PruneContainersRequest& req);
  // One resource-usage sample (zeros for a container that is not running).
  absl::StatusOr<skiff::v1::ContainerStats> Sample(const std::string& ref);
  absl::StatusOr<skiff::v1::TopResponse> Top(const std::string& ref, const std::string& ps_args);

  // Wait in two steps: Register (resolves and records where the container
  // is now), then Await (blocks until the condition holds, or until
  // `cancelled()` turns true, checked a few times a second).
  struct WaitTicket {
    std::string id;
    skiff::v1::WaitContainerRequest::Condition condition;
    uint64_t exits_seen = 0;
  };
  absl::StatusOr<WaitTicket> RegisterWait(const std::string& ref,
                                          skiff::v1::WaitContainerRequest::Condition c);
  absl::StatusOr<skiff::v1::ExitStatus> AwaitWait(const WaitTicket& t,
                                                  const std::function<bool()>& cancelled);

  absl::StatusOr<ContainerEndpoints> Endpoints(const std::string& ref);

  // Attaches to the container's process in two steps. RegisterAttach
  // connects at once when the shim is up; else (created or exited) it
  // queues the attach for the next start, which connects it after the shim
  // is up and before the process runs, so no output is missed (`skiff run`
  // attaches, then starts). AwaitAttach returns the connection, or gives up
  // when `cancelled()` turns true.
  struct PendingAttach;
  struct AttachTicket {
    std::string id;
    std::shared_ptr<PendingAttach> pending;
  };
  absl::StatusOr<AttachTicket> RegisterAttach(const std::string& id, bool stdin);
  absl::StatusOr<std::unique_ptr<skiff::shim::AttachClient>> AwaitAttach(
      const AttachTicket& ticket, const std::function<bool()>& cancelled);
  bool IsRunning(const std::string& id);

  // Starts an exec session in the container's shim; with attach, the
  // returned client carries its stdio.
  struct ExecSession {
    std::string exec_id;
    pid_t pid = 0;
    std::unique_ptr<skiff::shim::AttachClient> client;
  };
  absl::StatusOr<ExecSession> Exec(const skiff::v1::ExecStart& start);

  EventBus& events() { return events_; }

 private:
  struct Live;
  struct Stored;

  std::string BundleDir(const std::string& id) const;
  std::string ShimDir(const std::string& id) const;
  std::string LogPath(const std::string& id) const;
  std::string RuntimeRoot() const;
  std::shared_ptr<Live> LiveOf(const std::string& id);

  absl::StatusOr<ContainerRecord> Resolve(const std::string& ref);
  absl::StatusOr<Stored> LoadStored(const ContainerRecord& rec);
  absl::Status SaveStored(const std::string& id, const Stored& s);
  static absl::StatusOr<std::string> EncodeStored(const Stored& s);

  absl::StatusOr<bool> StartLocked(const std::string& id, bool restarting);
  absl::Status RunRuntime(const std::vector<std::string>& args);
  // `ocirun delete --force id` when the runtime has state for it.
  void DeleteRuntimeContainer(const std::string& id);
  absl::Status WatchShim(const std::string& id, pid_t shim_pid);
  // The shim of the container is up (true) or gone; hands the pending
  // attaches their connections.
  void SetShimUp(const std::string& id, bool up);
  void UnwatchShim(const std::string& id);
  void MonitorLoop();
  void OnShimEvent(const std::string& id);
  // `run` is the Live::run the event belongs to (0: the current one).
  void HandleExit(const std::string& id, bool shim_gone, uint64_t run = 0);
  absl::StatusOr<std::string> RemoveLocked(const ContainerRecord& rec);
  absl::Status SignalContainer(const std::string& id, int signal);
  bool WaitForExit(const std::string& id, uint64_t exits_before, absl::Duration timeout);
  void NoteExit(const std::string& id, const skiff::v1::ExitStatus& st, bool removed);
  absl::StatusOr<skiff::v1::ContainerInfo> InfoOf(const ContainerRecord& rec);
  absl::Status SweepOrphans();

  const ManagerOptions options_;
  MetadataStore& store_;
  ImageManager& images_;
  Snapshotter& snapshotter_;
  EventBus& events_;

  absl::Mutex mu_;
  absl::CondVar changed_;
  std::map<std::string, std::shared_ptr<Live>> live_ ABSL_GUARDED_BY(mu_);
  // How recently removed containers ended, for waits that see the removal
  // after the fact (run --rm); the oldest are forgotten past 1024.
  std::map<std::string, skiff::v1::ExitStatus> removed_exits_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> removed_order_ ABSL_GUARDED_BY(mu_);
  // inotify wd / shim pidfd -> container id and run.
  std::map<int, std::pair<std::string, uint64_t>> wd_ids_ ABSL_GUARDED_BY(mu_);
  std::map<int, std::pair<std::string, uint64_t>> pidfd_ids_ ABSL_GUARDED_BY(mu_);

  UniqueFd inotify_;
  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd that stops the monitor
  std::atomic<bool> stopping_{false};
  std::thread monitor_;
};

// Signal names and numbers as docker accepts them ("SIGTERM", "TERM", "15").
absl::StatusOr<int> ParseSignal(const std::string& text);

}  // namespace skiff::manager
