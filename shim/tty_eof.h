#pragma once
// End-of-file for a process whose stdin is a pty. A pty's input cannot be
// closed apart from its output, so the shim ends stdin the way a person at a
// terminal does: with the tty's VEOF character (usually ^D). In canonical
// ("cooked") mode, VEOF at the start of a line makes the reader's read()
// return 0; after other bytes it only hands those bytes over, so a pending
// line is ended with '\n' first.
//
// A program that switched the tty to raw mode (no ICANON) gets a plain VEOF
// byte and decides itself what it means (docker's behaviour too).
//
//   struct termios t;
//   if (tcgetattr(master, &t) == 0) write_all(master, TtyEofSequence(t, last));

#include <termios.h>

#include <string>

namespace skiff::shim {

// The bytes that deliver end-of-file to the pty's reader, given its termios
// (tcgetattr on the master reports the slave's) and the last byte written to
// its input ('\n' when nothing was written). Empty when the tty has VEOF
// disabled: no byte means EOF then.
std::string TtyEofSequence(const struct termios& t, char last_written);

}  // namespace skiff::shim
