#pragma once
// Facts about the host for `skiff info` / `skiff version`: kernel, OS,
// architecture, CPUs and memory. Parsers take the file text so tests can feed
// them; the readers return "" / 0 when the host does not say.

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace skiff::manager {

// MemTotal of /proc/meminfo text, in bytes; 0 when absent.
int64_t ParseMemTotal(absl::string_view meminfo);
// PRETTY_NAME of os-release text ("Debian GNU/Linux 12 (bookworm)"), else
// NAME, else "Linux".
std::string ParseOsPrettyName(absl::string_view os_release);
// Go's GOARCH for a uname machine: x86_64 -> amd64, aarch64 -> arm64, ...
std::string GoArch(absl::string_view machine);

struct HostInfo {
  std::string kernel_version;    // uname -r
  std::string operating_system;  // os-release PRETTY_NAME
  std::string os_type = "linux";
  std::string architecture;  // GOARCH
  int ncpu = 0;
  int64_t mem_total = 0;
};

// Reads uname(2), /etc/os-release (else /usr/lib/os-release),
// /proc/meminfo and the online CPU count.
HostInfo ReadHostInfo();

}  // namespace skiff::manager
