#include "cli/foreground.h"

#include "absl/strings/match.h"
#include "cli/command.h"

namespace skiff::cli {

int StartFailureExitCode(const grpc::Status& status, const skiff::v1::ErrorDetail* detail,
                         int otherwise) {
  if (detail != nullptr) {
    if (detail->reason() == skiff::v1::ErrorDetail::REASON_COMMAND_NOT_FOUND) return 127;
    if (detail->reason() == skiff::v1::ErrorDetail::REASON_COMMAND_NOT_EXECUTABLE) return 126;
  }
  // Without a detail (an older daemon), docker's own heuristics on the text.
  const std::string& msg = status.error_message();
  if (absl::StrContains(msg, "executable file not found") ||
      absl::StrContains(msg, "no such file or directory")) {
    return 127;
  }
  if (absl::StrContains(msg, "permission denied")) return 126;
  return otherwise;
}

ForegroundResult RunInForeground(skiff::v1::ContainerService::StubInterface& stub,
                                 const ForegroundOptions& options) {
  ForegroundResult result;
  const std::string& id = options.attach.id();

  grpc::ClientContext wait_ctx;
  skiff::v1::WaitContainerRequest wait_req;
  wait_req.set_id(id);
  wait_req.set_condition(options.wait_removed
                             ? skiff::v1::WaitContainerRequest::CONDITION_REMOVED
                             : skiff::v1::WaitContainerRequest::CONDITION_NEXT_EXIT);
  auto wait = stub.Wait(&wait_ctx, wait_req);
  skiff::v1::WaitContainerResponse wait_resp;
  // The first message says the wait is registered; an exit cannot be missed
  // from here on.
  if (!wait->Read(&wait_resp)) {
    result.failed_call = "wait";
    result.error = wait->Finish();
    if (result.error.ok()) {
      result.error =
          grpc::Status(grpc::StatusCode::INTERNAL, "wait ended before it was registered");
    }
    result.exit_code = 125;
    return result;
  }

  AttachPump pump(stub, options.attach, options.stream);
  pump.Begin(options.attach_ack_timeout);

  grpc::ClientContext start_ctx;
  skiff::v1::StartContainerRequest start_req;
  start_req.set_id(id);
  skiff::v1::StartContainerResponse start_resp;
  grpc::Status started = stub.Start(&start_ctx, start_req, &start_resp);
  if (!started.ok()) {
    skiff::v1::ErrorDetail detail;
    bool has_detail = ReadErrorDetail(start_ctx, &detail);
    result.failed_call = "start";
    result.error = started;
    result.exit_code = StartFailureExitCode(started, has_detail ? &detail : nullptr);
    pump.Cancel();
    (void)pump.Finish();
    wait_ctx.TryCancel();
    (void)wait->Finish();
    return result;
  }

  StreamResult attached = pump.Finish();
  if (attached.detached) {
    result.detached = true;
    wait_ctx.TryCancel();
    (void)wait->Finish();
    return result;
  }
  if (!attached.exited && !attached.status.ok()) {
    // The output is lost but the container runs: still report how it ends.
    result.failed_call = "attach";
    result.error = attached.status;
  }

  bool have_exit = false;
  while (wait->Read(&wait_resp)) {
    if (wait_resp.has_exit()) {
      result.exit_code = wait_resp.exit().exit_code();
      have_exit = true;
    }
  }
  grpc::Status waited = wait->Finish();
  if (!have_exit) {
    if (attached.exited) {
      result.exit_code = attached.exit.exit_code();
    } else {
      result.failed_call = "wait";
      result.error = waited.ok() ? attached.status : waited;
      result.exit_code = 125;
    }
  }
  return result;
}

}  // namespace skiff::cli
