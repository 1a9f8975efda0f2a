#include "manager/server/system_service.h"

#include <grpcpp/grpcpp.h>
#include <string.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/file_util.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "manager/events/event_bus.h"
#include "manager/metadata/store.h"
#include "manager/system/version.h"
#include "manager/testing/temp_dir.h"
#include "proto/skiff/v1/system.grpc.pb.h"

namespace skiff::manager {
namespace {

namespace v1 = ::skiff::v1;
using Tx = MetadataStore::Tx;

ContainerRecord Container(const std::string& id, ContainerState state) {
  ContainerRecord c;
  c.id = id;
  c.name = "c" + id.substr(0, 6);
  c.image = "busybox";
  c.image_id = "sha256:aaaa";
  c.config = "{}";
  c.state = state;
  return c;
}

ImageRecord Image(const std::string& hex) {
  ImageRecord r;
  r.id = "sha256:" + hex;
  r.target_digest = r.id;
  r.target_media_type = "application/vnd.oci.image.manifest.v1+json";
  r.manifest_digest = r.id;
  r.config_digest = r.id;
  return r;
}

v1::ReadinessCheck Check(const std::string& name, v1::ReadinessCheck::Severity severity) {
  v1::ReadinessCheck c;
  c.set_name(name);
  c.set_severity(severity);
  if (severity != v1::ReadinessCheck::SEVERITY_OK) {
    c.set_problem(name + " is broken");
    c.set_fix("fix " + name);
  }
  return c;
}

class SystemServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // sun_path is 108 bytes; Bazel's TEST_TMPDIR may be longer.
    const char* tmp = getenv("TEST_TMPDIR");
    dir_ = std::make_unique<testing::TempDir>(tmp && strlen(tmp) < 60 ? nullptr : "/tmp");
    ASSERT_FALSE(dir_->path().empty());
    absl::StatusOr<std::unique_ptr<MetadataStore>> store =
        MetadataStore::Open(dir_->Sub("meta.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);

    ASSERT_TRUE(WriteFileAtomic(dir_->Sub("ocirun"),
                                "#!/bin/sh\necho 'ocirun version 0.1.0'\necho 'spec: 1.1.0'\n",
                                0755)
                    .ok());
    ASSERT_TRUE(WriteFileAtomic(dir_->Sub("mountinfo"),
                                "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                                "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n")
                    .ok());
    SystemServiceImpl::Config config;
    config.readiness.root_dir = dir_->Sub("root");
    config.readiness.state_dir = dir_->Sub("state");
    config.readiness.runtime_path = dir_->Sub("ocirun");
    config.readiness.shim_path = dir_->Sub("missing-shim");
    config.readiness.mountinfo_path = dir_->Sub("mountinfo");
    config.id = "ABCD:EFGH";
    config.name = "testhost";
    config.socket_path = dir_->Sub("skiffd.sock");
    config.snapshotter = "overlay";
    config.run_checks = [this] { return checks_; };
    config.events_poll = absl::Milliseconds(20);
    service_ = std::make_unique<SystemServiceImpl>(*store_, bus_, std::move(config));

    socket_ = dir_->Sub("skiffd.sock");
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix://" + socket_, grpc::InsecureServerCredentials());
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr) << "cannot listen on " << socket_;
    stub_ = v1::SystemService::NewStub(
        grpc::CreateChannel("unix://" + socket_, grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (service_) service_->Shutdown();
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }

  std::vector<v1::ReadinessCheck> checks_ = {
      Check("cgroup", v1::ReadinessCheck::SEVERITY_OK),
      Check("seccomp", v1::ReadinessCheck::SEVERITY_OK),
      Check("overlay", v1::ReadinessCheck::SEVERITY_WARNING),
  };
  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<MetadataStore> store_;
  EventBus bus_;
  std::unique_ptr<SystemServiceImpl> service_;
  std::string socket_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::SystemService::Stub> stub_;
};

TEST_F(SystemServiceTest, PingReportsRecovery) {
  {
    grpc::ClientContext ctx;
    v1::PingResponse resp;
    ASSERT_TRUE(stub_->Ping(&ctx, v1::PingRequest(), &resp).ok());
    EXPECT_EQ(resp.api_version(), "1");
    EXPECT_TRUE(resp.ready());
  }
  service_->SetRecovering(true);
  grpc::ClientContext ctx;
  v1::PingResponse resp;
  ASSERT_TRUE(stub_->Ping(&ctx, v1::PingRequest(), &resp).ok());
  EXPECT_FALSE(resp.ready());
}

TEST_F(SystemServiceTest, VersionOfDaemonAndComponents) {
  grpc::ClientContext ctx;
  v1::VersionResponse resp;
  grpc::Status s = stub_->Version(&ctx, v1::VersionRequest(), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.version(), "0.1.0");
  EXPECT_EQ(resp.api_version(), kApiVersion);
  EXPECT_EQ(resp.os(), "linux");
  EXPECT_FALSE(resp.arch().empty());
  EXPECT_FALSE(resp.kernel_version().empty());
  ASSERT_EQ(resp.components_size(), 3);
  EXPECT_EQ(resp.components(0).name(), "skiffd");
  EXPECT_EQ(resp.components(0).version(), "0.1.0");
  EXPECT_EQ(resp.components(1).name(), "ocirun");
  EXPECT_EQ(resp.components(1).version(), "0.1.0");
  EXPECT_EQ(resp.components(1).details().at("path"), dir_->Sub("ocirun"));
  // A broken component is reported, not fatal.
  EXPECT_EQ(resp.components(2).name(), "skiff-shim");
  EXPECT_EQ(resp.components(2).version(), "");
  EXPECT_NE(resp.components(2).details().at("error").find("missing-shim"), std::string::npos);
}

TEST(VersionFromLine, TakesTheVersionWord) {
  EXPECT_EQ(VersionFromLine("ocirun version 0.1.0"), "0.1.0");
  EXPECT_EQ(VersionFromLine("skiff-shim v0.2.1"), "0.2.1");
  EXPECT_EQ(VersionFromLine("custom build"), "custom build");
  EXPECT_EQ(VersionFromLine("1.0"), "1.0");
}

TEST_F(SystemServiceTest, InfoCountsAndHost) {
  ASSERT_TRUE(store_
                  ->Write([](Tx& tx) -> absl::Status {
                    RETURN_IF_ERROR(tx.AddImage(Image("aaaa")));
                    RETURN_IF_ERROR(tx.AddImage(Image("bbbb")));
                    RETURN_IF_ERROR(
                        tx.AddContainer(Container(std::string(64, '1'), ContainerState::kRunning)));
                    RETURN_IF_ERROR(
                        tx.AddContainer(Container(std::string(64, '2'), ContainerState::kRunning)));
                    RETURN_IF_ERROR(
                        tx.AddContainer(Container(std::string(64, '3'), ContainerState::kPaused)));
                    RETURN_IF_ERROR(
                        tx.AddContainer(Container(std::string(64, '4'), ContainerState::kExited)));
                    return tx.AddContainer(
                        Container(std::string(64, '5'), ContainerState::kCreated));
                  })
                  .ok());
  grpc::ClientContext ctx;
  v1::InfoResponse resp;
  grpc::Status s = stub_->Info(&ctx, v1::InfoRequest(), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.id(), "ABCD:EFGH");
  EXPECT_EQ(resp.name(), "testhost");
  EXPECT_EQ(resp.containers(), 5);
  EXPECT_EQ(resp.containers_running(), 2);
  EXPECT_EQ(resp.containers_paused(), 1);
  EXPECT_EQ(resp.containers_stopped(), 2);
  EXPECT_EQ(resp.images(), 2);
  EXPECT_EQ(resp.server_version(), "0.1.0");
  EXPECT_EQ(resp.driver(), "overlay");
  EXPECT_EQ(resp.cgroup_driver(), "cgroupfs");
  // Hybrid hosts report 1.
  EXPECT_EQ(resp.cgroup_version(), "1");
  EXPECT_EQ(resp.os_type(), "linux");
  EXPECT_FALSE(resp.operating_system().empty());
  EXPECT_GT(resp.ncpu(), 0);
  EXPECT_GT(resp.mem_total(), 0);
  EXPECT_EQ(resp.root_dir(), dir_->Sub("root"));
  EXPECT_EQ(resp.socket_path(), dir_->Sub("skiffd.sock"));
  EXPECT_EQ(resp.runtime_path(), dir_->Sub("ocirun"));
  ASSERT_EQ(resp.security_options_size(), 1);
  EXPECT_EQ(resp.security_options(0), "name=seccomp,profile=builtin");
  ASSERT_EQ(resp.checks_size(), 3);
  EXPECT_EQ(resp.checks(2).fix(), "fix overlay");
  // A warning does not make the host unready.
  EXPECT_TRUE(resp.ready());
  EXPECT_EQ(resp.warnings_size(), 0);
}

TEST_F(SystemServiceTest, InfoRerunsChecksAndAnErrorMeansNotReady) {
  checks_.push_back(Check("runtime", v1::ReadinessCheck::SEVERITY_ERROR));
  service_->SetRecovering(true);
  grpc::ClientContext ctx;
  v1::InfoResponse resp;
  ASSERT_TRUE(stub_->Info(&ctx, v1::InfoRequest(), &resp).ok());
  EXPECT_FALSE(resp.ready());
  ASSERT_EQ(resp.checks_size(), 4);
  EXPECT_EQ(resp.checks(3).problem(), "runtime is broken");
  ASSERT_EQ(resp.warnings_size(), 1);
  EXPECT_NE(resp.warnings(0).find("recovering"), std::string::npos);
}

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  ts.set_nanos(
      static_cast<int32_t>((t - absl::FromUnixSeconds(ts.seconds())) / absl::Nanoseconds(1)));
  return ts;
}

TEST_F(SystemServiceTest, EventsReplayFilterAndLive) {
  const absl::Time start = absl::Now() - absl::Seconds(1);
  bus_.PublishContainer("create", std::string(64, 'a'), "web", "busybox", {});
  bus_.PublishImage("tag", "sha256:aaaa");

  grpc::ClientContext ctx;
  v1::EventsRequest req;
  *req.mutable_since() = Ts(start);
  v1::Filter* f = req.add_filters();
  f->set_key("type");
  f->set_value("container");
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader = stub_->Events(&ctx, req);

  v1::Event e;
  ASSERT_TRUE(reader->Read(&e));
  EXPECT_EQ(e.action(), "create");
  EXPECT_EQ(e.actor().attributes().at("name"), "web");

  // Live, after the replay; the image event was filtered out.
  std::thread publisher([this] {
    absl::SleepFor(absl::Milliseconds(50));
    bus_.PublishContainer("start", std::string(64, 'a'), "web", "busybox", {});
  });
  ASSERT_TRUE(reader->Read(&e));
  publisher.join();
  EXPECT_EQ(e.action(), "start");
  EXPECT_EQ(e.type(), v1::Event::TYPE_CONTAINER);

  // The client hangs up: the server notices and the stream ends.
  ctx.TryCancel();
  EXPECT_FALSE(reader->Read(&e));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(SystemServiceTest, EventsEndAtUntil) {
  bus_.PublishImage("load", "sha256:bbbb");
  grpc::ClientContext ctx;
  v1::EventsRequest req;
  *req.mutable_since() = Ts(absl::Now() - absl::Seconds(10));
  *req.mutable_until() = Ts(absl::Now() + absl::Milliseconds(100));
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader = stub_->Events(&ctx, req);
  std::vector<std::string> actions;
  v1::Event e;
  while (reader->Read(&e)) actions.push_back(e.action());
  grpc::Status s = reader->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(actions, std::vector<std::string>{"load"});
}

TEST_F(SystemServiceTest, EventsRejectBadRequests) {
  {
    grpc::ClientContext ctx;
    v1::EventsRequest req;
    v1::Filter* f = req.add_filters();
    f->set_key("nope");
    f->set_value("x");
    auto reader = stub_->Events(&ctx, req);
    v1::Event e;
    EXPECT_FALSE(reader->Read(&e));
    grpc::Status s = reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_NE(s.error_message().find("nope"), std::string::npos) << s.error_message();
  }
  grpc::ClientContext ctx;
  v1::EventsRequest req;
  *req.mutable_since() = Ts(absl::FromUnixSeconds(2000));
  *req.mutable_until() = Ts(absl::FromUnixSeconds(1000));
  auto reader = stub_->Events(&ctx, req);
  v1::Event e;
  EXPECT_FALSE(reader->Read(&e));
  grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("is after until"), std::string::npos) << s.error_message();
}

TEST_F(SystemServiceTest, ShutdownEndsOpenStreams) {
  grpc::ClientContext ctx;
  auto reader = stub_->Events(&ctx, v1::EventsRequest());
  std::thread stopper([this] {
    absl::SleepFor(absl::Milliseconds(100));
    service_->Shutdown();
  });
  v1::Event e;
  EXPECT_FALSE(reader->Read(&e));
  stopper.join();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace skiff::manager
