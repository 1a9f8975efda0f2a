#include "shim/control_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "shim/diag.h"

namespace skiff::shim {
absl::Status ControlServer::Listen(const std::string& path) { return listener_.Listen(path); }

void ControlServer::Close() { listener_.Close(); }

void ControlServer::OnRequest(std::shared_ptr<Connection> conn, Frame& f) {
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
