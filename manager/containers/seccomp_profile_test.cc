#include "manager/containers/seccomp_profile.h"

#include <algorithm>

#include "gtest/gtest.h"
#include "manager/containers/capabilities.h"
#include "runtime/seccomp.h"

namespace skiff::manager {
namespace {

using json = nlohmann::json;

SeccompTarget Amd64(std::vector<std::string> caps) {
  SeccompTarget t;
  t.arch = "amd64";
  t.kernel_major = 6;
  t.kernel_minor = 1;
  t.caps = std::move(caps);
  return t;
}

// The rules naming `syscall`.
std::vector<json> RulesFor(const json& oci, const std::string& syscall) {
  std::vector<json> out;
  for (const json& r : oci["syscalls"]) {
    for (const json& n : r["names"]) {
      if (n == syscall) out.push_back(r);
    }
  }
  return out;
}

bool UnconditionallyAllowed(const json& oci, const std::string& syscall) {
  for (const json& r : RulesFor(oci, syscall)) {
    if (r["action"] == "SCMP_ACT_ALLOW" && !r.contains("args")) return true;
  }
  return false;
}

TEST(SeccompProfile, DefaultDeniesWithEpermOnX86Arches) {
  auto oci = ToOciSeccomp(DefaultDockerSeccompProfile(), Amd64(DefaultCapabilities()));
  ASSERT_TRUE(oci.ok()) << oci.status();
  EXPECT_EQ((*oci)["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ((*oci)["defaultErrnoRet"], 1);
  EXPECT_EQ((*oci)["architectures"], json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_FALSE(oci->contains("archMap"));
  for (const json& r : (*oci)["syscalls"]) {
    EXPECT_FALSE(r.contains("includes")) << r;
    EXPECT_FALSE(r.contains("excludes")) << r;
  }
  for (const char* allowed : {"read", "write", "execve", "openat", "arch_prctl", "modify_ldt",
                              "chroot", "ptrace", "io_uring_setup", "statx", "futex"}) {
    EXPECT_TRUE(UnconditionallyAllowed(*oci, allowed)) << allowed;
  }
  for (const char* denied : {"mount", "umount2", "unshare", "setns", "reboot", "init_module", "bpf",
                             "kexec_load", "open_by_handle_at", "swapon", "sethostname",
                             "perf_event_open", "s390_runtime_instr", "cacheflush"}) {
    EXPECT_TRUE(RulesFor(*oci, denied).empty()) << denied;
  }
}

TEST(SeccompProfile, Aarch64MapsArmAndArmOnlySyscalls) {
  SeccompTarget t = Amd64(DefaultCapabilities());
  t.arch = "arm64";
  auto oci = ToOciSeccomp(DefaultDockerSeccompProfile(), t);
  ASSERT_TRUE(oci.ok());
  EXPECT_EQ((*oci)["architectures"], json({"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
  EXPECT_TRUE(UnconditionallyAllowed(*oci, "cacheflush"));
  EXPECT_FALSE(UnconditionallyAllowed(*oci, "arch_prctl"));
}

TEST(SeccompProfile, CloneWithoutSysAdminMayNotCreateNamespaces) {
  auto oci = ToOciSeccomp(DefaultDockerSeccompProfile(), Amd64(DefaultCapabilities()));
  ASSERT_TRUE(oci.ok());
  auto clone = RulesFor(*oci, "clone");
  ASSERT_EQ(clone.size(), 1u);
  EXPECT_EQ(clone[0]["action"], "SCMP_ACT_ALLOW");
  EXPECT_EQ(clone[0]["args"],
            json::array({{{"index", 0}, {"value", 0x7E020000}, {"op", "SCMP_CMP_MASKED_EQ"}}}));
  auto clone3 = RulesFor(*oci, "clone3");
  ASSERT_EQ(clone3.size(), 1u);
  EXPECT_EQ(clone3[0]["action"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(clone3[0]["errnoRet"], 38);  // ENOSYS: libc falls back to clone
}

TEST(SeccompProfile, SysAdminOpensMountUnshareSetnsAndPlainClone) {
  std::vector<std::string> caps = DefaultCapabilities();
  caps.push_back("CAP_SYS_ADMIN");
  auto oci = ToOciSeccomp(DefaultDockerSeccompProfile(), Amd64(caps));
  ASSERT_TRUE(oci.ok());
  for (const char* s : {"mount", "umount2", "unshare", "setns", "clone", "clone3", "sethostname"})
    EXPECT_TRUE(UnconditionallyAllowed(*oci, s)) << s;
  EXPECT_EQ(RulesFor(*oci, "clone").size(), 1u);  // the masked rule is gone
  EXPECT_EQ(RulesFor(*oci, "clone3").size(), 1u);
}

TEST(SeccompProfile, CapabilityConditionalRules) {
  struct Case {
    const char* cap;
    const char* syscall;
  } cases[] = {{"CAP_SYS_PTRACE", "process_vm_readv"},
               {"CAP_SYS_PTRACE", "kcmp"},
               {"CAP_SYS_BOOT", "reboot"},
               {"CAP_SYS_MODULE", "finit_module"},
               {"CAP_SYS_TIME", "settimeofday"},
               {"CAP_SYS_RAWIO", "iopl"},
               {"CAP_SYS_NICE", "mbind"},
               {"CAP_SYSLOG", "syslog"},
               {"CAP_BPF", "bpf"},
               {"CAP_PERFMON", "perf_event_open"},
               {"CAP_DAC_READ_SEARCH", "open_by_handle_at"},
               {"CAP_SYS_PACCT", "acct"},
               {"CAP_SYS_TTY_CONFIG", "vhangup"}};
  for (const Case& c : cases) {
    auto without = ToOciSeccomp(DefaultDockerSeccompProfile(), Amd64({}));
    std::vector<std::string> caps = {c.cap};
    auto with = ToOciSeccomp(DefaultDockerSeccompProfile(), Amd64(caps));
    ASSERT_TRUE(without.ok() && with.ok());
    EXPECT_TRUE(UnconditionallyAllowed(*with, c.syscall)) << c.cap << " " << c.syscall;
    if (std::string(c.syscall) != "process_vm_readv") {  // also allowed from 4.8 on
      EXPECT_FALSE(UnconditionallyAllowed(*without, c.syscall)) << c.syscall;
    }
  }
}

TEST(SeccompProfile, MinKernelGatesPtraceWithoutTheCapability) {
  SeccompTarget old = Amd64({});
  old.kernel_major = 4;
  old.kernel_minor = 4;
  auto oci = ToOciSeccomp(DefaultDockerSeccompProfile(), old);
  ASSERT_TRUE(oci.ok());
  EXPECT_FALSE(UnconditionallyAllowed(*oci, "ptrace"));
  old.kernel_minor = 8;
  EXPECT_TRUE(UnconditionallyAllowed(*ToOciSeccomp(DefaultDockerSeccompProfile(), old), "ptrace"));
}

TEST(SeccompProfile, PersonalityOnlyWithHarmlessPersonas) {
  auto oci = ToOciSeccomp(DefaultDockerSeccompProfile(), Amd64({}));
  ASSERT_TRUE(oci.ok());
  auto rules = RulesFor(*oci, "personality");
  std::vector<uint64_t> personas;
  for (const json& r : rules) {
    ASSERT_EQ(r["args"].size(), 1u);
    EXPECT_EQ(r["args"][0]["op"], "SCMP_CMP_EQ");
    personas.push_back(r["args"][0]["value"].get<uint64_t>());
  }
  EXPECT_EQ(personas, (std::vector<uint64_t>{0, 8, 0x20000, 0x20008, 0xffffffff}));
}

TEST(SeccompProfile, S390UsesTheSecondCloneArgument) {
  SeccompTarget t = Amd64({});
  t.arch = "s390x";
  auto oci = ToOciSeccomp(DefaultDockerSeccompProfile(), t);
  ASSERT_TRUE(oci.ok());
  auto clone = RulesFor(*oci, "clone");
  ASSERT_EQ(clone.size(), 1u);
  EXPECT_EQ(clone[0]["args"][0]["index"], 1);
  EXPECT_EQ((*oci)["architectures"], json({"SCMP_ARCH_S390X", "SCMP_ARCH_S390"}));
}

TEST(SeccompProfile, TheRuntimeAcceptsTheDefaultForThisHost) {
  for (bool sys_admin : {false, true}) {
    std::vector<std::string> caps = DefaultCapabilities();
    if (sys_admin) caps.push_back("CAP_SYS_ADMIN");
    auto oci = DefaultSeccomp(caps);
    ASSERT_TRUE(oci.ok());
    absl::Status s = runtime::ValidateSeccomp(*oci);
    EXPECT_TRUE(s.ok()) << s;
  }
}

TEST(SeccompProfile, ConvertsUserProfiles) {
  json profile = json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [
      {"name": "mkdir", "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
      {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["chown"], "action": "SCMP_ACT_ERRNO", "excludes": {"arches": ["amd64"]}}
    ]})");
  auto oci = ToOciSeccomp(profile, Amd64({}));
  ASSERT_TRUE(oci.ok()) << oci.status();
  EXPECT_EQ((*oci)["architectures"], json({"SCMP_ARCH_X86_64"}));
  ASSERT_EQ((*oci)["syscalls"].size(), 1u);
  EXPECT_EQ((*oci)["syscalls"][0],
            json({{"names", {"mkdir"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 13}}));
}

TEST(SeccompProfile, BadProfilesNameTheField) {
  auto bad = [](const char* text) {
    auto r = ToOciSeccomp(json::parse(text), Amd64({}));
    EXPECT_FALSE(r.ok()) << text;
    return std::string(r.status().message());
  };
  EXPECT_NE(bad("[]").find("must be a JSON object"), std::string::npos);
  EXPECT_NE(bad(R"({"syscalls": []})").find("defaultAction"), std::string::npos);
  EXPECT_NE(bad(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                    "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]})")
                .find("not both"),
            std::string::npos);
  EXPECT_NE(bad(R"({"defaultAction": "SCMP_ACT_ALLOW",
                    "syscalls": [{"name": "a", "names": ["b"], "action": "SCMP_ACT_ERRNO"}]})")
                .find("syscalls[0]"),
            std::string::npos);
  EXPECT_NE(bad(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["b"]}]})")
                .find("syscalls[0].action"),
            std::string::npos);
}

}  // namespace
}  // namespace skiff::manager
