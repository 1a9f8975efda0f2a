#include "runtime/exec_stub.h"

#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/status.h"

namespace skiff::runtime {

namespace {
const unsigned char kStub[] = {
#include "runtime/exec_stub.inc"
};
}  // namespace

absl::StatusOr<UniqueFd> MakeExecStub() {
  UniqueFd fd(memfd_create("ocirun-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) return Errno("memfd_create for the exec stub");
  if (write(fd.get(), kStub, sizeof kStub) != static_cast<ssize_t>(sizeof kStub))
    return Errno("write the exec stub");
  if (fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0)
    return Errno("seal the exec stub");
  return fd;
}

absl::Status ExecThroughStub(int stub_fd, const std::string& path, char* const argv[],
                             char* const envp[]) {
  std::vector<char*> args;
  args.push_back(const_cast<char*>("ocirun-exec"));
  args.push_back(const_cast<char*>(path.c_str()));
  for (char* const* a = argv; *a; ++a) args.push_back(*a);
  args.push_back(nullptr);
  syscall(SYS_execveat, stub_fd, "", args.data(), envp, AT_EMPTY_PATH);
  return Errno("exec the exec stub for", path);
}

}  // namespace skiff::runtime
