#include "shim/exit_file.h"

#include <sys/wait.h>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status.h"
#include "shim/rfc3339.h"

namespace skiff::shim {

int ExitCode(int wait_status) {
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return WEXITSTATUS(wait_status);
}

std::string FormatExitRecord(const ExitRecord& r) {
  // Ids are checked to be [A-Za-z0-9_.-] (protocol.h, flags.h): no escaping.
  bool sig = WIFSIGNALED(r.wait_status);
  return absl::StrCat(
      "{\"id\":\"", r.id, "\",\"exec_id\":\"", r.exec_id, "\",\"pid\":", r.pid, ",\"status\":\"",
      sig ? "signaled" : "exited", "\",\"exit_code\":", ExitCode(r.wait_status),
      ",\"signal\":", sig ? WTERMSIG(r.wait_status) : 0,
      ",\"core_dumped\":", sig && WCOREDUMP(r.wait_status) ? "true" : "false", ",\"exited_at\":\"",
      Rfc3339Nano(r.exited_at), "\",\"oom_killed\":", r.oom_killed ? "true" : "false", "}\n");
}

absl::Status WriteExitFile(const std::string& path, const ExitRecord& r) {
  return Annotate(WriteFileAtomic(path, FormatExitRecord(r), 0644), "exit file");
}

}  // namespace skiff::shim
