#pragma once
// skiff.v1.ImageService over an ImageManager: converts requests and replies
// and turns statuses into gRPC ones (grpc_status.h) in one place. The image
// semantics (names, rmi's rules, garbage collection) live in the manager;
// what is here is the wire: streamed archives, filters, docker's views of an
// image (list rows, inspect, history).
//
// Registries: Pull and Push speak to the registry a reference names (a
// missing domain is RegistryConfig::default_registry), with the
// credentials Login stored for that host; progress is streamed as
// skiff.v1.Progress, one message per layer update (downloads at most every
// 256 KiB per layer).
//
// Streamed archives pass through temp files in `<content root>/tmp/`, which
// are removed when the call ends, whatever its outcome; ones a crash left
// behind are removed when the service is constructed.
//
//   ImageServiceImpl images(manager);
//   grpc::ServerBuilder b;
//   b.RegisterService(&images);

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "manager/images/image_manager.h"
#include "manager/registry/client.h"
#include "proto/skiff/v1/image.grpc.pb.h"
#include "proto/skiff/v1/image.pb.h"

namespace skiff::manager {

struct RegistryConfig {
  // Fills in a reference's missing domain (skiffd --default-registry).
  std::string default_registry = "docker.io";
  // Insecure hosts and the certs.d directory.
  registry::RegistryOptions options;
  // The credentials file (CredentialStore); "" keeps none and Login fails
  // with FailedPrecondition.
  std::string credentials_path;
};

class ImageServiceImpl final : public skiff::v1::ImageService::Service {
 public:
  explicit ImageServiceImpl(ImageManager& images, RegistryConfig registry = {});

  grpc::Status Load(grpc::ServerContext* ctx,
                    grpc::ServerReader<skiff::v1::LoadImagesRequest>* reader,
                    skiff::v1::LoadImagesResponse* resp) override;
  grpc::Status Save(grpc::ServerContext* ctx, const skiff::v1::SaveImagesRequest* req,
                    grpc::ServerWriter<skiff::v1::SaveImagesResponse>* writer) override;
  grpc::Status List(grpc::ServerContext* ctx, const skiff::v1::ListImagesRequest* req,
                    skiff::v1::ListImagesResponse* resp) override;
  grpc::Status Inspect(grpc::ServerContext* ctx, const skiff::v1::InspectImageRequest* req,
                       skiff::v1::InspectImageResponse* resp) override;
  grpc::Status Tag(grpc::ServerContext* ctx, const skiff::v1::TagImageRequest* req,
                   skiff::v1::TagImageResponse* resp) override;
  grpc::Status Remove(grpc::ServerContext* ctx, const skiff::v1::RemoveImageRequest* req,
                      skiff::v1::RemoveImageResponse* resp) override;
  grpc::Status Prune(grpc::ServerContext* ctx, const skiff::v1::PruneImagesRequest* req,
                     skiff::v1::PruneImagesResponse* resp) override;
  grpc::Status History(grpc::ServerContext* ctx, const skiff::v1::ImageHistoryRequest* req,
                       skiff::v1::ImageHistoryResponse* resp) override;
  grpc::Status Pull(grpc::ServerContext* ctx, const skiff::v1::PullImageRequest* req,
                    grpc::ServerWriter<skiff::v1::PullImageResponse>* writer) override;
  grpc::Status Push(grpc::ServerContext* ctx, const skiff::v1::PushImageRequest* req,
                    grpc::ServerWriter<skiff::v1::PushImageResponse>* writer) override;
  grpc::Status Login(grpc::ServerContext* ctx, const skiff::v1::LoginRequest* req,
                     skiff::v1::LoginResponse* resp) override;
  grpc::Status Logout(grpc::ServerContext* ctx, const skiff::v1::LogoutRequest* req,
                      skiff::v1::LogoutResponse* resp) override;

  // Chunk size of Save's stream.
  static constexpr size_t kChunkSize = 1 << 20;

 private:
  absl::Status DoLoad(grpc::ServerContext* ctx,
                      grpc::ServerReader<skiff::v1::LoadImagesRequest>* reader,
                      skiff::v1::LoadImagesResponse* resp);
  absl::Status DoSave(grpc::ServerContext* ctx, const skiff::v1::SaveImagesRequest& req,
                      grpc::ServerWriter<skiff::v1::SaveImagesResponse>* writer);
  absl::Status DoList(const skiff::v1::ListImagesRequest& req, skiff::v1::ListImagesResponse* resp);
  absl::Status DoInspect(const skiff::v1::InspectImageRequest& req,
                         skiff::v1::InspectImageResponse* resp);
  absl::Status DoPrune(const skiff::v1::PruneImagesRequest& req,
                       skiff::v1::PruneImagesResponse* resp);
  absl::Status DoHistory(const skiff::v1::ImageHistoryRequest& req,
                         skiff::v1::ImageHistoryResponse* resp);

  absl::Status DoPull(grpc::ServerContext* ctx, const skiff::v1::PullImageRequest& req,
                      grpc::ServerWriter<skiff::v1::PullImageResponse>* writer);
  absl::Status DoPush(const skiff::v1::PushImageRequest& req,
                      grpc::ServerWriter<skiff::v1::PushImageResponse>* writer);
  absl::Status DoLogin(const skiff::v1::LoginRequest& req, skiff::v1::LoginResponse* resp);
  absl::Status DoLogout(const skiff::v1::LogoutRequest& req, skiff::v1::LogoutResponse* resp);
  // A client of `host` with the stored credentials for it.
  absl::StatusOr<std::unique_ptr<registry::RegistryClient>> ClientFor(const std::string& host);

  // A new empty file in the temp dir; its path.
  absl::StatusOr<std::string> TempFile(const std::string& what);

  ImageManager& images_;
  const RegistryConfig registry_;
};

}  // namespace skiff::manager
