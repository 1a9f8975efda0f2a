#pragma once
// linux.seccomp (an OCI profile) as a libseccomp filter loaded into the
// calling process: defaultAction/defaultErrnoRet, architectures, syscalls
// with names, action, errnoRet and argument conditions, flags. Unknown
// syscall names are skipped, as runc does.

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace skiff::runtime {

// Checks the profile's shape without loading it (at create time).
absl::Status ValidateSeccomp(const nlohmann::json& profile);

// Builds and loads the filter; call last before execve.
absl::Status ApplySeccomp(const nlohmann::json& profile);

}  // namespace skiff::runtime
