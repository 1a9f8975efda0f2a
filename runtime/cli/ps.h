#pragma once
// `ocirun ps`'s argument and output handling, apart from the verb for tests.

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/cli/commands.h"

namespace skiff::runtime::cli {

// runc stops reading its own flags at the container id; what follows goes
// to ps(1): `ps -f json ID -o pid,comm`. Returns the flags plus the id, and
// the ps arguments.
struct PsArgs {
  Args own;      // flags and the id
  Args ps_args;  // after the id
};
PsArgs SplitPsArgs(const Args& args);

// The header of ps(1) output plus the lines whose PID column is one of
// `pids` (runc's table format). Errors when the header has no PID column.
absl::StatusOr<std::string> FilterPsOutput(const std::string& output,
                                           const std::vector<pid_t>& pids);

// `pids` as the JSON array runc prints ("[1,2]").
std::string PidsJson(const std::vector<pid_t>& pids);

}  // namespace skiff::runtime::cli
