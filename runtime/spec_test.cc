#include "runtime/spec.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::runtime {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

// What `runc spec` writes (runc 1.1 shape), plus a few extras.
const char kRuncSpec[] = R"({
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 25, "width": 80},
    "user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 6]},
    "args": ["sh", "-c", "echo hi"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "EMPTY="],
    "cwd": "/work",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "inheritable": [],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_SYS_ADMIN"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 512},
                {"type": "RLIMIT_CORE", "hard": 0, "soft": 0}],
    "noNewPrivileges": true,
    "oomScoreAdj": -500,
    "apparmorProfile": "docker-default",
    "selinuxLabel": "system_u:system_r:container_t:s0"
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "runc",
  "domainname": "example.org",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
    {"destination": "/data", "type": "bind", "source": "data", "options": ["rbind", "rprivate", "ro"]}
  ],
  "hooks": {
    "prestart": [{"path": "/usr/bin/fix-mounts", "args": ["fix-mounts", "arg1"], "env": ["key1=value1"]}],
    "createRuntime": [{"path": "/usr/bin/setup-network"}],
    "createContainer": [{"path": "/usr/bin/cc"}],
    "startContainer": [{"path": "/usr/bin/refresh-ldcache"}],
    "poststart": [{"path": "/usr/bin/notify-start", "timeout": 5}],
    "poststop": [{"path": "/usr/sbin/cleanup.sh", "args": ["cleanup.sh", "-f"]}]
  },
  "annotations": {"com.example.key1": "value1", "com.example.key2": "value2"},
  "linux": {
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}],
    "timeOffsets": {"monotonic": {"secs": 100, "nanosecs": 5}, "boottime": {"secs": -3}},
    "devices": [
      {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0},
      {"path": "/dev/sda", "type": "b", "major": 8, "minor": 0},
      {"path": "/dev/fifo", "type": "p"}
    ],
    "cgroupsPath": "/myRuntime/myContainer",
    "resources": {
      "devices": [{"allow": false, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}],
      "memory": {"limit": 536870912, "reservation": 536870912, "swap": -1, "kernel": -1,
                 "kernelTCP": -1, "swappiness": 0, "disableOOMKiller": false},
      "cpu": {"shares": 1024, "quota": 1000000, "period": 500000, "realtimeRuntime": 950000,
              "realtimePeriod": 1000000, "cpus": "2-3", "mems": "0-7", "idle": 0},
      "pids": {"limit": 32771},
      "unified": {"io.max": "8:0 rbps=1000"},
      "blockIO": {"weight": 10},
      "hugepageLimits": [{"pageSize": "2MB", "limit": 9223372036854772000}],
      "network": null,
      "rdma": {}
    },
    "namespaces": [
      {"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
      {"type": "mount"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}
    ],
    "rootfsPropagation": "rslave",
    "maskedPaths": ["/proc/kcore", "/proc/keys"],
    "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"],
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "4096", "fs.mqueue.msg_max": "10",
               "kernel.domainname": "x"},
    "mountLabel": "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811",
    "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"}]},
    "personality": {"domain": "LINUX"}
  }
})";

json Base() { return json::parse(kRuncSpec); }

absl::StatusOr<Spec> Parse(const json& j, const std::string& bundle = "/bundle") {
  return ParseSpec(j.dump(), bundle);
}

// Asserts that `j` is rejected with InvalidArgument and `msg` in the message.
void ExpectError(const json& j, const std::string& msg) {
  absl::StatusOr<Spec> s = Parse(j);
  ASSERT_FALSE(s.ok()) << "expected error containing: " << msg;
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << s.status();
  EXPECT_THAT(std::string(s.status().message()), HasSubstr(msg));
}

void ExpectTextError(const std::string& text, const std::string& msg) {
  absl::StatusOr<Spec> s = ParseSpec(text, "/bundle");
  ASSERT_FALSE(s.ok()) << "expected error containing: " << msg;
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << s.status();
  EXPECT_THAT(std::string(s.status().message()), HasSubstr(msg));
}

TEST(ParseSpecTest, FullConfig) {
  absl::StatusOr<Spec> parsed = Parse(Base());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const Spec& s = *parsed;
  EXPECT_EQ(s.oci_version, "1.0.2-dev");
  EXPECT_EQ(s.root.path, "/bundle/rootfs");
  EXPECT_TRUE(s.root.readonly);

  ASSERT_TRUE(s.process.has_value());
  const Process& p = *s.process;
  EXPECT_TRUE(p.terminal);
  EXPECT_EQ(p.console_height, 25u);
  EXPECT_EQ(p.console_width, 80u);
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.gid, 1001u);
  ASSERT_TRUE(p.user.umask.has_value());
  EXPECT_EQ(*p.user.umask, 022u);
  EXPECT_THAT(p.user.additional_gids, ElementsAre(5u, 6u));
  EXPECT_THAT(p.args, ElementsAre("sh", "-c", "echo hi"));
  EXPECT_THAT(p.env, ElementsAre("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                 "TERM=xterm", "EMPTY="));
  EXPECT_EQ(p.cwd, "/work");
  ASSERT_TRUE(p.capabilities.has_value());
  EXPECT_THAT(p.capabilities->bounding,
              ElementsAre(CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE));
  EXPECT_THAT(p.capabilities->effective,
              ElementsAre(CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE));
  EXPECT_TRUE(p.capabilities->inheritable.empty());
  EXPECT_THAT(p.capabilities->permitted,
              ElementsAre(CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE));
  EXPECT_THAT(p.capabilities->ambient, ElementsAre(CAP_SYS_ADMIN));
  EXPECT_TRUE(p.capabilities->unknown.empty());
  ASSERT_EQ(p.rlimits.size(), 2u);
  EXPECT_EQ(p.rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(p.rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(p.rlimits[0].hard, 1024u);
  EXPECT_EQ(p.rlimits[0].soft, 512u);
  EXPECT_EQ(p.rlimits[1].resource, RLIMIT_CORE);
  EXPECT_TRUE(p.no_new_privileges);
  EXPECT_EQ(p.oom_score_adj, -500);
  EXPECT_EQ(p.apparmor_profile, "docker-default");
  EXPECT_EQ(p.selinux_label, "system_u:system_r:container_t:s0");

  EXPECT_EQ(s.hostname, "runc");
  EXPECT_EQ(s.domainname, "example.org");

  ASSERT_EQ(s.mounts.size(), 8u);
  EXPECT_EQ(s.mounts[0].destination, "/proc");
  EXPECT_EQ(s.mounts[0].type, "proc");
  EXPECT_EQ(s.mounts[0].source, "proc");
  EXPECT_EQ(s.mounts[0].flags, 0u);
  EXPECT_EQ(s.mounts[0].data, "");
  EXPECT_FALSE(s.mounts[0].bind());
  EXPECT_EQ(s.mounts[1].flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
  EXPECT_EQ(s.mounts[1].data, "mode=755,size=65536k");
  EXPECT_EQ(s.mounts[2].flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC));
  EXPECT_EQ(s.mounts[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  EXPECT_THAT(s.mounts[3].options,
              ElementsAre("nosuid", "noexec", "nodev", "mode=1777", "size=65536k"));
  EXPECT_EQ(s.mounts[5].flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY));
  EXPECT_EQ(s.mounts[6].flags,
            static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY));
  // A relative bind source is resolved against the bundle, as runc does.
  EXPECT_TRUE(s.mounts[7].bind());
  EXPECT_EQ(s.mounts[7].source, "/bundle/data");
  EXPECT_EQ(s.mounts[7].flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_RDONLY));
  EXPECT_EQ(s.mounts[7].propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));

  ASSERT_EQ(s.hooks.prestart.size(), 1u);
  EXPECT_EQ(s.hooks.prestart[0].path, "/usr/bin/fix-mounts");
  EXPECT_THAT(s.hooks.prestart[0].args, ElementsAre("fix-mounts", "arg1"));
  EXPECT_THAT(s.hooks.prestart[0].env, ElementsAre("key1=value1"));
  EXPECT_FALSE(s.hooks.prestart[0].timeout.has_value());
  ASSERT_EQ(s.hooks.create_runtime.size(), 1u);
  EXPECT_EQ(s.hooks.create_runtime[0].path, "/usr/bin/setup-network");
  ASSERT_EQ(s.hooks.create_container.size(), 1u);
  ASSERT_EQ(s.hooks.start_container.size(), 1u);
  ASSERT_EQ(s.hooks.poststart.size(), 1u);
  EXPECT_EQ(s.hooks.poststart[0].timeout, 5);
  ASSERT_EQ(s.hooks.poststop.size(), 1u);
  EXPECT_THAT(s.hooks.poststop[0].args, ElementsAre("cleanup.sh", "-f"));

  EXPECT_EQ(s.annotations.size(), 2u);
  EXPECT_EQ(s.annotations.at("com.example.key1"), "value1");

  const Linux& l = s.linux;
  ASSERT_EQ(l.namespaces.size(), 8u);
  EXPECT_EQ(l.namespaces[0].type, "pid");
  EXPECT_EQ(l.namespaces[0].clone_flag, CLONE_NEWPID);
  EXPECT_EQ(l.namespaces[1].clone_flag, CLONE_NEWNET);
  EXPECT_EQ(l.namespaces[2].clone_flag, CLONE_NEWIPC);
  EXPECT_EQ(l.namespaces[3].clone_flag, CLONE_NEWUTS);
  EXPECT_EQ(l.namespaces[4].clone_flag, CLONE_NEWNS);
  EXPECT_EQ(l.namespaces[5].clone_flag, CLONE_NEWUSER);
  EXPECT_EQ(l.namespaces[6].clone_flag, CLONE_NEWCGROUP);
  EXPECT_EQ(l.namespaces[7].clone_flag, CLONE_NEWTIME);
  ASSERT_EQ(l.uid_mappings.size(), 1u);
  EXPECT_EQ(l.uid_mappings[0].container_id, 0u);
  EXPECT_EQ(l.uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(l.uid_mappings[0].size, 65536u);
  ASSERT_EQ(l.gid_mappings.size(), 1u);
  EXPECT_EQ(l.gid_mappings[0].host_id, 200000u);
  EXPECT_EQ(l.time_offsets_secs.at("monotonic"), 100);
  EXPECT_EQ(l.time_offsets_nsecs.at("monotonic"), 5u);
  EXPECT_EQ(l.time_offsets_secs.at("boottime"), -3);
  EXPECT_EQ(l.time_offsets_nsecs.at("boottime"), 0u);

  ASSERT_EQ(l.devices.size(), 3u);
  EXPECT_EQ(l.devices[0].path, "/dev/fuse");
  EXPECT_EQ(l.devices[0].type, 'c');
  EXPECT_EQ(l.devices[0].major, 10);
  EXPECT_EQ(l.devices[0].minor, 229);
  EXPECT_EQ(l.devices[0].file_mode, 0666u);
  EXPECT_EQ(l.devices[0].uid, 0u);
  EXPECT_EQ(l.devices[0].gid, 0u);
  EXPECT_EQ(l.devices[1].type, 'b');
  EXPECT_FALSE(l.devices[1].file_mode.has_value());
  EXPECT_FALSE(l.devices[1].uid.has_value());
  EXPECT_EQ(l.devices[2].type, 'p');
  EXPECT_EQ(l.cgroups_path, "/myRuntime/myContainer");

  ASSERT_TRUE(l.resources.has_value());
  const Resources& r = *l.resources;
  ASSERT_EQ(r.devices.size(), 2u);
  EXPECT_FALSE(r.devices[0].allow);
  EXPECT_EQ(r.devices[0].type, "a");
  EXPECT_FALSE(r.devices[0].major.has_value());
  EXPECT_EQ(r.devices[0].access, "rwm");
  EXPECT_TRUE(r.devices[1].allow);
  EXPECT_EQ(r.devices[1].type, "c");
  EXPECT_EQ(r.devices[1].major, 10);
  EXPECT_EQ(r.devices[1].minor, 229);
  ASSERT_TRUE(r.memory.has_value());
  EXPECT_EQ(r.memory->limit, 536870912);
  EXPECT_EQ(r.memory->reservation, 536870912);
  EXPECT_EQ(r.memory->swap, -1);
  EXPECT_EQ(r.memory->kernel, -1);
  EXPECT_EQ(r.memory->kernel_tcp, -1);
  EXPECT_EQ(r.memory->swappiness, 0u);
  EXPECT_EQ(r.memory->disable_oom_killer, false);
  ASSERT_TRUE(r.cpu.has_value());
  EXPECT_EQ(r.cpu->shares, 1024u);
  EXPECT_EQ(r.cpu->quota, 1000000);
  EXPECT_EQ(r.cpu->period, 500000u);
  EXPECT_EQ(r.cpu->realtime_runtime, 950000);
  EXPECT_EQ(r.cpu->realtime_period, 1000000u);
  EXPECT_EQ(r.cpu->cpus, "2-3");
  EXPECT_EQ(r.cpu->mems, "0-7");
  EXPECT_EQ(r.cpu->idle, 0);
  EXPECT_EQ(r.pids_limit, 32771);
  EXPECT_EQ(r.unified.at("io.max"), "8:0 rbps=1000");
  ASSERT_TRUE(r.block_io.has_value());
  EXPECT_EQ(r.block_io->weight, 10);
  ASSERT_EQ(r.hugepage_limits.size(), 1u);
  EXPECT_EQ(r.hugepage_limits[0].page_size, "2MB");
  EXPECT_EQ(r.hugepage_limits[0].limit, 9223372036854772000u);
  EXPECT_FALSE(r.network.has_value());  // null
  EXPECT_TRUE(r.rdma.empty());
  EXPECT_TRUE(r.unsupported.empty());

  EXPECT_EQ(l.rootfs_propagation, "rslave");
  EXPECT_EQ(l.rootfs_propagation_flags, static_cast<unsigned long>(MS_SLAVE | MS_REC));
  EXPECT_THAT(l.masked_paths, ElementsAre("/proc/kcore", "/proc/keys"));
  EXPECT_THAT(l.readonly_paths, ElementsAre("/proc/sys", "/proc/sysrq-trigger"));
  EXPECT_EQ(l.sysctl.size(), 4u);
  EXPECT_EQ(l.sysctl.at("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(l.mount_label, "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811");
  ASSERT_TRUE(l.seccomp.has_value());
  EXPECT_EQ((*l.seccomp)["defaultAction"], "SCMP_ACT_ALLOW");
  EXPECT_EQ(l.personality["domain"], "LINUX");
}

TEST(ParseSpecTest, MinimalConfig) {
  absl::StatusOr<Spec> s = ParseSpec(R"({"ociVersion": "1.1.0", "root": {"path": "/r"}})", "/b");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->root.path, "/r");
  EXPECT_FALSE(s->root.readonly);
  EXPECT_FALSE(s->process.has_value());
  EXPECT_TRUE(s->mounts.empty());
  EXPECT_TRUE(s->linux.namespaces.empty());
  EXPECT_FALSE(s->linux.resources.has_value());
  EXPECT_FALSE(s->linux.seccomp.has_value());
  EXPECT_TRUE(s->linux.personality.is_null());
}

TEST(ParseSpecTest, UnknownFieldsAndNullsAreIgnored) {
  json j = Base();
  j["vm"] = {{"hypervisor", {{"path", "/usr/bin/qemu"}}}};
  j["windows"] = {{"layerFolders", {"C:\\a"}}};
  j["process"]["futureField"] = {1, 2, 3};
  j["process"]["user"]["username"] = "root";
  j["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_IDLE"}};
  j["linux"]["intelRdt"] = {{"closID", "x"}};
  j["linux"]["namespaces"][0]["extra"] = true;
  j["mounts"][0]["uidMappings"] = json::array();
  j["process"]["apparmorProfile"] = nullptr;
  j["linux"]["seccomp"] = nullptr;
  j["hooks"]["futureHook"] = {{{"path", "relative"}}};
  absl::StatusOr<Spec> s = Parse(j);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->process->apparmor_profile, "");
  EXPECT_FALSE(s->linux.seccomp.has_value());
}

TEST(ParseSpecTest, RootPathResolution) {
  json j = Base();
  j["root"]["path"] = "rootfs";
  EXPECT_EQ(Parse(j, "/var/lib/b")->root.path, "/var/lib/b/rootfs");
  EXPECT_EQ(Parse(j, "/var/lib/b/")->root.path, "/var/lib/b/rootfs");
  j["root"]["path"] = "./x/../rootfs/";
  EXPECT_EQ(Parse(j, "/b")->root.path, "/b/rootfs");
  j["root"]["path"] = "../shared/rootfs";
  EXPECT_EQ(Parse(j, "/b/c")->root.path, "/b/shared/rootfs");
  j["root"]["path"] = "/abs/rootfs";
  EXPECT_EQ(Parse(j, "/b")->root.path, "/abs/rootfs");

  // A relative bundle is made absolute against the current directory.
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  j["root"]["path"] = "rootfs";
  absl::StatusOr<Spec> s = Parse(j, "bundle");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->root.path, std::string(cwd) + "/bundle/rootfs");
  s = Parse(j, "");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->root.path, std::string(cwd) + "/rootfs");
}

TEST(ParseSpecTest, NotJson) {
  ExpectTextError("", "config.json: not valid JSON: ");
  ExpectTextError("{", "config.json: not valid JSON: ");
  ExpectTextError("{\"ociVersion\": \"1.0\",}", "config.json: not valid JSON: ");
  ExpectTextError("not json at all", "config.json: not valid JSON: ");
  // nlohmann's message carries the position.
  absl::StatusOr<Spec> s = ParseSpec("{\"a\": 1,,}", "/b");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("column 9"));
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("(byte 9)"));
  ExpectTextError("[]", "config.json: must be a JSON object");
  ExpectTextError("\"x\"", "config.json: must be a JSON object");
  ExpectTextError("null", "config.json: must be a JSON object");
  ExpectTextError("{}", "config.json: ociVersion: required");
}

TEST(ParseSpecTest, TopLevelErrors) {
  json j = Base();
  j.erase("ociVersion");
  ExpectError(j, "config.json: ociVersion: required");
  j = Base();
  j["ociVersion"] = 1;
  ExpectError(j, "config.json: ociVersion: must be a string");
  j = Base();
  j.erase("root");
  ExpectError(j, "config.json: root: required");
  j = Base();
  j["root"] = "rootfs";
  ExpectError(j, "config.json: root: must be an object");
  j = Base();
  j["root"].erase("path");
  ExpectError(j, "config.json: root.path: required");
  j = Base();
  j["root"]["path"] = "";
  ExpectError(j, "config.json: root.path: must not be empty");
  j = Base();
  j["root"]["readonly"] = "yes";
  ExpectError(j, "config.json: root.readonly: must be a boolean");
  j = Base();
  j["process"] = "sh";
  ExpectError(j, "config.json: process: must be an object");
  j = Base();
  j["hostname"] = 5;
  ExpectError(j, "config.json: hostname: must be a string");
  j = Base();
  j["annotations"] = {{"a", 1}};
  ExpectError(j, "config.json: annotations[\"a\"]: must be a string");
  j = Base();
  j["annotations"] = {"a"};
  ExpectError(j, "config.json: annotations: must be an object");
  j = Base();
  j["mounts"] = {{"destination", "/x"}};
  ExpectError(j, "config.json: mounts: must be an array");
  j = Base();
  j["linux"] = json::array();
  ExpectError(j, "config.json: linux: must be an object");
}

TEST(ParseSpecTest, ProcessErrors) {
  json j = Base();
  j["process"]["args"] = "sh";
  ExpectError(j, "config.json: process.args: must be a non-empty array of strings");
  j["process"]["args"] = json::array();
  ExpectError(j, "config.json: process.args: must be a non-empty array of strings");
  j["process"].erase("args");
  ExpectError(j, "config.json: process.args: must be a non-empty array of strings");
  j["process"]["args"] = {"sh", 1};
  ExpectError(j, "config.json: process.args[1]: must be a string");

  j = Base();
  j["process"]["user"]["uid"] = "0";
  ExpectError(j, "config.json: process.user.uid: must be an integer between 0 and 4294967295");
  j["process"]["user"]["uid"] = -1;
  ExpectError(j, "config.json: process.user.uid: must be an integer");
  j["process"]["user"]["uid"] = 4294967296;
  ExpectError(j, "config.json: process.user.uid: must be an integer");
  j["process"]["user"]["uid"] = 1.5;
  ExpectError(j, "config.json: process.user.uid: must be an integer");
  j = Base();
  j["process"]["user"]["gid"] = true;
  ExpectError(j, "config.json: process.user.gid: must be an integer");
  j = Base();
  j["process"]["user"]["additionalGids"] = {1, "2"};
  ExpectError(j, "config.json: process.user.additionalGids[1]: must be an integer");
  j = Base();
  j["process"]["user"]["umask"] = 010000;
  ExpectError(j, "config.json: process.user.umask: must be between 0 and 07777");
  j = Base();
  j["process"]["user"] = 0;
  ExpectError(j, "config.json: process.user: must be an object");
  j = Base();
  j["process"]["consoleSize"]["height"] = -1;
  ExpectError(j, "config.json: process.consoleSize.height: must be an integer");
  j = Base();
  j["process"]["terminal"] = 1;
  ExpectError(j, "config.json: process.terminal: must be a boolean");

  j = Base();
  j["process"]["env"] = {"A=1", "NOEQUALS"};
  ExpectError(j, "config.json: process.env[1]: \"NOEQUALS\" must be of the form KEY=VALUE");
  j["process"]["env"] = {"=x"};
  ExpectError(j, "config.json: process.env[0]: \"=x\" has an empty name");
  j["process"]["env"] = "A=1";
  ExpectError(j, "config.json: process.env: must be an array of strings");

  j = Base();
  j["process"]["cwd"] = "relative";
  ExpectError(j, "config.json: process.cwd: must be an absolute path");
  j["process"]["cwd"] = "";
  ExpectError(j, "config.json: process.cwd: must be an absolute path");
  j["process"]["cwd"] = 7;
  ExpectError(j, "config.json: process.cwd: must be a string");

  j = Base();
  j["process"]["capabilities"]["bounding"] = "CAP_KILL";
  ExpectError(j, "config.json: process.capabilities.bounding: must be an array of strings");
  j = Base();
  j["process"]["capabilities"]["effective"] = {"CAP_KILL", 5};
  ExpectError(j, "config.json: process.capabilities.effective[1]: must be a string");

  j = Base();
  j["process"]["rlimits"][1]["type"] = "RLIMIT_FOO";
  ExpectError(j, "config.json: process.rlimits[1].type: unknown rlimit type \"RLIMIT_FOO\"");
  j["process"]["rlimits"][1]["type"] = "RLIMIT_NOFILE";
  ExpectError(j, "config.json: process.rlimits[1].type: duplicate rlimit type \"RLIMIT_NOFILE\"");
  j = Base();
  j["process"]["rlimits"][0].erase("type");
  ExpectError(j, "config.json: process.rlimits[0].type: required");
  j = Base();
  j["process"]["rlimits"][0]["hard"] = "1024";
  ExpectError(j, "config.json: process.rlimits[0].hard: must be an integer");
  j = Base();
  j["process"]["rlimits"][0]["soft"] = 2048;
  ExpectError(j, "config.json: process.rlimits[0].soft: soft limit 2048 exceeds the hard limit 1024");
  j = Base();
  j["process"]["rlimits"] = json::array({"RLIMIT_NOFILE"});
  ExpectError(j, "config.json: process.rlimits[0]: must be an object");

  j = Base();
  j["process"]["noNewPrivileges"] = "true";
  ExpectError(j, "config.json: process.noNewPrivileges: must be a boolean");
  j = Base();
  j["process"]["oomScoreAdj"] = 1001;
  ExpectError(j, "config.json: process.oomScoreAdj: must be between -1000 and 1000");
  j["process"]["oomScoreAdj"] = "5";
  ExpectError(j, "config.json: process.oomScoreAdj: must be an integer");
}

TEST(ParseSpecTest, LenientProcess) {
  json j = Base();
  j["process"].erase("cwd");
  j["process"].erase("user");
  j["process"]["rlimits"] = {{{"type", "RLIMIT_NPROC"}}};
  absl::StatusOr<Spec> s = Parse(j);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->process->cwd, "/");
  EXPECT_EQ(s->process->user.uid, 0u);
  EXPECT_FALSE(s->process->user.umask.has_value());
  EXPECT_EQ(s->process->rlimits[0].resource, RLIMIT_NPROC);
  EXPECT_EQ(s->process->rlimits[0].hard, 0u);
}

TEST(ParseSpecTest, UnknownCapabilitiesAreSkipped) {
  json j = Base();
  j["process"]["capabilities"]["bounding"] = {"CAP_KILL", "CAP_FUTURE_THING", "CAP_BPF"};
  j["process"]["capabilities"]["effective"] = {"CAP_FUTURE_THING", "cap_kill"};
  absl::StatusOr<Spec> s = Parse(j);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT(s->process->capabilities->bounding, ElementsAre(CAP_KILL, 39));
  EXPECT_TRUE(s->process->capabilities->effective.empty());
  EXPECT_THAT(s->process->capabilities->unknown, ElementsAre("CAP_FUTURE_THING", "cap_kill"));
}

TEST(CapabilityFromNameTest, AllKnown) {
  const char* names[] = {
      "CAP_CHOWN",        "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
      "CAP_FSETID",       "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
      "CAP_SETPCAP",      "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
      "CAP_NET_ADMIN",    "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
      "CAP_SYS_MODULE",   "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
      "CAP_SYS_PACCT",    "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
      "CAP_SYS_RESOURCE", "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
      "CAP_LEASE",        "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
      "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
      "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",    "CAP_PERFMON",         "CAP_BPF",
      "CAP_CHECKPOINT_RESTORE",
  };
  for (int i = 0; i < static_cast<int>(sizeof names / sizeof names[0]); ++i) {
    EXPECT_EQ(CapabilityFromName(names[i]), i) << names[i];
  }
  EXPECT_EQ(CapabilityFromName("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
  EXPECT_EQ(CapabilityFromName("SYS_ADMIN"), -1);
  EXPECT_EQ(CapabilityFromName(""), -1);
}

TEST(RlimitFromNameTest, Names) {
  EXPECT_EQ(RlimitFromName("RLIMIT_CPU"), RLIMIT_CPU);
  EXPECT_EQ(RlimitFromName("RLIMIT_FSIZE"), RLIMIT_FSIZE);
  EXPECT_EQ(RlimitFromName("RLIMIT_DATA"), RLIMIT_DATA);
  EXPECT_EQ(RlimitFromName("RLIMIT_STACK"), RLIMIT_STACK);
  EXPECT_EQ(RlimitFromName("RLIMIT_CORE"), RLIMIT_CORE);
  EXPECT_EQ(RlimitFromName("RLIMIT_RSS"), RLIMIT_RSS);
  EXPECT_EQ(RlimitFromName("RLIMIT_NPROC"), RLIMIT_NPROC);
  EXPECT_EQ(RlimitFromName("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  EXPECT_EQ(RlimitFromName("RLIMIT_MEMLOCK"), RLIMIT_MEMLOCK);
  EXPECT_EQ(RlimitFromName("RLIMIT_AS"), RLIMIT_AS);
  EXPECT_EQ(RlimitFromName("RLIMIT_LOCKS"), RLIMIT_LOCKS);
  EXPECT_EQ(RlimitFromName("RLIMIT_SIGPENDING"), RLIMIT_SIGPENDING);
  EXPECT_EQ(RlimitFromName("RLIMIT_MSGQUEUE"), RLIMIT_MSGQUEUE);
  EXPECT_EQ(RlimitFromName("RLIMIT_NICE"), RLIMIT_NICE);
  EXPECT_EQ(RlimitFromName("RLIMIT_RTPRIO"), RLIMIT_RTPRIO);
  EXPECT_EQ(RlimitFromName("RLIMIT_RTTIME"), RLIMIT_RTTIME);
  EXPECT_EQ(RlimitFromName("NOFILE"), -1);
  EXPECT_EQ(RlimitFromName("RLIMIT_nofile"), -1);
}

Mount WithOptions(std::vector<std::string> options, std::string type = "") {
  Mount m;
  m.type = std::move(type);
  m.options = std::move(options);
  ParseMountOptions(m);
  return m;
}

TEST(ParseMountOptionsTest, FlagsAndData) {
  Mount m = WithOptions({"nosuid", "strictatime", "mode=755", "size=65536k"});
  EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
  EXPECT_EQ(m.clear_flags, 0u);
  EXPECT_EQ(m.data, "mode=755,size=65536k");
  EXPECT_EQ(m.propagation, 0u);
  EXPECT_FALSE(m.bind());
}

TEST(ParseMountOptionsTest, RbindRprivateRo) {
  Mount m = WithOptions({"rbind", "rprivate", "ro"});
  EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_RDONLY));
  EXPECT_EQ(m.propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(m.data, "");
  EXPECT_TRUE(m.bind());
}

TEST(ParseMountOptionsTest, AllFlagOptions) {
  struct Case {
    const char* opt;
    unsigned long set, clear;
  } cases[] = {
      {"ro", MS_RDONLY, 0},          {"rw", 0, MS_RDONLY},
      {"nosuid", MS_NOSUID, 0},      {"suid", 0, MS_NOSUID},
      {"nodev", MS_NODEV, 0},        {"dev", 0, MS_NODEV},
      {"noexec", MS_NOEXEC, 0},      {"exec", 0, MS_NOEXEC},
      {"sync", MS_SYNCHRONOUS, 0},   {"async", 0, MS_SYNCHRONOUS},
      {"dirsync", MS_DIRSYNC, 0},    {"remount", MS_REMOUNT, 0},
      {"mand", MS_MANDLOCK, 0},      {"nomand", 0, MS_MANDLOCK},
      {"noatime", MS_NOATIME, 0},    {"atime", 0, MS_NOATIME},
      {"nodiratime", MS_NODIRATIME, 0}, {"diratime", 0, MS_NODIRATIME},
      {"relatime", MS_RELATIME, 0},  {"norelatime", 0, MS_RELATIME},
      {"strictatime", MS_STRICTATIME, 0}, {"nostrictatime", 0, MS_STRICTATIME},
      {"bind", MS_BIND, 0},          {"rbind", MS_BIND | MS_REC, 0},
      {"defaults", 0, 0},
  };
  for (const Case& c : cases) {
    Mount m = WithOptions({c.opt});
    EXPECT_EQ(m.flags, c.set) << c.opt;
    EXPECT_EQ(m.clear_flags, c.clear) << c.opt;
    EXPECT_EQ(m.data, "") << c.opt;
  }
}

TEST(ParseMountOptionsTest, LastOptionWins) {
  Mount m = WithOptions({"ro", "rw"});
  EXPECT_EQ(m.flags, 0u);
  EXPECT_EQ(m.clear_flags, static_cast<unsigned long>(MS_RDONLY));
  m = WithOptions({"rw", "ro", "suid", "nosuid"});
  EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_RDONLY | MS_NOSUID));
  EXPECT_EQ(m.clear_flags, 0u);
}

TEST(ParseMountOptionsTest, Propagation) {
  struct Case {
    const char* opt;
    unsigned long flags;
  } cases[] = {
      {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
      {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
      {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  for (const Case& c : cases) {
    Mount m = WithOptions({"bind", c.opt});
    EXPECT_EQ(m.propagation, c.flags) << c.opt;
    EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_BIND)) << c.opt;
    EXPECT_EQ(m.data, "") << c.opt;
  }
}

TEST(ParseMountOptionsTest, IgnoredAndExtensionOptions) {
  Mount m = WithOptions({"tmpcopyup", "idmap", "ridmap", "size=1m"}, "tmpfs");
  EXPECT_TRUE(m.tmpcopyup);
  EXPECT_EQ(m.data, "size=1m");
  EXPECT_EQ(m.flags, 0u);

  m = WithOptions({"rbind", "rro", "rnosuid", "rnoatime"});
  EXPECT_EQ(m.data, "");
  EXPECT_EQ(m.rec_attr_set,
            static_cast<uint64_t>(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOATIME));
  EXPECT_EQ(m.rec_attr_clr, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
}

TEST(ParseMountOptionsTest, ReparseResets) {
  Mount m = WithOptions({"ro", "x=1"});
  m.options = {"nodev"};
  ParseMountOptions(m);
  EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_NODEV));
  EXPECT_EQ(m.data, "");
}

TEST(MountTest, BindByType) {
  Mount m = WithOptions({}, "bind");
  EXPECT_TRUE(m.bind());
  EXPECT_FALSE(WithOptions({"ro"}, "none").bind());
}

TEST(ParseSpecTest, MountErrors) {
  json j = Base();
  j["mounts"][3]["destination"] = "dev/shm";
  ExpectError(j, "config.json: mounts[3].destination: must be an absolute path");
  j["mounts"][3].erase("destination");
  ExpectError(j, "config.json: mounts[3].destination: required");
  j = Base();
  j["mounts"][0]["destination"] = 5;
  ExpectError(j, "config.json: mounts[0].destination: must be a string");
  j = Base();
  j["mounts"][1]["options"] = "nosuid,nodev";
  ExpectError(j, "config.json: mounts[1].options: must be an array of strings");
  j = Base();
  j["mounts"][1]["options"] = {"nosuid", 1};
  ExpectError(j, "config.json: mounts[1].options[1]: must be a string");
  j = Base();
  j["mounts"][2]["type"] = json::object();
  ExpectError(j, "config.json: mounts[2].type: must be a string");
  j = Base();
  j["mounts"][2] = "proc";
  ExpectError(j, "config.json: mounts[2]: must be an object");
}

TEST(ParseSpecTest, HookErrors) {
  json j = Base();
  j["hooks"]["poststop"][0]["path"] = "cleanup.sh";
  ExpectError(j, "config.json: hooks.poststop[0].path: must be an absolute path");
  j = Base();
  j["hooks"]["createRuntime"][0].erase("path");
  ExpectError(j, "config.json: hooks.createRuntime[0].path: required");
  j = Base();
  j["hooks"]["poststart"][0]["timeout"] = 0;
  ExpectError(j, "config.json: hooks.poststart[0].timeout: must be a positive integer");
  j["hooks"]["poststart"][0]["timeout"] = -3;
  ExpectError(j, "config.json: hooks.poststart[0].timeout: must be a positive integer");
  j["hooks"]["poststart"][0]["timeout"] = "5";
  ExpectError(j, "config.json: hooks.poststart[0].timeout: must be an integer");
  j = Base();
  j["hooks"]["prestart"][0]["args"] = "x";
  ExpectError(j, "config.json: hooks.prestart[0].args: must be an array of strings");
  j = Base();
  j["hooks"]["startContainer"] = {{"path", "/x"}};
  ExpectError(j, "config.json: hooks.startContainer: must be an array");
  j = Base();
  j["hooks"] = json::array();
  ExpectError(j, "config.json: hooks: must be an object");
}

TEST(ParseSpecTest, NamespaceErrors) {
  json j = Base();
  j["linux"]["namespaces"][2]["type"] = "foo";
  ExpectError(j, "config.json: linux.namespaces[2].type: unknown namespace type \"foo\"");
  j = Base();
  j["linux"]["namespaces"][3]["type"] = "pid";
  ExpectError(j, "config.json: linux.namespaces[3].type: duplicate namespace type \"pid\"");
  j = Base();
  j["linux"]["namespaces"][0].erase("type");
  ExpectError(j, "config.json: linux.namespaces[0].type: required");
  j = Base();
  j["linux"]["namespaces"][0]["path"] = "proc/1/ns/pid";
  ExpectError(j, "config.json: linux.namespaces[0].path: must be an absolute path");
  j = Base();
  j["linux"]["namespaces"] = json::array({"pid"});
  ExpectError(j, "config.json: linux.namespaces[0]: must be an object");
}

TEST(ParseSpecTest, FindNamespace) {
  json j = Base();
  j["linux"]["namespaces"][1]["path"] = "/var/run/netns/x";
  absl::StatusOr<Spec> s = Parse(j);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_NE(s->FindNamespace("network"), nullptr);
  EXPECT_EQ(s->FindNamespace("network")->path, "/var/run/netns/x");
  EXPECT_FALSE(s->HasNewNamespace(CLONE_NEWNET));
  EXPECT_TRUE(s->HasNewNamespace(CLONE_NEWPID));
  EXPECT_TRUE(s->HasNewNamespace(CLONE_NEWTIME));

  s = ParseSpec(R"({"ociVersion": "1", "root": {"path": "/r"},
                    "linux": {"namespaces": [{"type": "mount"}]}})", "/b");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->FindNamespace("pid"), nullptr);
  EXPECT_FALSE(s->HasNewNamespace(CLONE_NEWPID));
  EXPECT_TRUE(s->HasNewNamespace(CLONE_NEWNS));
}

TEST(ParseSpecTest, UserNamespaceMappings) {
  json j = Base();
  j["linux"]["uidMappings"] = json::array();
  ExpectError(j, "config.json: linux.uidMappings: required when a new user namespace is requested");
  j = Base();
  j["linux"].erase("gidMappings");
  ExpectError(j, "config.json: linux.gidMappings: required when a new user namespace is requested");

  // Joining a user namespace needs no mappings.
  j = Base();
  j["linux"].erase("uidMappings");
  j["linux"].erase("gidMappings");
  j["linux"]["namespaces"][5]["path"] = "/proc/1/ns/user";
  EXPECT_TRUE(Parse(j).ok());

  j = Base();
  j["linux"]["namespaces"].erase(5);
  ExpectError(j, "config.json: linux.uidMappings: set but no user namespace is requested");
  j["linux"].erase("uidMappings");
  ExpectError(j, "config.json: linux.gidMappings: set but no user namespace is requested");

  j = Base();
  j["linux"]["uidMappings"][0]["size"] = 0;
  ExpectError(j, "config.json: linux.uidMappings[0].size: must be positive");
  j["linux"]["uidMappings"][0].erase("size");
  ExpectError(j, "config.json: linux.uidMappings[0].size: required");
  j = Base();
  j["linux"]["gidMappings"][0]["hostID"] = "1000";
  ExpectError(j, "config.json: linux.gidMappings[0].hostID: must be an integer");
  j = Base();
  j["linux"]["uidMappings"] = json::array({0});
  ExpectError(j, "config.json: linux.uidMappings[0]: must be an object");
}

TEST(ParseSpecTest, TimeOffsets) {
  json j = Base();
  j["linux"]["namespaces"].erase(7);
  ExpectError(j, "config.json: linux.timeOffsets: set but no new time namespace is requested");
  j = Base();
  j["linux"]["namespaces"][7]["path"] = "/proc/1/ns/time";
  ExpectError(j, "config.json: linux.timeOffsets: set but no new time namespace is requested");
  j = Base();
  j["linux"]["timeOffsets"]["realtime"] = {{"secs", 1}};
  ExpectError(j, "config.json: linux.timeOffsets.realtime: unknown clock");
  j = Base();
  j["linux"]["timeOffsets"]["boottime"]["nanosecs"] = 1000000000;
  ExpectError(j, "config.json: linux.timeOffsets.boottime.nanosecs: must be below 1000000000");
  j["linux"]["timeOffsets"]["boottime"]["nanosecs"] = -1;
  ExpectError(j, "config.json: linux.timeOffsets.boottime.nanosecs: must be an integer");
  j = Base();
  j["linux"]["timeOffsets"]["monotonic"]["secs"] = "1";
  ExpectError(j, "config.json: linux.timeOffsets.monotonic.secs: must be an integer");
}

TEST(ParseSpecTest, HostnameNeedsUts) {
  json j = Base();
  j["linux"]["namespaces"].erase(3);
  j.erase("domainname");
  ExpectError(j, "config.json: hostname: unable to set hostname without a private UTS namespace");
  j.erase("hostname");
  j["domainname"] = "x";
  ExpectError(j, "config.json: domainname: unable to set domainname without a private UTS namespace");
  j.erase("domainname");
  j["linux"]["sysctl"].erase("kernel.domainname");
  EXPECT_TRUE(Parse(j).ok());
  j["hostname"] = "";
  EXPECT_TRUE(Parse(j).ok());
}

TEST(ParseSpecTest, SysctlNamespaces) {
  json j = Base();
  j["linux"]["namespaces"].erase(1);  // network
  ExpectError(j, "config.json: linux.sysctl: sysctl \"net.ipv4.ip_forward\" is not allowed in the "
                 "host's network namespace");
  j = Base();
  j["linux"]["namespaces"].erase(2);  // ipc
  ExpectError(j, "config.json: linux.sysctl: sysctl \"fs.mqueue.msg_max\" is not allowed in the "
                 "host's ipc namespace");
  j["linux"]["sysctl"] = {{"kernel.shmmax", "1"}};
  ExpectError(j, "sysctl \"kernel.shmmax\" is not allowed in the host's ipc namespace");
  j["linux"]["sysctl"] = {{"kernel.msgmax", "1"}};
  ExpectError(j, "sysctl \"kernel.msgmax\" is not allowed in the host's ipc namespace");
  j["linux"]["sysctl"] = {{"kernel.sem", "1"}};
  ExpectError(j, "sysctl \"kernel.sem\" is not allowed in the host's ipc namespace");
  j = Base();
  j["linux"]["sysctl"]["vm.swappiness"] = "10";
  ExpectError(j, "config.json: linux.sysctl: sysctl \"vm.swappiness\" is not in a separate kernel "
                 "namespace");
  j = Base();
  j["linux"]["sysctl"]["kernel.hostname"] = "h";
  ExpectError(j, "sysctl \"kernel.hostname\" conflicts with the \"hostname\" field");
  j = Base();
  j["linux"]["sysctl"]["net.core.somaxconn"] = 5;
  ExpectError(j, "config.json: linux.sysctl[\"net.core.somaxconn\"]: must be a string");
}

TEST(ParseSpecTest, DeviceErrors) {
  json j = Base();
  j["linux"]["devices"][0]["path"] = "dev/fuse";
  ExpectError(j, "config.json: linux.devices[0].path: must be an absolute path");
  j = Base();
  j["linux"]["devices"][1].erase("type");
  ExpectError(j, "config.json: linux.devices[1].type: required");
  j = Base();
  j["linux"]["devices"][1]["type"] = "x";
  ExpectError(j, "config.json: linux.devices[1].type: unknown device type \"x\"");
  j = Base();
  j["linux"]["devices"][1].erase("minor");
  ExpectError(j, "config.json: linux.devices[1].minor: required for device type \"b\"");
  j = Base();
  j["linux"]["devices"][0]["major"] = "10";
  ExpectError(j, "config.json: linux.devices[0].major: must be an integer");
  j = Base();
  j["linux"]["devices"][0]["fileMode"] = -1;
  ExpectError(j, "config.json: linux.devices[0].fileMode: must be an integer");
}

TEST(ParseSpecTest, ResourceErrors) {
  json j = Base();
  j["linux"]["resources"]["devices"][1].erase("allow");
  ExpectError(j, "config.json: linux.resources.devices[1].allow: required");
  j = Base();
  j["linux"]["resources"]["devices"][0]["allow"] = "false";
  ExpectError(j, "config.json: linux.resources.devices[0].allow: must be a boolean");
  j = Base();
  j["linux"]["resources"]["devices"][1]["type"] = "p";
  ExpectError(j, "config.json: linux.resources.devices[1].type: unknown device type \"p\"");
  j = Base();
  j["linux"]["resources"]["devices"][1]["access"] = "rwx";
  ExpectError(j, "config.json: linux.resources.devices[1].access: invalid access \"rwx\"");
  j = Base();
  j["linux"]["resources"]["memory"]["limit"] = "1G";
  ExpectError(j, "config.json: linux.resources.memory.limit: must be an integer");
  j = Base();
  j["linux"]["resources"]["memory"]["limit"] = 18446744073709551615ull;
  ExpectError(j, "config.json: linux.resources.memory.limit: must be an integer between");
  j = Base();
  j["linux"]["resources"]["memory"]["swappiness"] = -1;
  ExpectError(j, "config.json: linux.resources.memory.swappiness: must be an integer");
  j = Base();
  j["linux"]["resources"]["memory"]["disableOOMKiller"] = 0;
  ExpectError(j, "config.json: linux.resources.memory.disableOOMKiller: must be a boolean");
  j = Base();
  j["linux"]["resources"]["cpu"]["cpus"] = 2;
  ExpectError(j, "config.json: linux.resources.cpu.cpus: must be a string");
  j = Base();
  j["linux"]["resources"]["cpu"]["shares"] = -2;
  ExpectError(j, "config.json: linux.resources.cpu.shares: must be an integer");
  j = Base();
  j["linux"]["resources"]["pids"]["limit"] = "max";
  ExpectError(j, "config.json: linux.resources.pids.limit: must be an integer");
  j = Base();
  j["linux"]["resources"]["pids"] = 5;
  ExpectError(j, "config.json: linux.resources.pids: must be an object");
  j = Base();
  j["linux"]["resources"]["unified"]["memory.max"] = 5;
  ExpectError(j, "config.json: linux.resources.unified[\"memory.max\"]: must be a string");
  j = Base();
  j["linux"]["resources"] = "none";
  ExpectError(j, "config.json: linux.resources: must be an object");
}

TEST(ParseSpecTest, OtherLinuxErrors) {
  json j = Base();
  j["linux"]["rootfsPropagation"] = "foo";
  ExpectError(j, "config.json: linux.rootfsPropagation: unknown propagation \"foo\"");
  j = Base();
  j["linux"]["maskedPaths"][1] = "proc/keys";
  ExpectError(j, "config.json: linux.maskedPaths[1]: must be an absolute path");
  j = Base();
  j["linux"]["readonlyPaths"] = "/proc/sys";
  ExpectError(j, "config.json: linux.readonlyPaths: must be an array of strings");
  j = Base();
  j["linux"]["cgroupsPath"] = 1;
  ExpectError(j, "config.json: linux.cgroupsPath: must be a string");
  j = Base();
  j["linux"]["seccomp"] = "default";
  ExpectError(j, "config.json: linux.seccomp: must be an object");
}

TEST(ParseSpecTest, RootfsPropagationValues) {
  const std::pair<const char*, unsigned long> cases[] = {
      {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
      {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
      {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
      {"", 0},
  };
  for (const auto& [name, flags] : cases) {
    json j = Base();
    j["linux"]["rootfsPropagation"] = name;
    absl::StatusOr<Spec> s = Parse(j);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->linux.rootfs_propagation_flags, flags) << name;
  }
}

// Every value of a wrong type anywhere must produce an error, never a crash.
TEST(ParseSpecTest, WrongTypesNeverCrash) {
  const json kWrong[] = {nullptr, true, 1, -1, 1.5, "s", json::array(), json::object(),
                         json::array({1}), json::object({{"a", 1}})};
  json base = Base();
  std::vector<json::json_pointer> pointers;
  json flat = base.flatten();
  for (auto it = flat.begin(); it != flat.end(); ++it) {
    json::json_pointer ptr(it.key());
    // Every leaf and each of its parents.
    while (!ptr.empty()) {
      pointers.push_back(ptr);
      ptr = ptr.parent_pointer();
    }
  }
  int errors = 0;
  for (const json::json_pointer& ptr : pointers) {
    for (const json& w : kWrong) {
      json j = base;
      j[ptr] = w;
      absl::StatusOr<Spec> s = Parse(j);
      if (!s.ok()) {
        ++errors;
        EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
        EXPECT_THAT(std::string(s.status().message()), HasSubstr("config.json: "));
      }
    }
  }
  EXPECT_GT(errors, 100);
}

TEST(LoadSpecTest, ReadsBundle) {
  std::string dir = ::testing::TempDir();
  while (!dir.empty() && dir.back() == '/') dir.pop_back();
  dir += "/spec_test_bundle";
  mkdir(dir.c_str(), 0755);
  {
    std::ofstream out(dir + "/config.json");
    out << kRuncSpec;
  }
  absl::StatusOr<Spec> s = LoadSpec(dir);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->root.path, dir + "/rootfs");

  {
    std::ofstream out(dir + "/config.json");
    out << "";
  }
  s = LoadSpec(dir);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("not valid JSON"));

  unlink((dir + "/config.json").c_str());
  s = LoadSpec(dir);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(s.status().message()),
            "open `" + dir + "/config.json`: No such file or directory");
  rmdir(dir.c_str());
}

TEST(DefaultSpecTest, MatchesRuncSpec) {
  json d = DefaultSpec(false, 1000, 1000);
  EXPECT_EQ(d["ociVersion"], "1.0.2");
  EXPECT_EQ(d["hostname"], "ocirun");
  EXPECT_EQ(d["process"]["args"], json({"sh"}));
  EXPECT_EQ(d["process"]["env"],
            json({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}));
  EXPECT_EQ(d["process"]["user"], json({{"uid", 0}, {"gid", 0}}));
  EXPECT_FALSE(d["process"]["capabilities"].contains("ambient"));
  EXPECT_EQ(d["process"]["capabilities"]["bounding"],
            json({"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}));
  EXPECT_EQ(d["process"]["rlimits"],
            json::parse(R"([{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}])"));
  EXPECT_EQ(d["root"], json::parse(R"({"path": "rootfs", "readonly": true})"));
  EXPECT_EQ(d["mounts"].size(), 7u);
  EXPECT_EQ(d["mounts"][2]["options"],
            json({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  EXPECT_EQ(d["mounts"][5],
            json::parse(R"({"destination": "/sys", "type": "sysfs", "source": "sysfs",
                            "options": ["nosuid", "noexec", "nodev", "ro"]})"));
  EXPECT_EQ(d["linux"]["resources"], json::parse(R"({"devices": [{"allow": false, "access": "rwm"}]})"));
  EXPECT_EQ(d["linux"]["namespaces"],
            json::parse(R"([{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
                            {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}])"));
  EXPECT_EQ(d["linux"]["maskedPaths"].size(), 10u);
  EXPECT_EQ(d["linux"]["readonlyPaths"].size(), 5u);
  EXPECT_FALSE(d["linux"].contains("uidMappings"));

  absl::StatusOr<Spec> s = ParseSpec(d.dump(2), "/b");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->root.path, "/b/rootfs");
  EXPECT_EQ(s->hostname, "ocirun");
  ASSERT_TRUE(s->process.has_value());
  EXPECT_TRUE(s->process->terminal);
  EXPECT_TRUE(s->process->no_new_privileges);
  EXPECT_THAT(s->process->capabilities->permitted,
              ElementsAre(CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE));
  EXPECT_TRUE(s->process->capabilities->ambient.empty());
  EXPECT_EQ(s->mounts.size(), 7u);
  EXPECT_EQ(s->mounts[1].data, "mode=755,size=65536k");
  EXPECT_TRUE(s->HasNewNamespace(CLONE_NEWNET));
  EXPECT_TRUE(s->HasNewNamespace(CLONE_NEWCGROUP));
  EXPECT_FALSE(s->HasNewNamespace(CLONE_NEWUSER));
  ASSERT_TRUE(s->linux.resources.has_value());
  EXPECT_TRUE(s->linux.resources->unsupported.empty());
}

TEST(DefaultSpecTest, RootlessMatchesRuncSpecRootless) {
  json d = DefaultSpec(true, 1234, 5678);
  EXPECT_EQ(d["linux"]["namespaces"],
            json::parse(R"([{"type": "pid"}, {"type": "ipc"}, {"type": "uts"},
                            {"type": "mount"}, {"type": "cgroup"}, {"type": "user"}])"));
  EXPECT_EQ(d["linux"]["uidMappings"],
            json::parse(R"([{"containerID": 0, "hostID": 1234, "size": 1}])"));
  EXPECT_EQ(d["linux"]["gidMappings"],
            json::parse(R"([{"containerID": 0, "hostID": 5678, "size": 1}])"));
  EXPECT_FALSE(d["linux"].contains("resources"));
  EXPECT_EQ(d["mounts"].size(), 7u);
  EXPECT_EQ(d["mounts"][2]["options"],
            json({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}));
  EXPECT_EQ(d["mounts"][5],
            json::parse(R"({"destination": "/sys", "type": "none", "source": "/sys",
                            "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]})"));
  EXPECT_EQ(d["mounts"][6]["destination"], "/sys/fs/cgroup");
  // Everything else is as in the non-rootless spec.
  json plain = DefaultSpec(false, 1234, 5678);
  EXPECT_EQ(d["process"], plain["process"]);
  EXPECT_EQ(d["root"], plain["root"]);
  EXPECT_EQ(d["linux"]["maskedPaths"], plain["linux"]["maskedPaths"]);

  absl::StatusOr<Spec> s = ParseSpec(d.dump(), "/b");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->HasNewNamespace(CLONE_NEWUSER));
  EXPECT_FALSE(s->HasNewNamespace(CLONE_NEWNET));
  EXPECT_EQ(s->FindNamespace("network"), nullptr);
  ASSERT_EQ(s->linux.uid_mappings.size(), 1u);
  EXPECT_EQ(s->linux.uid_mappings[0].host_id, 1234u);
  EXPECT_EQ(s->linux.gid_mappings[0].host_id, 5678u);
  EXPECT_FALSE(s->linux.resources.has_value());
  EXPECT_TRUE(s->mounts[5].bind());
  EXPECT_EQ(s->mounts[5].flags,
            static_cast<unsigned long>(MS_BIND | MS_REC | MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY));
  EXPECT_EQ(s->mounts[2].data, "newinstance,ptmxmode=0666,mode=0620");
}

TEST(ParseResourcesJsonTest, AllSections) {
  absl::StatusOr<Resources> r = ParseResourcesJson(R"({
    "memory": {"limit": 67108864},
    "blockIO": {"weight": 500, "leafWeight": 300,
                "weightDevice": [{"major": 8, "minor": 0, "weight": 100}],
                "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
                "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 50}]},
    "hugepageLimits": [{"pageSize": "1GB", "limit": 1073741824}],
    "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
    "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}}
  })");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->memory->limit, 67108864);
  ASSERT_TRUE(r->block_io.has_value());
  EXPECT_EQ(r->block_io->weight, 500);
  EXPECT_EQ(r->block_io->leaf_weight, 300);
  ASSERT_EQ(r->block_io->weight_device.size(), 1u);
  EXPECT_EQ(r->block_io->weight_device[0].major, 8);
  EXPECT_EQ(r->block_io->weight_device[0].weight, 100);
  EXPECT_FALSE(r->block_io->weight_device[0].leaf_weight.has_value());
  ASSERT_EQ(r->block_io->throttle_read_bps.size(), 1u);
  EXPECT_EQ(r->block_io->throttle_read_bps[0].rate, 1048576u);
  ASSERT_EQ(r->block_io->throttle_write_iops.size(), 1u);
  EXPECT_EQ(r->block_io->throttle_write_iops[0].minor, 16);
  EXPECT_TRUE(r->block_io->throttle_write_bps.empty());
  ASSERT_EQ(r->hugepage_limits.size(), 1u);
  EXPECT_EQ(r->hugepage_limits[0].page_size, "1GB");
  ASSERT_TRUE(r->network.has_value());
  EXPECT_EQ(r->network->class_id, 1048577u);
  ASSERT_EQ(r->network->priorities.size(), 1u);
  EXPECT_EQ(r->network->priorities[0].name, "eth0");
  EXPECT_EQ(r->network->priorities[0].priority, 5u);
  ASSERT_EQ(r->rdma.count("mlx5_1"), 1u);
  EXPECT_EQ(r->rdma.at("mlx5_1").hca_handles, 3u);
  EXPECT_EQ(r->rdma.at("mlx5_1").hca_objects, 10000u);
  EXPECT_TRUE(r->unsupported.empty());
}

TEST(ParseResourcesJsonTest, ErrorsNameTheField) {
  EXPECT_EQ(ParseResourcesJson("[").status().message(),
            "linux.resources: not a valid JSON object");
  EXPECT_THAT(ParseResourcesJson(R"({"blockIO": {"weight": 70000}})").status().message(),
              HasSubstr("linux.resources.blockIO.weight: must be an integer between 0 and 65535"));
  EXPECT_THAT(
      ParseResourcesJson(R"({"blockIO": {"throttleReadBpsDevice": [{"major": 8, "rate": 1}]}})")
          .status()
          .message(),
      HasSubstr("linux.resources.blockIO.throttleReadBpsDevice[0].minor: required"));
  EXPECT_THAT(ParseResourcesJson(R"({"hugepageLimits": [{"limit": 1}]})").status().message(),
              HasSubstr("linux.resources.hugepageLimits[0].pageSize: required"));
  EXPECT_THAT(
      ParseResourcesJson(R"({"network": {"priorities": [{"name": "a b", "priority": 1}]}})")
          .status()
          .message(),
      HasSubstr("linux.resources.network.priorities[0].name: invalid interface name"));
  EXPECT_THAT(ParseResourcesJson(R"({"rdma": {"x": 1}})").status().message(),
              HasSubstr("linux.resources.rdma[\"x\"]: must be an object"));
  // Unknown sections are recorded for a warning, not an error.
  absl::StatusOr<Resources> r = ParseResourcesJson(R"({"future": {"x": 1}})");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->unsupported, ElementsAre("future"));
}

}  // namespace
}  // namespace skiff::runtime
