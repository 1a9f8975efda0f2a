#include "shim/protocol.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace skiff::shim {

void AppendFrame(std::string* out, char type, absl::string_view payload) {
  uint32_t n = payload.size();
  char h[kFrameHeader] = {type, static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                          static_cast<char>(n >> 8), static_cast<char>(n)};
  out->append(h, kFrameHeader);
  out->append(payload.data(), payload.size());
}

std::optional<Frame> FrameReader::Next() {
  if (!error_.ok()) return std::nullopt;
  size_t avail = buf_.size() - pos_;
  if (avail < kFrameHeader) {
    if (pos_ > 0 && avail == 0) {
      buf_.clear();
      pos_ = 0;
    }
    return std::nullopt;
  }
  const unsigned char* h = reinterpret_cast<const unsigned char*>(buf_.data() + pos_);
  uint32_t n = (uint32_t{h[1]} << 24) | (uint32_t{h[2]} << 16) | (uint32_t{h[3]} << 8) | h[4];
  if (n > kMaxPayload) {
    error_ = absl::InvalidArgumentError("frame of " + std::to_string(n) +
                                        " bytes is larger than the limit of " +
                                        std::to_string(kMaxPayload));
    return std::nullopt;
  }
  if (avail < kFrameHeader + n) return std::nullopt;
  Frame f;
  f.type = static_cast<char>(h[0]);
  f.payload.assign(buf_, pos_ + kFrameHeader, n);
  pos_ += kFrameHeader + n;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 64 * 1024) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return f;
}

std::string EncodeHello(bool stdin, absl::string_view session) {
  std::string p(1, stdin ? 1 : 0);
  p.append(session.data(), session.size());
  return p;
}

std::optional<Hello> DecodeHello(absl::string_view payload) {
  if (payload.empty()) return std::nullopt;
  Hello h;
  h.stdin = payload[0] & 1;
  h.session = std::string(payload.substr(1));
  if (!h.session.empty() && !ValidSessionId(h.session)) return std::nullopt;
  return h;
}

std::string EncodeResize(uint16_t rows, uint16_t cols) {
  return std::string{static_cast<char>(rows >> 8), static_cast<char>(rows),
                     static_cast<char>(cols >> 8), static_cast<char>(cols)};
}

bool DecodeResize(absl::string_view p, uint16_t* rows, uint16_t* cols) {
  if (p.size() != 4) return false;
  auto b = [&](int i) { return static_cast<uint16_t>(static_cast<unsigned char>(p[i])); };
  *rows = static_cast<uint16_t>((b(0) << 8) | b(1));
  *cols = static_cast<uint16_t>((b(2) << 8) | b(3));
  return true;
}

std::string EncodeExecRequest(const ExecRequest& r) {
  auto b = [](bool v) { return v ? "1" : "0"; };
  std::string s =
      absl::StrCat("id=", r.id, "\nprocess=", r.process, "\ntty=", b(r.tty), "\nstdin=", b(r.stdin),
                   "\nstdin-once=", b(r.stdin_once), "\nattach=", b(r.attach), "\n");
  if (!r.log.empty()) absl::StrAppend(&s, "log=", r.log, "\n");
  if (!r.exit_file.empty()) absl::StrAppend(&s, "exit-file=", r.exit_file, "\n");
  return s;
}

absl::StatusOr<ExecRequest> DecodeExecRequest(absl::string_view payload) {
  ExecRequest r;
  for (absl::string_view line : absl::StrSplit(payload, '\n', absl::SkipEmpty())) {
    size_t eq = line.find('=');
    if (eq == absl::string_view::npos)
      return absl::InvalidArgumentError(
          absl::StrCat("exec request: `", line, "` is not key=value"));
    absl::string_view k = line.substr(0, eq), v = line.substr(eq + 1);
    auto flag = [&](bool* out) -> absl::Status {
      if (v == "1" || v == "true")
        *out = true;
      else if (v == "0" || v == "false")
        *out = false;
      else
        return absl::InvalidArgumentError(
            absl::StrCat("exec request: ", k, "=", v, ": want 0 or 1"));
      return absl::OkStatus();
    };
    auto path = [&](std::string* out) -> absl::Status {
      if (v.empty() || v[0] != '/')
        return absl::InvalidArgumentError(
            absl::StrCat("exec request: ", k, "=", v, ": want an absolute path"));
      *out = std::string(v);
      return absl::OkStatus();
    };
    absl::Status st;
    if (k == "id")
      r.id = std::string(v);
    else if (k == "process")
      st = path(&r.process);
    else if (k == "tty")
      st = flag(&r.tty);
    else if (k == "stdin")
      st = flag(&r.stdin);
    else if (k == "stdin-once")
      st = flag(&r.stdin_once);
    else if (k == "attach")
      st = flag(&r.attach);
    else if (k == "log")
      st = path(&r.log);
    else if (k == "exit-file")
      st = path(&r.exit_file);
    else
      return absl::InvalidArgumentError(absl::StrCat("exec request: unknown key `", k, "`"));
    if (!st.ok()) return st;
  }
  if (!ValidSessionId(r.id))
    return absl::InvalidArgumentError(
        absl::StrCat("exec request: id `", r.id,
                     "`: want 1-64 of letters, digits, _ . - (not starting with .)"));
  if (r.process.empty()) return absl::InvalidArgumentError("exec request: process= is required");
  if (r.stdin_once && !r.stdin)
    return absl::InvalidArgumentError("exec request: stdin-once=1 needs stdin=1");
  return r;
}

bool ValidSessionId(absl::string_view id) {
  if (id.empty() || id.size() > 64 || id[0] == '.') return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace skiff::shim
