#pragma once
// One process the shim monitors: the container's own process, or one exec
// session. A session owns the process's stdio (pipes, or the master of its
// pty), copies the output to the log and to the attach clients, feeds stdin
// from them, and writes the exit record.
//
// Lifecycle (illegal moves are ignored and logged):
//
//   kStarting --Running(pid)--> kRunning --ProcessExited()--> kExiting
//       |                                                        | all output read,
//       +--Abort(why)--> kExited (no exit record)                | or kDrainMs passed
//                                                                v
//                                                   kExited (exit record written,
//                                                   clients sent 'x' and closed)
//
// kStarting: Prepare() made the pipes (or a console socket to receive the
// pty master on) and opened the log; the runtime runs with runtime_stdio().
// Output is not read yet: the container's process cannot run before
// `start`, and an exec's output waits in the pipe until the exec's requester
// has its reply. For the container, whatever the runtime itself wrote to the
// pipes during `create` (warnings) goes to the shim's diagnostics, not the log.
//
// Output is always read, whether or not anyone is attached, and goes to the
// clients at once; a slow client is dropped by its Connection, never waited
// for. The log gets whole lines; a partial line (a prompt) that waited
// kPartialFlushMs for its newline is logged as a P record.
//
// Stdin from clients is queued (at most kMaxStdinQueued, then clients' input
// is paused until the process reads). With stdin_once, the process's stdin is
// closed once the last client that sent stdin leaves. A tty's input cannot be
// closed apart from its output: there the session writes the tty's
// end-of-file sequence (tty_eof.h) instead, and takes no stdin after it.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/unique_fd.h"
#include "shim/connection.h"
#include "shim/event_loop.h"
#include "shim/exit_file.h"
#include "shim/log_writer.h"
#include "shim/runtime_client.h"

namespace skiff::shim {

inline constexpr int64_t kDrainMs = 2000;
inline constexpr size_t kMaxStdinQueued = 1 << 20;
inline constexpr int64_t kPartialFlushMs = 1000;

class Session {
 public:
  enum class State { kStarting, kRunning, kExiting, kExited };

  struct Config {
    std::string container_id;
    std::string exec_id;  // "" for the container's own process
    bool terminal = false;
    bool stdin = false;
    bool stdin_once = false;
    std::optional<LogOptions> log;  // nullopt: output goes to clients only
    std::string exit_file;          // "" : no exit file
    std::string console_socket;     // terminal: where the runtime sends the pty master
  };
  // Called when the session reaches kExited, and when its last client left.
  using ChangeCallback = std::function<void(Session&)>;

  Session(EventLoop& loop, Config config, ChangeCallback on_change);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  absl::Status Prepare();
  RuntimeStdio runtime_stdio() const;
  // After the runtime was spawned: the shim keeps only its own ends.
  void CloseChildEnds();

  absl::Status Running(pid_t pid);
  void Abort(const std::string& why);
  void ProcessExited(int wait_status, bool oom_killed);
  // Reopens the session's log file (SIGUSR1: external rotation). Errors go
  // to the diagnostics; the old file stays in use.
  void ReopenLog();

  // Adds an attach client (which got its 'o' already). A client of an
  // exited session gets the exit record and is closed.
  void Attach(std::shared_ptr<Connection> c, bool wants_stdin);
  // The exec requester: gets 'o' <pid> or 'E' <why>, then is attached
  // (attach) or closed.
  void SetRequester(std::shared_ptr<Connection> c, bool attach);

  State state() const { return state_; }
  bool is_exec() const { return !config_.exec_id.empty(); }
  const std::string& exec_id() const { return config_.exec_id; }
  const Config& config() const { return config_; }
  pid_t pid() const { return pid_; }
  bool has_clients() const { return !clients_.empty() || requester_ != nullptr; }
  std::string name() const;
  uint64_t oom_base = 0;  // the OOM-kill count when the process started

 private:
  struct Pump {
    UniqueFd fd;
    LogStream stream = LogStream::kStdout;
  };
  absl::StatusOr<UniqueFd> ReceivePtyMaster();
  void OnPumpEvent(int i, uint32_t events);
  bool ReadPump(int i);  // false once the pump is closed
  void ClosePump(int i);
  void Output(LogStream stream, absl::string_view data);
  void MaybeFinishDrain();
  void Finish();
  void OnClientFrame(Connection& c, Frame& f);
  void RemoveClient(Connection& c);
  void QueueStdin(absl::string_view data);
  void FlushStdin();
  void CloseStdin();
  bool QueueTtyEof();
  void NotePartial(LogStream stream, bool was_pending, absl::string_view data);
  void OnPartialTimer(int i);
  void CancelPartialTimers();
  void PauseStdinClients(bool pause);
  void SetState(State to);

  EventLoop& loop_;
  Config config_;
  ChangeCallback on_change_;
  State state_ = State::kStarting;
  pid_t pid_ = 0;

  std::unique_ptr<LogWriter> log_;
  UniqueFd child_in_, child_out_, child_err_;  // the runtime's (and process's) ends
  UniqueFd console_listen_;
  UniqueFd master_;  // terminal
  Pump pumps_[2];
  UniqueFd stdin_fd_;  // our end of stdin (pipe, or a dup of the master)
  std::string stdin_buf_;
  bool stdin_watched_ = false;
  bool stdin_paused_ = false;
  bool stdin_close_pending_ = false;
  bool stdin_closed_ = false;
  int stdin_clients_ = 0;
  bool stdin_ever_ = false;
  char stdin_last_ = '\n';  // the last byte the process was given
  bool tty_eof_queued_ = false;

  std::vector<std::shared_ptr<Connection>> clients_;
  std::shared_ptr<Connection> requester_;
  bool requester_attach_ = false;

  ExitRecord exit_;
  std::string exit_frame_;
  EventLoop::TimerId drain_timer_ = 0;
  // Per stream: the flush timer of a partial line, and when that line began.
  EventLoop::TimerId partial_timer_[2] = {0, 0};
  int64_t partial_since_ms_[2] = {0, 0};
};

}  // namespace skiff::shim
