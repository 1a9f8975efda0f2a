#pragma once
// The local terminal for `run -t`, `exec -t` and `attach`: raw mode that is
// always undone, the window size, and SIGWINCH notifications.
//
//   auto raw = RawMode::Enable(STDIN_FILENO);  // error if not a terminal
//   WinchWatcher winch([&] { SendResize(GetWindowSize(STDOUT_FILENO)); });
//   ...                                        // both undone on scope exit
//
// The saved terminal settings are restored when the RawMode is destroyed,
// when the process calls exit(), and when SIGINT, SIGTERM, SIGHUP, SIGQUIT or
// SIGPIPE arrives (the signal's previous disposition then runs). One RawMode
// and one WinchWatcher may be active per process at a time.

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"

namespace skiff::cli {

class RawMode {
 public:
  // FailedPrecondition if `fd` is not a terminal or another RawMode is active.
  static absl::StatusOr<std::unique_ptr<RawMode>> Enable(int fd);
  ~RawMode();
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;

 private:
  RawMode() = default;
};

struct WindowSize {
  uint16_t rows = 0;
  uint16_t columns = 0;
};

// The size of the terminal on `fd`; an error if it is not a terminal.
absl::StatusOr<WindowSize> GetWindowSize(int fd);

// Calls `on_resize` from its own thread after each SIGWINCH, until destroyed.
class WinchWatcher {
 public:
  explicit WinchWatcher(std::function<void()> on_resize);
  ~WinchWatcher();
  WinchWatcher(const WinchWatcher&) = delete;
  WinchWatcher& operator=(const WinchWatcher&) = delete;

 private:
  std::function<void()> on_resize_;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace skiff::cli
