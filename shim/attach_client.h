#pragma once
// The client side of the shim's sockets (protocol.h), for skiffd and the
// tests: start a shim and read its handshake, attach to a session, start an
// exec session. Blocking calls with timeouts; one client per thread.
//
//   ASSIGN_OR_RETURN(auto started, LaunchShim("/usr/libexec/skiff-shim", opts));
//   // ... `ocirun start ID` ...
//   ASSIGN_OR_RETURN(auto c, AttachClient::Attach(opts.attach_socket, "", /*stdin=*/true));
//   RETURN_IF_ERROR(c->SendStdin("hello\n"));
//   ASSIGN_OR_RETURN(auto ev, c->Next(absl::Seconds(5)));   // '1' hello

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/unique_fd.h"
#include "shim/flags.h"
#include "shim/protocol.h"

namespace skiff::shim {

// Starts `binary` with opts (as OptionsToArgs(), plus --sync-fd 3) and
// waits for its handshake. On "created <pid>" returns the container's pid
// and the shim daemon's pid (from STATE_DIR/shim.pid); on "error <msg>"
// returns msg as the error. The process spawned directly is reaped here.
struct Launched {
  pid_t container_pid = 0;
  pid_t shim_pid = 0;
};
absl::StatusOr<Launched> LaunchShim(const std::string& binary, const Options& opts,
                                    absl::Duration timeout = absl::Seconds(60));

// The command line of skiff-shim for opts (without --sync-fd).
std::vector<std::string> OptionsToArgs(const Options& opts);

class AttachClient {
 public:
  struct Event {
    enum class Kind { kStdout, kStderr, kExit, kError, kClosed };
    Kind kind;
    std::string data;
  };
  struct Output {
    std::string out, err;
    std::string exit_record;  // "" when the shim closed without one
  };
  struct ExecResult {
    pid_t pid = 0;
    std::unique_ptr<AttachClient> client;  // with req.attach
  };

  // Attaches to a session ("" = the container's process); returns once the
  // shim has acknowledged, so every byte of output after that is seen.
  static absl::StatusOr<std::unique_ptr<AttachClient>> Attach(
      const std::string& socket, const std::string& session = "", bool stdin = false,
      absl::Duration timeout = absl::Seconds(10));
  // Starts an exec session through the control socket.
  static absl::StatusOr<ExecResult> Exec(const std::string& control_socket, const ExecRequest& req,
                                         absl::Duration timeout = absl::Seconds(60));

  absl::Status SendStdin(absl::string_view data);
  absl::Status CloseStdin();
  absl::Status Resize(uint16_t rows, uint16_t cols);
  // Sends 'd' and closes the socket.
  absl::Status Detach();
  void Close() { fd_.reset(); }

  // The next output, exit or error; kClosed at EOF. DeadlineExceeded on timeout.
  absl::StatusOr<Event> Next(absl::Duration timeout);
  // Collects output until the exit record or EOF.
  absl::StatusOr<Output> ReadUntilExit(absl::Duration timeout);
  int fd() const { return fd_.get(); }

 private:
  explicit AttachClient(UniqueFd fd) : fd_(std::move(fd)) {}
  static absl::StatusOr<UniqueFd> Connect(const std::string& path);
  absl::Status Send(char type, absl::string_view payload);
  absl::StatusOr<Frame> ReadFrame(absl::Time deadline);

  UniqueFd fd_;
  FrameReader reader_;
};

}  // namespace skiff::shim
