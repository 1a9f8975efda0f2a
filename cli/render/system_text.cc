#include "cli/render/system_text.h"

#include <sys/utsname.h>

#include <cstdio>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/render/image_json.h"
#include "proto/skiff/v1/time.h"

namespace skiff::cli {
namespace {

namespace v1 = ::skiff::v1;

constexpr char kClientVersion[] = "0.1.0";
constexpr char kClientApiVersion[] = "1";

std::string GoArch(absl::string_view machine) {
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  if (machine == "i386" || machine == "i686") return "386";
  if (absl::StartsWith(machine, "armv")) return "arm";
  return std::string(machine);
}

// Go's text/tabwriter as `docker version` uses it (minwidth 20, padding 1):
// the cell before a '\t' is padded; a block of consecutive lines with a tab
// shares one width.
std::string AlignBlocks(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  std::string out;
  size_t i = 0;
  while (i < lines.size()) {
    if (lines[i].find('\t') == std::string::npos) {
      out += lines[i];
      if (i + 1 < lines.size()) out += '\n';
      ++i;
      continue;
    }
    size_t end = i;
    size_t width = 20;
    while (end < lines.size() && lines[end].find('\t') != std::string::npos) {
      width = std::max(width, lines[end].find('\t') + 1);
      ++end;
    }
    for (; i < end; ++i) {
      size_t tab = lines[i].find('\t');
      std::string cell = lines[i].substr(0, tab);
      cell.resize(width, ' ');
      out += cell + lines[i].substr(tab + 1);
      if (i + 1 < lines.size()) out += '\n';
    }
  }
  return out;
}

// "path" -> "Path", "api_version" -> "Api version".
std::string DetailTitle(std::string key) {
  for (char& c : key) {
    if (c == '_') c = ' ';
  }
  if (!key.empty()) key[0] = absl::ascii_toupper(static_cast<unsigned char>(key[0]));
  return key;
}

std::string ZoneSuffix(absl::Time t, absl::TimeZone tz) {
  if (tz.At(t).offset == 0) return "Z";
  return absl::FormatTime("%Ez", t, tz);
}

// "name=seccomp,profile=builtin" -> "  seccomp\n   Profile: builtin\n".
std::string SecurityOptionText(absl::string_view opt) {
  std::string out;
  for (absl::string_view kv : absl::StrSplit(opt, ',')) {
    std::pair<absl::string_view, absl::string_view> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    if (p.first == "name") {
      absl::StrAppend(&out, "  ", p.second, "\n");
    } else {
      absl::StrAppend(&out, "   ", DetailTitle(std::string(p.first)), ": ", p.second, "\n");
    }
  }
  return out;
}

std::string SeverityName(v1::ReadinessCheck::Severity s) {
  switch (s) {
    case v1::ReadinessCheck::SEVERITY_OK:
      return "ok";
    case v1::ReadinessCheck::SEVERITY_WARNING:
      return "warning";
    case v1::ReadinessCheck::SEVERITY_ERROR:
      return "error";
    default:
      return "unknown";
  }
}

}  // namespace

ClientVersion ThisClient() {
  ClientVersion c;
  c.version = kClientVersion;
  c.api_version = kClientApiVersion;
  struct utsname u;
  if (uname(&u) == 0) c.arch = GoArch(u.machine);
  return c;
}

std::string BytesSize(int64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  double size = static_cast<double>(bytes);
  size_t i = 0;
  while (size >= 1024.0 && i + 1 < std::size(kUnits)) {
    size /= 1024.0;
    ++i;
  }
  char buf[64];
  snprintf(buf, sizeof buf, "%.4g%s", size, kUnits[i]);
  return buf;
}

std::string InfoClientText(const ClientVersion& client) {
  return absl::StrCat("Client:\n", " Version:    ", client.version, "\n",
                      " Context:    ", client.context, "\n", " Debug Mode: false\n");
}

std::string InfoServerText(const v1::InfoResponse& info) {
  std::string o = "Server:\n";
  absl::StrAppend(&o, " Containers: ", info.containers(), "\n");
  absl::StrAppend(&o, "  Running: ", info.containers_running(), "\n");
  absl::StrAppend(&o, "  Paused: ", info.containers_paused(), "\n");
  absl::StrAppend(&o, "  Stopped: ", info.containers_stopped(), "\n");
  absl::StrAppend(&o, " Images: ", info.images(), "\n");
  absl::StrAppend(&o, " Server Version: ", info.server_version(), "\n");
  absl::StrAppend(&o, " Storage Driver: ", info.driver(), "\n");
  absl::StrAppend(&o, " Logging Driver: ", info.logging_driver(), "\n");
  absl::StrAppend(&o, " Cgroup Driver: ", info.cgroup_driver(), "\n");
  absl::StrAppend(&o, " Cgroup Version: ", info.cgroup_version(), "\n");
  absl::StrAppend(&o, " Runtime: ", info.runtime_path(), "\n");
  absl::StrAppend(&o, " Shim: ", info.shim_path(), "\n");
  if (!info.security_options().empty()) {
    o += " Security Options:\n";
    for (const std::string& opt : info.security_options()) o += SecurityOptionText(opt);
  }
  absl::StrAppend(&o, " Kernel Version: ", info.kernel_version(), "\n");
  absl::StrAppend(&o, " Operating System: ", info.operating_system(), "\n");
  absl::StrAppend(&o, " OSType: ", info.os_type(), "\n");
  absl::StrAppend(&o, " Architecture: ", info.architecture(), "\n");
  absl::StrAppend(&o, " CPUs: ", info.ncpu(), "\n");
  absl::StrAppend(&o, " Total Memory: ", BytesSize(info.mem_total()), "\n");
  absl::StrAppend(&o, " Name: ", info.name(), "\n");
  absl::StrAppend(&o, " ID: ", info.id(), "\n");
  absl::StrAppend(&o, " Skiff Root Dir: ", info.root_dir(), "\n");
  absl::StrAppend(&o, " Skiff State Dir: ", info.state_dir(), "\n");
  absl::StrAppend(&o, " Socket: ", info.socket_path(), "\n");
  absl::StrAppend(&o, " Ready: ", info.ready() ? "true" : "false", "\n");
  return o;
}

std::string InfoWarningsText(const v1::InfoResponse& info) {
  std::string o;
  for (const v1::ReadinessCheck& c : info.checks()) {
    if (c.severity() == v1::ReadinessCheck::SEVERITY_OK) continue;
    absl::StrAppend(&o, "WARNING: ", c.problem().empty() ? c.name() : c.problem(), "\n");
    if (!c.fix().empty()) absl::StrAppend(&o, "  fix: ", c.fix(), "\n");
  }
  for (const std::string& w : info.warnings()) {
    absl::StrAppend(&o, absl::StartsWith(w, "WARNING:") ? "" : "WARNING: ", w, "\n");
  }
  return o;
}

nlohmann::json InfoJson(const ClientVersion& client, const v1::InfoResponse& info) {
  nlohmann::json j;
  j["ID"] = info.id();
  j["Name"] = info.name();
  j["Containers"] = info.containers();
  j["ContainersRunning"] = info.containers_running();
  j["ContainersPaused"] = info.containers_paused();
  j["ContainersStopped"] = info.containers_stopped();
  j["Images"] = info.images();
  j["ServerVersion"] = info.server_version();
  j["Driver"] = info.driver();
  j["LoggingDriver"] = info.logging_driver();
  j["CgroupDriver"] = info.cgroup_driver();
  j["CgroupVersion"] = info.cgroup_version();
  j["KernelVersion"] = info.kernel_version();
  j["OperatingSystem"] = info.operating_system();
  j["OSType"] = info.os_type();
  j["Architecture"] = info.architecture();
  j["NCPU"] = info.ncpu();
  j["MemTotal"] = info.mem_total();
  j["DockerRootDir"] = info.root_dir();
  j["SkiffRootDir"] = info.root_dir();
  j["SkiffStateDir"] = info.state_dir();
  j["Socket"] = info.socket_path();
  j["Runtime"] = info.runtime_path();
  j["Shim"] = info.shim_path();
  j["SecurityOptions"] = nlohmann::json::array();
  for (const std::string& s : info.security_options()) j["SecurityOptions"].push_back(s);
  j["Checks"] = nlohmann::json::array();
  for (const v1::ReadinessCheck& c : info.checks()) {
    j["Checks"].push_back({{"Name", c.name()},
                           {"Severity", SeverityName(c.severity())},
                           {"Problem", c.problem()},
                           {"Fix", c.fix()}});
  }
  j["Ready"] = info.ready();
  j["Warnings"] = nlohmann::json::array();
  for (const std::string& w : info.warnings()) j["Warnings"].push_back(w);
  j["ClientInfo"] = {{"Version", client.version}, {"Context", client.context}, {"Debug", false}};
  return j;
}

std::string VersionText(const ClientVersion& client, const v1::VersionResponse* server) {
  std::string o = "Client:\n";
  absl::StrAppend(&o, " Version:\t", client.version, "\n");
  absl::StrAppend(&o, " API version:\t", client.api_version, "\n");
  absl::StrAppend(&o, " OS/Arch:\t", client.os, "/", client.arch, "\n");
  absl::StrAppend(&o, " Context:\t", client.context, "\n");
  if (server != nullptr) {
    o += "\nServer: Skiff Engine\n Engine:\n";
    absl::StrAppend(&o, "  Version:\t", server->version(), "\n");
    absl::StrAppend(&o, "  API version:\t", server->api_version(), "\n");
    if (!server->compiler().empty()) absl::StrAppend(&o, "  Compiler:\t", server->compiler(), "\n");
    if (!server->git_commit().empty()) {
      absl::StrAppend(&o, "  Git commit:\t", server->git_commit(), "\n");
    }
    absl::StrAppend(&o, "  OS/Arch:\t", server->os(), "/", server->arch(), "\n");
    absl::StrAppend(&o, "  Kernel Version:\t", server->kernel_version(), "\n");
    for (const v1::ComponentVersion& c : server->components()) {
      if (c.name() == "skiffd") continue;  // the Engine above
      absl::StrAppend(&o, " ", c.name(), ":\n");
      absl::StrAppend(&o, "  Version:\t", c.version().empty() ? "unknown" : c.version(), "\n");
      std::map<std::string, std::string> details(c.details().begin(), c.details().end());
      for (const auto& [k, v] : details) absl::StrAppend(&o, "  ", DetailTitle(k), ":\t", v, "\n");
    }
  }
  return AlignBlocks(o);
}

nlohmann::json VersionJson(const ClientVersion& client, const v1::VersionResponse* server) {
  nlohmann::json j;
  j["Client"] = {{"Version", client.version},
                 {"ApiVersion", client.api_version},
                 {"Os", client.os},
                 {"Arch", client.arch},
                 {"Context", client.context}};
  if (server == nullptr) {
    j["Server"] = nullptr;
    return j;
  }
  nlohmann::json s;
  s["Version"] = server->version();
  s["ApiVersion"] = server->api_version();
  s["GitCommit"] = server->git_commit();
  s["Compiler"] = server->compiler();
  s["Os"] = server->os();
  s["Arch"] = server->arch();
  s["KernelVersion"] = server->kernel_version();
  s["Components"] = nlohmann::json::array();
  for (const v1::ComponentVersion& c : server->components()) {
    nlohmann::json details = nlohmann::json::object();
    for (const auto& [k, v] : c.details()) details[k] = v;
    s["Components"].push_back({{"Name", c.name()}, {"Version", c.version()}, {"Details", details}});
  }
  j["Server"] = s;
  return j;
}

std::string EventTypeName(v1::Event::Type type) {
  switch (type) {
    case v1::Event::TYPE_CONTAINER:
      return "container";
    case v1::Event::TYPE_IMAGE:
      return "image";
    case v1::Event::TYPE_DAEMON:
      return "daemon";
    case v1::Event::TYPE_NETWORK:
      return "network";
    case v1::Event::TYPE_VOLUME:
      return "volume";
    case v1::Event::TYPE_BUILDER:
      return "builder";
    default:
      return "unknown";
  }
}

std::string EventLine(const v1::Event& e) {
  const absl::Time t = TimeFromProto(e.time());
  const absl::TimeZone tz = absl::LocalTimeZone();
  std::string o = absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E9S", t, tz), ZoneSuffix(t, tz),
                               " ", EventTypeName(e.type()), " ", e.action(), " ", e.actor().id());
  if (!e.actor().attributes().empty()) {
    std::map<std::string, std::string> attrs(e.actor().attributes().begin(),
                                             e.actor().attributes().end());
    std::vector<std::string> parts;
    for (const auto& [k, v] : attrs) parts.push_back(absl::StrCat(k, "=", v));
    absl::StrAppend(&o, " (", absl::StrJoin(parts, ", "), ")");
  }
  return o + "\n";
}

nlohmann::json EventJson(const v1::Event& e) {
  nlohmann::json j;
  const std::string type = EventTypeName(e.type());
  if (e.type() == v1::Event::TYPE_CONTAINER || e.type() == v1::Event::TYPE_IMAGE) {
    // docker's pre-1.22 fields, still printed by `docker events --format json`.
    j["status"] = e.action();
    j["id"] = e.actor().id();
    auto image = e.actor().attributes().find("image");
    if (image != e.actor().attributes().end()) j["from"] = image->second;
  }
  j["Type"] = type;
  j["Action"] = e.action();
  nlohmann::json attrs = nlohmann::json::object();
  for (const auto& [k, v] : e.actor().attributes()) attrs[k] = v;
  j["Actor"] = {{"ID", e.actor().id()}, {"Attributes", attrs}};
  j["scope"] = e.scope().empty() ? "local" : e.scope();
  j["time"] = e.time().seconds();
  j["timeNano"] = e.time().seconds() * 1000000000 + e.time().nanos();
  return j;
}

absl::StatusOr<absl::Time> ParseTimestamp(const std::string& value, absl::Time now) {
  const std::string v(absl::StripAsciiWhitespace(value));
  absl::Duration d;
  if (v != "0" && absl::ParseDuration(v, &d)) return now - d;
  if (!v.empty() && v.find('-') == std::string::npos && v.find(':') == std::string::npos) {
    std::pair<std::string, std::string> parts = absl::StrSplit(v, absl::MaxSplits('.', 1));
    int64_t sec = 0;
    int64_t nanos = 0;
    bool ok = absl::SimpleAtoi(parts.first, &sec);
    if (ok && !parts.second.empty()) {
      std::string frac = parts.second.substr(0, 9);
      frac.resize(9, '0');
      ok = absl::SimpleAtoi(frac, &nanos);
    }
    if (ok) return absl::FromUnixSeconds(sec) + absl::Nanoseconds(nanos);
  }
  std::string text = v;
  if (absl::EndsWith(text, "Z") || absl::EndsWith(text, "z")) {
    text = text.substr(0, text.size() - 1) + "+00:00";
  }
  std::string err;
  absl::Time t;
  for (const char* fmt : {"%Y-%m-%dT%H:%M:%E*S%Ez", "%Y-%m-%dT%H:%M%Ez"}) {
    if (absl::ParseTime(fmt, text, &t, &err)) return t;
  }
  for (const char* fmt : {"%Y-%m-%dT%H:%M:%E*S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"}) {
    if (absl::ParseTime(fmt, text, absl::LocalTimeZone(), &t, &err)) return t;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("failed to parse value as time or duration: \"", value, "\""));
}

}  // namespace skiff::cli
