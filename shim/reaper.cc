#include "shim/reaper.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/unique_fd.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace skiff::shim {
namespace {
constexpr size_t kMaxUnclaimed = 256;
}

void Reaper::Watch(pid_t pid, ExitCallback cb) {
  for (auto it = unclaimed_.begin(); it != unclaimed_.end(); ++it) {
    if (it->first == pid) {
      int status = it->second;
      unclaimed_.erase(it);
      loop_.Post([cb = std::move(cb), status] { cb(status); });
      return;
    }
  }
  watched_[pid] = std::move(cb);
}

void Reaper::ReapAll() {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      if (pid < 0 && errno == EINTR) continue;
      return;  // 0: children left but none exited; ECHILD: none left
    }
    auto it = watched_.find(pid);
    if (it == watched_.end()) {
      unclaimed_.emplace_back(pid, status);
      if (unclaimed_.size() > kMaxUnclaimed) unclaimed_.pop_front();
      continue;
    }
    ExitCallback cb = std::move(it->second);
    watched_.erase(it);
    cb(status);
  }
}

absl::Status Reaper::CheckChild(pid_t pid) const {
  if (pid <= 0) return absl::InvalidArgumentError(absl::StrCat("bad pid ", pid));
  for (const auto& u : unclaimed_)
    if (u.first == pid) return absl::OkStatus();
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd) {
    siginfo_t si = {};
    if (waitid(static_cast<idtype_t>(P_PIDFD), pidfd.get(), &si,
               WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT) == 0)
      return absl::OkStatus();
    if (errno == ECHILD)
      return absl::FailedPreconditionError(
          absl::StrCat("pid ", pid, " is not a child of the shim (pid ", getpid(), ")"));
    // EINVAL: a kernel without P_PIDFD; fall through to /proc.
  } else if (errno == ESRCH) {
    return absl::NotFoundError(absl::StrCat("pid ", pid, " does not exist"));
  }
  auto stat = absl::StrCat("/proc/", pid, "/stat");
  UniqueFd fd(open(stat.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Errno("open", stat);
  char buf[512];
  ssize_t n = read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return Errno("read", stat);
  absl::string_view s(buf, n);
  size_t rp = s.rfind(')');  // "pid (comm) state ppid ..."
  if (rp == absl::string_view::npos || rp + 4 >= s.size())
    return absl::InternalError("bad " + stat);
  absl::string_view rest = s.substr(rp + 4);
  int ppid = 0;
  if (!absl::SimpleAtoi(rest.substr(0, rest.find(' ')), &ppid) || ppid != getpid())
    return absl::FailedPreconditionError(
        absl::StrCat("pid ", pid, " is not a child of the shim (pid ", getpid(), ")"));
  return absl::OkStatus();
}

}  // namespace skiff::shim
