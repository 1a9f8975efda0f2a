#pragma once
// /dev inside the container: the default device nodes (null, zero, full,
// random, urandom, tty, ptmx via pts), the spec's linux.devices, and the
// standard symlinks (/dev/fd, /dev/std{in,out,err}, /dev/ptmx, /dev/core).
// In a new user namespace, where mknod is refused, the host's nodes are
// bind-mounted instead, as runc does.

#include <vector>

#include "absl/status/status.h"
#include "runtime/spec.h"

namespace skiff::runtime {

// The devices every container gets, then `extra` (linux.devices) which may
// override them by path.
std::vector<Device> DevicesFor(const std::vector<Device>& extra);

absl::Status CreateDevices(int root_fd, const std::vector<Device>& devices, bool bind_from_host);

absl::Status CreateDevSymlinks(int root_fd, bool with_console);

}  // namespace skiff::runtime
