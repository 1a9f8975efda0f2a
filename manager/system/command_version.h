#pragma once
// Asks a helper binary (ocirun, skiff-shim) for its version the way a user
// would: `<path> --version`, first line of its output.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace skiff::manager {

// Runs `path --version` with no stdin and the environment cleared, and
// returns the first non-empty line of its stdout (stderr when stdout is
// empty). Errors:
//   NotFound / PermissionDenied  the binary is missing or not executable
//                                ("`/usr/bin/ocirun`: No such file ...").
//   DeadlineExceeded             it did not exit within `timeout` (killed).
//   Unknown                      it exited non-zero or printed nothing.
absl::StatusOr<std::string> CommandVersion(const std::string& path,
                                           absl::Duration timeout = absl::Seconds(5));

}  // namespace skiff::manager
