#pragma once
// Finds the program to exec and, before the container is reported created,
// says precisely why it could not run: not found (and in which PATH), not
// executable, a directory, on a noexec mount, an ELF for another machine,
// a missing ELF interpreter (dynamic loader), a missing script interpreter,
// or a shebang line that ends in `\r` (DOS line endings).

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace skiff::runtime {

// Resolves args[0] against PATH from `env` (or the default PATH) and checks
// the file. Runs inside the container after pivot_root and chdir(cwd).
absl::StatusOr<std::string> ResolveExecutable(const std::string& arg0,
                                              const std::vector<std::string>& env);

// Checks an existing file for the failures above. Exposed for tests.
absl::Status CheckExecutable(const std::string& path, int depth = 0);

}  // namespace skiff::runtime
