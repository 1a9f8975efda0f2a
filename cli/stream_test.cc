// The CLI's stream pumps and its foreground flow (run without -d) against an
// in-process fake ContainerService on a unix socket.

#include "cli/stream.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "cli/foreground.h"

namespace skiff::cli {
namespace {

using skiff::v1::AttachRequest;
using skiff::v1::AttachResponse;
using skiff::v1::ExecRequest;
using skiff::v1::ExecResponse;

// One container whose "program" runs when Start is called: it writes
// "hello\n" to stdout and "oops\n" to stderr, echoes stdin to stdout and
// exits with `exit_code` when its stdin is closed (or at once if
// `exit_at_start`). Typing ctrl-p ctrl-q detaches, as the daemon does.
class FakeContainers final : public skiff::v1::ContainerService::Service {
 public:
  int exit_code = 0;
  bool exit_at_start = true;
  bool start_fails_not_found = false;
  bool attach_acks = true;
  bool attach_before_start = false;  // observed order of calls

  grpc::Status Start(grpc::ServerContext* ctx, const skiff::v1::StartContainerRequest*,
                     skiff::v1::StartContainerResponse*) override {
    if (start_fails_not_found) {
      skiff::v1::ErrorDetail d;
      d.set_reason(skiff::v1::ErrorDetail::REASON_COMMAND_NOT_FOUND);
      ctx->AddTrailingMetadata("skiff-error-detail-bin", d.SerializeAsString());
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "exec: \"nope\": not found in $PATH");
    }
    std::lock_guard<std::mutex> lock(mu_);
    attach_before_start = attached_;
    started_ = true;
    cv_.notify_all();
    return grpc::Status::OK;
  }

  grpc::Status Wait(grpc::ServerContext* ctx, const skiff::v1::WaitContainerRequest*,
                    grpc::ServerWriter<skiff::v1::WaitContainerResponse>* writer) override {
    skiff::v1::WaitContainerResponse w;
    w.set_waiting(true);
    writer->Write(w);
    std::unique_lock<std::mutex> lock(mu_);
    while (!exited_ && !ctx->IsCancelled()) cv_.wait_for(lock, std::chrono::milliseconds(20));
    if (ctx->IsCancelled()) return grpc::Status::CANCELLED;
    skiff::v1::WaitContainerResponse done;
    done.mutable_exit()->set_exit_code(exit_code);
    writer->Write(done);
    return grpc::Status::OK;
  }

  grpc::Status Attach(grpc::ServerContext* ctx,
                      grpc::ServerReaderWriter<AttachResponse, AttachRequest>* stream) override {
    AttachRequest req;
    if (!stream->Read(&req) || !req.has_start()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "first message is not start");
    }
    {
      std::unique_lock<std::mutex> lock(mu_);
      attached_ = true;
    }
    if (attach_acks) stream->SendInitialMetadata();
    {
      std::unique_lock<std::mutex> lock(mu_);
      while (!started_ && !ctx->IsCancelled()) cv_.wait_for(lock, std::chrono::milliseconds(20));
      if (!started_) return grpc::Status::CANCELLED;
    }
    Output(stream, skiff::v1::STD_STREAM_STDOUT, "hello\n");
    Output(stream, skiff::v1::STD_STREAM_STDERR, "oops\n");
    if (!exit_at_start) {
      while (stream->Read(&req)) {
        if (req.has_stdin()) {
          if (req.stdin().find("\x10\x11") != std::string::npos) {
            AttachResponse r;
            r.set_detached(true);
            stream->Write(r);
            return grpc::Status::OK;
          }
          Output(stream, skiff::v1::STD_STREAM_STDOUT, req.stdin());
        } else if (req.has_close_stdin()) {
          break;
        }
      }
    }
    Exit();
    AttachResponse r;
    r.mutable_exit()->set_exit_code(exit_code);
    stream->Write(r);
    return grpc::Status::OK;
  }

  grpc::Status Exec(grpc::ServerContext*,
                    grpc::ServerReaderWriter<ExecResponse, ExecRequest>* stream) override {
    ExecRequest req;
    if (!stream->Read(&req) || !req.has_start()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "first message is not start");
    }
    ExecResponse started;
    started.mutable_started()->set_exec_id("exec-1");
    stream->Write(started);
    if (req.start().detach()) return grpc::Status::OK;
    std::string all;
    while (stream->Read(&req)) {
      if (req.has_stdin()) all += req.stdin();
      if (req.has_close_stdin()) break;
    }
    ExecResponse out;
    out.mutable_output()->set_stream(skiff::v1::STD_STREAM_STDOUT);
    out.mutable_output()->set_data("got:" + all);
    stream->Write(out);
    ExecResponse exit;
    exit.mutable_exit()->set_exit_code(static_cast<int>(all.size()));
    stream->Write(exit);
    return grpc::Status::OK;
  }

 private:
  template <typename S>
  static void Output(S* stream, skiff::v1::StdStream which, const std::string& data) {
    AttachResponse r;
    r.mutable_output()->set_stream(which);
    r.mutable_output()->set_data(data);
    stream->Write(r);
  }
  void Exit() {
    std::lock_guard<std::mutex> lock(mu_);
    exited_ = true;
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool attached_ = false, started_ = false, exited_ = false;
};

// Reads everything from a pipe on a thread, so writers never block.
class Capture {
 public:
  Capture() {
    EXPECT_EQ(pipe2(fds_, O_CLOEXEC), 0);
    thread_ = std::thread([this] {
      char buf[256];
      ssize_t n;
      while ((n = read(fds_[0], buf, sizeof buf)) > 0) data_.append(buf, static_cast<size_t>(n));
    });
  }
  ~Capture() {
    if (thread_.joinable()) Take();
  }
  int fd() const { return fds_[1]; }
  std::string Take() {
    close(fds_[1]);
    thread_.join();
    close(fds_[0]);
    return data_;
  }

 private:
  int fds_[2];
  std::thread thread_;
  std::string data_;
};

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Not TEST_TMPDIR: a socket path must fit in sun_path (108 bytes).
    char dir[] = "/tmp/skiff-cli-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    address_ = "unix://" + dir_ + "/skiffd.sock";
  }
  void StartServer() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address_, grpc::InsecureServerCredentials());
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = skiff::v1::ContainerService::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    unlink((dir_ + "/skiffd.sock").c_str());
    rmdir(dir_.c_str());
  }

  ForegroundOptions Options(int stdin_fd, int out, int err) {
    ForegroundOptions o;
    o.attach.set_id("c1");
    o.attach.set_stdin(stdin_fd >= 0);
    o.stream.stdin_fd = stdin_fd;
    o.stream.stdout_fd = out;
    o.stream.stderr_fd = err;
    o.attach_ack_timeout = absl::Seconds(5);
    return o;
  }

  std::string dir_, address_;
  FakeContainers fake_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<skiff::v1::ContainerService::Stub> stub_;
};

TEST_F(StreamTest, ExitCodeAndDemultiplexedOutputAreReported) {
  fake_.exit_code = 42;
  StartServer();
  Capture out, err;
  ForegroundResult r = RunInForeground(*stub_, Options(-1, out.fd(), err.fd()));
  EXPECT_EQ(r.exit_code, 42);
  EXPECT_FALSE(r.detached);
  EXPECT_TRUE(r.failed_call.empty()) << r.failed_call << ": " << r.error.error_message();
  EXPECT_EQ(out.Take(), "hello\n");
  EXPECT_EQ(err.Take(), "oops\n");
  EXPECT_TRUE(fake_.attach_before_start);
}

TEST_F(StreamTest, StdinIsForwardedAndItsEndClosesTheContainersStdin) {
  fake_.exit_at_start = false;
  fake_.exit_code = 3;
  StartServer();
  int in[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(write(in[1], "ping\n", 5), 5);
  close(in[1]);
  Capture out, err;
  ForegroundResult r = RunInForeground(*stub_, Options(in[0], out.fd(), err.fd()));
  close(in[0]);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(out.Take(), "hello\nping\n");
}

TEST_F(StreamTest, DetachKeysLeaveTheContainerRunningAndExitZero) {
  fake_.exit_at_start = false;
  fake_.exit_code = 9;
  StartServer();
  int in[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(write(in[1], "\x10\x11", 2), 2);  // ctrl-p ctrl-q; stdin stays open
  Capture out, err;
  ForegroundResult r = RunInForeground(*stub_, Options(in[0], out.fd(), err.fd()));
  EXPECT_TRUE(r.detached);
  EXPECT_EQ(r.exit_code, 0);
  close(in[1]);
  close(in[0]);
}

TEST_F(StreamTest, CommandNotFoundAtStartExits127) {
  fake_.start_fails_not_found = true;
  StartServer();
  Capture out, err;
  ForegroundResult r = RunInForeground(*stub_, Options(-1, out.fd(), err.fd()));
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_EQ(r.failed_call, "start");
  EXPECT_EQ(r.error.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(r.error.error_message().find("nope"), std::string::npos);
}

TEST_F(StreamTest, WithoutAnAttachAckTheAckTimeoutBoundsTheDelay) {
  fake_.attach_acks = false;
  fake_.exit_code = 1;
  StartServer();
  Capture out, err;
  ForegroundOptions o = Options(-1, out.fd(), err.fd());
  o.attach_ack_timeout = absl::Milliseconds(100);
  absl::Time t0 = absl::Now();
  ForegroundResult r = RunInForeground(*stub_, o);
  EXPECT_LT(absl::Now() - t0, absl::Seconds(3));
  EXPECT_EQ(r.exit_code, 1);
}

TEST_F(StreamTest, UnreachableDaemonFailsTheWaitWith125) {
  stub_ = skiff::v1::ContainerService::NewStub(
      grpc::CreateChannel(address_ + ".none", grpc::InsecureChannelCredentials()));
  ForegroundResult r = RunInForeground(*stub_, Options(-1, 1, 2));
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_EQ(r.failed_call, "wait");
  EXPECT_EQ(r.error.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(StreamTest, ExecPumpReportsStartedExitAndOutput) {
  StartServer();
  int in[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(write(in[1], "abc", 3), 3);
  close(in[1]);
  Capture out, err;
  skiff::v1::ExecStart start;
  start.set_id("c1");
  start.mutable_process()->add_args("cat");
  start.set_attach_stdin(true);
  ExecPump pump(*stub_, start, {.stdin_fd = in[0], .stdout_fd = out.fd(), .stderr_fd = err.fd()});
  StreamResult r = pump.Run();
  close(in[0]);
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.exec_id, "exec-1");
  ASSERT_TRUE(r.exited);
  EXPECT_EQ(r.exit.exit_code(), 3);
  EXPECT_EQ(out.Take(), "got:abc");
}

TEST_F(StreamTest, DetachedExecEndsAfterStarted) {
  StartServer();
  skiff::v1::ExecStart start;
  start.set_id("c1");
  start.mutable_process()->add_args("sleep");
  start.set_detach(true);
  ExecPump pump(*stub_, start, {});
  StreamResult r = pump.Run();
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.exec_id, "exec-1");
  EXPECT_FALSE(r.exited);
}

}  // namespace
}  // namespace skiff::cli
