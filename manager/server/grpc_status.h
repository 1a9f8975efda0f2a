#pragma once
// absl::Status -> grpc::Status for every skiffd service: the code maps one
// to one (absl and gRPC share the canonical codes) and the message is kept.
// A status carrying an ErrorDetail payload (WithDetail) sends it in the
// "skiff-error-detail-bin" trailer, which the CLI reads for exit codes and
// hints.

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "proto/skiff/v1/types.pb.h"

namespace skiff::manager {

inline constexpr char kErrorDetailTrailer[] = "skiff-error-detail-bin";
inline constexpr char kErrorDetailPayloadUrl[] = "type.skiff.dev/skiff.v1.ErrorDetail";

// Attaches an ErrorDetail to a (non-OK) status.
absl::Status WithDetail(absl::Status status, const skiff::v1::ErrorDetail& detail);

// Converts, and puts the detail (if any) into ctx's trailing metadata.
grpc::Status ToGrpc(const absl::Status& status, grpc::ServerContext* ctx);

}  // namespace skiff::manager
