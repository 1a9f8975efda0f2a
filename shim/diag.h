#pragma once
// The shim's own diagnostics: one line per event, appended to a file
// (--shim-log, default STATE_DIR/shim.log), with one write(2) per line:
//
//   2026-11-28T06:04:05.123456789Z info created container pid 4242
//
// Before OpenDiagLog() (and when it fails) lines go to stderr, which is the
// starter's until the shim daemonizes and /dev/null after. Deliberately
// tiny: no glog, no buffering, no threads, so that the shim stays small.

#include "absl/strings/string_view.h"

namespace skiff::shim {

// Appends to path from now on (O_APPEND, created 0600). False on failure.
bool OpenDiagLog(const char* path);
void DiagInfo(absl::string_view msg);
void DiagError(absl::string_view msg);

}  // namespace skiff::shim
