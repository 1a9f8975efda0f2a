#pragma once
// The shim's top level: one container, its exec sessions, its sockets.
//
// Lifecycle of the container (Shim::Phase; illegal moves are ignored):
//
//   kCreating --create ok--> kRunning --init reaped--> kExited --> kDone
//       |                                                           ^
//       +--create failed (handshake "error ...")--------------------+
//
// kCreating: the sockets listen, `RUNTIME create` runs with the session's
//   stdio; when it exits the handshake is written ("created <pid>" or the
//   runtime's error). The starter then runs `RUNTIME start`.
// kRunning: output is read and logged, attach clients come and go, exec
//   requests start exec sessions (`RUNTIME exec --detach`).
// kExited: the container's process was reaped and its exit record written;
//   no new exec. The shim still reaps everything, lets exec sessions end and
//   attach clients take the rest of the output, for at most --exit-linger.
// kDone: Run() returns; sockets removed.
//
// Signals (signalfd): SIGCHLD reaps; SIGUSR1 reopens the container's and
// the exec sessions' logs and shim.log (after an external rotator renamed
// them); SIGTERM, SIGINT, SIGHUP and SIGQUIT are logged and ignored: the shim
// lives exactly as long as its container, and killing the shim would close
// the container's stdio under it.

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "shim/attach_server.h"
#include "shim/control_server.h"
#include "shim/daemon.h"
#include "shim/event_loop.h"
#include "shim/flags.h"
#include "shim/oom.h"
#include "shim/reaper.h"
#include "shim/runtime_client.h"
#include "shim/session.h"

namespace skiff::shim {

class Shim {
 public:
  enum class Phase { kCreating, kRunning, kExited, kDone };

  explicit Shim(Options opts);
  ~Shim();

  // Runs the whole life of the container; returns the shim's exit status:
  // 0 after the container exited, 1 when create failed.
  int Run();

 private:
  absl::Status Setup();
  void OnSignal();
  void ReopenLogs(pid_t from);
  void OnCreated(absl::StatusOr<pid_t> pid);
  void FailCreate(const std::string& why, bool cleanup);
  void OnInitExit(int wait_status);
  void StartExec(const ExecRequest& req, std::shared_ptr<Connection> conn);
  void OnExecStarted(const std::string& id, absl::StatusOr<pid_t> pid);
  void OnSessionChange();
  void Collect();
  Session* Lookup(const std::string& id);
  void SetPhase(Phase to);
  bool OomKilled(const Session& s, int wait_status) const;

  Options opts_;
  std::unique_ptr<EventLoop> loop_;  // first in, last out: the rest unregisters from it
  std::unique_ptr<Reaper> reaper_;
  std::unique_ptr<RuntimeClient> runtime_;
  UniqueFd signal_fd_;
  SyncPipe sync_;
  Phase phase_ = Phase::kCreating;
  int exit_status_ = 0;
  std::unique_ptr<Session> init_;
  std::map<std::string, std::unique_ptr<Session>> execs_;
  std::unique_ptr<AttachServer> attach_;
  std::unique_ptr<ControlServer> control_;
  OomCounter oom_;
  bool collect_posted_ = false;
  EventLoop::TimerId linger_timer_ = 0;
  int console_counter_ = 0;
};

}  // namespace skiff::shim
