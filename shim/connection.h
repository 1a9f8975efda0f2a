#pragma once
// One client of the shim's attach or control socket: a non-blocking unix
// stream socket on the event loop, framed (protocol.h) both ways.
//
// Output is queued and written as the socket accepts it. The queue is
// bounded (kMaxQueued): a client that does not read fast enough is dropped
// (closed), so it never holds memory without limit and never blocks the loop,
// the container or the other clients. Input frames go to the frame handler in
// order; a protocol error closes the connection.
//
// Lifecycle: open -> (CloseAfterFlush: draining) -> closed. The close handler
// runs once, from the loop, after the fd is closed. Owners keep a shared_ptr;
// the connection keeps itself alive while one of its callbacks runs.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/unique_fd.h"
#include "shim/event_loop.h"
#include "shim/protocol.h"

namespace skiff::shim {

inline constexpr size_t kMaxQueued = 1 << 20;

// A listening unix stream socket at path (an old socket file there is
// replaced), non-blocking and close-on-exec.
absl::StatusOr<UniqueFd> ListenUnix(const std::string& path, int backlog);

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using FrameHandler = std::function<void(Connection&, Frame&)>;
  using CloseHandler = std::function<void(Connection&)>;

  // Takes a connected socket (made non-blocking here) and watches it.
  static std::shared_ptr<Connection> Adopt(EventLoop& loop, UniqueFd fd);
  ~Connection();

  void set_frame_handler(FrameHandler h) { on_frame_ = std::move(h); }
  void set_close_handler(CloseHandler h) { on_close_ = std::move(h); }

  // Queues one frame. Returns false when the connection is closed or was
  // just dropped because its queue would pass kMaxQueued.
  bool Send(char type, absl::string_view payload);
  // Queues bytes that already are whole frames.
  bool SendRaw(absl::string_view frames);
  // Stops reading; closes once the queue is written.
  void CloseAfterFlush();
  void Close();
  // Stops or resumes reading input (backpressure on stdin).
  void PauseInput(bool pause);

  bool closed() const { return !fd_.valid(); }
  uint64_t id() const { return id_; }
  size_t queued() const { return out_.size() - out_pos_; }

  // Free-form state for the owner (which session, whether it sends stdin).
  std::string session;
  bool stdin_client = false;
  bool hello_done = false;

 private:
  Connection(EventLoop& loop, UniqueFd fd);
  void OnEvents(uint32_t events);
  void Flush();
  void UpdateInterest();

  EventLoop& loop_;
  UniqueFd fd_;
  uint64_t id_;
  std::string out_;
  size_t out_pos_ = 0;
  FrameReader reader_;
  bool closing_ = false;
  bool paused_ = false;
  uint32_t interest_ = 0;
  FrameHandler on_frame_;
  CloseHandler on_close_;
};

}  // namespace skiff::shim
