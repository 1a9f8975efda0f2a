#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"

namespace skiff::cli {

Context::Context(std::string host, std::ostream& out, std::ostream& err)
    : host_(std::move(host)), out_(out), err_(err) {
  // gRPC wants "unix:" targets; docker also accepts a bare socket path.
  if (!host_.empty() && host_[0] == '/') host_ = "unix://" + host_;
}

std::shared_ptr<grpc::Channel> Context::Channel() {
  if (!channel_) {
    grpc::ChannelArguments args;
    // Output chunks and loaded layers can be large; the daemon bounds them.
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    channel_ = grpc::CreateCustomChannel(host_, grpc::InsecureChannelCredentials(), args);
  }
  return channel_;
}

skiff::v1::ContainerService::Stub& Context::containers() {
  if (!containers_) containers_ = skiff::v1::ContainerService::NewStub(Channel());
  return *containers_;
}

skiff::v1::ImageService::Stub& Context::images() {
  if (!images_) images_ = skiff::v1::ImageService::NewStub(Channel());
  return *images_;
}

skiff::v1::SystemService::Stub& Context::system() {
  if (!system_) system_ = skiff::v1::SystemService::NewStub(Channel());
  return *system_;
}

bool Context::stdin_is_tty() const { return isatty(STDIN_FILENO) == 1; }
bool Context::stdout_is_tty() const { return isatty(STDOUT_FILENO) == 1; }

std::string Context::ErrorText(const grpc::Status& status) const {
  const std::string& msg = status.error_message();
  // The daemon answers UNAVAILABLE too (shutting down, a registry it cannot
  // reach), in its own words, which may well mention "connect". Failing to
  // reach the daemon is the gRPC core's: no message, or one of its phrasings
  // at the start ("failed to connect to all addresses; last error: ...").
  bool unreachable = false;
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    unreachable = msg.empty();
    for (const char* core : {"failed to connect to all addresses", "Connection refused",
                             "Connection reset", "Socket closed", "Broken pipe"}) {
      unreachable = unreachable || absl::StartsWith(msg, core);
    }
  }
  if (!unreachable) return "Error response from daemon: " + msg;
  std::string text = "Cannot connect to the skiff daemon at " + host_ + ": is skiffd running?";
  if (absl::StrContains(msg, "Permission denied")) {
    text += " (permission denied on the socket: run as root or as a member of its group)";
  }
  return text;
}

int Context::Fail(const grpc::Status& status, int code) {
  err_ << ErrorText(status) << "\n";
  err_.flush();
  return code;
}

int Context::UsageError(const std::string& cmd, const std::string& message, int code) {
  err_ << message << "\nSee 'skiff " << cmd << " --help'.\n";
  err_.flush();
  return code;
}

bool ReadErrorDetail(const grpc::ClientContext& ctx, skiff::v1::ErrorDetail* detail) {
  const auto& trailers = ctx.GetServerTrailingMetadata();
  auto it = trailers.find("skiff-error-detail-bin");
  if (it == trailers.end()) return false;
  return detail->ParseFromArray(it->second.data(), static_cast<int>(it->second.size()));
}

}  // namespace skiff::cli
