#include "runtime/sync.h"

#include <sys/socket.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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
  struct iovec iov = {const_cast<SyncMsg*>(&msg), sizeof msg};
  struct msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))];
  if (fd_to_pass >= 0) {
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd_to_pass, sizeof(int));
  }
  ssize_t n;
  do {
    n = sendmsg(fd_.get(), &mh, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Errno("send to init sync socket");
  return absl::OkStatus();
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
  struct iovec iov = {&m, sizeof m};
  struct msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))];
  mh.msg_control = cbuf;
  mh.msg_controllen = sizeof cbuf;
  ssize_t n;
  do {
    n = recvmsg(fd_.get(), &mh, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Errno("receive from init sync socket");
  if (n == 0) return absl::UnavailableError("peer closed");
  if (static_cast<size_t>(n) != sizeof m)
    return absl::InternalError(absl::StrCat("init sync: short message of ", n, " bytes"));
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int passed;
      memcpy(&passed, CMSG_DATA(c), sizeof(int));
      if (fd)
        fd->reset(passed);
      else
        close(passed);
    }
  }
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
