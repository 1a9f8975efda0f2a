#include "manager/containers/spec_builder.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"
#include "manager/containers/capabilities.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

namespace skiff::manager {
namespace {

using json = nlohmann::json;
using Strings = std::vector<std::string>;

constexpr char kId[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

class BuildSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string tmpl = std::string(tmp ? tmp : "/tmp") + "/specXXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    rootfs_ = dir_ + "/rootfs";
    ASSERT_EQ(mkdir(rootfs_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir((rootfs_ + "/etc").c_str(), 0755), 0);
    std::ofstream(rootfs_ + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                              "app:x:1000:1000::/home/app:/bin/sh\n";
    std::ofstream(rootfs_ + "/etc/group") << "root:x:0:\nvideo:x:44:app\napp:x:1000:\n";
    in_.id = kId;
    in_.rootfs = rootfs_;
    in_.config.mutable_cmd()->add_values("sh");
  }

  json Build() {
    auto spec = BuildSpec(in_);
    EXPECT_TRUE(spec.ok()) << spec.status();
    return spec.ok() ? *spec : json::object();
  }

  absl::Status BuildError() {
    auto spec = BuildSpec(in_);
    EXPECT_FALSE(spec.ok()) << spec->dump(1);
    return spec.status();
  }

  static const json* FindMount(const json& spec, const std::string& dest) {
    for (const json& m : spec["mounts"]) {
      if (m["destination"] == dest) return &m;
    }
    return nullptr;
  }

  static Strings Destinations(const json& spec) {
    Strings out;
    for (const json& m : spec["mounts"]) out.push_back(m["destination"]);
    return out;
  }

  static Strings NamespaceTypes(const json& spec) {
    Strings out;
    for (const json& n : spec["linux"]["namespaces"]) out.push_back(n["type"]);
    return out;
  }

  static bool HasEnv(const json& spec, const std::string& entry) {
    for (const json& e : spec["process"]["env"]) {
      if (e == entry) return true;
    }
    return false;
  }

  skiff::v1::Resources* res() { return in_.host.mutable_resources(); }

  std::string dir_, rootfs_;
  SpecInput in_;
};

TEST_F(BuildSpecTest, DockerDefaults) {
  json spec = Build();
  EXPECT_EQ(spec["ociVersion"], "1.0.2");
  EXPECT_EQ(spec["root"], json({{"path", rootfs_}, {"readonly", false}}));
  EXPECT_EQ(spec["hostname"], "0123456789ab");
  const json& p = spec["process"];
  EXPECT_EQ(p["args"], json({"sh"}));
  EXPECT_EQ(p["terminal"], false);
  EXPECT_EQ(p["cwd"], "/");
  EXPECT_EQ(p["user"], json({{"uid", 0}, {"gid", 0}}));
  EXPECT_EQ(p["env"], json({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                            "HOSTNAME=0123456789ab", "HOME=/root"}));
  EXPECT_EQ(p["capabilities"]["bounding"], json(DefaultCapabilities()));
  EXPECT_EQ(p["capabilities"]["effective"], json(DefaultCapabilities()));
  EXPECT_EQ(p["capabilities"]["permitted"], json(DefaultCapabilities()));
  EXPECT_FALSE(p["capabilities"].contains("inheritable"));
  EXPECT_FALSE(p["capabilities"].contains("ambient"));
  EXPECT_FALSE(p.contains("rlimits"));  // no RLIMIT_NOFILE of our own
  EXPECT_FALSE(p.contains("noNewPrivileges"));
  EXPECT_FALSE(p.contains("apparmorProfile"));

  const json& l = spec["linux"];
  Strings ns = NamespaceTypes(spec);
  Strings want_ns = {"mount", "network", "uts", "pid", "ipc"};
  if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) want_ns.push_back("cgroup");
  EXPECT_EQ(ns, want_ns);
  EXPECT_EQ(l["cgroupsPath"], std::string("/skiff/") + kId);
  EXPECT_EQ(l["maskedPaths"],
            json({"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                  "/sys/firmware", "/sys/devices/virtual/powercap"}));
  EXPECT_EQ(l["readonlyPaths"],
            json({"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}));
  EXPECT_EQ(l["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(l["seccomp"]["defaultErrnoRet"], 1);
  EXPECT_FALSE(l.contains("sysctl"));
  EXPECT_FALSE(l.contains("devices"));
  EXPECT_EQ(l["resources"].size(), 1u) << l["resources"];  // devices only
}

TEST_F(BuildSpecTest, DefaultMounts) {
  json spec = Build();
  EXPECT_EQ(Destinations(spec), (Strings{"/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup",
                                         "/dev/mqueue", "/dev/shm"}));
  auto opts = [&](const char* dest) { return (*FindMount(spec, dest))["options"]; };
  EXPECT_EQ(opts("/proc"), json({"nosuid", "noexec", "nodev"}));
  EXPECT_EQ(opts("/dev"), json({"nosuid", "strictatime", "mode=755", "size=65536k"}));
  EXPECT_EQ(opts("/dev/pts"),
            json({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  EXPECT_EQ(opts("/sys"), json({"nosuid", "noexec", "nodev", "ro"}));
  EXPECT_EQ(opts("/sys/fs/cgroup"), json({"ro", "nosuid", "noexec", "nodev"}));
  EXPECT_EQ(opts("/dev/mqueue"), json({"nosuid", "noexec", "nodev"}));
  EXPECT_EQ(opts("/dev/shm"), json({"nosuid", "noexec", "nodev", "mode=1777", "size=67108864"}));
  EXPECT_EQ((*FindMount(spec, "/dev/shm"))["type"], "tmpfs");
  EXPECT_EQ((*FindMount(spec, "/sys/fs/cgroup"))["type"], "cgroup");
}

TEST_F(BuildSpecTest, DefaultDeviceRules) {
  json rules = Build()["linux"]["resources"]["devices"];
  ASSERT_GE(rules.size(), 3u);
  EXPECT_EQ(rules[0], json({{"allow", false}, {"access", "rwm"}}));
  EXPECT_EQ(rules[1], json({{"allow", true}, {"type", "c"}, {"access", "m"}}));
  EXPECT_EQ(rules[2], json({{"allow", true}, {"type", "b"}, {"access", "m"}}));
  Strings allowed;
  for (size_t i = 3; i < rules.size(); ++i) {
    EXPECT_EQ(rules[i]["access"], "rwm");
    EXPECT_EQ(rules[i]["type"], "c");
    allowed.push_back(
        std::to_string(rules[i]["major"].get<int>()) + ":" +
        (rules[i].contains("minor") ? std::to_string(rules[i]["minor"].get<int>()) : "*"));
  }
  EXPECT_EQ(allowed,
            (Strings{"1:3", "1:5", "1:7", "1:8", "1:9", "5:0", "5:1", "5:2", "136:*", "10:200"}));
}

TEST_F(BuildSpecTest, OciRuntimeAcceptsIt) {
  in_.hostname_file = "/etc/hostname";
  in_.hosts_file = "/etc/hosts";
  in_.resolv_conf_file = "/etc/resolv.conf";
  in_.config.set_user("app");
  res()->set_memory(64 << 20);
  res()->set_nano_cpus(500000000);
  res()->set_pids_limit(20);
  auto* u = res()->add_ulimits();
  u->set_name("nofile");
  u->set_soft(100);
  u->set_hard(200);
  (*in_.host.mutable_tmpfs())["/run"] = "size=1m";
  json spec = Build();
  auto parsed = runtime::ParseSpec(spec.dump(), dir_);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->process->user.uid, 1000u);
  EXPECT_EQ(parsed->linux.resources->pids_limit, 20);
  ASSERT_TRUE(parsed->linux.seccomp.has_value());
  absl::Status s = runtime::ValidateSeccomp(*parsed->linux.seccomp);
  EXPECT_TRUE(s.ok()) << s;
}

TEST_F(BuildSpecTest, UserAndGroups) {
  in_.config.set_user("app");
  in_.host.add_group_add("root");
  json spec = Build();
  EXPECT_EQ(spec["process"]["user"],
            json({{"uid", 1000}, {"gid", 1000}, {"additionalGids", {44, 0}}}));
  EXPECT_TRUE(HasEnv(spec, "HOME=/home/app"));
  // A non-root user gets the bounding set only, as in docker.
  EXPECT_EQ(spec["process"]["capabilities"], json({{"bounding", DefaultCapabilities()}}));

  in_.config.set_user("ghost");
  absl::Status s = BuildError();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "unable to find user ghost: no matching entries in passwd file");
}

TEST_F(BuildSpecTest, Workdir) {
  in_.config.set_working_dir("/srv/app");
  EXPECT_EQ(Build()["process"]["cwd"], "/srv/app");
  in_.config.set_working_dir("srv");
  EXPECT_NE(BuildError().message().find("must be an absolute path"), absl::string_view::npos);
}

TEST_F(BuildSpecTest, Env) {
  in_.config.add_env("PATH=/opt/bin");
  in_.config.add_env("A=1");
  in_.config.add_env("HOME=/data");
  in_.config.add_env("HOSTNAME");  // a bare key removes it (docker)
  in_.config.set_tty(true);
  json spec = Build();
  EXPECT_EQ(spec["process"]["env"], json({"PATH=/opt/bin", "TERM=xterm", "A=1", "HOME=/data"}));
  EXPECT_EQ(spec["process"]["terminal"], true);
}

TEST_F(BuildSpecTest, ConsoleSizeWithTty) {
  in_.config.set_tty(true);
  in_.host.set_console_height(40);
  in_.host.set_console_width(120);
  EXPECT_EQ(Build()["process"]["consoleSize"], json({{"height", 40}, {"width", 120}}));
}

TEST_F(BuildSpecTest, HostnameAndDomainname) {
  in_.config.set_hostname("web");
  in_.config.set_domainname("example.com");
  json spec = Build();
  EXPECT_EQ(spec["hostname"], "web");
  EXPECT_EQ(spec["domainname"], "example.com");
  EXPECT_TRUE(HasEnv(spec, "HOSTNAME=web"));
  in_.config.set_hostname(std::string(65, 'a'));
  EXPECT_NE(BuildError().message().find("--hostname"), absl::string_view::npos);
}

TEST_F(BuildSpecTest, NetworkModes) {
  in_.host.set_network_mode("none");
  EXPECT_EQ(NamespaceTypes(Build())[1], "network");

  in_.host.set_network_mode("host");
  json spec = Build();
  Strings ns = NamespaceTypes(spec);
  EXPECT_EQ(std::count(ns.begin(), ns.end(), "network"), 0);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  EXPECT_EQ(spec["hostname"], host);  // docker: the host's name by default

  in_.host.set_network_mode("container:web");
  EXPECT_EQ(BuildError().code(), absl::StatusCode::kInvalidArgument);
  in_.host.set_network_mode("bridge");
  EXPECT_EQ(BuildError().code(), absl::StatusCode::kUnimplemented);
  in_.network_namespace_path = "/run/skiff/netns/abc";
  EXPECT_EQ(Build()["linux"]["namespaces"][1],
            json({{"type", "network"}, {"path", "/run/skiff/netns/abc"}}));
}

TEST_F(BuildSpecTest, PidIpcUtsHostModes) {
  in_.host.set_pid_mode("host");
  in_.host.set_ipc_mode("host");
  in_.host.set_uts_mode("host");
  json spec = Build();
  Strings ns = NamespaceTypes(spec);
  for (const char* t : {"pid", "ipc", "uts"})
    EXPECT_EQ(std::count(ns.begin(), ns.end(), t), 0) << t;
  EXPECT_FALSE(spec.contains("hostname"));
  const json* shm = FindMount(spec, "/dev/shm");
  ASSERT_NE(shm, nullptr);
  EXPECT_EQ((*shm)["source"], "/dev/shm");
  EXPECT_EQ((*shm)["options"], json({"rbind", "rprivate"}));

  in_.config.set_hostname("x");
  EXPECT_NE(BuildError().message().find("--uts host"), absl::string_view::npos);
}

TEST_F(BuildSpecTest, ContainerNamespaceModesAreNotSupportedYet) {
  for (auto set : {&skiff::v1::HostConfig::set_pid_mode<const char*>,
                   &skiff::v1::HostConfig::set_ipc_mode<const char*>}) {
    SpecInput in = in_;
    (in.host.*set)("container:db");
    auto spec = BuildSpec(in);
    ASSERT_FALSE(spec.ok());
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(spec.status().message().find("not supported yet"), absl::string_view::npos);
  }
  in_.host.set_userns_mode("private");
  EXPECT_EQ(BuildError().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(BuildSpecTest, IpcNoneHasNoShm) {
  in_.host.set_ipc_mode("none");
  EXPECT_EQ(FindMount(Build(), "/dev/shm"), nullptr);
}

TEST_F(BuildSpecTest, ShmSize) {
  in_.host.set_shm_size(1 << 20);
  EXPECT_EQ((*FindMount(Build(), "/dev/shm"))["options"].back(), "size=1048576");
}

TEST_F(BuildSpecTest, ReadOnlyRootfsAndEtcFiles) {
  in_.host.set_read_only_rootfs(true);
  in_.hostname_file = "/run/x/hostname";
  in_.hosts_file = "/run/x/hosts";
  json spec = Build();
  EXPECT_EQ(spec["root"]["readonly"], true);
  const json* hosts = FindMount(spec, "/etc/hosts");
  ASSERT_NE(hosts, nullptr);
  EXPECT_EQ(*hosts, json({{"destination", "/etc/hosts"},
                          {"type", "bind"},
                          {"source", "/run/x/hosts"},
                          {"options", {"rbind", "rprivate", "ro"}}}));
  EXPECT_NE(FindMount(spec, "/etc/hostname"), nullptr);
  EXPECT_EQ(FindMount(spec, "/etc/resolv.conf"), nullptr);  // "" skips it
}

TEST_F(BuildSpecTest, Tmpfs) {
  (*in_.host.mutable_tmpfs())["/run"] = "size=1m,exec";
  (*in_.host.mutable_tmpfs())["/tmp"] = "";
  json spec = Build();
  const json* run = FindMount(spec, "/run");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ((*run)["type"], "tmpfs");
  EXPECT_EQ((*run)["options"], json({"nosuid", "nodev", "rprivate", "size=1m", "exec"}));
  EXPECT_EQ((*FindMount(spec, "/tmp"))["options"], json({"noexec", "nosuid", "nodev", "rprivate"}));

  in_.host.mutable_tmpfs()->clear();
  (*in_.host.mutable_tmpfs())["run"] = "";
  EXPECT_EQ(BuildError().message(), "--tmpfs: target must be absolute: run");
  in_.host.mutable_tmpfs()->clear();
  (*in_.host.mutable_tmpfs())["/run"] = "bogus=1";
  EXPECT_NE(BuildError().message().find("invalid tmpfs option"), absl::string_view::npos);
}

TEST_F(BuildSpecTest, BindMountsSortedAfterDefaults) {
  auto* deep = in_.host.add_mounts();
  deep->set_type(skiff::v1::Mount::MOUNT_TYPE_BIND);
  deep->set_source(dir_);
  deep->set_target("/data/sub/");
  auto* top = in_.host.add_mounts();
  top->set_type(skiff::v1::Mount::MOUNT_TYPE_BIND);
  top->set_source(dir_);
  top->set_target("/data");
  top->set_read_only(true);
  top->set_propagation("rslave");
  json spec = Build();
  Strings dests = Destinations(spec);
  ASSERT_GE(dests.size(), 2u);
  EXPECT_EQ(dests[dests.size() - 2], "/data");
  EXPECT_EQ(dests.back(), "/data/sub");
  EXPECT_EQ(*FindMount(spec, "/data"), json({{"destination", "/data"},
                                             {"type", "bind"},
                                             {"source", dir_},
                                             {"options", {"rbind", "ro", "rslave"}}}));
  EXPECT_EQ((*FindMount(spec, "/data/sub"))["options"], json({"rbind", "rprivate"}));
}

TEST_F(BuildSpecTest, BindMountErrors) {
  auto* m = in_.host.add_mounts();
  m->set_type(skiff::v1::Mount::MOUNT_TYPE_BIND);
  m->set_source("/nonexistent/dir");
  m->set_target("/data");
  EXPECT_NE(BuildError().message().find("bind source path does not exist: /nonexistent/dir"),
            absl::string_view::npos);
  m->set_source(dir_);
  m->set_propagation("sideways");
  EXPECT_NE(BuildError().message().find("propagation"), absl::string_view::npos);
  m->set_propagation("");
  auto* dup = in_.host.add_mounts();
  *dup = *m;
  EXPECT_NE(BuildError().message().find("duplicate mount point: /data"), absl::string_view::npos);
  dup->set_type(skiff::v1::Mount::MOUNT_TYPE_VOLUME);
  dup->set_target("/vol");
  EXPECT_EQ(BuildError().code(), absl::StatusCode::kUnimplemented);
}

TEST_F(BuildSpecTest, UserMountReplacesADefault) {
  auto* m = in_.host.add_mounts();
  m->set_type(skiff::v1::Mount::MOUNT_TYPE_TMPFS);
  m->set_target("/dev/shm");
  m->set_options("size=1g");
  json spec = Build();
  Strings dests = Destinations(spec);
  EXPECT_EQ(std::count(dests.begin(), dests.end(), "/dev/shm"), 1);
  EXPECT_EQ((*FindMount(spec, "/dev/shm"))["options"].back(), "size=1g");
}

TEST_F(BuildSpecTest, CapAddDrop) {
  in_.host.add_cap_add("net_admin");
  in_.host.add_cap_drop("CAP_CHOWN");
  json caps = Build()["process"]["capabilities"]["effective"];
  EXPECT_NE(std::find(caps.begin(), caps.end(), "CAP_NET_ADMIN"), caps.end());
  EXPECT_EQ(std::find(caps.begin(), caps.end(), "CAP_CHOWN"), caps.end());
  in_.host.add_cap_add("foo");
  EXPECT_EQ(BuildError().message(), "unknown capability: \"CAP_FOO\"");
}

TEST_F(BuildSpecTest, SysAdminOpensMountInSeccomp) {
  auto has_mount = [](const json& spec) {
    for (const json& r : spec["linux"]["seccomp"]["syscalls"])
      for (const json& n : r["names"])
        if (n == "mount") return true;
    return false;
  };
  EXPECT_FALSE(has_mount(Build()));
  in_.host.add_cap_add("SYS_ADMIN");
  EXPECT_TRUE(has_mount(Build()));
}

TEST_F(BuildSpecTest, Privileged) {
  in_.host.set_privileged(true);
  json spec = Build();
  EXPECT_EQ(spec["process"]["capabilities"]["bounding"], json(AllCapabilities()));
  EXPECT_FALSE(spec["linux"].contains("seccomp"));
  EXPECT_FALSE(spec["linux"].contains("maskedPaths"));
  EXPECT_FALSE(spec["linux"].contains("readonlyPaths"));
  EXPECT_EQ((*FindMount(spec, "/sys"))["options"], json({"nosuid", "noexec", "nodev"}));
  EXPECT_EQ((*FindMount(spec, "/sys/fs/cgroup"))["options"], json({"nosuid", "noexec", "nodev"}));
  EXPECT_EQ(spec["linux"]["resources"]["devices"].back(),
            json({{"allow", true}, {"access", "rwm"}}));
  bool has_null = false;
  for (const json& d : spec["linux"]["devices"]) has_null |= d["path"] == "/dev/null";
  EXPECT_TRUE(has_null);
}

TEST_F(BuildSpecTest, MaskedAndReadonlyPathOverrides) {
  in_.host.mutable_masked_paths()->add_values("/proc/foo");
  in_.host.mutable_readonly_paths();  // set but empty
  json spec = Build();
  EXPECT_EQ(spec["linux"]["maskedPaths"], json({"/proc/foo"}));
  EXPECT_EQ(spec["linux"]["readonlyPaths"], json::array());
}

TEST_F(BuildSpecTest, SecurityOpts) {
  in_.host.add_security_opt("seccomp=unconfined");
  in_.host.add_security_opt("no-new-privileges");
  json spec = Build();
  EXPECT_FALSE(spec["linux"].contains("seccomp"));
  EXPECT_EQ(spec["process"]["noNewPrivileges"], true);

  in_.host.clear_security_opt();
  in_.host.add_security_opt("no-new-privileges:false");
  in_.host.add_security_opt("systempaths=unconfined");
  spec = Build();
  EXPECT_FALSE(spec["process"].contains("noNewPrivileges"));
  EXPECT_FALSE(spec["linux"].contains("maskedPaths"));

  in_.host.clear_security_opt();
  in_.host.add_security_opt("seccomp:what");
  EXPECT_NE(BuildError().message().find("reading the profile"), absl::string_view::npos);
  in_.host.clear_security_opt();
  in_.host.add_security_opt("selinux=x");
  EXPECT_NE(BuildError().message().find("invalid option \"selinux=x\""), absl::string_view::npos);
}

TEST_F(BuildSpecTest, SeccompProfileFileInDockerFormat) {
  const std::string path = dir_ + "/profile.json";
  std::ofstream(path) << R"({"defaultAction": "SCMP_ACT_ALLOW",
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
    "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                  "excludes": {"caps": ["CAP_SYS_ADMIN"]}}]})";
  in_.host.add_security_opt("seccomp=" + path);
  in_.host.set_privileged(true);  // an explicit profile still applies
  json seccomp = Build()["linux"]["seccomp"];
  EXPECT_EQ(seccomp["defaultAction"], "SCMP_ACT_ALLOW");
  EXPECT_EQ(seccomp["architectures"].size(), 2u);
  EXPECT_TRUE(seccomp["syscalls"].empty());  // privileged has CAP_SYS_ADMIN
  in_.host.set_privileged(false);
  EXPECT_EQ(Build()["linux"]["seccomp"]["syscalls"].size(), 1u);

  std::ofstream(path) << "{not json";
  EXPECT_NE(BuildError().message().find("not valid JSON"), absl::string_view::npos);
}

TEST_F(BuildSpecTest, MemoryResources) {
  res()->set_memory(256 << 20);
  res()->set_memory_reservation(128 << 20);
  res()->set_memory_swappiness(10);
  res()->set_oom_kill_disable(true);
  json mem = Build()["linux"]["resources"]["memory"];
  EXPECT_EQ(mem, json({{"limit", 256 << 20},
                       {"reservation", 128 << 20},
                       {"swap", 512 << 20},  // docker: twice the limit when unset
                       {"swappiness", 10},
                       {"disableOOMKiller", true}}));
  res()->set_memory_swap(-1);
  EXPECT_EQ(Build()["linux"]["resources"]["memory"]["swap"], -1);
  res()->set_memory_swap(300 << 20);
  EXPECT_EQ(Build()["linux"]["resources"]["memory"]["swap"], 300 << 20);

  res()->set_memory_swap(100 << 20);
  EXPECT_NE(BuildError().message().find("--memory-swap"), absl::string_view::npos);
  res()->set_memory_swap(0);
  res()->set_memory(1 << 20);
  EXPECT_NE(BuildError().message().find("6MB"), absl::string_view::npos);
  res()->set_memory(256 << 20);
  res()->set_memory_swappiness(101);
  EXPECT_NE(BuildError().message().find("--memory-swappiness"), absl::string_view::npos);
}

TEST_F(BuildSpecTest, CpuResources) {
  res()->set_nano_cpus(1500000000);
  res()->set_cpu_shares(512);
  res()->set_cpuset_cpus("0-1");
  res()->set_cpuset_mems("0");
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) res()->set_nano_cpus(500000000);
  json cpu = Build()["linux"]["resources"]["cpu"];
  EXPECT_EQ(cpu["period"], 100000);
  EXPECT_EQ(cpu["quota"], res()->nano_cpus() * 100000 / 1000000000);
  EXPECT_EQ(cpu["shares"], 512);
  EXPECT_EQ(cpu["cpus"], "0-1");
  EXPECT_EQ(cpu["mems"], "0");

  res()->set_cpu_period(50000);
  EXPECT_NE(BuildError().message().find("conflicting options"), absl::string_view::npos);
  res()->set_nano_cpus(0);
  res()->set_cpu_quota(25000);
  cpu = Build()["linux"]["resources"]["cpu"];
  EXPECT_EQ(cpu["period"], 50000);
  EXPECT_EQ(cpu["quota"], 25000);
  res()->set_cpuset_cpus("abc");
  EXPECT_NE(BuildError().message().find("--cpuset-cpus"), absl::string_view::npos);
}

TEST_F(BuildSpecTest, PidsAndBlkio) {
  res()->set_pids_limit(100);
  res()->set_blkio_weight(300);
  json r = Build()["linux"]["resources"];
  EXPECT_EQ(r["pids"], json({{"limit", 100}}));
  EXPECT_EQ(r["blockIO"], json({{"weight", 300}}));
  res()->set_pids_limit(-1);  // unlimited
  EXPECT_FALSE(Build()["linux"]["resources"].contains("pids"));
  res()->set_blkio_weight(5);
  EXPECT_NE(BuildError().message().find("--blkio-weight"), absl::string_view::npos);
}

TEST_F(BuildSpecTest, Ulimits) {
  auto* u = res()->add_ulimits();
  u->set_name("nofile");
  u->set_soft(1024);
  u->set_hard(2048);
  auto* core = res()->add_ulimits();
  core->set_name("CORE");
  core->set_soft(-1);
  core->set_hard(-1);
  json rl = Build()["process"]["rlimits"];
  EXPECT_EQ(rl, json({{{"type", "RLIMIT_NOFILE"}, {"hard", 2048}, {"soft", 1024}},
                      {{"type", "RLIMIT_CORE"}, {"hard", UINT64_MAX}, {"soft", UINT64_MAX}}}));
  u->set_soft(4096);
  EXPECT_NE(BuildError().message().find("soft limit"), absl::string_view::npos);
  u->set_soft(1);
  u->set_name("bogus");
  EXPECT_NE(BuildError().message().find("invalid ulimit type: bogus"), absl::string_view::npos);
}

TEST_F(BuildSpecTest, Sysctls) {
  (*in_.host.mutable_sysctls())["net.ipv4.ip_forward"] = "1";
  (*in_.host.mutable_sysctls())["kernel.shmmax"] = "1000000";
  EXPECT_EQ(Build()["linux"]["sysctl"],
            json({{"kernel.shmmax", "1000000"}, {"net.ipv4.ip_forward", "1"}}));
  in_.host.set_network_mode("host");
  EXPECT_NE(BuildError().message().find("network namespace"), absl::string_view::npos);
  in_.host.set_network_mode("");
  (*in_.host.mutable_sysctls())["kernel.hostname"] = "x";
  EXPECT_NE(BuildError().message().find("kernel.hostname"), absl::string_view::npos);
}

TEST_F(BuildSpecTest, OomScoreAdj) {
  in_.host.set_oom_score_adj(500);
  EXPECT_EQ(Build()["process"]["oomScoreAdj"], 500);
  in_.host.set_oom_score_adj(1001);
  EXPECT_NE(BuildError().message().find("--oom-score-adj"), absl::string_view::npos);
}

TEST_F(BuildSpecTest, Devices) {
  auto* d = res()->add_devices();
  d->set_path_on_host("/dev/null");
  d->set_path_in_container("/dev/mynull");
  d->set_cgroup_permissions("rw");
  json spec = Build();
  ASSERT_EQ(spec["linux"]["devices"].size(), 1u);
  const json& node = spec["linux"]["devices"][0];
  EXPECT_EQ(node["path"], "/dev/mynull");
  EXPECT_EQ(node["type"], "c");
  EXPECT_EQ(node["major"], 1);
  EXPECT_EQ(node["minor"], 3);
  EXPECT_EQ(spec["linux"]["resources"]["devices"].back(),
            json({{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rw"}}));
  d->set_cgroup_permissions("rwx");
  EXPECT_NE(BuildError().message().find("invalid permissions"), absl::string_view::npos);
  d->set_cgroup_permissions("");
  d->set_path_on_host("/etc/passwd");
  EXPECT_NE(BuildError().message().find("not a character or block device"),
            absl::string_view::npos);
}

TEST_F(BuildSpecTest, CgroupsPath) {
  in_.cgroups_path = "/custom/x";
  EXPECT_EQ(Build()["linux"]["cgroupsPath"], "/custom/x");
  in_.cgroups_path = "";
  in_.host.set_cgroup_parent("mygroup");
  EXPECT_EQ(Build()["linux"]["cgroupsPath"], std::string("/mygroup/") + kId);
}

TEST_F(BuildSpecTest, InitIsNotSupportedYet) {
  in_.host.set_init(true);
  absl::Status s = BuildError();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "--init is not supported yet");
}

TEST_F(BuildSpecTest, NoCommand) {
  in_.config.clear_cmd();
  EXPECT_NE(BuildError().message().find("no command specified"), absl::string_view::npos);
}

TEST_F(BuildSpecTest, RelativeRootfs) {
  in_.rootfs = "rootfs";
  EXPECT_EQ(BuildError().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skiff::manager
