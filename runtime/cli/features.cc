// ocirun features: what this runtime supports, in the JSON shape of runc's
// `features` (opencontainers/runtime-spec features.md). Lists are checked
// against the code that implements them (mount options through
// ParseMountOptions, capabilities through CapabilityFromName, seccomp
// actions/operators/architectures through ValidateSeccomp), so they cannot
// claim more than ocirun does.
#include <seccomp.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/cli/common.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

namespace skiff::runtime::cli {

namespace {

using json = nlohmann::json;
// Output in runc's field order.
using ojson = nlohmann::ordered_json;

// runc 1.1's mount options; kept if ParseMountOptions understands them
// (anything else would be passed to the filesystem as data).
constexpr const char* kMountOptions[] = {
    "acl",         "async",          "atime",        "bind",         "defaults",
    "dev",         "diratime",       "dirsync",      "exec",         "iversion",
    "lazytime",    "loud",           "mand",         "noacl",        "noatime",
    "nodev",       "nodiratime",     "noexec",       "noiversion",   "nolazytime",
    "nomand",      "norelatime",     "nostrictatime", "nosuid",      "nosymfollow",
    "private",     "ratime",         "rbind",        "rdev",         "rdiratime",
    "relatime",    "remount",        "rexec",        "rnoatime",     "rnodev",
    "rnodiratime", "rnoexec",        "rnorelatime",  "rnostrictatime", "rnosuid",
    "rnosymfollow", "ro",            "rprivate",     "rrelatime",    "rro",
    "rrw",         "rshared",        "rslave",       "rstrictatime", "rsuid",
    "rsymfollow",  "runbindable",    "rw",           "shared",       "silent",
    "slave",       "strictatime",    "suid",         "symfollow",    "sync",
    "tmpcopyup",   "unbindable",
};

constexpr const char* kCapabilities[] = {
    "CAP_CHOWN",          "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",         "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",        "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",      "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",     "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",      "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",   "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",          "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",   "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

constexpr const char* kSeccompActions[] = {
    "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",   "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
    "SCMP_ACT_TRAP",
};

constexpr const char* kSeccompOperators[] = {
    "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
    "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE",
};

constexpr const char* kSeccompArchs[] = {
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",      "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
    "SCMP_ARCH_MIPS",    "SCMP_ARCH_MIPS64",   "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",
    "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64",
    "SCMP_ARCH_PPC",     "SCMP_ARCH_PPC64",    "SCMP_ARCH_PPC64LE",     "SCMP_ARCH_RISCV64",
    "SCMP_ARCH_S390",    "SCMP_ARCH_S390X",    "SCMP_ARCH_SH",          "SCMP_ARCH_SHEB",
    "SCMP_ARCH_X32",     "SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",
};

ojson MountOptions() {
  ojson out = ojson::array();
  for (const char* opt : kMountOptions) {
    Mount m;
    m.options = {opt};
    ParseMountOptions(m);
    if (m.data.empty()) out.push_back(opt);
  }
  return out;
}

ojson Capabilities() {
  ojson out = ojson::array();
  for (const char* cap : kCapabilities) {
    if (CapabilityFromName(cap) >= 0) out.push_back(cap);
  }
  return out;
}

json Rule(const std::string& action, json args = json::array()) {
  json rule = json::object();
  rule["names"] = json::array({"getcwd"});
  rule["action"] = action;
  if (!args.empty()) rule["args"] = std::move(args);
  return rule;
}

// A rule with `action` under a default that differs from it.
bool ActionSupported(const std::string& action) {
  json profile = json::object();
  profile["defaultAction"] = action == "SCMP_ACT_ALLOW" ? "SCMP_ACT_ERRNO" : "SCMP_ACT_ALLOW";
  profile["listenerPath"] = "/run/ocirun-features.sock";
  profile["syscalls"] = json::array({Rule(action)});
  return ValidateSeccomp(profile).ok();
}

bool OperatorSupported(const std::string& op) {
  json arg = json::object();
  arg["index"] = 1;
  arg["value"] = 1;
  arg["valueTwo"] = 1;
  arg["op"] = op;
  json profile = json::object();
  profile["defaultAction"] = "SCMP_ACT_ALLOW";
  profile["syscalls"] = json::array({Rule("SCMP_ACT_ERRNO", json::array({arg}))});
  return ValidateSeccomp(profile).ok();
}

// Known to libseccomp and accepted next to the native architecture.
bool ArchSupported(const std::string& arch) {
  std::string name = absl::AsciiStrToLower(arch.substr(strlen("SCMP_ARCH_")));
  if (seccomp_arch_resolve_name(name.c_str()) == 0) return false;
  json profile = json::object();
  profile["defaultAction"] = "SCMP_ACT_ERRNO";
  profile["architectures"] = json::array({arch});
  profile["syscalls"] = json::array({Rule("SCMP_ACT_ALLOW")});
  return ValidateSeccomp(profile).ok();
}

template <typename List, typename Pred>
ojson Filter(const List& list, Pred supported) {
  ojson out = ojson::array();
  for (const char* item : list) {
    if (supported(item)) out.push_back(item);
  }
  return out;
}

}  // namespace

int CmdFeatures(const GlobalOptions& g, const Args& args) {
  (void)g;
  ParsedFlags f;
  int rc;
  if (!ParseOrUsage("features", "features", "show the enabled features (JSON)", {}, args, &f,
                    &rc))
    return rc;
  if (!f.positional.empty()) {
    return Fail(absl::InvalidArgumentError("features: takes no arguments"));
  }
  const scmp_version* v = seccomp_version();
  ojson out{
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.1.0"},
      {"hooks", ojson::array({"prestart", "createRuntime", "createContainer", "startContainer",
                             "poststart", "poststop"})},
      {"mountOptions", MountOptions()},
      {"linux",
       {{"namespaces",
         ojson::array({"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"})},
        {"capabilities", Capabilities()},
        {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
        {"seccomp",
         {{"enabled", true},
          {"actions", Filter(kSeccompActions, ActionSupported)},
          {"operators", Filter(kSeccompOperators, OperatorSupported)},
          {"archs", Filter(kSeccompArchs, ArchSupported)}}},
        {"apparmor", {{"enabled", false}}},
        {"selinux", {{"enabled", false}}}}},
      {"annotations",
       {{"io.github.seccomp.libseccomp.version",
         absl::StrCat(v->major, ".", v->minor, ".", v->micro)},
        {"io.skiff.ocirun.version", kVersion}}},
  };
  printf("%s\n", out.dump(4).c_str());
  return 0;
}

}  // namespace skiff::runtime::cli
