#pragma once
// CVE-2019-5736: a container must never reach a writable ocirun binary
// through /proc/<pid>/exe of an ocirun process that has entered it (the
// init before execve, an exec's process, or the parent when the container
// shares the host's pid namespace).
//
// The kernel already refuses /proc/<pid>/exe of a non-dumpable process
// (ours are, until they exec) to anyone without CAP_SYS_PTRACE in the
// host's user namespace, and our processes are invisible outside the
// container's own pid namespace. Where neither holds -- the container has no
// user namespace and may hold CAP_SYS_PTRACE, or it shares (or joins) a pid
// namespace where our processes are visible -- ocirun copies itself into a
// sealed memfd (no writes, no resizes, seals locked) and re-executes from it
// before cloning, so /proc/self/exe is an anonymous, immutable copy. The
// copy (a few ms) is made only then; a process already running from a
// sealed memfd goes on.

#include "absl/status/status.h"
#include "runtime/spec.h"

namespace skiff::runtime {

// Records main()'s argv and envp for the re-exec.
void SetSelfArgs(char** argv, char** envp);

// Whether a process with `process`'s capabilities in a container configured
// by `spec` could reach our binary without the sealed copy.
bool NeedsSealedSelf(const Spec& spec, const Process& process);

// Returns only if already running from a sealed copy (or on error);
// otherwise re-executes from the copy and does not return.
absl::Status EnsureSealedSelf();

// Whether /proc/self/exe is a memfd with the write seals in place.
bool RunningFromSealedCopy();

}  // namespace skiff::runtime
