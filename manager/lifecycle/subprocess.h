#pragma once
// Runs a helper program (the OCI runtime, ps) from skiffd, which has many
// threads: posix_spawn, never a bare fork. stdin is /dev/null; stdout and
// stderr are captured (up to 1 MiB each); a program still running at the
// deadline is killed and reported.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace skiff::manager {

struct CommandResult {
  int exit_code = 0;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// Only fails when the program cannot be started or times out; a non-zero
// exit is a result, not an error.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout = absl::Seconds(60));

}  // namespace skiff::manager
