#pragma once
// The cgroup v1 devices controller's semantics, emulated: a default (allow
// or deny every device) plus exceptions, changed line by line the way the
// kernel changes them. It serves two callers:
//   - `update` on v1: the difference between the cgroup's devices.list and
//     the new rules is written, so a running container never sees a
//     deny-everything window when the default stays "deny";
//   - the cgroup v2 eBPF device program, built from the emulated state so that
//     one rule list behaves alike on both versions (runc does the same).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/spec.h"

namespace skiff::runtime {

// Access bits, with the values of BPF_DEVCG_ACC_* (linux/bpf.h).
constexpr unsigned kDevMknod = 1, kDevRead = 2, kDevWrite = 4;
constexpr unsigned kDevAll = kDevMknod | kDevRead | kDevWrite;

struct DeviceException {
  char type = 'c';                 // 'c' or 'b'
  int64_t major = -1, minor = -1;  // -1: any
  unsigned access = 0;             // kDev* bits
  bool SameDevice(const DeviceException& o) const {
    return type == o.type && major == o.major && minor == o.minor;
  }
  bool operator==(const DeviceException& o) const = default;
};

struct DeviceState {
  // A new cgroup below an unrestricted parent allows everything.
  bool default_allow = true;
  // Devices handled against the default: denied ones when default_allow,
  // allowed ones otherwise. One entry per device, in insertion order.
  std::vector<DeviceException> exceptions;

  // One write to devices.allow (`allow`) or devices.deny: "a", "c 1:3 rwm",
  // "b *:* m". Lines starting with 'a' mean every device, as in the kernel.
  absl::Status Apply(bool allow, absl::string_view line);
  bool operator==(const DeviceState& o) const = default;
};

// "c 1:3 rwm" (the devices.list/devices.allow form); the access is printed
// in r, w, m order.
std::string DeviceLine(const DeviceException& e);

// The state after applying `rules` in order to a fresh cgroup (type "a"
// rules with device numbers apply to both char and block devices).
absl::StatusOr<DeviceState> EmulateDeviceRules(const std::vector<DeviceRule>& rules);

// A devices.list. The kernel shows "a *:* rwm" alone whenever the default is
// "allow" (its deny exceptions are not listed).
absl::StatusOr<DeviceState> ParseDevicesList(absl::string_view text);

struct DeviceWrite {
  bool allow;  // devices.allow, else devices.deny
  std::string line;
  bool operator==(const DeviceWrite& o) const = default;
};

// The writes that take a cgroup from `from` (as read from devices.list) to
// `to`. When both deny by default only the differences are written, access
// being removed before any is added; otherwise the default is reset first
// ("a"), then the exceptions follow.
std::vector<DeviceWrite> DeviceTransition(const DeviceState& from, const DeviceState& to);

}  // namespace skiff::runtime
