#pragma once
// skiff.v1.ContainerService over the ContainerManager: argument checks,
// status codes, and the streaming RPCs (wait, logs, attach, exec), which
// pump between the gRPC stream and the container's shim.

#include <grpcpp/grpcpp.h>

#include "manager/lifecycle/container_manager.h"
#include "proto/skiff/v1/container.grpc.pb.h"

namespace skiff::manager {

// A start or exec failure from the runtime, with the ErrorDetail that lets
// the CLI exit 127 (command not found) or 126 (cannot be executed).
absl::Status ClassifyProcessError(const absl::Status& status);

class ContainerServiceImpl final : public skiff::v1::ContainerService::Service {
 public:
  explicit ContainerServiceImpl(ContainerManager& manager) : manager_(manager) {}

  grpc::Status Create(grpc::ServerContext* ctx, const skiff::v1::CreateContainerRequest* req,
                      skiff::v1::CreateContainerResponse* resp) override;
  grpc::Status Start(grpc::ServerContext* ctx, const skiff::v1::StartContainerRequest* req,
                     skiff::v1::StartContainerResponse* resp) override;
  grpc::Status Stop(grpc::ServerContext* ctx, const skiff::v1::StopContainerRequest* req,
                    skiff::v1::StopContainerResponse* resp) override;
  grpc::Status Kill(grpc::ServerContext* ctx, const skiff::v1::KillContainerRequest* req,
                    skiff::v1::KillContainerResponse* resp) override;
  grpc::Status Restart(grpc::ServerContext* ctx, const skiff::v1::RestartContainerRequest* req,
                       skiff::v1::RestartContainerResponse* resp) override;
  grpc::Status Remove(grpc::ServerContext* ctx, const skiff::v1::RemoveContainerRequest* req,
                      skiff::v1::RemoveContainerResponse* resp) override;
  grpc::Status Wait(grpc::ServerContext* ctx, const skiff::v1::WaitContainerRequest* req,
                    grpc::ServerWriter<skiff::v1::WaitContainerResponse>* writer) override;
  grpc::Status Pause(grpc::ServerContext* ctx, const skiff::v1::PauseContainerRequest* req,
                     skiff::v1::PauseContainerResponse* resp) override;
  grpc::Status Unpause(grpc::ServerContext* ctx, const skiff::v1::UnpauseContainerRequest* req,
                       skiff::v1::UnpauseContainerResponse* resp) override;
  grpc::Status Rename(grpc::ServerContext* ctx, const skiff::v1::RenameContainerRequest* req,
                      skiff::v1::RenameContainerResponse* resp) override;
  grpc::Status Inspect(grpc::ServerContext* ctx, const skiff::v1::InspectContainerRequest* req,
                       skiff::v1::InspectContainerResponse* resp) override;
  grpc::Status List(grpc::ServerContext* ctx, const skiff::v1::ListContainersRequest* req,
                    skiff::v1::ListContainersResponse* resp) override;
  grpc::Status Logs(grpc::ServerContext* ctx, const skiff::v1::LogsRequest* req,
                    grpc::ServerWriter<skiff::v1::LogsResponse>* writer) override;
  grpc::Status Attach(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<skiff::v1::AttachResponse, skiff::v1::AttachRequest>* stream)
      override;
  grpc::Status Exec(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<skiff::v1::ExecResponse, skiff::v1::ExecRequest>* stream) override;
  grpc::Status Top(grpc::ServerContext* ctx, const skiff::v1::TopRequest* req,
                   skiff::v1::TopResponse* resp) override;
  grpc::Status Prune(grpc::ServerContext* ctx, const skiff::v1::PruneContainersRequest* req,
                     skiff::v1::PruneContainersResponse* resp) override;
  grpc::Status Stats(grpc::ServerContext* ctx, const skiff::v1::StatsRequest* req,
                     grpc::ServerWriter<skiff::v1::StatsResponse>* writer) override;

 private:
  ContainerManager& manager_;
};

}  // namespace skiff::manager
