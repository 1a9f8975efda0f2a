#pragma once
// Whether the kernel OOM-killed a process of the container: the OOM-kill
// counter of the container's memory cgroup, read when the shim starts
// watching (the baseline) and again when a process exits.
//   cgroup v1: /sys/fs/cgroup/memory/<path>/memory.oom_control, "oom_kill N"
//   cgroup v2: /sys/fs/cgroup/<path>/memory.events,            "oom_kill N"
// <path> comes from /proc/<pid>/cgroup of the container's init (the v1
// "memory" line when there is one, as on hybrid hosts, else the v2 "0::"
// line). The file stays open, so the count can be read after the init died
// (until the runtime removes the cgroup).
//
//   OomCounter oom = OomCounter::ForPid(init_pid);  // right after create
//   uint64_t base = oom.Count();
//   ... process exits with SIGKILL ...
//   bool oom_killed = oom.Count() > base;

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "common/unique_fd.h"

namespace skiff::shim {

class OomCounter {
 public:
  OomCounter() = default;
  // Never fails: without a readable counter, available() is false and
  // Count() is always 0 (so no exit is ever called an OOM kill).
  static OomCounter ForPid(pid_t pid, const std::string& cgroup_root = "/sys/fs/cgroup");
  bool available() const { return fd_.valid(); }
  const std::string& path() const { return path_; }
  uint64_t Count() const;

 private:
  UniqueFd fd_;
  std::string path_;
};

// Parsing helpers (unit-tested).
// The memory cgroup file for a /proc/PID/cgroup text, relative to the cgroup
// mount root: "memory/<path>/memory.oom_control" (v1) or
// "<path>/memory.events" (v2); nullopt when the text has neither line.
std::optional<std::string> OomFileFromProcCgroup(absl::string_view proc_cgroup, bool prefer_v2);
// The "oom_kill N" value of memory.oom_control or memory.events text.
std::optional<uint64_t> ParseOomKill(absl::string_view text);

}  // namespace skiff::shim
