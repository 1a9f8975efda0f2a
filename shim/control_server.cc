#include "shim/control_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "shim/diag.h"

namespace skiff::shim {
namespace {
constexpr size_t kMaxPending = 64;
}

absl::Status ControlServer::Listen(const std::string& path) {
  auto fd = ListenUnix(path, 16);
  if (!fd.ok()) return fd.status();
  listen_ = std::move(*fd);
  path_ = path;
  return loop_.Add(listen_.get(), EPOLLIN, [this](uint32_t) { OnAccept(); });
}

void ControlServer::Close() {
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

void ControlServer::OnAccept() {
  for (;;) {
    UniqueFd fd(accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) DiagError(absl::StrCat("control: accept: ", strerror(errno)));
      return;
    }
    if (pending_.size() >= kMaxPending) {
      DiagError("control: too many pending requests; refusing one");
      continue;
    }
    auto c = Connection::Adopt(loop_, std::move(fd));
    if (c->closed()) continue;
    uint64_t id = c->id();
    c->set_frame_handler([this](Connection& conn, Frame& f) { OnRequest(conn, f); });
    c->set_close_handler([this, id](Connection&) { pending_.erase(id); });
    pending_[id] = std::move(c);
  }
}

void ControlServer::OnRequest(Connection& c, Frame& f) {
  auto it = pending_.find(c.id());
  if (it == pending_.end()) return;
  std::shared_ptr<Connection> conn = it->second;
  pending_.erase(it);
  conn->set_close_handler(nullptr);
  conn->set_frame_handler(nullptr);
  if (f.type != kExec) {
    conn->Send(kError, "the control socket takes exec requests ('X') only");
    conn->CloseAfterFlush();
    return;
  }
  auto req = DecodeExecRequest(f.payload);
  if (!req.ok()) {
    conn->Send(kError, req.status().message());
    conn->CloseAfterFlush();
    return;
  }
  on_exec_(*req, std::move(conn));
}

}  // namespace skiff::shim
