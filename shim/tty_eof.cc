#include "shim/tty_eof.h"

#include <unistd.h>

namespace skiff::shim {
namespace {

bool Enabled(cc_t c) { return c != _POSIX_VDISABLE; }

// Whether the line discipline's line buffer is empty after `last`: the byte
// ended a line (or was an EOF) in canonical mode.
bool EndsLine(const struct termios& t, char last) {
  auto c = static_cast<cc_t>(last);
  if (last == '\n') return true;
  if (last == '\r') return (t.c_iflag & ICRNL) && !(t.c_iflag & IGNCR);
  for (int i : {VEOF, VEOL, VEOL2})
    if (Enabled(t.c_cc[i]) && c == t.c_cc[i]) return true;
  return false;
}

}  // namespace

std::string TtyEofSequence(const struct termios& t, char last_written) {
  cc_t eof = t.c_cc[VEOF];
  if (!Enabled(eof)) return "";
  std::string out;
  if ((t.c_lflag & ICANON) && !EndsLine(t, last_written)) out.push_back('\n');
  out.push_back(static_cast<char>(eof));
  return out;
}

}  // namespace skiff::shim
