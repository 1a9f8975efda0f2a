#pragma once
// The control socket: one exec request per connection.
//
//   client: 'X' <key=value lines>  (protocol.h ExecRequest)
//   shim:   'o' <pid>   the exec runs; with attach=1 the connection now is an
//                       attach client of the session (output from its first
//                       byte, stdin when stdin=1), else the shim closes it
//           'E' <why>   refused, or the runtime's own error message
//
// Separate from the attach socket so that the right to start processes in
// the container (control) and the right to see its output (attach) can be
// given apart by file permissions.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/unique_fd.h"
#include "shim/connection.h"
#include "shim/event_loop.h"
#include "shim/frame_listener.h"
#include "shim/protocol.h"

namespace skiff::shim {

class ControlServer {
 public:
  // Starts the exec; must answer on the connection (now or later).
  using ExecHandler = std::function<void(const ExecRequest&, std::shared_ptr<Connection>)>;

  ControlServer(EventLoop& loop, ExecHandler on_exec)
      : loop_(loop),
        on_exec_(std::move(on_exec)),
        listener_(loop, "control", [this](std::shared_ptr<Connection> c, Frame& f) {
          OnRequest(std::move(c), f);
        }) {}
  ~ControlServer() { Close(); }

  absl::Status Listen(const std::string& path);
  void Close();

 private:
  void OnRequest(std::shared_ptr<Connection> conn, Frame& f);

  EventLoop& loop_;
  ExecHandler on_exec_;
  FrameListener listener_;
};

}  // namespace skiff::shim
