#include "runtime/seccomp.h"

#include <seccomp.h>

#include <cerrno>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace skiff::runtime {

namespace {

absl::StatusOr<uint32_t> Action(const std::string& name, uint32_t errno_ret) {
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errno_ret);
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errno_ret);
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  return absl::InvalidArgumentError(absl::StrCat("linux.seccomp: unknown action \"", name, "\""));
}

absl::StatusOr<scmp_compare> Op(const std::string& name) {
  if (name == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (name == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (name == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (name == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (name == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (name == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (name == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return absl::InvalidArgumentError(absl::StrCat("linux.seccomp: unknown operator \"", name, "\""));
}

uint32_t Arch(const std::string& name) {
  static const struct { const char* n; uint32_t a; } kArchs[] = {
      {"SCMP_ARCH_X86", SCMP_ARCH_X86},         {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
      {"SCMP_ARCH_X32", SCMP_ARCH_X32},         {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
      {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64}, {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
      {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},     {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64}};
  for (const auto& a : kArchs)
    if (name == a.n) return a.a;
  return 0;
}

uint32_t U32(const nlohmann::json& j, const char* key, uint32_t def) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint32_t>() : def;
}

absl::Status Build(const nlohmann::json& p, bool load) {
  if (!p.is_object()) return absl::InvalidArgumentError("linux.seccomp: must be an object");
  uint32_t def_errno = U32(p, "defaultErrnoRet", EPERM);
  std::string def_action = p.value("defaultAction", "");
  ASSIGN_OR_RETURN(uint32_t def, Action(def_action, def_errno));
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) return absl::InternalError("seccomp_init failed");
  absl::Cleanup release = [ctx] { seccomp_release(ctx); };
  if (auto a = p.find("architectures"); a != p.end() && a->is_array()) {
    for (const auto& n : *a) {
      if (!n.is_string()) continue;
      uint32_t arch = Arch(n.get<std::string>());
      if (arch && arch != seccomp_arch_native()) seccomp_arch_add(ctx, arch);
    }
  }
  if (auto f = p.find("flags"); f != p.end() && f->is_array()) {
    for (const auto& n : *f) {
      if (n == "SECCOMP_FILTER_FLAG_LOG") seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
      if (n == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
    }
  }
  auto sys = p.find("syscalls");
  if (sys != p.end() && sys->is_array()) {
    for (size_t i = 0; i < sys->size(); ++i) {
      const auto& s = (*sys)[i];
      if (!s.is_object()) continue;
      ASSIGN_OR_RETURN(uint32_t act, Action(s.value("action", ""), U32(s, "errnoRet", def_errno)));
      if (act == def) continue;  // libseccomp refuses rules equal to the default
      std::vector<scmp_arg_cmp> cmps;
      if (auto args = s.find("args"); args != s.end() && args->is_array()) {
        for (const auto& a : *args) {
          ASSIGN_OR_RETURN(scmp_compare op, Op(a.value("op", "")));
          cmps.push_back({a.value("index", 0u), op, a.value("value", uint64_t{0}),
                          a.value("valueTwo", uint64_t{0})});
        }
      }
      auto names = s.find("names");
      if (names == s.end() || !names->is_array()) continue;
      for (const auto& n : *names) {
        if (!n.is_string()) continue;
        int nr = seccomp_syscall_resolve_name(n.get<std::string>().c_str());
        if (nr == __NR_SCMP_ERROR) continue;  // unknown here: skipped, as runc does
        int rc = seccomp_rule_add_array(ctx, act, nr, cmps.size(), cmps.data());
        if (rc < 0)
          return absl::InvalidArgumentError(absl::StrCat("linux.seccomp.syscalls[", i, "] ",
                                                         n.get<std::string>(), ": ",
                                                         strerror(-rc)));
      }
    }
  }
  if (load) {
    int rc = seccomp_load(ctx);
    if (rc < 0) return ErrnoError(-rc, "load seccomp filter");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateSeccomp(const nlohmann::json& profile) { return Build(profile, false); }
absl::Status ApplySeccomp(const nlohmann::json& profile) { return Build(profile, true); }

}  // namespace skiff::runtime
