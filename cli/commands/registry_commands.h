#pragma once
// The registry verbs (pull, push, login, logout) and the pull that run and
// create do for an image that is not there yet.

#include <ostream>
#include <string>
#include <vector>

#include "cli/command.h"

namespace skiff::cli {

void AddRegistryCommands(std::vector<Command>& commands);

// The verbs, for tests and aliases.
int Pull(Context& ctx, const std::vector<std::string>& args);
int Push(Context& ctx, const std::vector<std::string>& args);
int Login(Context& ctx, const std::vector<std::string>& args);
int Logout(Context& ctx, const std::vector<std::string>& args);

struct PullOptions {
  std::string ref;
  std::string platform;  // "os/arch[/variant]" or empty
  bool quiet = false;
  // Printed first (unless quiet), once the daemon answers the pull: run's
  // "Unable to find image 'busybox:latest' locally\n".
  std::string preface;
  // docker pull ends with the pulled reference; run's pull does not.
  bool print_reference = true;
  // Where the progress and the summary go, and whether it is a terminal
  // (bars redrawn in place) or not (plain lines).
  std::ostream* out = nullptr;
  bool terminal = false;
  int width = 200;
};

// docker pull's conversation: "Using default tag: latest", the progress,
// "Digest: sha256:...", "Status: Downloaded newer image for busybox:latest"
// (or "Image is up to date for ..."), the reference. Quiet: the reference
// only. Returns the RPC's status (the caller prints it); when the daemon has
// no Pull (UNIMPLEMENTED) nothing has been printed.
grpc::Status PullImage(Context& ctx, const PullOptions& opts);

}  // namespace skiff::cli
