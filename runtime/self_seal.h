#pragma once
// CVE-2019-5736: a container must never reach a writable ocirun binary
// through /proc/<pid>/exe of an ocirun process that has entered it (the
// init before execve, an exec's process, or the parent when the container
// shares the host's pid namespace).
//
// Before such a command does anything else, ocirun copies itself into a
// sealed memfd (no writes, no resizes, seals locked) and re-executes from
// it, so /proc/self/exe is an anonymous, immutable copy. The copy is made
// once per command; a process already running from a sealed memfd goes on.

#include "absl/status/status.h"

namespace skiff::runtime {

// Returns only if already running from a sealed copy (or on error);
// otherwise re-executes `argv` from the copy and does not return.
absl::Status EnsureSealedSelf(char** argv, char** envp);

// Whether /proc/self/exe is a memfd with the write seals in place.
bool RunningFromSealedCopy();

}  // namespace skiff::runtime
