#pragma once
// A unix-socket listener for the shim's framed protocols (attach and
// control). It accepts connections without blocking the loop, keeps each
// one "pending" until its first frame (at most 64 at a time, so idle
// connections cannot pile up), then hands the connection and that frame to
// its owner, which decides what the connection becomes.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/unique_fd.h"
#include "shim/connection.h"
#include "shim/event_loop.h"

namespace skiff::shim {

class FrameListener {
 public:
  // Called with the connection (its frame and close handlers cleared) and
  // its first frame.
  using FirstFrame = std::function<void(std::shared_ptr<Connection>, Frame&)>;

  // `what` names the socket in diagnostics ("attach", "control").
  FrameListener(EventLoop& loop, std::string what, FirstFrame on_first)
      : loop_(loop), what_(std::move(what)), on_first_(std::move(on_first)) {}
  ~FrameListener() { Close(); }

  absl::Status Listen(const std::string& path);
  // Stops accepting, removes the socket file and drops pending connections;
  // connections already handed over stay.
  void Close();

 private:
  void OnAccept();
  void OnFirstFrame(Connection& c, Frame& f);

  EventLoop& loop_;
  std::string what_;
  FirstFrame on_first_;
  std::string path_;
  UniqueFd listen_;
  std::map<uint64_t, std::shared_ptr<Connection>> pending_;
};

}  // namespace skiff::shim
