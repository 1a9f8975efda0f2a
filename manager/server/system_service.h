#pragma once
// skiff.v1.SystemService: Ping, Version, Info and Events (docker's _ping,
// version, info and events). A thin adapter over the metadata store, the
// event bus and the host readiness checks; errors leave through ToGrpc.
//
// Ping and Version never touch the store, so they answer while skiffd is
// still recovering. Events streams until `until`, the client cancels, or
// Shutdown() is called (then UNAVAILABLE, so a server shutdown is not held
// up by open streams).
//
//   SystemServiceImpl::Config config;
//   config.readiness = readiness_options;
//   config.id = daemon_id;  config.name = hostname;
//   config.socket_path = "/run/skiff/skiffd.sock";
//   config.snapshotter = "overlay";
//   config.run_checks = [&] { return CheckHost(readiness_options); };
//   SystemServiceImpl system(store, bus, std::move(config));
//   builder.RegisterService(&system);

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "manager/events/event_bus.h"
#include "manager/metadata/store.h"
#include "manager/system/readiness.h"
#include "proto/skiff/v1/system.grpc.pb.h"

namespace skiff::manager {

class SystemServiceImpl final : public skiff::v1::SystemService::Service {
 public:
  struct Config {
    // The paths, binaries and snapshotter request skiffd runs with; Info
    // reports them and the host probes read from them.
    ReadinessOptions readiness;
    // Stable daemon instance id and host name.
    std::string id;
    std::string name;
    std::string socket_path;
    // Snapshotter in use ("overlay" or "copy"), after any fallback.
    std::string snapshotter;
    // Re-runs the readiness checks for Info; CheckHost(readiness) when unset.
    std::function<std::vector<skiff::v1::ReadinessCheck>()> run_checks;
    // How often an Events stream looks for a cancelled client.
    absl::Duration events_poll = absl::Milliseconds(250);
  };

  SystemServiceImpl(MetadataStore& store, EventBus& events, Config config);

  // While recovering, Ping says ready=false and Info warns. Starts false.
  void SetRecovering(bool recovering) { recovering_ = recovering; }
  // Ends every open Events stream with UNAVAILABLE and refuses new ones.
  void Shutdown() { shutting_down_ = true; }

  grpc::Status Ping(grpc::ServerContext* ctx, const skiff::v1::PingRequest* req,
                    skiff::v1::PingResponse* resp) override;
  grpc::Status Version(grpc::ServerContext* ctx, const skiff::v1::VersionRequest* req,
                       skiff::v1::VersionResponse* resp) override;
  grpc::Status Info(grpc::ServerContext* ctx, const skiff::v1::InfoRequest* req,
                    skiff::v1::InfoResponse* resp) override;
  grpc::Status Events(grpc::ServerContext* ctx, const skiff::v1::EventsRequest* req,
                      grpc::ServerWriter<skiff::v1::Event>* writer) override;

 private:
  MetadataStore& store_;
  EventBus& events_;
  const Config config_;
  std::atomic<bool> recovering_{false};
  std::atomic<bool> shutting_down_{false};
};

// "ocirun version 0.1.0" -> "0.1.0"; a line without a version-like last word
// is kept whole.
std::string VersionFromLine(const std::string& line);

}  // namespace skiff::manager
