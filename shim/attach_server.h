#pragma once
// The attach socket: any number of clients, each attached to one session
// (the container's process or an exec) after its hello:
//
//   client: 'h' {flags, session id}    shim: 'o'  (attached from now on)
//                                      shim: 'E' <why>, close (unknown session)
//
// From the 'o' on, the client gets the session's output ('1', '2') as it is
// read, may send 'i' stdin (when its hello asked for stdin and the session
// has an open stdin), 'c', 'r' resize and 'd' detach, and gets 'x' with the
// exit record when the process has exited and all its output was sent. A
// client that sends anything before its hello is refused. Detaching, or
// just closing the socket, never affects the process.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/unique_fd.h"
#include "shim/connection.h"
#include "shim/event_loop.h"
#include "shim/frame_listener.h"
#include "shim/session.h"

namespace skiff::shim {

class AttachServer {
 public:
  // Finds a session by id ("" = the container's process); nullptr if none.
  using Lookup = std::function<Session*(const std::string& id)>;

  AttachServer(EventLoop& loop, Lookup lookup)
      : loop_(loop),
        lookup_(std::move(lookup)),
        listener_(loop, "attach", [this](std::shared_ptr<Connection> c, Frame& f) {
          OnHello(std::move(c), f);
        }) {}
  ~AttachServer() { Close(); }

  absl::Status Listen(const std::string& path);
  // Stops accepting and removes the socket file; attached clients stay.
  void Close();

 private:
  void OnHello(std::shared_ptr<Connection> conn, Frame& f);

  EventLoop& loop_;
  Lookup lookup_;
  FrameListener listener_;
};

}  // namespace skiff::shim
