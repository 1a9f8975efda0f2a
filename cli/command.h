#pragma once
// What every skiff subcommand gets: the daemon connection, the terminal, the
// output streams; and how commands register. Exit codes as docker's: 0 ok,
// 1 a command's error (daemon said no), 125 a skiff or daemon failure for
// run/create/start-like commands, 126/127 the container's command could not
// be invoked / found, else the container's own exit code.

#include <grpcpp/grpcpp.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "proto/skiff/v1/container.grpc.pb.h"
#include "proto/skiff/v1/image.grpc.pb.h"
#include "proto/skiff/v1/system.grpc.pb.h"

namespace skiff::cli {

class Context {
 public:
  // `host`: "unix:///run/skiff/skiffd.sock" form (from -H or SKIFF_HOST).
  Context(std::string host, std::ostream& out, std::ostream& err);

  skiff::v1::ContainerService::Stub& containers();
  skiff::v1::ImageService::Stub& images();
  skiff::v1::SystemService::Stub& system();

  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  bool stdin_is_tty() const;
  bool stdout_is_tty() const;
  const std::string& host() const { return host_; }

  // Prints "Error response from daemon: <message>" (or, when the daemon is
  // unreachable, "Cannot connect to the skiff daemon at unix://...: is skiffd
  // running?") to err() and returns `code`.
  int Fail(const grpc::Status& status, int code = 1);
  // The text Fail prints, without the newline ("Error response from daemon:
  // no such container: web"), for callers that decorate it (run's "skiff: ").
  std::string ErrorText(const grpc::Status& status) const;
  // Prints "<message>" plus "See 'skiff <cmd> --help'." and returns `code`.
  int UsageError(const std::string& cmd, const std::string& message, int code = 125);

 private:
  std::shared_ptr<grpc::Channel> Channel();
  std::string host_;
  std::ostream& out_;
  std::ostream& err_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<skiff::v1::ContainerService::Stub> containers_;
  std::unique_ptr<skiff::v1::ImageService::Stub> images_;
  std::unique_ptr<skiff::v1::SystemService::Stub> system_;
};

struct Command {
  // "run", or "image ls" for a management subcommand; aliases listed too
  // ("images" and "image ls" both register).
  std::string name;
  std::string summary;
  // args: what follows the command name.
  int (*run)(Context& ctx, const std::vector<std::string>& args);
};

// Each command family adds its commands.
void AddContainerCommands(std::vector<Command>& commands);  // container_commands.cc
void AddImageCommands(std::vector<Command>& commands);      // image_commands.cc
void AddSystemCommands(std::vector<Command>& commands);     // system_commands.cc

// The ErrorDetail the daemon attached to a failed call, if any.
bool ReadErrorDetail(const grpc::ClientContext& ctx, skiff::v1::ErrorDetail* detail);

}  // namespace skiff::cli
