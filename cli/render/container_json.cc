#include "cli/render/container_json.h"

#include <cstdio>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/format/units.h"
#include "cli/render/image_json.h"
#include "proto/skiff/v1/time.h"

namespace skiff::cli {
namespace {

namespace v1 = ::skiff::v1;
using ojson = nlohmann::ordered_json;

template <typename Repeated>
ojson ListOrNull(const Repeated& v) {
  if (v.empty()) return nullptr;
  ojson a = ojson::array();
  for (const auto& s : v) a.push_back(s);
  return a;
}

ojson StringListJson(bool has, const v1::StringList& l) {
  if (!has) return nullptr;
  ojson a = ojson::array();
  for (const auto& s : l.values()) a.push_back(s);
  return a;
}

template <typename Map>
ojson SortedMap(const Map& m) {
  std::map<std::string, std::string> sorted(m.begin(), m.end());
  ojson o = ojson::object();
  for (const auto& [k, v] : sorted) o[k] = v;
  return o;
}

std::string RestartPolicyName(v1::RestartPolicy::Name n) {
  switch (n) {
    case v1::RestartPolicy::RESTART_POLICY_ALWAYS:
      return "always";
    case v1::RestartPolicy::RESTART_POLICY_ON_FAILURE:
      return "on-failure";
    case v1::RestartPolicy::RESTART_POLICY_UNLESS_STOPPED:
      return "unless-stopped";
    default:
      return "no";
  }
}

std::string MountTypeName(v1::Mount::Type t) {
  switch (t) {
    case v1::Mount::MOUNT_TYPE_BIND:
      return "bind";
    case v1::Mount::MOUNT_TYPE_VOLUME:
      return "volume";
    case v1::Mount::MOUNT_TYPE_TMPFS:
      return "tmpfs";
    default:
      return "";
  }
}

ojson StateJson(const v1::ContainerState& s) {
  ojson j = ojson::object();
  j["Status"] = ContainerStateName(s.status());
  j["Running"] = s.running();
  j["Paused"] = s.paused();
  j["Restarting"] = s.restarting();
  j["OOMKilled"] = s.oom_killed();
  j["Dead"] = s.dead();
  j["Pid"] = s.pid();
  j["ExitCode"] = s.exit_code();
  j["Error"] = s.error();
  j["StartedAt"] = GoJsonTime(s.started_at());
  j["FinishedAt"] = GoJsonTime(s.finished_at());
  return j;
}

ojson HostMountJson(const v1::Mount& m) {
  ojson j = ojson::object();
  j["Type"] = MountTypeName(m.type());
  j["Source"] = m.source();
  j["Target"] = m.target();
  if (m.read_only()) j["ReadOnly"] = true;
  if (m.type() == v1::Mount::MOUNT_TYPE_BIND && !m.propagation().empty()) {
    j["BindOptions"] = {{"Propagation", m.propagation()}};
  }
  if (m.type() == v1::Mount::MOUNT_TYPE_TMPFS && !m.options().empty()) {
    j["TmpfsOptions"] = {{"Options", m.options()}};
  }
  return j;
}

ojson HostConfigJson(const v1::ContainerInfo& c) {
  const v1::HostConfig& h = c.host_config();
  const v1::Resources& r = h.resources();
  ojson j = ojson::object();
  // docker's Binds lists -v binds; skiff keeps every mount in Mounts.
  j["Binds"] = nullptr;
  j["ContainerIDFile"] = "";
  ojson log = ojson::object();
  log["Type"] = h.log_config().type().empty() ? "json-file" : h.log_config().type();
  log["Config"] = SortedMap(h.log_config().config());
  j["LogConfig"] = log;
  j["NetworkMode"] = h.network_mode();
  j["PortBindings"] = ojson::object();
  j["RestartPolicy"] = {{"Name", RestartPolicyName(h.restart_policy().name())},
                        {"MaximumRetryCount", h.restart_policy().maximum_retry_count()}};
  j["AutoRemove"] = h.auto_remove();
  j["VolumeDriver"] = "";
  j["VolumesFrom"] = nullptr;
  j["ConsoleSize"] = {h.console_height(), h.console_width()};
  j["CapAdd"] = ListOrNull(h.cap_add());
  j["CapDrop"] = ListOrNull(h.cap_drop());
  j["CgroupnsMode"] = "";
  j["Dns"] = ojson::array();
  j["DnsOptions"] = ojson::array();
  j["DnsSearch"] = ojson::array();
  j["ExtraHosts"] = nullptr;
  j["GroupAdd"] = ListOrNull(h.group_add());
  j["IpcMode"] = h.ipc_mode();
  j["Cgroup"] = "";
  j["Links"] = nullptr;
  j["OomScoreAdj"] = h.has_oom_score_adj() ? h.oom_score_adj() : 0;
  j["PidMode"] = h.pid_mode();
  j["Privileged"] = h.privileged();
  j["PublishAllPorts"] = false;
  j["ReadonlyRootfs"] = h.read_only_rootfs();
  j["SecurityOpt"] = ListOrNull(h.security_opt());
  if (!h.tmpfs().empty()) j["Tmpfs"] = SortedMap(h.tmpfs());
  j["UTSMode"] = h.uts_mode();
  j["UsernsMode"] = h.userns_mode();
  j["ShmSize"] = h.shm_size();
  if (!h.sysctls().empty()) j["Sysctls"] = SortedMap(h.sysctls());
  j["Runtime"] = h.runtime().empty() ? "ocirun" : h.runtime();
  j["Isolation"] = "";
  j["CpuShares"] = r.cpu_shares();
  j["Memory"] = r.memory();
  j["NanoCpus"] = r.nano_cpus();
  j["CgroupParent"] = h.cgroup_parent();
  j["BlkioWeight"] = r.blkio_weight();
  j["BlkioWeightDevice"] = ojson::array();
  j["BlkioDeviceReadBps"] = ojson::array();
  j["BlkioDeviceWriteBps"] = ojson::array();
  j["BlkioDeviceReadIOps"] = ojson::array();
  j["BlkioDeviceWriteIOps"] = ojson::array();
  j["CpuPeriod"] = r.cpu_period();
  j["CpuQuota"] = r.cpu_quota();
  j["CpuRealtimePeriod"] = 0;
  j["CpuRealtimeRuntime"] = 0;
  j["CpusetCpus"] = r.cpuset_cpus();
  j["CpusetMems"] = r.cpuset_mems();
  ojson devices = ojson::array();
  for (const auto& d : r.devices()) {
    devices.push_back({{"PathOnHost", d.path_on_host()},
                       {"PathInContainer", d.path_in_container()},
                       {"CgroupPermissions", d.cgroup_permissions()}});
  }
  j["Devices"] = devices;
  j["DeviceCgroupRules"] = nullptr;
  j["DeviceRequests"] = nullptr;
  j["MemoryReservation"] = r.memory_reservation();
  j["MemorySwap"] = r.memory_swap();
  j["MemorySwappiness"] = r.has_memory_swappiness() ? ojson(r.memory_swappiness()) : ojson();
  j["OomKillDisable"] = r.oom_kill_disable();
  j["PidsLimit"] = r.has_pids_limit() && r.pids_limit() > 0 ? ojson(r.pids_limit()) : ojson();
  if (r.ulimits().empty()) {
    j["Ulimits"] = nullptr;
  } else {
    ojson u = ojson::array();
    for (const auto& l : r.ulimits()) {
      u.push_back({{"Name", l.name()}, {"Hard", l.hard()}, {"Soft", l.soft()}});
    }
    j["Ulimits"] = u;
  }
  if (!h.mounts().empty()) {
    ojson mounts = ojson::array();
    for (const auto& m : h.mounts()) mounts.push_back(HostMountJson(m));
    j["Mounts"] = mounts;
  }
  j["MaskedPaths"] = StringListJson(h.has_masked_paths(), h.masked_paths());
  j["ReadonlyPaths"] = StringListJson(h.has_readonly_paths(), h.readonly_paths());
  if (h.init()) j["Init"] = true;
  return j;
}

ojson GraphDriverJson(const v1::ContainerInfo& c) {
  ojson j = ojson::object();
  j["Name"] = c.driver();
  if (!c.graph_driver_data().empty()) {
    // docker's key order: LowerDir, MergedDir, UpperDir, WorkDir.
    ojson data = ojson::object();
    for (const char* k : {"LowerDir", "MergedDir", "UpperDir", "WorkDir"}) {
      auto it = c.graph_driver_data().find(k);
      if (it != c.graph_driver_data().end()) data[k] = it->second;
    }
    j["Data"] = data;
  } else if (c.rootfs_path().empty()) {
    j["Data"] = nullptr;
  } else {
    j["Data"] = {{"MergedDir", c.rootfs_path()}};
  }
  return j;
}

ojson MountPointsJson(const v1::ContainerInfo& c) {
  ojson a = ojson::array();
  for (const auto& m : c.mounts()) {
    ojson j = ojson::object();
    j["Type"] = MountTypeName(m.type());
    if (!m.name().empty()) j["Name"] = m.name();
    j["Source"] = m.source();
    j["Destination"] = m.destination();
    j["Mode"] = m.mode();
    j["RW"] = m.rw();
    j["Propagation"] = m.propagation();
    a.push_back(j);
  }
  return a;
}

ojson ConfigJson(const v1::ContainerConfig& c) {
  ojson j = ojson::object();
  j["Hostname"] = c.hostname();
  j["Domainname"] = c.domainname();
  j["User"] = c.user();
  j["AttachStdin"] = c.attach_stdin();
  j["AttachStdout"] = c.attach_stdout();
  j["AttachStderr"] = c.attach_stderr();
  if (!c.exposed_ports().empty()) {
    ojson ports = ojson::object();
    for (const auto& p : c.exposed_ports()) ports[p] = ojson::object();
    j["ExposedPorts"] = ports;
  }
  j["Tty"] = c.tty();
  j["OpenStdin"] = c.open_stdin();
  j["StdinOnce"] = c.stdin_once();
  j["Env"] = ListOrNull(c.env());
  j["Cmd"] = StringListJson(c.has_cmd(), c.cmd());
  j["Image"] = c.image();
  if (c.volumes().empty()) {
    j["Volumes"] = nullptr;
  } else {
    ojson v = ojson::object();
    for (const auto& p : c.volumes()) v[p] = ojson::object();
    j["Volumes"] = v;
  }
  j["WorkingDir"] = c.working_dir();
  j["Entrypoint"] = StringListJson(c.has_entrypoint(), c.entrypoint());
  j["OnBuild"] = ListOrNull(c.on_build());
  j["Labels"] = SortedMap(c.labels());
  if (!c.stop_signal().empty()) j["StopSignal"] = c.stop_signal();
  if (c.has_stop_timeout_seconds()) j["StopTimeout"] = c.stop_timeout_seconds();
  return j;
}

ojson NetworkSettingsJson(const v1::ContainerInfo& c) {
  ojson j = ojson::object();
  j["Bridge"] = "";
  j["SandboxID"] = "";
  j["SandboxKey"] = c.network_settings().sandbox_key();
  j["Ports"] = ojson::object();
  ojson networks = ojson::object();
  const std::string& mode = c.host_config().network_mode();
  if (!mode.empty()) {
    ojson n = ojson::object();
    n["NetworkID"] = "";
    n["EndpointID"] = "";
    n["Gateway"] = "";
    n["IPAddress"] = "";
    n["IPPrefixLen"] = 0;
    n["MacAddress"] = "";
    networks[mode] = n;
  }
  j["Networks"] = networks;
  return j;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

std::string ContainerStateName(v1::ContainerStatus status) {
  switch (status) {
    case v1::CONTAINER_STATUS_CREATED:
      return "created";
    case v1::CONTAINER_STATUS_RUNNING:
      return "running";
    case v1::CONTAINER_STATUS_PAUSED:
      return "paused";
    case v1::CONTAINER_STATUS_RESTARTING:
      return "restarting";
    case v1::CONTAINER_STATUS_REMOVING:
      return "removing";
    case v1::CONTAINER_STATUS_EXITED:
      return "exited";
    case v1::CONTAINER_STATUS_DEAD:
      return "dead";
    default:
      return "unknown";
  }
}

std::string GoQuote(absl::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\a':
          out += "\\a";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\v':
          out += "\\v";
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            char buf[8];
            snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    // Multi-byte UTF-8 is kept; an invalid byte is escaped as Go does.
    int len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool valid = len > 0 && i + len <= s.size();
    uint32_t cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; valid && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (!valid) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
      ++i;
      continue;
    }
    AppendUtf8(&out, cp);
    i += len;
  }
  out += "\"";
  return out;
}

nlohmann::ordered_json ContainerInspectJson(const v1::ContainerInfo& c) {
  ojson j = ojson::object();
  j["Id"] = c.id();
  j["Created"] = GoJsonTime(c.created());
  j["Path"] = c.path();
  ojson args = ojson::array();
  for (const auto& a : c.args()) args.push_back(a);
  j["Args"] = args;
  j["State"] = StateJson(c.state());
  j["Image"] = c.image_id();
  j["ResolvConfPath"] = c.resolv_conf_path();
  j["HostnamePath"] = c.hostname_path();
  j["HostsPath"] = c.hosts_path();
  j["LogPath"] = c.log_path();
  j["Name"] = "/" + c.name();
  j["RestartCount"] = c.restart_count();
  j["Driver"] = c.driver();
  j["Platform"] = c.platform().os().empty() ? "linux" : c.platform().os();
  j["MountLabel"] = "";
  j["ProcessLabel"] = "";
  j["AppArmorProfile"] = "";
  j["ExecIDs"] = ListOrNull(c.exec_ids());
  j["HostConfig"] = HostConfigJson(c);
  j["GraphDriver"] = GraphDriverJson(c);
  if (c.has_size_rw()) j["SizeRw"] = c.size_rw();
  if (c.has_size_root_fs()) j["SizeRootFs"] = c.size_root_fs();
  j["Mounts"] = MountPointsJson(c);
  j["Config"] = ConfigJson(c.config());
  j["NetworkSettings"] = NetworkSettingsJson(c);
  return j;
}

nlohmann::json ContainerPsRow(const v1::ContainerSummary& c, const PsRowOptions& o,
                              absl::Time now) {
  nlohmann::json j;
  bool trunc = !o.no_trunc;
  j["ID"] = trunc ? TruncateId(c.id()) : c.id();

  std::string image = c.image();
  if (image.empty()) {
    image = "<no image>";
  } else if (trunc) {
    if (absl::StartsWith(image, "sha256:") || image == c.image_id()) {
      image = TruncateId(image);
    } else if (size_t at = image.find("@sha256:"); at != std::string::npos) {
      image = image.substr(0, at);
    }
  }
  j["Image"] = image;
  j["Command"] = GoQuote(trunc ? Ellipsis(c.command(), 20) : c.command());

  absl::Time created = TimeFromProto(c.created());
  j["CreatedAt"] = absl::FormatTime("%Y-%m-%d %H:%M:%S %z %Z", created, o.zone);
  j["RunningFor"] = HumanDuration(now - created) + " ago";
  std::string state = ContainerStateName(c.status());
  j["State"] = state;
  j["Status"] = ContainerStatusText(state, c.exit_code(), TimeFromProto(c.started_at()),
                                    TimeFromProto(c.finished_at()), now);
  j["Ports"] = "";
  j["Names"] = c.name();
  std::map<std::string, std::string> labels(c.labels().begin(), c.labels().end());
  std::vector<std::string> pairs;
  for (const auto& [k, v] : labels) pairs.push_back(k + "=" + v);
  j["Labels"] = absl::StrJoin(pairs, ",");
  j["Mounts"] = "";
  j["Networks"] = "";
  j["LocalVolumes"] = "0";
  std::string size =
      HumanSizeWithPrecision(static_cast<double>(c.has_size_rw() ? c.size_rw() : 0), 3);
  if (c.has_size_root_fs() && c.size_root_fs() > 0) {
    size += " (virtual " + HumanSizeWithPrecision(static_cast<double>(c.size_root_fs()), 3) + ")";
  }
  j["Size"] = size;
  return j;
}

}  // namespace skiff::cli
