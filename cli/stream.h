#pragma once
// Pumps between the local stdio and the daemon's Attach and Exec streams:
// local stdin is forwarded from its own thread (EOF sends close_stdin),
// output frames are written to the stdout or stderr fd they name, SIGWINCH
// forwards the terminal size, and the stream's end is reported as a
// StreamResult (exit status, detached, or the RPC's error).
//
//   AttachPump pump(stub, start, {.stdin_fd = 0, .tty = true});
//   pump.Begin(absl::Milliseconds(250));  // attached (or timed out)
//   ... Start the container ...
//   StreamResult r = pump.Finish();       // blocks until the stream ends
//
// The pump does not touch the terminal mode; the caller holds a RawMode.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "proto/skiff/v1/container.grpc.pb.h"

namespace skiff::cli {

struct StreamOptions {
  // -1: stdin is not forwarded.
  int stdin_fd = -1;
  int stdout_fd = 1;
  int stderr_fd = 2;
  // Forward the size of `tty_fd` on SIGWINCH.
  bool tty = false;
  int tty_fd = 1;
};

struct StreamResult {
  // The stream ended with `exit`.
  bool exited = false;
  skiff::v1::ExitStatus exit;
  // The stream ended with `detached` (the container or process runs on).
  bool detached = false;
  // Exec only: the `started` message.
  std::string exec_id;
  // The RPC's final status, and its ErrorDetail when the daemon sent one.
  grpc::Status status;
  bool has_detail = false;
  skiff::v1::ErrorDetail detail;
};

template <typename Req, typename Resp>
class StreamPump;

class AttachPump {
 public:
  AttachPump(skiff::v1::ContainerService::StubInterface& stub, skiff::v1::AttachStart start,
             StreamOptions options);
  ~AttachPump();
  // Opens the stream, sends `start` and reads output in the background.
  // Returns once the daemon acknowledged the attach (sent its initial
  // metadata), the stream ended, or `ack_timeout` passed.
  void Begin(absl::Duration ack_timeout);
  // Forwards stdin and resizes until the stream ends (Begin first if not yet).
  StreamResult Finish();
  // Ends the stream (for example when Start failed); Finish then returns.
  void Cancel();

 private:
  std::unique_ptr<StreamPump<skiff::v1::AttachRequest, skiff::v1::AttachResponse>> impl_;
};

class ExecPump {
 public:
  ExecPump(skiff::v1::ContainerService::StubInterface& stub, skiff::v1::ExecStart start,
           StreamOptions options);
  ~ExecPump();
  // Runs the exec session to its end.
  StreamResult Run();

 private:
  std::unique_ptr<StreamPump<skiff::v1::ExecRequest, skiff::v1::ExecResponse>> impl_;
};

}  // namespace skiff::cli
