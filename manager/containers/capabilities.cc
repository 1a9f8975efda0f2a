#include "manager/containers/capabilities.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"

namespace skiff::manager {
namespace {

// Indexed by capability number (linux/capability.h).
constexpr const char* kKnown[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
constexpr int kNumKnown = sizeof(kKnown) / sizeof(kKnown[0]);

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void AppendUnique(std::vector<std::string>& out, const std::string& s) {
  if (!Contains(out, s)) out.push_back(s);
}

absl::StatusOr<std::vector<std::string>> NormalizeAll(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& n : names) {
    auto c = NormalizeCapability(n);
    if (!c.ok()) return c.status();
    AppendUnique(out, *c);
  }
  return out;
}

}  // namespace

const std::vector<std::string>& DefaultCapabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE",
  };
  return caps;
}

std::vector<std::string> AllCapabilities() {
  // The daemon's bounding set: a capability it lacks (skiffd itself in a
  // container) could not be given to a container either.
  uint64_t bounding = ~0ULL;
  if (auto status = ReadFile("/proc/self/status"); status.ok()) {
    for (absl::string_view line : absl::StrSplit(*status, '\n')) {
      if (absl::ConsumePrefix(&line, "CapBnd:")) {
        uint64_t mask = 0;
        if (absl::SimpleHexAtoi(absl::StripAsciiWhitespace(line), &mask)) bounding = mask;
        break;
      }
    }
  }
  int last = kNumKnown - 1;
  if (auto text = ReadFile("/proc/sys/kernel/cap_last_cap"); text.ok()) {
    int n = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &n) && n >= 0) last = std::min(last, n);
  }
  std::vector<std::string> out;
  for (int i = 0; i <= last; ++i) {
    if (bounding & (1ULL << i)) out.push_back(kKnown[i]);
  }
  return out;
}

absl::StatusOr<std::string> NormalizeCapability(absl::string_view name) {
  std::string upper = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(name));
  if (upper == "ALL") return upper;
  if (!absl::StartsWith(upper, "CAP_")) upper = absl::StrCat("CAP_", upper);
  for (const char* k : kKnown) {
    if (upper == k) return upper;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown capability: \"", upper, "\""));
}

absl::StatusOr<std::vector<std::string>> ContainerCapabilities(
    const std::vector<std::string>& cap_add, const std::vector<std::string>& cap_drop,
    bool privileged) {
  // Names are checked even when privileged makes them moot, as docker does.
  auto add = NormalizeAll(cap_add);
  if (!add.ok()) return add.status();
  auto drop = NormalizeAll(cap_drop);
  if (!drop.ok()) return drop.status();
  if (privileged) return AllCapabilities();

  std::vector<std::string> caps;
  if (Contains(*add, "ALL")) {
    for (const std::string& c : AllCapabilities()) {
      if (!Contains(*drop, c)) caps.push_back(c);
    }
    return caps;
  }
  if (Contains(*drop, "ALL")) return *add;
  for (const std::string& c : DefaultCapabilities()) {
    if (!Contains(*drop, c)) caps.push_back(c);
  }
  for (const std::string& c : *add) AppendUnique(caps, c);
  return caps;
}

}  // namespace skiff::manager
