// The container's /etc/hostname, /etc/hosts and /etc/resolv.conf contents,
// as docker (libnetwork's etchosts and resolvconf) writes them.
#include <cerrno>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "manager/containers/spec_builder.h"

namespace skiff::manager {
namespace {

constexpr char kDefaultHosts[] =
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n";

// A nameserver the container cannot reach: the host's loopback is not the
// container's (127.0.0.0/8 and ::1).
bool IsLoopbackNameserver(absl::string_view line) {
  absl::string_view s = absl::StripLeadingAsciiWhitespace(line);
  if (!absl::ConsumePrefix(&s, "nameserver")) return false;
  if (s.empty() || (s[0] != ' ' && s[0] != '\t')) return false;
  s = absl::StripAsciiWhitespace(s);
  return absl::StartsWith(s, "127.") || s == "::1" || s == "0:0:0:0:0:0:0:1";
}

}  // namespace

std::string HostnameFile(const std::string& hostname) { return hostname + "\n"; }

std::string HostsFile(const std::string& hostname, const std::string& network_mode) {
  if (network_mode == "host") {
    // A host without a readable /etc/hosts still gives the container a
    // working localhost.
    if (auto host = ReadFile("/etc/hosts"); host.ok()) return *host;
  }
  // With no network (none) docker names no address for the container itself;
  // networked modes append "<ip>\t<hostname>" once they exist.
  (void)hostname;
  return kDefaultHosts;
}

absl::StatusOr<std::string> ResolvConfFile(const std::string& network_mode,
                                           const std::string& host_resolv_conf) {
  auto text = ReadFile(host_resolv_conf);
  if (!text.ok()) {
    if (absl::IsNotFound(text.status())) return std::string();
    return absl::Status(text.status().code(),
                        absl::StrCat("reading the host's resolv.conf: ", text.status().message()));
  }
  if (network_mode == "host") return *text;
  std::string out;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (IsLoopbackNameserver(line)) continue;
    absl::StrAppend(&out, line, "\n");
  }
  // StrSplit yields a last empty piece for a trailing newline.
  if (absl::EndsWith(out, "\n\n") || (out == "\n")) out.pop_back();
  return out;
}

}  // namespace skiff::manager
