#pragma once
// A sealed memfd holding runtime/exec_stub.c's program. The container's init
// and exec processes execute the program through it, so that at that moment
// /proc/self/exe is the sealed stub, never the ocirun binary on disk
// (CVE-2019-5736 through `#!/proc/self/exe` or a PT_INTERP naming it).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

// Creates the sealed, close-on-exec memfd (a few hundred bytes).
absl::StatusOr<UniqueFd> MakeExecStub();

// execveat(stub, argv = [path, argv...]); returns only on failure.
absl::Status ExecThroughStub(int stub_fd, const std::string& path, char* const argv[],
                             char* const envp[]);

}  // namespace skiff::runtime
