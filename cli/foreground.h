#pragma once
// A container in the foreground, as `skiff run` (without -d) and
// `skiff start -a` do it: Wait (for the next exit, or for the removal with
// --rm) and Attach are registered BEFORE Start, so no output and no exit is
// missed; then the output is streamed until the container exits or the user
// detaches, and the container's exit code becomes skiff's.

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/time/time.h"
#include "cli/stream.h"
#include "proto/skiff/v1/container.grpc.pb.h"

namespace skiff::cli {

struct ForegroundOptions {
  // The attach request; `id` is the container reference.
  skiff::v1::AttachStart attach;
  StreamOptions stream;
  // Wait for the removal (run --rm) rather than the next exit.
  bool wait_removed = false;
  // How long to wait for the daemon to acknowledge the attach before Start.
  absl::Duration attach_ack_timeout = absl::Milliseconds(250);
};

struct ForegroundResult {
  // The container's exit code; for a failed start, 125, 126 or 127.
  int exit_code = 0;
  bool detached = false;
  // Set when a step failed: which call ("wait", "start", "attach") and the
  // daemon's status; `exit_code` already reflects it.
  std::string failed_call;
  grpc::Status error;
};

ForegroundResult RunInForeground(skiff::v1::ContainerService::StubInterface& stub,
                                 const ForegroundOptions& options);

// docker's exit code for a container that could not be started: 127 when its
// command was not found, 126 when it cannot be executed, else `otherwise`.
int StartFailureExitCode(const grpc::Status& status, const skiff::v1::ErrorDetail* detail,
                         int otherwise = 125);

}  // namespace skiff::cli
