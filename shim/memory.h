#pragma once
// Keeping an idle shim small. One shim runs per container, so what an idle
// shim keeps mapped is paid once per container.
//
// ReleaseStartupText() drops this process's page-table entries for its own
// executable code (the r-x mapping of /proc/self/exe), with
// madvise(MADV_DONTNEED). The pages stay in the page cache; whatever code
// runs later faults back in (a minor fault, no I/O). It is meant to run once,
// after the handshake: the start-up code (flag parsing, daemonizing, spawning
// the runtime, setting up sockets) is then no longer counted in the shim's
// RSS/PSS, only the code its event loop actually uses from then on. The
// kernel's fault-around maps 64 KiB of code for each fault, so without this
// an idle static shim keeps about 1.2 MB of code mapped, most of it never run
// again. Only the never-written, read-only code mapping is touched: data,
// relocated tables, heap and stack are left alone.

namespace skiff::shim {

// Returns the number of bytes released (0 when nothing matched).
long ReleaseStartupText();

}  // namespace skiff::shim
