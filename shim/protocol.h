#pragma once
// The wire format of the shim's two unix sockets (attach and control), shared
// by the shim and its client library. Both are SOCK_STREAM sockets carrying
// frames:
//
//   +--------+--------------------------+-----------------+
//   | type:1 | length:4 (big-endian)    | payload: length |
//   +--------+--------------------------+-----------------+
//
// Client to shim:
//   'h' hello        payload: flags byte (bit 0: this client sends stdin),
//                    then the session id ("" = the container's process, else
//                    an exec id). Must be the first frame on the attach socket.
//   'i' stdin        payload: bytes for the session's stdin.
//   'c' close stdin  this client sends no more stdin (see --stdin-once).
//   'r' resize       payload: rows, cols as two big-endian uint16.
//   'd' detach       the shim closes the connection; the process is untouched.
//   'X' exec         control socket only; payload: "key=value" lines.
// Shim to client:
//   'o' ok           reply to hello (empty) or exec (the exec's host pid).
//   'E' error        payload: message; the shim then closes the connection.
//   '1' stdout       output (a tty's output is stdout).
//   '2' stderr       output.
//   'x' exit         payload: the exit record (exit_file.h); the shim then
//                    closes the connection.
//
// Example (a client that attaches to the container with stdin):
//   std::string out;
//   AppendFrame(&out, kHello, EncodeHello(/*stdin=*/true, ""));
//   FrameReader r; r.Feed(bytes); while (auto f = r.Next()) Handle(*f);

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace skiff::shim {

inline constexpr char kHello = 'h';
inline constexpr char kStdin = 'i';
inline constexpr char kCloseStdin = 'c';
inline constexpr char kResize = 'r';
inline constexpr char kDetach = 'd';
inline constexpr char kExec = 'X';
inline constexpr char kOk = 'o';
inline constexpr char kError = 'E';
inline constexpr char kStdout = '1';
inline constexpr char kStderr = '2';
inline constexpr char kExit = 'x';

inline constexpr size_t kFrameHeader = 5;
// The largest payload either side accepts; a bigger frame is a protocol error.
inline constexpr uint32_t kMaxPayload = 1 << 20;

struct Frame {
  char type = 0;
  std::string payload;
};

// Appends one frame to *out.
void AppendFrame(std::string* out, char type, absl::string_view payload);

// Splits a byte stream into frames. Feed() bytes as they arrive; Next()
// returns complete frames in order, nullopt when more bytes are needed.
// After a protocol error (oversized frame) error() is set and Next() returns
// nullopt for good.
class FrameReader {
 public:
  void Feed(absl::string_view data) { buf_.append(data.data(), data.size()); }
  std::optional<Frame> Next();
  const absl::Status& error() const { return error_; }
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::string buf_;
  size_t pos_ = 0;
  absl::Status error_;
};

std::string EncodeHello(bool stdin, absl::string_view session);
struct Hello {
  bool stdin = false;
  std::string session;
};
std::optional<Hello> DecodeHello(absl::string_view payload);

std::string EncodeResize(uint16_t rows, uint16_t cols);
bool DecodeResize(absl::string_view payload, uint16_t* rows, uint16_t* cols);

// An exec request ('X' on the control socket), as "key=value" lines:
//   id=e1                  exec session id (ValidSessionId), unique while running
//   process=/abs/path      the OCI process JSON for `RUNTIME exec --process`
//   tty=1 stdin=1 stdin-once=1 attach=1   (each optional, default 0)
//   log=/abs/path          optional CRI log of the session's output
//   exit-file=/abs/path    default STATE_DIR/exec-<id>.exit
// With attach=1, the control connection becomes an attach client of the
// session after the 'o' reply (with stdin when stdin=1), and sees its output
// from the first byte.
struct ExecRequest {
  std::string id;
  std::string process;
  bool tty = false;
  bool stdin = false;
  bool stdin_once = false;
  bool attach = false;
  std::string log;
  std::string exit_file;
};
std::string EncodeExecRequest(const ExecRequest& r);
absl::StatusOr<ExecRequest> DecodeExecRequest(absl::string_view payload);

// True for ids the shim accepts for exec sessions: 1-64 of [A-Za-z0-9_.-],
// not starting with '.'.
bool ValidSessionId(absl::string_view id);

}  // namespace skiff::shim
