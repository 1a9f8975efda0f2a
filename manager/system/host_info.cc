#include "manager/system/host_info.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"

namespace skiff::manager {
namespace {

// os-release values may be quoted with " or ' (shell-like).
std::string Unquote(absl::string_view v) {
  v = absl::StripAsciiWhitespace(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
  }
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) ++i;
    out.push_back(v[i]);
  }
  return out;
}

}  // namespace

int64_t ParseMemTotal(absl::string_view meminfo) {
  for (absl::string_view line : absl::StrSplit(meminfo, '\n')) {
    if (!absl::ConsumePrefix(&line, "MemTotal:")) continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    int64_t n = 0;
    if (f.empty() || !absl::SimpleAtoi(f[0], &n)) return 0;
    if (f.size() > 1 && (f[1] == "kB" || f[1] == "KB")) n *= 1024;
    return n;
  }
  return 0;
}

std::string ParseOsPrettyName(absl::string_view os_release) {
  std::string name;
  for (absl::string_view line : absl::StrSplit(os_release, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "PRETTY_NAME=")) {
      std::string v = Unquote(line);
      if (!v.empty()) return v;
    } else if (absl::ConsumePrefix(&line, "NAME=")) {
      name = Unquote(line);
    }
  }
  return name.empty() ? "Linux" : name;
}

std::string GoArch(absl::string_view machine) {
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64" || machine == "arm64") return "arm64";
  if (machine == "i386" || machine == "i686") return "386";
  if (absl::StartsWith(machine, "armv")) return "arm";
  if (machine == "ppc64le") return "ppc64le";
  if (machine == "s390x") return "s390x";
  if (machine == "riscv64") return "riscv64";
  return std::string(machine);
}

HostInfo ReadHostInfo() {
  HostInfo h;
  struct utsname u;
  if (uname(&u) == 0) {
    h.kernel_version = u.release;
    h.architecture = GoArch(u.machine);
  }
  absl::StatusOr<std::string> os = ReadFile("/etc/os-release");
  if (!os.ok()) os = ReadFile("/usr/lib/os-release");
  h.operating_system = ParseOsPrettyName(os.ok() ? *os : "");
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  h.ncpu = n > 0 ? static_cast<int>(n) : 0;
  absl::StatusOr<std::string> mem = ReadFile("/proc/meminfo");
  if (mem.ok()) h.mem_total = ParseMemTotal(*mem);
  return h;
}

}  // namespace skiff::manager
