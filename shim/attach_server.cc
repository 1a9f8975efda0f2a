#include "shim/attach_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "shim/diag.h"

namespace skiff::shim {
absl::Status AttachServer::Listen(const std::string& path) { return listener_.Listen(path); }

void AttachServer::Close() { listener_.Close(); }

void AttachServer::OnHello(std::shared_ptr<Connection> conn, Frame& f) {
  std::optional<Hello> h;
  if (f.type == kHello) h = DecodeHello(f.payload);
  if (!h) {
    conn->Send(kError, "the first frame must be a hello ('h': flags byte, session id)");
    conn->CloseAfterFlush();
    return;
  }
  Session* s = lookup_(h->session);
  if (!s) {
    conn->Send(kError, absl::StrCat("no exec session `", h->session, "`"));
    conn->CloseAfterFlush();
    return;
  }
  conn->hello_done = true;
  conn->Send(kOk, "");
  s->Attach(std::move(conn), h->stdin);
}

}  // namespace skiff::shim
