#include "shim/frame_listener.h"

#include <sys/socket.h>
#include <cstring>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "shim/diag.h"

namespace skiff::shim {
namespace {
constexpr size_t kMaxPending = 64;
}

absl::Status FrameListener::Listen(const std::string& path) {
  auto fd = ListenUnix(path, 16);
  if (!fd.ok()) return fd.status();
  listen_ = std::move(*fd);
  path_ = path;
  return loop_.Add(listen_.get(), EPOLLIN, [this](uint32_t) { OnAccept(); });
}

void FrameListener::Close() {
  if (!listen_) return;
  loop_.Remove(listen_.get());
  listen_.reset();
  unlink(path_.c_str());
  for (auto& [id, c] : pending_) {
    c->set_close_handler(nullptr);
    c->Close();
  }
  pending_.clear();
}

void FrameListener::OnAccept() {
  for (;;) {
    UniqueFd fd(accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) DiagError(absl::StrCat(what_, ": accept: ", strerror(errno)));
      return;
    }
    if (pending_.size() >= kMaxPending) {
      DiagError(absl::StrCat(what_, ": too many connections without a first frame; refusing one"));
      continue;
    }
    auto c = Connection::Adopt(loop_, std::move(fd));
    if (c->closed()) continue;
    uint64_t id = c->id();
    c->set_frame_handler([this](Connection& conn, Frame& f) { OnFirstFrame(conn, f); });
    c->set_close_handler([this, id](Connection&) { pending_.erase(id); });
    pending_[id] = std::move(c);
  }
}

void FrameListener::OnFirstFrame(Connection& c, Frame& f) {
  auto it = pending_.find(c.id());
  if (it == pending_.end()) return;
  std::shared_ptr<Connection> conn = it->second;
  pending_.erase(it);
  conn->set_close_handler(nullptr);
  conn->set_frame_handler(nullptr);
  on_first_(std::move(conn), f);
}

}  // namespace skiff::shim
