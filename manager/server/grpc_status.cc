#include "manager/server/grpc_status.h"

#include <string>

#include "absl/strings/cord.h"

namespace skiff::manager {

absl::Status WithDetail(absl::Status status, const skiff::v1::ErrorDetail& detail) {
  if (status.ok()) return status;
  status.SetPayload(kErrorDetailPayloadUrl, absl::Cord(detail.SerializeAsString()));
  return status;
}

grpc::Status ToGrpc(const absl::Status& status, grpc::ServerContext* ctx) {
  if (status.ok()) return grpc::Status::OK;
  if (ctx != nullptr) {
    if (auto payload = status.GetPayload(kErrorDetailPayloadUrl)) {
      ctx->AddTrailingMetadata(kErrorDetailTrailer, std::string(*payload));
    }
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace skiff::manager
