#include "runtime/self_seal.h"

#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <sched.h>
#include <unistd.h>

#include "common/status.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

namespace {
constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
char** g_argv = nullptr;
char** g_envp = nullptr;

bool Has(const std::vector<int>& v, int cap) {
  for (int c : v)
    if (c == cap) return true;
  return false;
}
}  // namespace

void SetSelfArgs(char** argv, char** envp) {
  g_argv = argv;
  g_envp = envp;
}

bool NeedsSealedSelf(const Spec& spec, const Process& process) {
  const Namespace* pid = spec.FindNamespace("pid");
  if (!pid || !pid->path.empty()) return true;  // our processes are visible there
  if (spec.HasNewNamespace(CLONE_NEWUSER)) return false;  // caps are not the host's
  if (!process.capabilities) return true;  // keeps ours: all of them
  const Capabilities& c = *process.capabilities;
  // Bounding covers what file capabilities or setuid programs could regain.
  for (const auto* set : {&c.bounding, &c.effective, &c.permitted, &c.ambient})
    if (Has(*set, CAP_SYS_PTRACE)) return true;
  return false;
}

bool RunningFromSealedCopy() {
  UniqueFd self(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!self) return false;
  int seals = fcntl(self.get(), F_GET_SEALS);
  return seals >= 0 && (seals & kSeals) == kSeals;
}

absl::Status EnsureSealedSelf() {
  if (!g_argv) return absl::InternalError("sealed self copy: SetSelfArgs was not called");
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
  syscall(SYS_execveat, copy.get(), "", g_argv, g_envp, AT_EMPTY_PATH);
  return Errno("re-execute ocirun from its sealed memfd");
}

}  // namespace skiff::runtime
