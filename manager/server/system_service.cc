#include "manager/server/system_service.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "manager/server/grpc_status.h"
#include "manager/system/cgroup_detect.h"
#include "manager/system/command_version.h"
#include "manager/system/host_info.h"
#include "manager/system/version.h"
#include "proto/skiff/v1/time.h"

namespace skiff::manager {
namespace {

namespace v1 = ::skiff::v1;

void AddComponent(v1::VersionResponse* resp, const std::string& name, const std::string& path) {
  v1::ComponentVersion* c = resp->add_components();
  c->set_name(name);
  (*c->mutable_details())["path"] = path;
  if (path.empty()) {
    (*c->mutable_details())["error"] = "not configured";
    return;
  }
  absl::StatusOr<std::string> line = CommandVersion(path);
  if (line.ok()) {
    c->set_version(VersionFromLine(*line));
  } else {
    (*c->mutable_details())["error"] = std::string(line.status().message());
  }
}

}  // namespace

std::string VersionFromLine(const std::string& line) {
  std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
  if (words.size() >= 2) {
    absl::string_view last = words.back();
    absl::ConsumePrefix(&last, "v");
    if (!last.empty() && absl::ascii_isdigit(static_cast<unsigned char>(last[0]))) {
      return std::string(last);
    }
  }
  return line;
}

SystemServiceImpl::SystemServiceImpl(MetadataStore& store, EventBus& events, Config config)
    : store_(store), events_(events), config_(std::move(config)) {}

grpc::Status SystemServiceImpl::Ping(grpc::ServerContext*, const v1::PingRequest*,
                                     v1::PingResponse* resp) {
  resp->set_api_version(kApiVersion);
  resp->set_ready(!recovering_);
  return grpc::Status::OK;
}

grpc::Status SystemServiceImpl::Version(grpc::ServerContext*, const v1::VersionRequest*,
                                        v1::VersionResponse* resp) {
  const HostInfo host = ReadHostInfo();
  resp->set_version(kSkiffVersion);
  resp->set_api_version(kApiVersion);
  resp->set_compiler(absl::StrCat("g++ ", __VERSION__));
  resp->set_os(host.os_type);
  resp->set_arch(host.architecture);
  resp->set_kernel_version(host.kernel_version);
  v1::ComponentVersion* self = resp->add_components();
  self->set_name("skiffd");
  self->set_version(kSkiffVersion);
  (*self->mutable_details())["api_version"] = kApiVersion;
  AddComponent(resp, "ocirun", config_.readiness.runtime_path);
  AddComponent(resp, "skiff-shim", config_.readiness.shim_path);
  return grpc::Status::OK;
}

grpc::Status SystemServiceImpl::Info(grpc::ServerContext* ctx, const v1::InfoRequest*,
                                     v1::InfoResponse* resp) {
  struct Counts {
    int containers = 0, running = 0, paused = 0, stopped = 0, images = 0;
  };
  absl::StatusOr<Counts> counts = store_.Read([](MetadataStore::Tx& tx) -> absl::StatusOr<Counts> {
    Counts n;
    ASSIGN_OR_RETURN(std::vector<ContainerRecord> containers, tx.ListContainers());
    for (const ContainerRecord& c : containers) {
      ++n.containers;
      switch (c.state) {
        case ContainerState::kRunning:
        case ContainerState::kRestarting:
          ++n.running;
          break;
        case ContainerState::kPaused:
          ++n.paused;
          break;
        default:
          ++n.stopped;
      }
    }
    ASSIGN_OR_RETURN(std::vector<ImageRecord> images, tx.ListImages());
    n.images = static_cast<int>(images.size());
    return n;
  });
  if (!counts.ok()) return ToGrpc(Annotate(counts.status(), "counting containers and images"), ctx);

  const ReadinessOptions& r = config_.readiness;
  const HostInfo host = ReadHostInfo();
  resp->set_id(config_.id);
  resp->set_name(config_.name);
  resp->set_containers(counts->containers);
  resp->set_containers_running(counts->running);
  resp->set_containers_paused(counts->paused);
  resp->set_containers_stopped(counts->stopped);
  resp->set_images(counts->images);
  resp->set_server_version(kSkiffVersion);
  resp->set_driver(config_.snapshotter);
  resp->set_logging_driver("json-file");
  resp->set_cgroup_driver("cgroupfs");
  absl::StatusOr<CgroupMounts> cgroups = DetectCgroups(r.mountinfo_path, r.cgroup_root);
  if (cgroups.ok()) resp->set_cgroup_version(cgroups->Version());
  resp->set_kernel_version(host.kernel_version);
  resp->set_operating_system(host.operating_system);
  resp->set_os_type(host.os_type);
  resp->set_architecture(host.architecture);
  resp->set_ncpu(host.ncpu);
  resp->set_mem_total(host.mem_total);
  resp->set_root_dir(r.root_dir);
  resp->set_state_dir(r.state_dir);
  resp->set_socket_path(config_.socket_path);
  resp->set_runtime_path(r.runtime_path);
  resp->set_shim_path(r.shim_path);

  std::vector<v1::ReadinessCheck> checks = config_.run_checks ? config_.run_checks() : CheckHost(r);
  for (const v1::ReadinessCheck& c : checks) {
    if (c.name() == "seccomp" && c.severity() == v1::ReadinessCheck::SEVERITY_OK) {
      resp->add_security_options("name=seccomp,profile=builtin");
    }
  }
  // On v2 containers get a private cgroup namespace, as docker does.
  if (cgroups.ok() && cgroups->mode == CgroupMounts::Mode::kV2) {
    resp->add_security_options("name=cgroupns");
  }
  resp->set_ready(IsReady(checks));
  for (v1::ReadinessCheck& c : checks) *resp->add_checks() = std::move(c);
  if (recovering_) {
    resp->add_warnings(
        "skiffd is still recovering its state: container commands may fail with "
        "UNAVAILABLE for a moment");
  }
  return grpc::Status::OK;
}

grpc::Status SystemServiceImpl::Events(grpc::ServerContext* ctx, const v1::EventsRequest* req,
                                       grpc::ServerWriter<v1::Event>* writer) {
  const std::optional<absl::Time> since = OptionalTimeFromProto(req->since());
  const std::optional<absl::Time> until = OptionalTimeFromProto(req->until());
  if (since && until && *since > *until) {
    return ToGrpc(absl::InvalidArgumentError(absl::StrCat("since (", absl::FormatTime(*since),
                                                          ") is after until (",
                                                          absl::FormatTime(*until), ")")),
                  ctx);
  }
  std::vector<v1::Filter> filters(req->filters().begin(), req->filters().end());
  absl::StatusOr<std::unique_ptr<EventBus::Subscription>> sub =
      events_.Subscribe(filters, since, until);
  if (!sub.ok()) return ToGrpc(sub.status(), ctx);

  for (;;) {
    if (ctx->IsCancelled()) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled the event stream");
    }
    if (shutting_down_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "skiffd is shutting down");
    }
    absl::StatusOr<v1::Event> event = (*sub)->Next(config_.events_poll);
    if (event.ok()) {
      if (!writer->Write(*event)) {
        return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
      }
      continue;
    }
    switch (event.status().code()) {
      case absl::StatusCode::kDeadlineExceeded:
        continue;
      case absl::StatusCode::kOutOfRange:
        return grpc::Status::OK;  // `until` has passed
      case absl::StatusCode::kResourceExhausted:
        return ToGrpc(absl::ResourceExhaustedError(
                          "the event stream fell too far behind and was dropped: read faster "
                          "or narrow it with filters, then reconnect with --since"),
                      ctx);
      default:
        return ToGrpc(event.status(), ctx);
    }
  }
}

}  // namespace skiff::manager
