#pragma once
// linux.seccomp (an OCI profile) as a seccomp filter, built with libseccomp
// and loaded with seccomp(2) by the calling thread, as runc does:
//
// - defaultAction, defaultErrnoRet; syscalls[] with names, action, errnoRet
//   and args (index 0..5, value, valueTwo, op). Several conditions on one
//   argument index cannot share a libseccomp rule: as runc, such an entry
//   becomes one rule per condition (any condition matches).
// - Actions: SCMP_ACT_KILL (= KILL_THREAD), KILL_THREAD, KILL_PROCESS, TRAP,
//   ERRNO, TRACE, ALLOW, LOG, NOTIFY. errnoRet/defaultErrnoRet (0..65535,
//   default EPERM) only go with ERRNO and TRACE; with any other action they
//   are an error, as the spec says. NOTIFY cannot be the default action, and
//   cannot apply to sendmsg (the runtime sends the listener fd with it).
// - architectures: every SCMP_ARCH_* name of the spec. Names this libseccomp
//   (2.5.4) does not know (LOONGARCH64, M68K, SH, SHEB) are skipped; an
//   architecture libseccomp cannot combine with the native one is an error.
// - flags: SECCOMP_FILTER_FLAG_TSYNC, _LOG, _SPEC_ALLOW, _WAIT_KILLABLE_RECV
//   (the last only means something with a NOTIFY rule and is dropped
//   without one; a flag the kernel lacks is an error).
// - Syscall names this libseccomp does not know are skipped, as runc does.
// - A profile with neither defaultAction nor syscalls disables seccomp (runc).
//
// ENOSYS for syscalls newer than the profile (runc's "-ENOSYS stub"): when
// the default action is not permissive (anything but ALLOW, LOG, TRACE) and
// is not already ERRNO(ENOSYS),
//   1. for each architecture of the filter (the native one included), a
//      syscall whose number is greater than the highest number the profile
//      names for that architecture returns ENOSYS. Nothing above that number
//      is named, so no rule is overridden; it works for numbers libseccomp
//      does not know (a BPF prologue compares the number, as runc's does).
//      x86_64 and x32 keep separate maxima.
//   2. clone3, unless the profile names it (under any action), returns
//      ENOSYS (moby's profile does so explicitly): glibc then falls back to
//      clone. This covers profiles that name syscalls newer than clone3.
// Errors name the JSON path: `linux.seccomp.syscalls[3].action: unknown
// action "X"`.
//
// SCMP_ACT_NOTIFY (libseccomp API level >= 6, Linux >= 5.7): the filter is
// loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER; the resulting fd goes to the
// agent listening on listenerPath (a unix stream socket on the host), in one
// message carrying SCM_RIGHTS [fd] and the JSON "container process state"
// runc sends:
//   {"ociVersion":"1.0.2","fds":["seccompFd"],"pid":<host pid>,
//    "metadata":<listenerMetadata, omitted when empty>,
//    "state":{<the container's OCI state, status "creating">}}
//
// Wiring in the container's init (runtime/init.cc; tested with this patch):
//   1. Before PivotRoot (the socket path is a host path):
//        int seccomp_listener = -1;
//        if (spec.linux.seccomp) {
//          auto l = ConnectSeccompListener(*spec.linux.seccomp);  // -1: no NOTIFY
//          if (!l.ok()) Fail(cfg, "seccomp", l.status());
//          seccomp_listener = *l;
//        }
//   2. Hand it to StartProcess (two new ProcessStart fields):
//        ps.seccomp_listener_fd = seccomp_listener;
//        if (seccomp_listener >= 0)
//          ps.seccomp_state = OciStateJson(cfg.state /* host pid */, Status::kCreating);
//   3. In StartProcess (runtime/process.cc), where ApplySeccomp is called now
//      (after no_new_privs, last before execve):
//        ApplySeccomp(*ps.seccomp, {ps.seccomp_listener_fd, ps.seccomp_state})
//      ApplySeccomp closes the listener fd (also on error) and the notify fd
//      once sent.
//   `ocirun exec` the same way, connecting before it joins the mount namespace.
// ApplySeccomp(profile) alone refuses a profile with NOTIFY (before loading).
//
// Loading needs no_new_privs or CAP_SYS_ADMIN. runc applies the filter before
// dropping capabilities when process.noNewPrivileges is false; if neither is
// there when ApplySeccomp runs, it sets no_new_privs itself (libseccomp's
// default, and what ocirun did before), so the filter still loads.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace skiff::runtime {

// Checks the whole profile (names, actions, operators, architectures, flags,
// the filter's size) without loading it: at create time.
//
// Compiling is the costly part (~20 ms for Docker's default profile), so it
// happens once: the program is kept in this process's memory, where
// ApplySeccomp/LoadSeccomp of the same profile find it, in this process or
// in a child cloned from it after this call (the container's init, an exec'd
// process). With `cache_root` (ocirun's --root) the program also goes
// through the on-disk cache under it (runtime/seccomp_cache.h), so later
// ocirun invocations skip libseccomp too. The profile is parsed and checked
// before any lookup, and a cached program is used only after the flags are
// probed on this kernel again, so the errors are the same with or without
// the cache; a cache that cannot be read or written is only a slower path.
absl::Status ValidateSeccomp(const nlohmann::json& profile);
absl::Status ValidateSeccomp(const nlohmann::json& profile, const std::string& cache_root);

// For a profile with a SCMP_ACT_NOTIFY rule: a unix stream socket connected
// to linux.seccomp.listenerPath (O_CLOEXEC; the caller owns it). -1 when the
// profile has no NOTIFY rule (or seccomp is disabled).
absl::StatusOr<int> ConnectSeccompListener(const nlohmann::json& profile);

// What ApplySeccomp needs for a profile with SCMP_ACT_NOTIFY.
struct SeccompListener {
  int fd = -1;           // from ConnectSeccompListener; ApplySeccomp closes it
  nlohmann::json state;  // OCI state: ociVersion, id, status, pid (host), bundle, annotations
};

// Builds and loads the filter into the calling thread; call last before
// execve. With NOTIFY, sends the notify fd to `listener` (see above).
absl::Status ApplySeccomp(const nlohmann::json& profile, const SeccompListener& listener);
absl::Status ApplySeccomp(const nlohmann::json& profile);

// The parts of ApplySeccomp, for other wirings (e.g. sending the fd from the
// parent, as runc does). LoadSeccomp loads the filter and returns the notify
// fd (O_CLOEXEC), or -1 without a NOTIFY rule.
absl::StatusOr<int> LoadSeccomp(const nlohmann::json& profile);
// The containerProcessState message for the agent.
nlohmann::json SeccompProcessState(const nlohmann::json& profile, const nlohmann::json& state);
// Sends the message with notify_fd over the connected socket listener_fd.
absl::Status SendSeccompFd(int listener_fd, int notify_fd, const nlohmann::json& profile,
                           const nlohmann::json& state);

}  // namespace skiff::runtime
