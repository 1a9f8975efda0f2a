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

}  // namespace skiff::runtime
