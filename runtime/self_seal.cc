#include "runtime/self_seal.h"

#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/status.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

namespace {
constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
}

bool RunningFromSealedCopy() {
  UniqueFd self(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!self) return false;
  int seals = fcntl(self.get(), F_GET_SEALS);
  return seals >= 0 && (seals & kSeals) == kSeals;
}

absl::Status EnsureSealedSelf(char** argv, char** envp) {
  UniqueFd self(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!self) return Errno("open", "/proc/self/exe");
  int seals = fcntl(self.get(), F_GET_SEALS);
  if (seals >= 0 && (seals & kSeals) == kSeals) return absl::OkStatus();

  struct stat st;
  if (fstat(self.get(), &st) != 0) return Errno("stat", "/proc/self/exe");
  UniqueFd copy(memfd_create("ocirun", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!copy) return Errno("memfd_create for a sealed copy of ocirun");
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(copy.get(), self.get(), &off, st.st_size - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("copy ocirun into its sealed memfd");
  }
  if (fcntl(copy.get(), F_ADD_SEALS, kSeals) != 0) return Errno("seal the ocirun memfd");
  self.reset();
  syscall(SYS_execveat, copy.get(), "", argv, envp, AT_EMPTY_PATH);
  return Errno("re-execute ocirun from its sealed memfd");
}

}  // namespace skiff::runtime
