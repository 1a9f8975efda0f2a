// skiff-shim: flags and dispatch. See shim.h for what the shim does and
// docs/skiff-shim.md for its interfaces.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "shim/daemon.h"
#include "shim/diag.h"
#include "shim/flags.h"
#include "shim/shim.h"

namespace {

void WriteStderr(const std::string& s) {
  ssize_t n = write(STDERR_FILENO, s.data(), s.size());
  (void)n;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace skiff::shim;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto opts = ParseFlags(args);
  if (!opts.ok()) {
    WriteStderr(absl::StrCat("skiff-shim: ", opts.status().message(), "\n"));
    return 2;
  }
  if (opts->help) {
    ssize_t n = write(STDOUT_FILENO, kUsage, strlen(kUsage));
    (void)n;
    return 0;
  }
  if (opts->version) {
    ssize_t n = write(STDOUT_FILENO, kVersion, strlen(kVersion));
    (void)n;
    return 0;
  }
  if (opts->sync_fd >= 0 && fcntl(opts->sync_fd, F_GETFD) < 0) {
    WriteStderr(absl::StrCat("skiff-shim: --sync-fd ", opts->sync_fd, " is not an open fd\n"));
    return 2;
  }
  absl::Status st = Daemonize(opts->sync_fd, opts->foreground);
  if (!st.ok()) {
    WriteStderr(absl::StrCat("skiff-shim: ", st.message(), "\n"));
    SyncPipe(opts->sync_fd).Failed(absl::StrCat("skiff-shim: ", st.message()));
    return 1;
  }
  // The state dir may not exist yet: the shim creates it; log there after.
  (void)mkdir(opts->state_dir.c_str(), 0700);
  OpenDiagLog(opts->shim_log.c_str());
  return Shim(*std::move(opts)).Run();
}
