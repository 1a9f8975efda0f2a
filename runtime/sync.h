#pragma once
// The typed protocol between `ocirun` (the parent) and the container's init
// (the child), over a SOCK_SEQPACKET socketpair. One message per packet; file
// descriptors ride along with SCM_RIGHTS.
//
// The child never reports failure by exit code alone: every failure is an
// Error message naming the stage ("mounts"), the operation ("mount proc"),
// the path, the errno and, where the runtime can tell, a hint. The parent
// turns it into the one error the user sees:
//   mounts: mount `proc` on `/proc`: Operation not permitted
//
// Conversation of `create` (and of `run`, where kStart replaces the fifo):
//   parent                         child
//   clone ------------------------>  (waits)
//   id maps, cgroup, kGo -------->  joins namespaces, mounts ...
//                             <---  kRunHooks   (only when hooks exist)
//   prestart/createRuntime,
//   kHooksDone ------------------>  createContainer hooks, pivot_root, ...
//                             <---  kPty + fd   (terminal without console socket)
//                             <---  kReady      (init is set up)
//   state.json, pid file; exit      waits on exec.fifo (or kStart) and execs

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

enum class SyncType : uint32_t {
  kGo = 1,
  kRunHooks,
  kHooksDone,
  kPty,
  kReady,
  kStart,
  kError,
};

struct SyncMsg {
  SyncType type = SyncType::kGo;
  int32_t err = 0;  // errno for kError
  int32_t pid = 0;  // kGo: the init's pid as the host sees it
  char stage[32] = {};
  char op[160] = {};
  char path[512] = {};
  char hint[512] = {};
};

class SyncSocket {
 public:
  SyncSocket() = default;
  explicit SyncSocket(UniqueFd fd) : fd_(std::move(fd)) {}

  // Creates a connected pair: [0] for the parent, [1] for the child.
  static absl::Status Pair(SyncSocket* parent, SyncSocket* child);

  absl::Status Send(SyncType type, int fd_to_pass = -1);
  absl::Status Send(const SyncMsg& msg, int fd_to_pass = -1);
  // Reports an error: stage, op, path, errno, hint.
  void SendError(absl::string_view stage, absl::string_view op, absl::string_view path, int err,
                 absl::string_view hint = {});

  // Receives one message. A closed peer is kUnavailable ("peer closed").
  // `fd` receives a passed descriptor, if any.
  absl::StatusOr<SyncMsg> Recv(UniqueFd* fd = nullptr);

  // Receives and requires `type`; an Error message becomes its Status.
  absl::Status Expect(SyncType type, UniqueFd* fd = nullptr);

  // The parent's side until the child is set up: reads messages until
  // kReady. A pty master (kPty) lands in *pty; kRunHooks calls `run_hooks`
  // (an error there is returned) and answers kHooksDone; kError becomes its
  // Status; a closed socket is kUnavailable.
  absl::Status AwaitReady(UniqueFd* pty, const std::function<absl::Status()>& run_hooks = {});

  int fd() const { return fd_.get(); }
  void Close() { fd_.reset(); }

 private:
  UniqueFd fd_;
};

// Formats a child's kError as the user-facing status.
absl::Status ErrorFromMsg(const SyncMsg& msg);

}  // namespace skiff::runtime
