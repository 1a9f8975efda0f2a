// BuildSpec: config.json for one container, assembled the way dockerd's
// daemon/oci_linux.go does (process, namespaces, capabilities, seccomp,
// masked paths), with mounts, devices and resources from their own files.
#include "manager/containers/spec_builder.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/status.h"
#include "manager/containers/capabilities.h"
#include "manager/containers/seccomp_profile.h"
#include "manager/containers/spec_parts.h"

namespace skiff::manager {
namespace {

using json = nlohmann::json;

constexpr char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const std::vector<std::string>& DefaultMaskedPaths() {
  static const std::vector<std::string> paths = {
      "/proc/asound",
      "/proc/acpi",
      "/proc/kcore",
      "/proc/keys",
      "/proc/latency_stats",
      "/proc/timer_list",
      "/proc/timer_stats",
      "/proc/sched_debug",
      "/proc/scsi",
      "/sys/firmware",
      "/sys/devices/virtual/powercap",
  };
  return paths;
}

const std::vector<std::string>& DefaultReadonlyPaths() {
  static const std::vector<std::string> paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                 "/proc/sysrq-trigger"};
  return paths;
}

// What --security-opt asked for.
struct SecurityOpts {
  bool seccomp_unconfined = false;
  std::string seccomp_profile;  // JSON text of a docker-format profile
  bool no_new_privileges = false;
  bool unconfined_paths = false;  // systempaths=unconfined
};

absl::StatusOr<bool> ParseBool(const std::string& opt, const std::string& v) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("--security-opt ", opt, ": want true or false, got \"", v, "\""));
}

absl::StatusOr<SecurityOpts> ParseSecurityOpts(const skiff::v1::HostConfig& host) {
  SecurityOpts out;
  for (const std::string& opt : host.security_opt()) {
    // docker accepts "key=value" and the older "key:value".
    const size_t sep = opt.find_first_of("=:");
    const std::string key = opt.substr(0, sep);
    const std::string value = sep == std::string::npos ? "" : opt.substr(sep + 1);
    if (key == "no-new-privileges") {
      if (value.empty()) {
        out.no_new_privileges = true;
      } else {
        ASSIGN_OR_RETURN(out.no_new_privileges, ParseBool(opt, value));
      }
    } else if (key == "seccomp" && !value.empty()) {
      if (value == "unconfined") {
        out.seccomp_unconfined = true;
      } else if (value[0] == '{') {
        out.seccomp_profile = value;  // the API carries the profile itself
      } else {
        auto text = ReadFile(value);
        if (!text.ok())
          return absl::InvalidArgumentError(absl::StrCat(
              "--security-opt seccomp: reading the profile: ", text.status().message()));
        out.seccomp_profile = *std::move(text);
      }
    } else if (key == "systempaths" && value == "unconfined") {
      out.unconfined_paths = true;
    } else if ((key == "apparmor" || key == "label") && !value.empty()) {
      // Neither AppArmor nor SELinux is applied by this engine.
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--security-opt: invalid option \"", opt,
                       "\" (want seccomp=<profile>|unconfined, no-new-privileges[=true|false], "
                       "systempaths=unconfined)"));
    }
  }
  return out;
}

std::string EnvKey(const std::string& e) { return e.substr(0, e.find('=')); }

// docker's ReplaceOrAppendEnvValues: an entry replaces the same key; a bare
// "KEY" (no '=') removes it.
void SetEnv(std::vector<std::string>& env, const std::string& entry) {
  const std::string key = EnvKey(entry);
  auto it =
      std::find_if(env.begin(), env.end(), [&](const std::string& e) { return EnvKey(e) == key; });
  if (entry.find('=') == std::string::npos) {
    if (it != env.end()) env.erase(it);
    return;
  }
  if (it != env.end()) {
    *it = entry;
  } else {
    env.push_back(entry);
  }
}

bool HasEnv(const std::vector<std::string>& env, const std::string& key) {
  return std::any_of(env.begin(), env.end(),
                     [&](const std::string& e) { return EnvKey(e) == key; });
}

std::string HostHostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

bool CgroupV2Host() { return access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0; }

struct Namespaces {
  json list = json::array();
  bool own_net = true, own_ipc = true, own_uts = true;
};

absl::StatusOr<Namespaces> BuildNamespaces(const SpecInput& in) {
  const skiff::v1::HostConfig& h = in.host;
  Namespaces ns;
  ns.list.push_back({{"type", "mount"}});

  const std::string& net = h.network_mode();
  if (absl::StartsWith(net, "container:"))
    return absl::InvalidArgumentError(absl::StrCat(
        "--network ", net, ": sharing another container's network is not supported yet"));
  if (net == "host") {
    ns.own_net = false;
  } else if (!in.network_namespace_path.empty()) {
    ns.list.push_back({{"type", "network"}, {"path", in.network_namespace_path}});
  } else if (net.empty() || net == "none") {
    ns.list.push_back({{"type", "network"}});
  } else {
    return absl::UnimplementedError(absl::StrCat(
        "--network ", net, ": networks are not supported yet; use --network none or host"));
  }

  const std::string& uts = h.uts_mode();
  if (uts == "host") {
    ns.own_uts = false;
    if (!in.config.hostname().empty())
      return absl::InvalidArgumentError("conflicting options: --hostname and --uts host");
  } else if (!uts.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--uts ", uts, ": want \"\" or host"));
  } else {
    ns.list.push_back({{"type", "uts"}});
  }

  const std::string& pid = h.pid_mode();
  if (absl::StartsWith(pid, "container:"))
    return absl::InvalidArgumentError(absl::StrCat(
        "--pid ", pid, ": sharing another container's pid namespace is not supported yet"));
  if (pid != "host") {
    if (!pid.empty() && pid != "private")
      return absl::InvalidArgumentError(absl::StrCat("--pid ", pid, ": want private or host"));
    ns.list.push_back({{"type", "pid"}});
  }

  const std::string& ipc = h.ipc_mode();
  if (absl::StartsWith(ipc, "container:"))
    return absl::InvalidArgumentError(absl::StrCat(
        "--ipc ", ipc, ": sharing another container's IPC namespace is not supported yet"));
  if (ipc == "host") {
    ns.own_ipc = false;
  } else if (ipc.empty() || ipc == "private" || ipc == "shareable" || ipc == "none") {
    ns.list.push_back({{"type", "ipc"}});
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--ipc ", ipc, ": want private, shareable, none or host"));
  }

  const std::string& userns = h.userns_mode();
  if (!userns.empty() && userns != "host")
    return absl::InvalidArgumentError(
        absl::StrCat("--userns ", userns, ": user namespaces are not supported yet"));

  // dockerd's default cgroupns mode: private on cgroup v2, host on v1.
  if (CgroupV2Host()) ns.list.push_back({{"type", "cgroup"}});
  return ns;
}

}  // namespace

absl::StatusOr<json> BuildSpec(const SpecInput& in) {
  const skiff::v1::ContainerConfig& c = in.config;
  const skiff::v1::HostConfig& h = in.host;
  if (in.id.empty()) return absl::InvalidArgumentError("building the spec: container id is empty");
  if (in.rootfs.empty() || in.rootfs[0] != '/')
    return absl::InvalidArgumentError(
        absl::StrCat("building the spec: rootfs must be an absolute path: \"", in.rootfs, "\""));
  if (h.init()) return absl::InvalidArgumentError("--init is not supported yet");

  ASSIGN_OR_RETURN(std::vector<std::string> args, ProcessArgs(c));
  ASSIGN_OR_RETURN(Namespaces ns, BuildNamespaces(in));
  ASSIGN_OR_RETURN(SecurityOpts sec, ParseSecurityOpts(h));

  // Hostname: the user's, else the host's when sharing its UTS or network
  // namespace (docker), else the short id.
  std::string hostname = c.hostname();
  if (hostname.empty())
    hostname = (!ns.own_uts || !ns.own_net) ? HostHostname() : in.id.substr(0, 12);
  if (hostname.size() > 64 || hostname.find('/') != std::string::npos)
    return absl::InvalidArgumentError(
        absl::StrCat("--hostname: invalid hostname \"", hostname, "\" (at most 64 characters)"));

  ASSIGN_OR_RETURN(
      std::vector<std::string> caps,
      ContainerCapabilities({h.cap_add().begin(), h.cap_add().end()},
                            {h.cap_drop().begin(), h.cap_drop().end()}, h.privileged()));
  ASSIGN_OR_RETURN(ResolvedUser user,
                   ResolveUser(in.rootfs, c.user(), {h.group_add().begin(), h.group_add().end()}));

  const std::string cwd = c.working_dir().empty() ? "/" : c.working_dir();
  if (cwd[0] != '/')
    return absl::InvalidArgumentError(absl::StrCat("--workdir: the working directory \"", cwd,
                                                   "\" is invalid: it must be an absolute path"));

  std::vector<std::string> env = {absl::StrCat("PATH=", kDefaultPath),
                                  absl::StrCat("HOSTNAME=", hostname)};
  if (c.tty()) env.push_back("TERM=xterm");
  for (const std::string& e : c.env()) {
    if (e.empty() || e[0] == '=')
      return absl::InvalidArgumentError(absl::StrCat("--env: invalid entry \"", e, "\""));
    SetEnv(env, e);
  }
  if (!HasEnv(env, "HOME")) env.push_back(absl::StrCat("HOME=", user.home));

  json process = {
      {"terminal", c.tty()}, {"user", {{"uid", user.uid}, {"gid", user.gid}}},
      {"args", args},        {"env", env},
      {"cwd", cwd},
  };
  if (!user.additional_gids.empty()) process["user"]["additionalGids"] = user.additional_gids;
  if (c.tty() && h.console_height() > 0 && h.console_width() > 0)
    process["consoleSize"] = {{"height", h.console_height()}, {"width", h.console_width()}};
  // dockerd gives a non-root user only the bounding set: its effective and
  // permitted sets start empty, as they would after a real exec as that user.
  if (user.uid == 0) {
    process["capabilities"] = {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
  } else {
    process["capabilities"] = {{"bounding", caps}};
  }
  ASSIGN_OR_RETURN(json rlimits, internal::BuildRlimits(h.resources()));
  if (!rlimits.empty()) process["rlimits"] = std::move(rlimits);
  if (sec.no_new_privileges) process["noNewPrivileges"] = true;
  if (h.has_oom_score_adj()) {
    if (h.oom_score_adj() < -1000 || h.oom_score_adj() > 1000)
      return absl::InvalidArgumentError(
          absl::StrCat("--oom-score-adj: ", h.oom_score_adj(), " is out of range (-1000 to 1000)"));
    process["oomScoreAdj"] = h.oom_score_adj();
  }

  internal::MountContext mctx;
  mctx.privileged = h.privileged();
  mctx.read_only_rootfs = h.read_only_rootfs();
  mctx.ipc_mode = h.ipc_mode();
  mctx.hostname_file = in.hostname_file;
  mctx.hosts_file = in.hosts_file;
  mctx.resolv_conf_file = in.resolv_conf_file;
  ASSIGN_OR_RETURN(json mounts, internal::BuildMounts(h, mctx));

  ASSIGN_OR_RETURN(internal::Devices devices, internal::BuildDevices(h));
  ASSIGN_OR_RETURN(json resources, internal::BuildResources(h.resources()));
  resources["devices"] = std::move(devices.rules);
  ASSIGN_OR_RETURN(json sysctl, internal::BuildSysctls(h, ns.own_ipc, ns.own_net));

  std::string cgroups_path = in.cgroups_path;
  if (cgroups_path.empty()) {
    const std::string parent = h.cgroup_parent().empty() ? "/skiff" : h.cgroup_parent();
    cgroups_path = absl::StrCat(parent[0] == '/' ? "" : "/", parent, "/", in.id);
  }

  json linux = {
      {"namespaces", std::move(ns.list)},
      {"resources", std::move(resources)},
      {"cgroupsPath", cgroups_path},
  };
  if (!devices.nodes.empty()) linux["devices"] = std::move(devices.nodes);
  if (!sysctl.empty()) linux["sysctl"] = std::move(sysctl);
  if (!h.privileged() && !sec.unconfined_paths) {
    linux["maskedPaths"] = h.has_masked_paths()
                               ? std::vector<std::string>(h.masked_paths().values().begin(),
                                                          h.masked_paths().values().end())
                               : DefaultMaskedPaths();
    linux["readonlyPaths"] = h.has_readonly_paths()
                                 ? std::vector<std::string>(h.readonly_paths().values().begin(),
                                                            h.readonly_paths().values().end())
                                 : DefaultReadonlyPaths();
  }
  // An explicit profile applies even to a privileged container (docker).
  if (!sec.seccomp_profile.empty() && !sec.seccomp_unconfined) {
    json profile = json::parse(sec.seccomp_profile, nullptr, /*allow_exceptions=*/false);
    if (profile.is_discarded())
      return absl::InvalidArgumentError("--security-opt seccomp: the profile is not valid JSON");
    auto oci = ToOciSeccomp(profile, HostSeccompTarget(caps));
    if (!oci.ok())
      return absl::InvalidArgumentError(
          absl::StrCat("--security-opt seccomp: ", oci.status().message()));
    linux["seccomp"] = *std::move(oci);
  } else if (!sec.seccomp_unconfined && !h.privileged()) {
    ASSIGN_OR_RETURN(linux["seccomp"], DefaultSeccomp(caps));
  }

  json spec = {
      {"ociVersion", "1.0.2"},
      {"process", std::move(process)},
      {"root", {{"path", in.rootfs}, {"readonly", h.read_only_rootfs()}}},
      {"mounts", std::move(mounts)},
      {"linux", std::move(linux)},
  };
  if (ns.own_uts) {
    spec["hostname"] = hostname;
    if (!c.domainname().empty()) spec["domainname"] = c.domainname();
  }
  return spec;
}

}  // namespace skiff::manager
