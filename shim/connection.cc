#include "shim/connection.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "shim/diag.h"

namespace skiff::shim {
namespace {
uint64_t next_id = 1;
constexpr size_t kReadChunk = 16 * 1024;
}  // namespace

absl::StatusOr<UniqueFd> ListenUnix(const std::string& path, int backlog) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return absl::InvalidArgumentError(absl::StrCat("socket path `", path, "` is ", path.size(),
                                                   " bytes; unix sockets allow at most ",
                                                   sizeof addr.sun_path - 1));
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Errno("socket");
  unlink(path.c_str());
  if (bind(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0)
    return Errno("bind", path);
  if (listen(fd.get(), backlog) != 0) return Errno("listen", path);
  return fd;
}

std::shared_ptr<Connection> Connection::Adopt(EventLoop& loop, UniqueFd fd) {
  int fl = fcntl(fd.get(), F_GETFL);
  if (fl >= 0) fcntl(fd.get(), F_SETFL, fl | O_NONBLOCK);
  auto c = std::shared_ptr<Connection>(new Connection(loop, std::move(fd)));
  c->interest_ = EPOLLIN | EPOLLRDHUP;
  std::weak_ptr<Connection> weak = c;
  absl::Status st = loop.Add(c->fd_.get(), c->interest_, [weak](uint32_t ev) {
    if (auto self = weak.lock()) self->OnEvents(ev);
  });
  if (!st.ok()) {
    DiagError(st.message());
    c->fd_.reset();
  }
  return c;
}

Connection::Connection(EventLoop& loop, UniqueFd fd)
    : loop_(loop), fd_(std::move(fd)), id_(next_id++) {}

Connection::~Connection() {
  if (fd_) {
    loop_.Remove(fd_.get());
    fd_.reset();
  }
}

void Connection::Close() {
  if (!fd_) return;
  loop_.Remove(fd_.get());
  fd_.reset();
  out_.clear();
  out_pos_ = 0;
  on_frame_ = nullptr;
  CloseHandler h = std::move(on_close_);
  on_close_ = nullptr;
  if (h) {
    auto self = shared_from_this();
    loop_.Post([self, h] { h(*self); });
  }
}

void Connection::UpdateInterest() {
  if (!fd_) return;
  uint32_t want = 0;
  if (!closing_ && !paused_) want |= EPOLLIN | EPOLLRDHUP;
  if (queued() > 0) want |= EPOLLOUT;
  if (want != interest_) {
    interest_ = want;
    (void)loop_.Modify(fd_.get(), want);
  }
}

bool Connection::SendRaw(absl::string_view frames) {
  if (!fd_) return false;
  if (queued() + frames.size() > kMaxQueued) {
    DiagError(absl::StrCat("attach client ", id_, " dropped: ", queued() + frames.size(),
                           " bytes unread (limit ", kMaxQueued, ")"));
    Close();
    return false;
  }
  if (queued() == 0) {
    // Try at once; queue only what the socket does not take.
    ssize_t n;
    do {
      n = send(fd_.get(), frames.data(), frames.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN) {
      Close();
      return false;
    }
    if (n > 0) frames.remove_prefix(n);
    if (frames.empty()) {
      if (closing_) Close();
      return true;
    }
    out_.clear();
    out_pos_ = 0;
  }
  out_.append(frames.data(), frames.size());
  UpdateInterest();
  return true;
}

bool Connection::Send(char type, absl::string_view payload) {
  std::string f;
  AppendFrame(&f, type, payload);
  return SendRaw(f);
}

void Connection::Flush() {
  while (fd_ && queued() > 0) {
    ssize_t n = send(fd_.get(), out_.data() + out_pos_, queued(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      Close();
      return;
    }
    out_pos_ += n;
  }
  if (!fd_) return;
  if (queued() == 0) {
    out_.clear();
    out_.shrink_to_fit();
    out_pos_ = 0;
    if (closing_) {
      Close();
      return;
    }
  } else if (out_pos_ > 64 * 1024) {
    out_.erase(0, out_pos_);
    out_pos_ = 0;
  }
  UpdateInterest();
}

void Connection::CloseAfterFlush() {
  if (!fd_) return;
  closing_ = true;
  on_frame_ = nullptr;
  if (queued() == 0) {
    Close();
    return;
  }
  UpdateInterest();
}

void Connection::PauseInput(bool pause) {
  if (paused_ == pause) return;
  paused_ = pause;
  UpdateInterest();
}

void Connection::OnEvents(uint32_t ev) {
  auto self = shared_from_this();  // a handler may drop the last owner
  if (ev & EPOLLOUT) Flush();
  if (!fd_) return;
  if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && !closing_ && !paused_) {
    char buf[kReadChunk];
    ssize_t n;
    do {
      n = recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      Close();  // the client went away (or reset)
      return;
    }
    reader_.Feed(absl::string_view(buf, n));
    while (fd_ && !closing_) {
      auto f = reader_.Next();
      if (!f) break;
      if (on_frame_) {
        FrameHandler h = on_frame_;
        h(*this, *f);
      }
    }
    if (fd_ && !reader_.error().ok()) {
      Send(kError, reader_.error().message());
      CloseAfterFlush();
    }
    return;
  }
  // Not reading (draining or paused): a peer that hung up cannot take output.
  if (ev & (EPOLLHUP | EPOLLERR)) Close();
}

}  // namespace skiff::shim
