#pragma once
// skiff.v1.ImageService over an ImageManager: converts requests and replies
// and turns statuses into gRPC ones (grpc_status.h) in one place. The image
// semantics (names, rmi's rules, garbage collection) live in the manager;
// what is here is the wire: streamed archives, filters, docker's views of an
// image (list rows, inspect, history).
//
// Streamed archives pass through temp files in `<content root>/tmp/`, which
// are removed when the call ends, whatever its outcome; ones a crash left
// behind are removed when the service is constructed.
//
//   ImageServiceImpl images(manager);
//   grpc::ServerBuilder b;
//   b.RegisterService(&images);

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/statusor.h"
#include "manager/images/image_manager.h"
#include "proto/skiff/v1/image.grpc.pb.h"
#include "proto/skiff/v1/image.pb.h"

namespace skiff::manager {

class ImageServiceImpl final : public skiff::v1::ImageService::Service {
 public:
  explicit ImageServiceImpl(ImageManager& images);

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

  // A new empty file in the temp dir; its path.
  absl::StatusOr<std::string> TempFile(const std::string& what);

  ImageManager& images_;
};

}  // namespace skiff::manager
