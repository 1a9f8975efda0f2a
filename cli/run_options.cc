#include "cli/run_options.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/status.h"

namespace skiff::cli {
namespace {

using skiff::v1::CreateContainerRequest;
using skiff::v1::Mount;

absl::Status Invalid(const std::string& msg) { return absl::InvalidArgumentError(msg); }

std::string Sv(absl::string_view s) { return std::string(s.data(), s.size()); }

// "-e NAME" and env-file lines: NAME=value kept verbatim, a bare NAME takes
// the local value or is dropped.
absl::Status AddEnv(const std::string& entry, const char* (*lookup)(const char*),
                    google::protobuf::RepeatedPtrField<std::string>* out) {
  std::string name = entry.substr(0, entry.find('='));
  if (name.empty()) return Invalid(absl::StrCat("invalid environment variable: ", entry));
  if (name.find_first_of(" \t") != std::string::npos) {
    return Invalid(absl::StrCat("variable '", name, "' contains whitespaces"));
  }
  if (entry.find('=') != std::string::npos) {
    *out->Add() = entry;
    return absl::OkStatus();
  }
  const char* value = lookup ? lookup(entry.c_str()) : getenv(entry.c_str());
  if (value != nullptr) *out->Add() = absl::StrCat(entry, "=", value);
  return absl::OkStatus();
}

absl::Status AddEnvFile(const std::string& path, const char* (*lookup)(const char*),
                        google::protobuf::RepeatedPtrField<std::string>* out) {
  auto content = ReadFile(path);
  if (!content.ok()) {
    return Invalid(absl::StrCat("open ", path, ": ", content.status().message()));
  }
  for (absl::string_view line : absl::StrSplit(*content, '\n')) {
    line = absl::StripLeadingAsciiWhitespace(line);
    if (absl::ConsumeSuffix(&line, "\r")) {
    }
    if (line.empty() || line[0] == '#') continue;
    RETURN_IF_ERROR(AddEnv(Sv(line), lookup, out));
  }
  return absl::OkStatus();
}

std::string AbsoluteHostPath(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == nullptr) return path;
  std::string p = path;
  if (absl::StartsWith(p, "./")) p = p.substr(2);
  return absl::StrCat(cwd, "/", p);
}

bool IsPropagation(absl::string_view s) {
  return s == "private" || s == "rprivate" || s == "shared" || s == "rshared" || s == "slave" ||
         s == "rslave";
}

// -v host:ctr[:opts], -v name:ctr[:opts], -v ctr (anonymous volume).
absl::StatusOr<Mount> ParseVolume(const std::string& spec) {
  std::vector<std::string> parts = absl::StrSplit(spec, ':');
  auto bad = [&] { return Invalid(absl::StrCat("invalid volume specification: '", spec, "'")); };
  if (parts.empty() || parts.size() > 3) return bad();
  Mount m;
  std::string opts;
  if (parts.size() == 1) {
    m.set_type(Mount::MOUNT_TYPE_VOLUME);
    m.set_target(parts[0]);
  } else {
    std::string source = parts[0];
    m.set_target(parts[1]);
    if (parts.size() == 3) opts = parts[2];
    if (source.empty()) return bad();
    bool path = source[0] == '/' || absl::StartsWith(source, "./") ||
                absl::StartsWith(source, "../") || source == "." || source == "..";
    m.set_type(path ? Mount::MOUNT_TYPE_BIND : Mount::MOUNT_TYPE_VOLUME);
    m.set_source(path ? AbsoluteHostPath(source) : source);
  }
  if (m.target().empty() || m.target()[0] != '/') {
    return Invalid(absl::StrCat("invalid volume specification: '", spec,
                                "': the mount destination must be an absolute path"));
  }
  std::vector<std::string> extra;
  for (absl::string_view o : absl::StrSplit(opts, ',', absl::SkipEmpty())) {
    if (o == "ro") {
      m.set_read_only(true);
    } else if (o == "rw") {
      m.set_read_only(false);
    } else if (IsPropagation(o)) {
      m.set_propagation(Sv(o));
    } else if (o == "z" || o == "Z" || o == "nocopy" || o == "consistent" || o == "cached" ||
               o == "delegated") {
      // SELinux relabel and volume copy modes: nothing to do on this host.
    } else {
      return Invalid(absl::StrCat("invalid mode: ", o));
    }
  }
  return m;
}

// --mount type=bind,source=/a,target=/b,readonly
absl::StatusOr<Mount> ParseMountFlag(const std::string& spec) {
  Mount m;
  std::vector<std::string> opts;
  std::string type = "volume";
  for (absl::string_view field : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(field, absl::MaxSplits('=', 1));
    std::string key = absl::AsciiStrToLower(kv.first);
    const std::string& value = kv.second;
    bool has_value = field.find('=') != absl::string_view::npos;
    if (key == "readonly" || key == "ro") {
      if (!has_value || value == "1" || value == "true") {
        m.set_read_only(true);
      } else if (value == "0" || value == "false") {
        m.set_read_only(false);
      } else {
        return Invalid(absl::StrCat("invalid value for ", key, ": ", value));
      }
      continue;
    }
    if (!has_value) {
      return Invalid(absl::StrCat("invalid field '", Sv(field), "' must be a key=value pair"));
    }
    if (key == "type") {
      type = value;
    } else if (key == "source" || key == "src") {
      m.set_source(value);
    } else if (key == "target" || key == "destination" || key == "dst") {
      m.set_target(value);
    } else if (key == "bind-propagation") {
      if (!IsPropagation(value)) return Invalid("invalid propagation mode: " + value);
      m.set_propagation(value);
    } else if (key == "tmpfs-size") {
      ASSIGN_OR_RETURN(int64_t bytes, ParseBytes(value));
      opts.push_back(absl::StrCat("size=", bytes));
    } else if (key == "tmpfs-mode") {
      opts.push_back("mode=" + value);
    } else if (key == "consistency" || key == "bind-nonrecursive" || key == "volume-nocopy" ||
               key == "volume-driver" || key == "volume-label" || key == "volume-opt") {
      // Accepted for compatibility; no effect here.
    } else {
      return Invalid(absl::StrCat("unexpected key '", key, "' in '", Sv(field), "'"));
    }
  }
  if (type == "bind") {
    m.set_type(Mount::MOUNT_TYPE_BIND);
    if (m.source().empty())
      return Invalid("invalid mount config for type \"bind\": field Source must not be empty");
    m.set_source(AbsoluteHostPath(m.source()));
  } else if (type == "tmpfs") {
    m.set_type(Mount::MOUNT_TYPE_TMPFS);
    if (!m.source().empty())
      return Invalid("invalid mount config for type \"tmpfs\": field Source must not be specified");
  } else if (type == "volume") {
    m.set_type(Mount::MOUNT_TYPE_VOLUME);
  } else {
    return Invalid(absl::StrCat("invalid mount type: '", type, "'"));
  }
  if (m.target().empty()) return Invalid("invalid mount config: field Target must not be empty");
  if (m.target()[0] != '/') {
    return Invalid(absl::StrCat("invalid mount config: the target '", m.target(),
                                "' must be an absolute path"));
  }
  m.set_options(absl::StrJoin(opts, ","));
  return m;
}

// --ulimit nofile=1024[:2048]
absl::StatusOr<skiff::v1::Ulimit> ParseUlimit(const std::string& spec) {
  std::pair<std::string, std::string> kv = absl::StrSplit(spec, absl::MaxSplits('=', 1));
  if (kv.first.empty() || kv.second.empty()) {
    return Invalid(absl::StrCat("invalid ulimit argument: ", spec));
  }
  std::pair<std::string, std::string> limits = absl::StrSplit(kv.second, absl::MaxSplits(':', 1));
  skiff::v1::Ulimit u;
  u.set_name(kv.first);
  int64_t soft, hard;
  if (!absl::SimpleAtoi(limits.first, &soft)) {
    return Invalid(absl::StrCat("invalid ulimit soft value: ", limits.first));
  }
  hard = soft;
  if (!limits.second.empty() && !absl::SimpleAtoi(limits.second, &hard)) {
    return Invalid(absl::StrCat("invalid ulimit hard value: ", limits.second));
  }
  if (soft > hard) {
    return Invalid(absl::StrCat(
        "ulimit soft limit must be less than or equal to hard limit: ", soft, " > ", hard));
  }
  u.set_soft(soft);
  u.set_hard(hard);
  return u;
}

bool IsDeviceMode(absl::string_view s) {
  if (s.empty() || s.size() > 3) return false;
  for (char c : s) {
    if (c != 'r' && c != 'w' && c != 'm') return false;
  }
  return true;
}

// --device /dev/a[:/dev/b][:rwm]
absl::StatusOr<skiff::v1::DeviceMapping> ParseDevice(const std::string& spec) {
  std::vector<std::string> parts = absl::StrSplit(spec, ':');
  skiff::v1::DeviceMapping d;
  d.set_cgroup_permissions("rwm");
  switch (parts.size()) {
    case 3:
      if (!IsDeviceMode(parts[2])) return Invalid("invalid device mode: " + parts[2]);
      d.set_cgroup_permissions(parts[2]);
      d.set_path_in_container(parts[1]);
      break;
    case 2:
      if (IsDeviceMode(parts[1])) {
        d.set_cgroup_permissions(parts[1]);
      } else {
        d.set_path_in_container(parts[1]);
      }
      break;
    case 1:
      break;
    default:
      return Invalid(absl::StrCat("invalid device specification: ", spec));
  }
  d.set_path_on_host(parts[0]);
  if (d.path_in_container().empty()) d.set_path_in_container(parts[0]);
  if (d.path_on_host().empty() || d.path_in_container()[0] != '/') {
    return Invalid(absl::StrCat("invalid device specification: ", spec));
  }
  return d;
}

// --expose 80, 80/udp, 8000-8002/tcp
absl::Status AddExposed(const std::string& spec, skiff::v1::ContainerConfig* config) {
  std::pair<std::string, std::string> pp = absl::StrSplit(spec, absl::MaxSplits('/', 1));
  std::string proto = pp.second.empty() ? "tcp" : absl::AsciiStrToLower(pp.second);
  if (proto != "tcp" && proto != "udp" && proto != "sctp") {
    return Invalid(absl::StrCat("invalid proto: ", pp.second));
  }
  std::pair<std::string, std::string> range = absl::StrSplit(pp.first, absl::MaxSplits('-', 1));
  int lo, hi;
  if (!absl::SimpleAtoi(range.first, &lo) ||
      !absl::SimpleAtoi(range.second.empty() ? range.first : range.second, &hi) || lo < 1 ||
      hi > 65535 || lo > hi) {
    return Invalid(absl::StrCat("invalid range format for --expose specification: \"", spec, "\""));
  }
  for (int p = lo; p <= hi; ++p) {
    std::string key = absl::StrCat(p, "/", proto);
    bool seen = false;
    for (const auto& e : config->exposed_ports()) seen = seen || e == key;
    if (!seen) config->add_exposed_ports(key);
  }
  return absl::OkStatus();
}

absl::StatusOr<skiff::v1::Platform> ParsePlatform(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    return Invalid(absl::StrCat("invalid platform: \"", text,
                                "\": expected os/arch[/variant], e.g. linux/amd64"));
  }
  skiff::v1::Platform p;
  p.set_os(parts[0]);
  p.set_architecture(parts[1]);
  if (parts.size() == 3) p.set_variant(parts[2]);
  return p;
}

}  // namespace

void RunOptions::Register(FlagSet& fs, bool run) {
  if (run) {
    fs.Bool("detach", 'd', &detach, "Run container in background and print container ID");
    fs.String("detach-keys", 0, &detach_keys,
              "Override the key sequence for detaching a container");
  }
  fs.Bool("rm", 0, &rm, "Automatically remove the container when it exits");
  fs.Bool("interactive", 'i', &interactive, "Keep STDIN open even if not attached");
  fs.Bool("tty", 't', &tty, "Allocate a pseudo-TTY");
  fs.String("name", 0, &name, "Assign a name to the container");
  fs.StringList("env", 'e', &env, "Set environment variables");
  fs.StringList("env-file", 0, &env_files, "Read in a file of environment variables");
  fs.StringList("label", 'l', &labels, "Set meta data on a container");
  fs.String("user", 'u', &user, "Username or UID (format: <name|uid>[:<group|gid>])");
  fs.String("workdir", 'w', &workdir, "Working directory inside the container");
  fs.String("entrypoint", 0, &entrypoint, "Overwrite the default ENTRYPOINT of the image");
  fs.String("hostname", 'h', &hostname, "Container host name");
  fs.String("domainname", 0, &domainname, "Container NIS domain name");
  fs.Bytes("memory", 'm', &memory, "Memory limit");
  fs.Bytes("memory-swap", 0, &memory_swap,
           "Swap limit equal to memory plus swap: '-1' to enable unlimited swap");
  fs.Bytes("memory-reservation", 0, &memory_reservation, "Memory soft limit");
  fs.NanoCpus("cpus", 0, &nano_cpus, "Number of CPUs");
  fs.Int("cpu-shares", 'c', &cpu_shares, "CPU shares (relative weight)");
  fs.String("cpuset-cpus", 0, &cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
  fs.String("cpuset-mems", 0, &cpuset_mems, "MEMs in which to allow execution (0-3, 0,1)");
  fs.Int("pids-limit", 0, &pids_limit, "Tune container pids limit (set -1 for unlimited)");
  fs.Bool("read-only", 0, &read_only, "Mount the container's root filesystem as read only");
  fs.StringList("tmpfs", 0, &tmpfs, "Mount a tmpfs directory");
  fs.StringList("volume", 'v', &volumes, "Bind mount a volume");
  fs.StringList("mount", 0, &mounts, "Attach a filesystem mount to the container");
  fs.StringList("cap-add", 0, &cap_add, "Add Linux capabilities");
  fs.StringList("cap-drop", 0, &cap_drop, "Drop Linux capabilities");
  fs.Bool("privileged", 0, &privileged, "Give extended privileges to this container");
  fs.StringList("security-opt", 0, &security_opt, "Security Options");
  fs.String("network", 0, &network, "Connect a container to a network (none, host)");
  fs.String("net", 0, &network, "Connect a container to a network (none, host)");
  fs.String("restart", 0, &restart, "Restart policy to apply when a container exits");
  fs.String("stop-signal", 0, &stop_signal, "Signal to stop the container");
  fs.Int("stop-timeout", 0, &stop_timeout, "Timeout (in seconds) to stop a container");
  fs.StringList("ulimit", 0, &ulimits, "Ulimit options");
  fs.StringList("device", 0, &devices, "Add a host device to the container");
  fs.StringList("sysctl", 0, &sysctls, "Sysctl options");
  fs.Bytes("shm-size", 0, &shm_size, "Size of /dev/shm");
  fs.StringList("expose", 0, &expose, "Expose a port or a range of ports");
  fs.StringList("publish", 'p', &publish, "Publish a container's port(s) to the host");
  fs.Bool("init", 0, &init,
          "Run an init inside the container that forwards signals and reaps processes");
  fs.String("platform", 0, &platform, "Set platform if server is multi-platform capable");
  fs.Bool("quiet", 'q', &quiet, "Suppress the pull output");
  fs.String("pull", 0, &pull, "Pull image before running (\"always\", \"missing\", \"never\")");
  fs.Int("oom-score-adj", 0, &oom_score_adj, "Tune host's OOM preferences (-1000 to 1000)");
  fs.StringList("group-add", 0, &group_add, "Add additional groups to join");
  fs.String("ipc", 0, &ipc, "IPC mode to use");
  fs.String("pid", 0, &pid, "PID namespace to use");
  fs.String("uts", 0, &uts, "UTS namespace to use");
  fs.String("runtime", 0, &runtime, "Runtime to use for this container");
}

absl::StatusOr<std::vector<std::string>> ExpandEnv(const std::vector<std::string>& env,
                                                   const std::vector<std::string>& env_files,
                                                   const char* (*environ_lookup)(const char*)) {
  google::protobuf::RepeatedPtrField<std::string> out;
  for (const auto& f : env_files) RETURN_IF_ERROR(AddEnvFile(f, environ_lookup, &out));
  for (const auto& e : env) RETURN_IF_ERROR(AddEnv(e, environ_lookup, &out));
  return std::vector<std::string>(out.begin(), out.end());
}

absl::StatusOr<skiff::v1::RestartPolicy> ParseRestartPolicy(const std::string& text) {
  skiff::v1::RestartPolicy p;
  std::pair<std::string, std::string> kv = absl::StrSplit(text, absl::MaxSplits(':', 1));
  const std::string& name = kv.first;
  if (text.find(':') != std::string::npos && name.empty()) {
    return Invalid("invalid restart policy format: no policy provided before colon");
  }
  int count = 0;
  if (!kv.second.empty() && !absl::SimpleAtoi(kv.second, &count)) {
    return Invalid("invalid restart policy format: maximum retry count must be an integer");
  }
  if (name.empty() || name == "no") {
    p.set_name(skiff::v1::RestartPolicy::RESTART_POLICY_NO);
  } else if (name == "always") {
    p.set_name(skiff::v1::RestartPolicy::RESTART_POLICY_ALWAYS);
  } else if (name == "unless-stopped") {
    p.set_name(skiff::v1::RestartPolicy::RESTART_POLICY_UNLESS_STOPPED);
  } else if (name == "on-failure") {
    p.set_name(skiff::v1::RestartPolicy::RESTART_POLICY_ON_FAILURE);
    if (count < 0) return Invalid("invalid restart policy: maximum retry count cannot be negative");
    p.set_maximum_retry_count(count);
    return p;
  } else {
    return Invalid(absl::StrCat("invalid restart policy: unknown policy '", name,
                                "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"));
  }
  if (!kv.second.empty()) {
    return Invalid(
        "invalid restart policy: maximum retry count can only be used with 'on-failure'");
  }
  return p;
}

absl::StatusOr<CreateContainerRequest> BuildCreateRequest(
    const RunOptions& o, const FlagSet& fs, const std::vector<std::string>& positional,
    const char* (*environ_lookup)(const char*)) {
  if (positional.empty()) return Invalid("requires at least 1 argument");
  CreateContainerRequest req;
  req.set_name(o.name);
  auto* config = req.mutable_config();
  auto* host = req.mutable_host_config();
  auto* res = host->mutable_resources();

  config->set_image(positional[0]);
  if (positional.size() > 1) {
    for (size_t i = 1; i < positional.size(); ++i) config->mutable_cmd()->add_values(positional[i]);
  }
  if (fs.Changed("entrypoint")) {
    auto* ep = config->mutable_entrypoint();
    if (!o.entrypoint.empty()) ep->add_values(o.entrypoint);
    // docker: a new entrypoint drops the image's CMD unless one is given.
    if (positional.size() == 1) config->mutable_cmd();
  }

  ASSIGN_OR_RETURN(std::vector<std::string> env, ExpandEnv(o.env, o.env_files, environ_lookup));
  for (auto& e : env) config->add_env(std::move(e));
  for (const auto& l : o.labels) {
    std::pair<std::string, std::string> kv = absl::StrSplit(l, absl::MaxSplits('=', 1));
    if (kv.first.empty()) return Invalid(absl::StrCat("invalid label: '", l, "'"));
    (*config->mutable_labels())[kv.first] = kv.second;
  }
  config->set_user(o.user);
  if (!o.workdir.empty() && o.workdir[0] != '/') {
    return Invalid(absl::StrCat("the working directory '", o.workdir,
                                "' is invalid, it needs to be an absolute path"));
  }
  config->set_working_dir(o.workdir);
  config->set_hostname(o.hostname);
  config->set_domainname(o.domainname);
  config->set_stop_signal(o.stop_signal);
  if (fs.Changed("stop-timeout"))
    config->set_stop_timeout_seconds(static_cast<int32_t>(o.stop_timeout));
  for (const auto& e : o.expose) RETURN_IF_ERROR(AddExposed(e, config));
  if (!o.publish.empty()) {
    return absl::UnimplementedError(absl::StrCat("publishing ports (-p ", o.publish[0],
                                                 ") needs container networking, which this skiff "
                                                 "does not have yet; use --network host"));
  }

  // Terminal and stdio, as docker's CLI sets them.
  config->set_tty(o.tty);
  config->set_open_stdin(o.interactive);
  bool attached = !o.detach;
  config->set_attach_stdin(attached && o.interactive);
  config->set_stdin_once(attached && o.interactive);
  config->set_attach_stdout(attached);
  config->set_attach_stderr(attached);

  // Restart policy and removal.
  if (!o.restart.empty()) {
    ASSIGN_OR_RETURN(*host->mutable_restart_policy(), ParseRestartPolicy(o.restart));
    if (o.rm && host->restart_policy().name() != skiff::v1::RestartPolicy::RESTART_POLICY_NO) {
      return Invalid("Conflicting options: --restart and --rm");
    }
  }
  host->set_auto_remove(o.rm);

  host->set_network_mode(o.network);
  host->set_privileged(o.privileged);
  host->set_read_only_rootfs(o.read_only);
  for (const auto& c : o.cap_add) host->add_cap_add(c);
  for (const auto& c : o.cap_drop) host->add_cap_drop(c);
  for (const auto& s : o.security_opt) {
    if (s.find('=') == std::string::npos && s.find(':') == std::string::npos &&
        s != "no-new-privileges") {
      return Invalid(absl::StrCat("Invalid --security-opt: \"", s, "\""));
    }
    host->add_security_opt(s);
  }
  for (const auto& t : o.tmpfs) {
    std::pair<std::string, std::string> kv = absl::StrSplit(t, absl::MaxSplits(':', 1));
    if (kv.first.empty() || kv.first[0] != '/') {
      return Invalid(
          absl::StrCat("invalid tmpfs mount: '", t, "': the target must be an absolute path"));
    }
    (*host->mutable_tmpfs())[kv.first] = kv.second;
  }
  for (const auto& v : o.volumes) {
    ASSIGN_OR_RETURN(Mount m, ParseVolume(v));
    *host->add_mounts() = std::move(m);
  }
  for (const auto& v : o.mounts) {
    ASSIGN_OR_RETURN(Mount m, ParseMountFlag(v));
    *host->add_mounts() = std::move(m);
  }
  host->set_ipc_mode(o.ipc);
  host->set_pid_mode(o.pid);
  host->set_uts_mode(o.uts);
  host->set_runtime(o.runtime);
  if (o.shm_size < 0) return Invalid("invalid --shm-size: must be positive");
  host->set_shm_size(o.shm_size);
  for (const auto& s : o.sysctls) {
    std::pair<std::string, std::string> kv = absl::StrSplit(s, absl::MaxSplits('=', 1));
    if (kv.first.empty() || s.find('=') == std::string::npos) {
      return Invalid(absl::StrCat("invalid argument \"", s, "\" for \"--sysctl\" flag: sysctl '", s,
                                  "' is not allowed: must be key=value"));
    }
    (*host->mutable_sysctls())[kv.first] = kv.second;
  }
  for (const auto& g : o.group_add) host->add_group_add(g);
  if (fs.Changed("oom-score-adj")) {
    if (o.oom_score_adj < -1000 || o.oom_score_adj > 1000) {
      return Invalid(absl::StrCat("Invalid value ", o.oom_score_adj,
                                  ", range for oom score adj is [-1000, 1000]"));
    }
    host->set_oom_score_adj(static_cast<int32_t>(o.oom_score_adj));
  }
  host->set_init(o.init);

  // Resources.
  if (o.memory != 0 && o.memory < 6 * 1024 * 1024) {
    return Invalid("Minimum memory limit allowed is 6MB");
  }
  if (o.memory_swap > 0 && o.memory == 0) {
    return Invalid("You should always set the Memory limit when using Memoryswap limit, see usage");
  }
  if (o.memory_swap > 0 && o.memory_swap < o.memory) {
    return Invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
  }
  res->set_memory(o.memory);
  res->set_memory_swap(o.memory_swap);
  res->set_memory_reservation(o.memory_reservation);
  res->set_nano_cpus(o.nano_cpus);
  res->set_cpu_shares(o.cpu_shares);
  res->set_cpuset_cpus(o.cpuset_cpus);
  res->set_cpuset_mems(o.cpuset_mems);
  if (fs.Changed("pids-limit")) res->set_pids_limit(o.pids_limit);
  for (const auto& u : o.ulimits) {
    ASSIGN_OR_RETURN(*res->add_ulimits(), ParseUlimit(u));
  }
  for (const auto& d : o.devices) {
    ASSIGN_OR_RETURN(*res->add_devices(), ParseDevice(d));
  }

  if (!o.platform.empty()) {
    ASSIGN_OR_RETURN(*req.mutable_platform(), ParsePlatform(o.platform));
  }
  if (o.pull != "missing" && o.pull != "never" && o.pull != "always") {
    return Invalid(absl::StrCat("invalid pull option: '", o.pull,
                                "': must be one of \"always\", \"missing\" or \"never\""));
  }
  return req;
}

}  // namespace skiff::cli
