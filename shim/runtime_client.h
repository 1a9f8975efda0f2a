#pragma once
// Runs the OCI runtime (ocirun, or any runtime with runc's command line) for
// the shim, asynchronously, on the shim's event loop:
//
//   RUNTIME [--root R] [--runtime-arg...] --log L --log-format json
//       create --bundle B --pid-file P [--console-socket S] ID
//   RUNTIME [--root R] [--runtime-arg...] --log L --log-format json
//       exec --process F --detach --pid-file P [--console-socket S] ID
//   RUNTIME [--root R] [--runtime-arg...] delete --force ID
//
// The runtime gets the caller's stdio (pipes or /dev/null), an empty signal
// mask and default signal dispositions, and no other fd. When it exits 0 the
// result is the pid it wrote to the pid file, checked to be a child of the
// shim (the runtime has exited, so its child was handed to the subreaper).
// Otherwise the result is the runtime's own error message, the "msg" of the
// last error line of its JSON log (what containerd and conmon do), or, when
// it logged nothing, how it ended. A runtime still running after the
// timeout is killed (SIGKILL) and reported as such.
//
//   client.Run("create", client.CreateArgv({...}), stdio, pid_file, log_file,
//              [](absl::StatusOr<pid_t> pid) { ... });

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "shim/event_loop.h"
#include "shim/flags.h"
#include "shim/reaper.h"

namespace skiff::shim {

// The runtime's stdin, stdout and stderr; -1 means /dev/null.
struct RuntimeStdio {
  int in = -1, out = -1, err = -1;
};

class RuntimeClient {
 public:
  using Done = std::function<void(absl::StatusOr<pid_t>)>;

  RuntimeClient(EventLoop& loop, Reaper& reaper, RuntimeConfig config)
      : loop_(loop), reaper_(reaper), config_(std::move(config)) {}

  std::vector<std::string> CreateArgv(const std::string& id, const std::string& bundle,
                                      const std::string& pid_file,
                                      const std::string& console_socket,
                                      const std::string& log_file) const;
  std::vector<std::string> ExecArgv(const std::string& id, const std::string& process_file,
                                    const std::string& pid_file, const std::string& console_socket,
                                    const std::string& log_file) const;
  std::vector<std::string> DeleteArgv(const std::string& id) const;

  // Runs argv; done is called exactly once, from the loop. `what` names the
  // call in messages ("create", "exec e1"). log_file is truncated first.
  void Run(const std::string& what, const std::vector<std::string>& argv, const RuntimeStdio& stdio,
           const std::string& pid_file, const std::string& log_file, Done done);
  // Runs argv, ignoring how it ends (best-effort cleanup); done runs after.
  void RunDetached(const std::vector<std::string>& argv, std::function<void()> done);

  int running() const { return running_; }
  const RuntimeConfig& config() const { return config_; }

 private:
  absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const RuntimeStdio& stdio);
  std::vector<std::string> Global(const std::string& log_file) const;

  EventLoop& loop_;
  Reaper& reaper_;
  RuntimeConfig config_;
  int running_ = 0;
};

// The message a runc-style JSON log carries: "msg" of the last line whose
// "level" is "error" or "fatal", else of the last line with a "msg"; nullopt
// when there is none.
std::optional<std::string> ErrorFromRuntimeLog(absl::string_view log);

// The value of a top-level string field of a one-line JSON object, with its
// escapes decoded; nullopt when absent or not a string.
std::optional<std::string> JsonStringField(absl::string_view object, absl::string_view key);

// "exited with status N" / "was killed by signal N".
std::string DescribeWaitStatus(int wait_status);

}  // namespace skiff::shim
