// pull, push, login, logout and run's pull of a missing image as a user sees
// them (output, errors, exit codes), against an in-process fake skiffd.

#include "cli/commands/registry_commands.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "cli/commands/container_common.h"

namespace skiff::cli {
namespace {

namespace v1 = ::skiff::v1;

constexpr char kImageId[] = "sha256:aaaa";
constexpr char kDigest[] =
    "sha256:4fb1e2d2b5a6b2d0e0b1c7a3f1d8e0a9b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2";

v1::Progress P(const std::string& id, const std::string& status, int64_t current = 0,
               int64_t total = 0) {
  v1::Progress p;
  p.set_id(id);
  p.set_status(status);
  p.set_current(current);
  p.set_total(total);
  return p;
}

class FakeImages final : public v1::ImageService::Service {
 public:
  std::mutex mu;
  bool have_image = false;  // Inspect finds it (and Pull then has nothing new)
  int pulls = 0;
  v1::PullImageRequest last_pull;
  v1::LoginRequest last_login;
  bool logged_in = true;

  grpc::Status Inspect(grpc::ServerContext*, const v1::InspectImageRequest* req,
                       v1::InspectImageResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu);
    if (!have_image)
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such image: " + req->ref());
    resp->mutable_image()->set_id(kImageId);
    return grpc::Status::OK;
  }
  grpc::Status Pull(grpc::ServerContext*, const v1::PullImageRequest* req,
                    grpc::ServerWriter<v1::PullImageResponse>* w) override {
    std::lock_guard<std::mutex> lock(mu);
    last_pull = *req;
    ++pulls;
    if (req->ref().find("nope") != std::string::npos) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "pull " + req->ref() + ": manifest unknown");
    }
    if (req->ref().find("old-daemon") != std::string::npos) {
      return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "");
    }
    if (req->ref().find("down") != std::string::npos) {  // skiffd's words for a dead registry
      v1::PullImageResponse last;  // as skiffd: the failure as a summary message, then the status
      last.mutable_progress()->set_error("cannot connect to registry 127.0.0.1:1");
      w->Write(last);
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "pulling " + req->ref() +
                              ": cannot connect to registry 127.0.0.1:1: Connection refused");
    }
    v1::PullImageResponse m;
    if (have_image) {
      *m.mutable_progress() = P("a46fbb00284b", "Already exists");
      w->Write(m);
    } else {
      for (const v1::Progress& p :
           {P("a46fbb00284b", "Pulling fs layer"), P("a46fbb00284b", "Downloading", 1000, 2000),
            P("a46fbb00284b", "Downloading", 2000, 2000), P("a46fbb00284b", "Pull complete")}) {
        *m.mutable_progress() = p;
        w->Write(m);
      }
    }
    v1::PullImageResponse last;
    last.mutable_progress()->set_status(std::string("Digest: ") + kDigest);
    last.set_image_id(kImageId);
    last.set_digest(kDigest);
    last.set_reference("127.0.0.1:5000/test/busybox:latest");
    w->Write(last);
    have_image = true;
    return grpc::Status::OK;
  }
  grpc::Status Push(grpc::ServerContext*, const v1::PushImageRequest* req,
                    grpc::ServerWriter<v1::PushImageResponse>* w) override {
    v1::PushImageResponse m;
    if (req->ref().find("nope") != std::string::npos) {
      m.mutable_progress()->set_error("no such image: " + req->ref());
      w->Write(m);
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such image: " + req->ref());
    }
    *m.mutable_progress() = P("a46fbb00284b", "Pushing", 10, 20);
    w->Write(m);
    *m.mutable_progress() = P("a46fbb00284b", "Pushed");
    w->Write(m);
    v1::PushImageResponse last;
    // skiffd words the summary line too; the CLI prints it once.
    last.mutable_progress()->set_status(std::string("1: digest: ") + kDigest + " size: 527");
    last.set_digest(kDigest);
    last.set_size(527);
    w->Write(last);
    return grpc::Status::OK;
  }
  grpc::Status Login(grpc::ServerContext*, const v1::LoginRequest* req,
                     v1::LoginResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu);
    last_login = *req;
    if (req->password() != "secret") {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "login to " + req->server() +
                              ": unauthorized: incorrect username or "
                              "password (realm \"registry\")");
    }
    resp->set_status("Login Succeeded");
    return grpc::Status::OK;
  }
  grpc::Status Logout(grpc::ServerContext*, const v1::LogoutRequest*,
                      v1::LogoutResponse* resp) override {
    resp->set_removed(logged_in);
    return grpc::Status::OK;
  }
};

class FakeContainers final : public v1::ContainerService::Service {
 public:
  FakeImages* images = nullptr;
  int creates = 0;
  grpc::Status Create(grpc::ServerContext*, const v1::CreateContainerRequest* req,
                      v1::CreateContainerResponse* resp) override {
    std::lock_guard<std::mutex> lock(images->mu);
    ++creates;
    if (!images->have_image) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "no such image: " + req->config().image() + ":latest");
    }
    resp->set_id("c0ffee");
    return grpc::Status::OK;
  }
  grpc::Status Start(grpc::ServerContext*, const v1::StartContainerRequest*,
                     v1::StartContainerResponse*) override {
    return grpc::Status::OK;
  }
};

class RegistryCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/skiff-reg-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    host_ = "unix://" + dir_ + "/skiffd.sock";
    containers_.images = &images_;
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
           const std::vector<std::string>& args) {
    out_.str("");
    err_.str("");
    Context ctx(host_, out_, err_);
    return verb(ctx, args);
  }
  // Runs `fn` with `fd` as stdin.
  template <typename F>
  int WithStdin(int fd, F fn) {
    int saved = dup(STDIN_FILENO);
    dup2(fd, STDIN_FILENO);
    int rc = fn();
    dup2(saved, STDIN_FILENO);
    close(saved);
    return rc;
  }

  std::string dir_, host_;
  FakeImages images_;
  FakeContainers containers_;
  std::unique_ptr<grpc::Server> server_;
  std::ostringstream out_, err_;
};

TEST_F(RegistryCommandsTest, PullOnAPipePrintsPlainLinesDigestStatusAndReference) {
  EXPECT_EQ(Call(Pull, {"127.0.0.1:5000/test/busybox"}), 0);
  EXPECT_EQ(images_.last_pull.ref(), "127.0.0.1:5000/test/busybox:latest");
  EXPECT_EQ(out_.str(),
            "Using default tag: latest\n"
            "latest: Pulling from test/busybox\n"
            "a46fbb00284b: Pulling fs layer\n"
            "a46fbb00284b: Downloading\n"
            "a46fbb00284b: Pull complete\n"
            "Digest: " +
                std::string(kDigest) +
                "\n"
                "Status: Downloaded newer image for 127.0.0.1:5000/test/busybox:latest\n"
                "127.0.0.1:5000/test/busybox:latest\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(RegistryCommandsTest, PullOfAnImageAlreadyThereSaysUpToDate) {
  images_.have_image = true;
  EXPECT_EQ(Call(Pull, {"--platform", "linux/arm64", "127.0.0.1:5000/test/busybox:1"}), 0);
  EXPECT_EQ(images_.last_pull.platform().architecture(), "arm64");
  EXPECT_NE(out_.str().find("Status: Image is up to date for 127.0.0.1:5000/test/busybox:1\n"),
            std::string::npos)
      << out_.str();
  EXPECT_EQ(out_.str().find("Using default tag"), std::string::npos);
  EXPECT_EQ(out_.str().rfind("1: Pulling from test/busybox\n", 0), 0u) << out_.str();
}

TEST_F(RegistryCommandsTest, PullByDigestKeepsTheDigest) {
  EXPECT_EQ(Call(Pull, {"localhost:5000/app@sha256:abc"}), 0);
  EXPECT_EQ(images_.last_pull.ref(), "localhost:5000/app@sha256:abc");
  EXPECT_EQ(out_.str().rfind("sha256:abc: Pulling from app\n", 0), 0u) << out_.str();
  EXPECT_EQ(Call(Pull, {"busybox"}), 0);
  EXPECT_EQ(images_.last_pull.ref(), "busybox:latest");
  EXPECT_NE(out_.str().find("latest: Pulling from busybox\n"), std::string::npos) << out_.str();
}

TEST_F(RegistryCommandsTest, PullQuietPrintsOnlyTheReference) {
  EXPECT_EQ(Call(Pull, {"-q", "127.0.0.1:5000/test/busybox"}), 0);
  EXPECT_EQ(out_.str(), "127.0.0.1:5000/test/busybox:latest\n");
}

TEST_F(RegistryCommandsTest, PullErrorsAreTheDaemonsWithExit1) {
  EXPECT_EQ(Call(Pull, {"127.0.0.1:5000/nope:1"}), 1);
  EXPECT_EQ(err_.str(),
            "Error response from daemon: pull 127.0.0.1:5000/nope:1: manifest unknown\n");
  EXPECT_EQ(Call(Pull, {"--platform", "amd64", "busybox"}), 125);
  EXPECT_NE(err_.str().find("invalid platform"), std::string::npos);
  EXPECT_EQ(Call(Pull, {}), 1);
  EXPECT_NE(err_.str().find("requires exactly 1 argument"), std::string::npos);
}

// The daemon's UNAVAILABLE (a registry it cannot reach) is its answer, not
// a daemon that cannot be reached; and nothing was pulled "from" anywhere.
TEST_F(RegistryCommandsTest, UnreachableRegistryIsTheDaemonsError) {
  EXPECT_EQ(Call(Pull, {"127.0.0.1:1/down"}), 1);
  EXPECT_EQ(err_.str(),
            "Error response from daemon: pulling 127.0.0.1:1/down:latest: cannot connect to "
            "registry 127.0.0.1:1: Connection refused\n");
  EXPECT_EQ(out_.str(), "Using default tag: latest\n");
}

TEST_F(RegistryCommandsTest, PullFromADaemonWithoutPullSaysSo) {
  EXPECT_EQ(Call(Pull, {"old-daemon"}), 1);
  EXPECT_EQ(
      err_.str(),
      "Error response from daemon: this skiffd cannot pull (UNIMPLEMENTED): upgrade skiffd\n");
}

TEST_F(RegistryCommandsTest, PushPrintsRepositoryProgressAndDigestLine) {
  EXPECT_EQ(Call(Push, {"127.0.0.1:5000/test/busybox:1"}), 0);
  EXPECT_EQ(out_.str(),
            "The push refers to repository [127.0.0.1:5000/test/busybox]\n"
            "a46fbb00284b: Pushing\n"
            "a46fbb00284b: Pushed\n"
            "1: digest: " +
                std::string(kDigest) + " size: 527\n");
  EXPECT_EQ(Call(Push, {"-q", "127.0.0.1:5000/test/busybox"}), 0);
  EXPECT_EQ(out_.str(), "127.0.0.1:5000/test/busybox:latest\n");
  EXPECT_EQ(Call(Push, {"127.0.0.1:5000/nope:1"}), 1);
  EXPECT_EQ(err_.str(), "Error response from daemon: no such image: 127.0.0.1:5000/nope:1\n");
  EXPECT_EQ(out_.str(), "The push refers to repository [127.0.0.1:5000/nope]\n");
}

TEST_F(RegistryCommandsTest, LoginWithFlags) {
  EXPECT_EQ(Call(Login, {"-u", "alice", "-p", "secret", "127.0.0.1:5000"}), 0);
  EXPECT_EQ(out_.str(), "Login Succeeded\n");
  EXPECT_NE(err_.str().find("WARNING! Using --password via the CLI is insecure"),
            std::string::npos);
  EXPECT_EQ(images_.last_login.server(), "127.0.0.1:5000");
  EXPECT_EQ(images_.last_login.username(), "alice");

  EXPECT_EQ(Call(Login, {"-u", "alice", "-p", "wrong", "127.0.0.1:5000"}), 1);
  EXPECT_NE(err_.str().find("Error response from daemon: login to 127.0.0.1:5000: unauthorized"),
            std::string::npos)
      << err_.str();
}

TEST_F(RegistryCommandsTest, LoginPasswordStdinTrimsTheNewline) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ASSERT_EQ(write(p[1], "secret\n", 7), 7);
  close(p[1]);
  int rc = WithStdin(p[0], [&] {
    return Call(Login, {"-u", "alice", "--password-stdin", "127.0.0.1:5000"});
  });
  close(p[0]);
  EXPECT_EQ(rc, 0) << err_.str();
  EXPECT_EQ(images_.last_login.password(), "secret");
  EXPECT_EQ(Call(Login, {"--password-stdin"}), 1);
  EXPECT_EQ(err_.str(), "Must provide --username with --password-stdin\n");
}

TEST_F(RegistryCommandsTest, LoginWithoutATerminalCannotPrompt) {
  int fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  int rc = WithStdin(fd, [&] { return Call(Login, {"127.0.0.1:5000"}); });
  close(fd);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(err_.str(), "Error: Cannot perform an interactive login from a non TTY device\n");
}

TEST_F(RegistryCommandsTest, LoginPromptsOnATerminalAndHidesThePassword) {
  int master = -1, slave = -1;
  ASSERT_EQ(openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  int rc = -1;
  std::thread login(
      [&] { rc = WithStdin(slave, [&] { return Call(Login, {"127.0.0.1:5000"}); }); });
  ASSERT_EQ(write(master, "alice\n", 6), 6);
  // The password is typed once echo is off, as a user would after the prompt.
  bool echo_off = false;
  for (int i = 0; i < 500 && !echo_off; ++i) {
    struct termios t;
    if (tcgetattr(slave, &t) == 0 && (t.c_lflag & ECHO) == 0) {
      echo_off = true;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  EXPECT_TRUE(echo_off);
  ASSERT_EQ(write(master, "secret\n", 7), 7);
  login.join();
  EXPECT_EQ(rc, 0) << err_.str();
  EXPECT_EQ(out_.str(), "Username: Password: \nLogin Succeeded\n");
  EXPECT_EQ(images_.last_login.username(), "alice");
  EXPECT_EQ(images_.last_login.password(), "secret");
  // What the terminal showed: the username echoed, never the password.
  fcntl(master, F_SETFL, O_NONBLOCK);
  std::string shown;
  char buf[256];
  for (ssize_t n; (n = read(master, buf, sizeof buf)) > 0;) shown.append(buf, n);
  EXPECT_NE(shown.find("alice"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("secret"), std::string::npos) << shown;
  close(master);
  close(slave);
}

TEST_F(RegistryCommandsTest, LogoutSaysWhetherThereWereCredentials) {
  EXPECT_EQ(Call(Logout, {"127.0.0.1:5000"}), 0);
  EXPECT_EQ(out_.str(), "Removing login credentials for 127.0.0.1:5000\n");
  images_.logged_in = false;
  EXPECT_EQ(Call(Logout, {"127.0.0.1:5000"}), 0);
  EXPECT_EQ(out_.str(), "Not logged in to 127.0.0.1:5000\n");
}

TEST_F(RegistryCommandsTest, RunOfAMissingImagePullsItThenCreates) {
  EXPECT_EQ(Call(container::Run, {"-d", "busybox"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "c0ffee\n");
  EXPECT_EQ(containers_.creates, 2);
  EXPECT_EQ(images_.pulls, 1);
  EXPECT_EQ(images_.last_pull.ref(), "busybox:latest");
  // Everything about the pull goes to stderr; stdout keeps only the id.
  EXPECT_EQ(err_.str().rfind("Unable to find image 'busybox:latest' locally\n"
                             "latest: Pulling from busybox\n",
                             0),
            0u)
      << err_.str();
  EXPECT_NE(err_.str().find("a46fbb00284b: Pull complete\n"), std::string::npos);
  EXPECT_TRUE(absl::EndsWith(err_.str(), "Status: Downloaded newer image for busybox:latest\n"))
      << err_.str();
}

TEST_F(RegistryCommandsTest, RunQuietPullsSilently) {
  EXPECT_EQ(Call(container::Run, {"-d", "-q", "busybox"}), 0) << err_.str();
  EXPECT_EQ(images_.pulls, 1);
  EXPECT_EQ(out_.str(), "c0ffee\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(RegistryCommandsTest, RunAgainstADaemonWithoutPullReportsTheMissingImage) {
  EXPECT_EQ(Call(container::Run, {"-d", "old-daemon"}), 125);
  EXPECT_EQ(images_.pulls, 1);
  EXPECT_EQ(err_.str(),
            "skiff: Error response from daemon: no such image: old-daemon:latest.\n"
            "See 'skiff run --help'.\n");
}

TEST_F(RegistryCommandsTest, CreateWithPullNeverDoesNotPull) {
  EXPECT_EQ(Call(container::Create, {"--pull", "never", "busybox"}), 125);
  EXPECT_EQ(images_.pulls, 0);
  EXPECT_NE(err_.str().find("no such image: busybox:latest"), std::string::npos) << err_.str();
  EXPECT_EQ(err_.str().find("Unable to find image"), std::string::npos);
}

TEST_F(RegistryCommandsTest, RunWithPullAlwaysPullsFirst) {
  images_.have_image = true;
  EXPECT_EQ(Call(container::Run, {"-d", "--pull", "always", "busybox:1"}), 0) << err_.str();
  EXPECT_EQ(images_.pulls, 1);
  EXPECT_EQ(containers_.creates, 1);
  EXPECT_NE(err_.str().find("Status: Image is up to date for busybox:1\n"), std::string::npos)
      << err_.str();
}

TEST_F(RegistryCommandsTest, RunWhosePullFailsReportsThePullError) {
  EXPECT_EQ(Call(container::Run, {"-d", "nope"}), 125);
  EXPECT_EQ(containers_.creates, 1);
  EXPECT_NE(
      err_.str().find("skiff: Error response from daemon: pull nope:latest: manifest unknown."),
      std::string::npos)
      << err_.str();
}

}  // namespace
}  // namespace skiff::cli
