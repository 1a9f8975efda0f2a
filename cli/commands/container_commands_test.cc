// The container verbs as a user sees them (output, errors, exit codes),
// against an in-process fake skiffd on a unix socket.

#include <gtest/gtest.h>
#include <unistd.h>

#include <mutex>
#include <sstream>

#include "cli/commands/container_common.h"

namespace skiff::cli::container {
namespace {

namespace v1 = ::skiff::v1;

constexpr char kId[] = "4a7f7eebae0f63178aff7eb0aa39cd3f0627a203ab2df258c1a00b456cf20063";

class FakeContainers final : public v1::ContainerService::Service {
 public:
  std::mutex mu;
  v1::CreateContainerRequest last_create;
  bool start_not_found = false;

  grpc::Status Create(grpc::ServerContext*, const v1::CreateContainerRequest* req,
                      v1::CreateContainerResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu);
    last_create = *req;
    if (req->config().image() == "nope") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such image: nope:latest");
    }
    resp->set_id(kId);
    return grpc::Status::OK;
  }
  grpc::Status Start(grpc::ServerContext* ctx, const v1::StartContainerRequest*,
                     v1::StartContainerResponse*) override {
    if (start_not_found) {
      v1::ErrorDetail d;
      d.set_reason(v1::ErrorDetail::REASON_COMMAND_NOT_FOUND);
      ctx->AddTrailingMetadata("skiff-error-detail-bin", d.SerializeAsString());
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "exec: \"nope\": executable file not found in $PATH");
    }
    return grpc::Status::OK;
  }
  grpc::Status Stop(grpc::ServerContext*, const v1::StopContainerRequest* req,
                    v1::StopContainerResponse*) override {
    if (req->id() != "web") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such container: " + req->id());
    }
    return grpc::Status::OK;
  }
  grpc::Status Inspect(grpc::ServerContext*, const v1::InspectContainerRequest* req,
                       v1::InspectContainerResponse* resp) override {
    if (req->id() != "web") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such container: " + req->id());
    }
    resp->mutable_container()->set_id(kId);
    resp->mutable_container()->set_name("web");
    return grpc::Status::OK;
  }
  grpc::Status List(grpc::ServerContext*, const v1::ListContainersRequest* req,
                    v1::ListContainersResponse* resp) override {
    auto* c = resp->add_containers();
    c->set_id(kId);
    c->set_name("web");
    c->set_image("busybox");
    c->set_command("sleep 100");
    c->set_status(v1::CONTAINER_STATUS_CREATED);
    c->mutable_created()->set_seconds(absl::ToUnixSeconds(absl::Now()) - 300);
    return grpc::Status::OK;
  }
};

class FakeImages final : public v1::ImageService::Service {
  grpc::Status Inspect(grpc::ServerContext*, const v1::InspectImageRequest* req,
                       v1::InspectImageResponse*) override {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such image: " + req->ref());
  }
};

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/skiff-cmd-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    host_ = "unix://" + dir_ + "/skiffd.sock";
    grpc::ServerBuilder builder;
    builder.AddListeningPort(host_, grpc::InsecureServerCredentials());
    builder.RegisterService(&containers_);
    builder.RegisterService(&images_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    unlink((dir_ + "/skiffd.sock").c_str());
    rmdir(dir_.c_str());
  }
  int Call(int (*verb)(Context&, const std::vector<std::string>&),
           const std::vector<std::string>& args, const std::string& host = "") {
    out_.str("");
    err_.str("");
    Context ctx(host.empty() ? host_ : host, out_, err_);
    return verb(ctx, args);
  }

  std::string dir_, host_;
  FakeContainers containers_;
  FakeImages images_;
  std::unique_ptr<grpc::Server> server_;
  std::ostringstream out_, err_;
};

TEST_F(CommandsTest, RunDetachedPrintsTheFullIdAndSendsTheFlags) {
  EXPECT_EQ(Call(container::Run, {"-d", "--name", "web", "-e", "A=1", "busybox", "sleep", "100"}),
            0);
  EXPECT_EQ(out_.str(), std::string(kId) + "\n");
  EXPECT_EQ(containers_.last_create.name(), "web");
  EXPECT_EQ(containers_.last_create.config().env(0), "A=1");
  EXPECT_EQ(containers_.last_create.config().cmd().values(1), "100");
}

TEST_F(CommandsTest, RunWithMissingImageExits125WithDockersMessage) {
  EXPECT_EQ(Call(container::Run, {"-d", "nope"}), 125);
  EXPECT_EQ(err_.str(),
            "skiff: Error response from daemon: no such image: nope:latest.\n"
            "See 'skiff run --help'.\n");
}

TEST_F(CommandsTest, RunWhoseCommandIsNotFoundExits127) {
  containers_.start_not_found = true;
  EXPECT_EQ(Call(container::Run, {"-d", "busybox", "nope"}), 127);
  EXPECT_NE(err_.str().find("executable file not found"), std::string::npos);
  EXPECT_EQ(err_.str().find("See 'skiff run --help'"), std::string::npos);
}

TEST_F(CommandsTest, RunFlagErrorsExit125) {
  EXPECT_EQ(Call(container::Run, {"--restart", "bogus", "busybox"}), 125);
  EXPECT_NE(err_.str().find("skiff: invalid restart policy"), std::string::npos);
  EXPECT_EQ(Call(container::Run, {"--bogus", "busybox"}), 125);
  EXPECT_EQ(err_.str(), "unknown flag: --bogus\nSee 'skiff run --help'.\n");
}

TEST_F(CommandsTest, CreatePrintsId) {
  EXPECT_EQ(Call(container::Create, {"busybox"}), 0);
  EXPECT_EQ(out_.str(), std::string(kId) + "\n");
}

TEST_F(CommandsTest, PsTableAndQuiet) {
  EXPECT_EQ(Call(Ps, {"-a"}), 0);
  std::string table = out_.str();
  EXPECT_EQ(
      table.rfind(
          "CONTAINER ID   IMAGE     COMMAND       CREATED         STATUS    PORTS     NAMES\n", 0),
      0u)
      << table;
  EXPECT_NE(table.find(
                "4a7f7eebae0f   busybox   \"sleep 100\"   5 minutes ago   Created             web"),
            std::string::npos)
      << table;
  EXPECT_EQ(Call(Ps, {"-q"}), 0);
  EXPECT_EQ(out_.str(), "4a7f7eebae0f\n");
  EXPECT_EQ(Call(Ps, {"--format", "{{.Names}}:{{.State}}"}), 0);
  EXPECT_EQ(out_.str(), "web:created\n");
  EXPECT_EQ(Call(Ps, {"-f", "novalue"}), 125);
}

// Through the registry, as main dispatches it.
int (*Registered(const std::string& name))(Context&, const std::vector<std::string>&) {
  std::vector<Command> commands;
  AddContainerCommands(commands);
  for (const Command& c : commands) {
    if (c.name == name) return c.run;
  }
  return nullptr;
}

TEST_F(CommandsTest, EveryVerbHasAContainerAlias) {
  for (const char* verb :
       {"attach",  "create",  "exec", "kill",  "logs",  "pause", "port",  "rename",
        "restart", "rm",      "run",  "start", "stats", "stop",  "top",   "unpause",
        "wait",    "inspect", "ls",   "ps",    "list",  "prune", "remove"}) {
    EXPECT_NE(Registered(std::string("container ") + verb), nullptr) << verb;
  }
  EXPECT_NE(Registered("ps"), nullptr);
}

TEST_F(CommandsTest, StopReportsEachFailureAndExits1) {
  auto stop = Registered("stop");
  ASSERT_NE(stop, nullptr);
  EXPECT_EQ(Call(stop, {"web", "ghost", "-t", "3"}), 1);
  EXPECT_EQ(out_.str(), "web\n");
  EXPECT_EQ(err_.str(), "Error response from daemon: no such container: ghost\n");
  EXPECT_EQ(Call(stop, {}), 1);
  EXPECT_EQ(err_.str().rfind("\"skiff stop\" requires at least 1 argument.\n", 0), 0u);
  EXPECT_EQ(Call(stop, {"--help"}), 0);
  EXPECT_NE(out_.str().find("Usage:  skiff stop"), std::string::npos);
}

TEST_F(CommandsTest, PortWithoutNetworkingHasNoPublicPort) {
  auto port = Registered("port");
  EXPECT_EQ(Call(port, {"web"}), 0);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(Call(port, {"web", "80"}), 1);
  EXPECT_EQ(err_.str(), "Error: No public port '80/tcp' published for web\n");
}

TEST_F(CommandsTest, InspectMissingObjectPrintsEmptyArrayAndError) {
  EXPECT_EQ(Call(Inspect, {"ghost"}), 1);
  EXPECT_EQ(out_.str(), "[]\n");
  EXPECT_EQ(err_.str(), "Error: No such object: ghost\n");
  EXPECT_EQ(Call(Inspect, {"--format", "{{.Name}}", "web"}), 0);
  EXPECT_EQ(out_.str(), "/web\n");
  EXPECT_EQ(Call(InspectContainer, {"ghost"}), 1);
  EXPECT_EQ(err_.str(), "Error: No such container: ghost\n");
}

TEST_F(CommandsTest, UnreachableDaemon) {
  EXPECT_EQ(Call(Ps, {}, "unix://" + dir_ + "/nothing.sock"), 1);
  EXPECT_EQ(err_.str(), "Cannot connect to the skiff daemon at unix://" + dir_ +
                            "/nothing.sock: is skiffd running?\n");
}

TEST(ParseTimestampTest, DockerForms) {
  absl::Time now = absl::FromUnixSeconds(1700000000);
  EXPECT_EQ(*ParseTimestamp("10m", now), now - absl::Minutes(10));
  EXPECT_EQ(*ParseTimestamp("1h30m", now), now - absl::Minutes(90));
  EXPECT_EQ(*ParseTimestamp("1600000000", now), absl::FromUnixSeconds(1600000000));
  EXPECT_EQ(*ParseTimestamp("1600000000.5", now),
            absl::FromUnixSeconds(1600000000) + absl::Milliseconds(500));
  EXPECT_EQ(*ParseTimestamp("2023-11-14T22:13:20Z", now), now);
  EXPECT_EQ(*ParseTimestamp("2023-11-14T23:13:20+01:00", now), now);
  EXPECT_EQ(*ParseTimestamp("2023-11-14T22:13:20", now, absl::UTCTimeZone()), now);
  EXPECT_EQ(*ParseTimestamp("2023-11-14", now, absl::UTCTimeZone()),
            now - absl::Hours(22) - absl::Minutes(13) - absl::Seconds(20));
  EXPECT_FALSE(ParseTimestamp("yesterday", now).ok());
  EXPECT_FALSE(ParseTimestamp("", now).ok());
}

}  // namespace
}  // namespace skiff::cli::container
