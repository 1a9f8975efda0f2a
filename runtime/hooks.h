#pragma once
// Runs OCI hooks: each hook's program with its args and env, the container
// state JSON on stdin, its timeout honoured (SIGKILL when exceeded). A hook
// that fails or times out fails the operation, with its output in the error:
//   createRuntime hook `/usr/bin/check` exited with status 1: boom

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "runtime/spec.h"

namespace skiff::runtime {

absl::Status RunHooks(const char* kind, const std::vector<Hook>& hooks,
                      const std::string& state_json);

// For poststart and poststop, whose failures the spec makes warnings: runs
// every hook, logging each failure as a warning, and never fails.
void RunHooksWarnOnly(const char* kind, const std::vector<Hook>& hooks,
                      const std::string& state_json);

}  // namespace skiff::runtime
