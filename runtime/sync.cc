#include "runtime/sync.h"

#include <sys/socket.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fd_passing.h"
#include "common/status.h"

namespace skiff::runtime {

namespace {
void Copy(char* dst, size_t n, absl::string_view src) {
  size_t len = std::min(n - 1, src.size());
  memcpy(dst, src.data(), len);
  dst[len] = 0;
}
}  // namespace

absl::Status SyncSocket::Pair(SyncSocket* parent, SyncSocket* child) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return Errno("socketpair for init sync");
  *parent = SyncSocket(UniqueFd(sv[0]));
  *child = SyncSocket(UniqueFd(sv[1]));
  return absl::OkStatus();
}

absl::Status SyncSocket::Send(SyncType type, int fd_to_pass) {
  SyncMsg m;
  m.type = type;
  return Send(m, fd_to_pass);
}

absl::Status SyncSocket::Send(const SyncMsg& msg, int fd_to_pass) {
  return Annotate(SendWithFd(fd_.get(), &msg, sizeof msg, fd_to_pass), "init sync");
}

void SyncSocket::SendError(absl::string_view stage, absl::string_view op, absl::string_view path,
                           int err, absl::string_view hint) {
  SyncMsg m;
  m.type = SyncType::kError;
  m.err = err;
  Copy(m.stage, sizeof m.stage, stage);
  Copy(m.op, sizeof m.op, op);
  Copy(m.path, sizeof m.path, path);
  Copy(m.hint, sizeof m.hint, hint);
  (void)Send(m);
}

absl::StatusOr<SyncMsg> SyncSocket::Recv(UniqueFd* fd) {
  SyncMsg m;
  ASSIGN_OR_RETURN(size_t n, RecvWithFd(fd_.get(), &m, sizeof m, fd));
  if (n == 0) return absl::UnavailableError("peer closed");
  if (n != sizeof m)
    return absl::InternalError(absl::StrCat("init sync: short message of ", n, " bytes"));
  return m;
}

absl::Status SyncSocket::Expect(SyncType type, UniqueFd* fd) {
  ASSIGN_OR_RETURN(SyncMsg m, Recv(fd));
  if (m.type == SyncType::kError) return ErrorFromMsg(m);
  if (m.type != type)
    return absl::InternalError(absl::StrCat("init sync: expected message ", static_cast<int>(type),
                                            ", got ", static_cast<int>(m.type)));
  return absl::OkStatus();
}

absl::Status SyncSocket::AwaitReady(UniqueFd* pty, const std::function<absl::Status()>& run_hooks) {
  for (;;) {
    UniqueFd passed;
    ASSIGN_OR_RETURN(SyncMsg msg, Recv(&passed));
    switch (msg.type) {
      case SyncType::kError:
        return ErrorFromMsg(msg);
      case SyncType::kPty:
        if (pty) *pty = std::move(passed);
        break;
      case SyncType::kRunHooks:
        if (run_hooks) RETURN_IF_ERROR(run_hooks());
        RETURN_IF_ERROR(Send(SyncType::kHooksDone));
        break;
      case SyncType::kReady:
        return absl::OkStatus();
      default:
        return absl::InternalError(
            absl::StrCat("init sync: unexpected message ", static_cast<int>(msg.type)));
    }
  }
}

absl::Status ErrorFromMsg(const SyncMsg& m) {
  // Messages that already open with their stage ("exec: ...") keep one.
  absl::string_view op = m.op;
  std::string prefix = absl::StrCat(m.stage, ": ");
  std::string msg = absl::StartsWith(op, prefix) ? std::string(op) : prefix + std::string(op);
  if (m.path[0]) absl::StrAppend(&msg, " `", m.path, "`");
  if (m.err) absl::StrAppend(&msg, ": ", strerror(m.err));
  if (m.hint[0]) absl::StrAppend(&msg, " (", m.hint, ")");
  return absl::Status(m.err ? absl::ErrnoToStatus(m.err, "").code() : absl::StatusCode::kUnknown,
                      msg);
}

}  // namespace skiff::runtime
