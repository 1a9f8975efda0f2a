#include "cli/stream.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include "cli/terminal.h"

namespace skiff::cli {
namespace {

void WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    // The reader went away (a closed pipe): keep draining the stream so the
    // container is not blocked, but drop the bytes.
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

// The shared machinery of both pumps; Attach and Exec messages have the same
// field names for stdin, resize, close_stdin, output, exit and detached.
template <typename Req, typename Resp>
class StreamPump {
 public:
  using Stream = grpc::ClientReaderWriterInterface<Req, Resp>;
  using Opener = std::function<std::unique_ptr<Stream>(grpc::ClientContext*)>;

  StreamPump(Opener opener, Req start, StreamOptions options)
      : opener_(std::move(opener)), start_(std::move(start)), options_(options) {}

  ~StreamPump() {
    if (reader_.joinable()) {
      ctx_.TryCancel();
      reader_.join();
    }
    StopStdin();
    if (stream_ && !finished_) (void)stream_->Finish();
    if (cancel_pipe_[0] >= 0) close(cancel_pipe_[0]);
    if (cancel_pipe_[1] >= 0) close(cancel_pipe_[1]);
  }

  void Begin(absl::Duration ack_timeout) {
    if (begun_) return;
    begun_ = true;
    if (pipe2(cancel_pipe_, O_CLOEXEC) != 0) cancel_pipe_[0] = cancel_pipe_[1] = -1;
    stream_ = opener_(&ctx_);
    if (!stream_->Write(start_)) {
      // The call already failed; Read returns false and Finish reports why.
    }
    reader_ = std::thread([this] { ReadLoop(); });
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoNanoseconds(ack_timeout), [this] { return acked_ || ended_; });
  }

  StreamResult Finish() {
    Begin(absl::ZeroDuration());
    std::optional<WinchWatcher> winch;
    if (options_.tty) {
      SendResize();
      winch.emplace([this] { SendResize(); });
    }
    if (options_.stdin_fd >= 0 && cancel_pipe_[0] >= 0) {
      stdin_thread_ = std::thread([this] { StdinLoop(); });
    }
    reader_.join();
    winch.reset();
    StopStdin();
    {
      std::lock_guard<std::mutex> lock(write_mu_);
      closed_ = true;
    }
    result_.status = stream_->Finish();
    finished_ = true;
    if (!result_.status.ok()) {
      result_.has_detail = ReadDetail(&result_.detail);
    }
    return std::move(result_);
  }

  void Cancel() { ctx_.TryCancel(); }

 private:
  bool ReadDetail(skiff::v1::ErrorDetail* detail) {
    const auto& trailers = ctx_.GetServerTrailingMetadata();
    auto it = trailers.find("skiff-error-detail-bin");
    if (it == trailers.end()) return false;
    return detail->ParseFromArray(it->second.data(), static_cast<int>(it->second.size()));
  }

  // The session is over: the server ends the call once we stop writing.
  void HalfClose() {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (closed_) return;
    closed_ = true;
    stream_->WritesDone();
  }

  bool Write(const Req& req) {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (closed_) return false;
    return stream_->Write(req);
  }

  void ReadLoop() {
    stream_->WaitForInitialMetadata();
    Signal([this] { acked_ = true; });
    Resp resp;
    while (stream_->Read(&resp)) {
      if (resp.has_output()) {
        const auto& frame = resp.output();
        int fd = frame.stream() == skiff::v1::STD_STREAM_STDERR ? options_.stderr_fd
                                                                : options_.stdout_fd;
        WriteAll(fd, frame.data());
      } else if (resp.has_exit()) {
        result_.exited = true;
        result_.exit = resp.exit();
        HalfClose();
      } else if (resp.msg_case() == Resp::kDetached) {
        result_.detached = true;
        HalfClose();
      } else if constexpr (std::is_same_v<Resp, skiff::v1::ExecResponse>) {
        if (resp.has_started()) result_.exec_id = resp.started().exec_id();
      }
    }
    Signal([this] { ended_ = true; });
    // Wake the stdin thread: nothing more will be read from it.
    if (cancel_pipe_[1] >= 0) {
      char c = 0;
      (void)!write(cancel_pipe_[1], &c, 1);
    }
  }

  void StdinLoop() {
    struct pollfd fds[2] = {{options_.stdin_fd, POLLIN, 0}, {cancel_pipe_[0], POLLIN, 0}};
    std::string buf(32 * 1024, '\0');
    for (;;) {
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[1].revents) return;
      if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(options_.stdin_fd, buf.data(), buf.size());
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        Req req;
        req.set_close_stdin(true);
        Write(req);
        return;
      }
      Req req;
      req.set_stdin(buf.data(), static_cast<size_t>(n));
      if (!Write(req)) return;
    }
  }

  void StopStdin() {
    if (!stdin_thread_.joinable()) return;
    if (cancel_pipe_[1] >= 0) {
      char c = 0;
      (void)!write(cancel_pipe_[1], &c, 1);
    }
    stdin_thread_.join();
  }

  void SendResize() {
    auto size = GetWindowSize(options_.tty_fd);
    if (!size.ok() || size->rows == 0) return;
    Req req;
    req.mutable_resize()->set_rows(size->rows);
    req.mutable_resize()->set_columns(size->columns);
    Write(req);
  }

  template <typename F>
  void Signal(F f) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      f();
    }
    cv_.notify_all();
  }

  Opener opener_;
  Req start_;
  StreamOptions options_;
  grpc::ClientContext ctx_;
  std::unique_ptr<Stream> stream_;
  bool begun_ = false, finished_ = false;
  std::thread reader_, stdin_thread_;
  int cancel_pipe_[2] = {-1, -1};

  std::mutex mu_;
  std::condition_variable cv_;
  bool acked_ = false, ended_ = false;

  std::mutex write_mu_;
  bool closed_ = false;

  StreamResult result_;
};

AttachPump::AttachPump(skiff::v1::ContainerService::StubInterface& stub,
                       skiff::v1::AttachStart start, StreamOptions options) {
  skiff::v1::AttachRequest req;
  *req.mutable_start() = std::move(start);
  impl_ = std::make_unique<StreamPump<skiff::v1::AttachRequest, skiff::v1::AttachResponse>>(
      [&stub](grpc::ClientContext* ctx) { return stub.Attach(ctx); }, std::move(req), options);
}

AttachPump::~AttachPump() = default;
void AttachPump::Begin(absl::Duration ack_timeout) { impl_->Begin(ack_timeout); }
StreamResult AttachPump::Finish() { return impl_->Finish(); }
void AttachPump::Cancel() { impl_->Cancel(); }

ExecPump::ExecPump(skiff::v1::ContainerService::StubInterface& stub, skiff::v1::ExecStart start,
                   StreamOptions options) {
  skiff::v1::ExecRequest req;
  *req.mutable_start() = std::move(start);
  impl_ = std::make_unique<StreamPump<skiff::v1::ExecRequest, skiff::v1::ExecResponse>>(
      [&stub](grpc::ClientContext* ctx) { return stub.Exec(ctx); }, std::move(req), options);
}

ExecPump::~ExecPump() = default;
StreamResult ExecPump::Run() { return impl_->Finish(); }

}  // namespace skiff::cli
