#include "runtime/seccomp.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "runtime/log.h"
#include "runtime/seccomp_cache.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

namespace skiff::runtime {

namespace {

using json = nlohmann::json;

constexpr const char* kRoot = "linux.seccomp";
constexpr uint64_t kMaxErrno = 0xffff;  // SECCOMP_RET_DATA
constexpr unsigned kMaxArgs = 6;
constexpr uint32_t kX32Bit = 0x40000000;  // __X32_SYSCALL_BIT

absl::Status Invalid(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

// The member, or null when absent or JSON null.
const json* Member(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

absl::StatusOr<uint64_t> Unsigned(const json& v, const std::string& path, uint64_t max) {
  uint64_t x = 0;
  if (v.is_number_unsigned()) {
    x = v.get<uint64_t>();
  } else if (v.is_number_integer()) {
    int64_t s = v.get<int64_t>();
    if (s < 0) return Invalid(path, absl::StrCat("must not be negative, got ", s));
    x = static_cast<uint64_t>(s);
  } else {
    return Invalid(path, "must be a non-negative integer");
  }
  if (x > max) return Invalid(path, absl::StrCat(x, " is out of range (0..", max, ")"));
  return x;
}

absl::StatusOr<std::string> String(const json& v, const std::string& path) {
  if (!v.is_string()) return Invalid(path, "must be a string");
  return v.get<std::string>();
}

struct ActionDef {
  const char* name;
  uint32_t base;
  bool takes_errno;
  bool permissive;  // the ENOSYS stub is not added under such a default
};

const ActionDef kActions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true, false},
    // A tracer handles syscalls it does not know itself (runc: permissive).
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true, true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false, true},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false, true},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false, false},
};

const struct {
  const char* name;
  scmp_compare op;
} kOps[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

// The spec's architectures and libseccomp's names for them.
const struct {
  const char* name;
  const char* libseccomp;
} kArchs[] = {
    {"SCMP_ARCH_X86", "x86"},
    {"SCMP_ARCH_X86_64", "x86_64"},
    {"SCMP_ARCH_X32", "x32"},
    {"SCMP_ARCH_ARM", "arm"},
    {"SCMP_ARCH_AARCH64", "aarch64"},
    {"SCMP_ARCH_MIPS", "mips"},
    {"SCMP_ARCH_MIPS64", "mips64"},
    {"SCMP_ARCH_MIPS64N32", "mips64n32"},
    {"SCMP_ARCH_MIPSEL", "mipsel"},
    {"SCMP_ARCH_MIPSEL64", "mipsel64"},
    {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32"},
    {"SCMP_ARCH_PPC", "ppc"},
    {"SCMP_ARCH_PPC64", "ppc64"},
    {"SCMP_ARCH_PPC64LE", "ppc64le"},
    {"SCMP_ARCH_S390", "s390"},
    {"SCMP_ARCH_S390X", "s390x"},
    {"SCMP_ARCH_PARISC", "parisc"},
    {"SCMP_ARCH_PARISC64", "parisc64"},
    {"SCMP_ARCH_RISCV64", "riscv64"},
    {"SCMP_ARCH_LOONGARCH64", "loongarch64"},
    {"SCMP_ARCH_M68K", "m68k"},
    {"SCMP_ARCH_SH", "sh"},
    {"SCMP_ARCH_SHEB", "sheb"},
};

const struct {
  const char* name;
  unsigned flag;
} kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

struct Action {
  const ActionDef* def = nullptr;
  uint32_t value = 0;
};

// `name` with errnoRet (the member at `errno_path`, may be null).
absl::StatusOr<Action> ParseAction(const json* name, const std::string& path, const json* ret,
                                   const std::string& ret_path) {
  if (name == nullptr) return Invalid(path, "required");
  ASSIGN_OR_RETURN(std::string n, String(*name, path));
  const ActionDef* def = nullptr;
  for (const auto& a : kActions)
    if (n == a.name) def = &a;
  if (def == nullptr) return Invalid(path, absl::StrCat("unknown action \"", n, "\""));
  Action act{def, def->base};
  if (ret != nullptr) {
    if (!def->takes_errno)
      return Invalid(ret_path,
                     absl::StrCat("only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not ", n));
    ASSIGN_OR_RETURN(uint64_t e, Unsigned(*ret, ret_path, kMaxErrno));
    act.value |= static_cast<uint32_t>(e);
  } else if (def->takes_errno) {
    act.value |= EPERM;
  }
  return act;
}

struct Call {
  std::string path;  // linux.seccomp.syscalls[i]
  std::vector<std::string> names;
  Action action;
  std::vector<scmp_arg_cmp> args;
  bool split = false;  // several conditions on one argument: one rule each
};

struct Arch {
  std::string path;  // linux.seccomp.architectures[i]
  std::string name;
  uint32_t token;
};

struct Profile {
  bool enabled = false;
  Action default_action;
  std::vector<Arch> arches;  // those this libseccomp knows
  unsigned flags = 0;
  std::vector<std::pair<std::string, unsigned>> flag_paths;  // for errors
  bool notify = false;
  std::string listener_path, listener_metadata;
  std::vector<Call> calls;
  std::set<std::string> named;  // every name in syscalls[]
};

absl::StatusOr<Profile> Parse(const json& p) {
  if (!p.is_object()) return Invalid(kRoot, "must be an object");
  Profile prof;
  const json* def = Member(p, "defaultAction");
  const json* sys = Member(p, "syscalls");
  // As runc: neither a default action nor syscalls means no seccomp.
  if (def == nullptr && (sys == nullptr || (sys->is_array() && sys->empty()))) return prof;
  prof.enabled = true;
  std::string root = kRoot;

  ASSIGN_OR_RETURN(prof.default_action,
                   ParseAction(def, root + ".defaultAction", Member(p, "defaultErrnoRet"),
                               root + ".defaultErrnoRet"));
  if (prof.default_action.value == SCMP_ACT_NOTIFY)
    return Invalid(root + ".defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");

  if (const json* a = Member(p, "architectures")) {
    if (!a->is_array()) return Invalid(root + ".architectures", "must be an array");
    for (size_t i = 0; i < a->size(); ++i) {
      std::string path = absl::StrCat(root, ".architectures[", i, "]");
      ASSIGN_OR_RETURN(std::string n, String((*a)[i], path));
      const char* lib = nullptr;
      for (const auto& k : kArchs)
        if (n == k.name) lib = k.libseccomp;
      if (lib == nullptr) return Invalid(path, absl::StrCat("unknown architecture \"", n, "\""));
      uint32_t token = seccomp_arch_resolve_name(lib);
      if (token == 0) continue;  // in the spec, unknown to this libseccomp: skipped
      prof.arches.push_back({path, n, token});
    }
  }

  if (const json* f = Member(p, "flags")) {
    if (!f->is_array()) return Invalid(root + ".flags", "must be an array");
    for (size_t i = 0; i < f->size(); ++i) {
      std::string path = absl::StrCat(root, ".flags[", i, "]");
      ASSIGN_OR_RETURN(std::string n, String((*f)[i], path));
      unsigned flag = 0;
      for (const auto& k : kFlags)
        if (n == k.name) flag = k.flag;
      if (flag == 0) return Invalid(path, absl::StrCat("unknown flag \"", n, "\""));
      prof.flags |= flag;
      prof.flag_paths.push_back({path, flag});
    }
  }

  if (const json* l = Member(p, "listenerPath")) {
    ASSIGN_OR_RETURN(prof.listener_path, String(*l, root + ".listenerPath"));
  }
  if (const json* m = Member(p, "listenerMetadata")) {
    ASSIGN_OR_RETURN(prof.listener_metadata, String(*m, root + ".listenerMetadata"));
  }

  if (sys != nullptr) {
    if (!sys->is_array()) return Invalid(root + ".syscalls", "must be an array");
    for (size_t i = 0; i < sys->size(); ++i) {
      const json& s = (*sys)[i];
      Call c;
      c.path = absl::StrCat(root, ".syscalls[", i, "]");
      if (!s.is_object()) return Invalid(c.path, "must be an object");
      const json* names = Member(s, "names");
      if (names == nullptr) return Invalid(c.path + ".names", "required");
      if (!names->is_array()) return Invalid(c.path + ".names", "must be an array");
      if (names->empty()) return Invalid(c.path + ".names", "must name at least one syscall");
      for (size_t j = 0; j < names->size(); ++j) {
        std::string npath = absl::StrCat(c.path, ".names[", j, "]");
        ASSIGN_OR_RETURN(std::string n, String((*names)[j], npath));
        if (n.empty()) return Invalid(npath, "must not be empty");
        c.names.push_back(n);
        prof.named.insert(n);
      }
      ASSIGN_OR_RETURN(c.action, ParseAction(Member(s, "action"), c.path + ".action",
                                             Member(s, "errnoRet"), c.path + ".errnoRet"));
      if (c.action.value == SCMP_ACT_NOTIFY) {
        prof.notify = true;
        for (const std::string& n : c.names)
          if (n == "sendmsg")
            return Invalid(c.path + ".action",
                           "SCMP_ACT_NOTIFY cannot apply to sendmsg: the runtime sends the "
                           "seccomp agent its fd with it");
      }
      if (const json* args = Member(s, "args")) {
        if (!args->is_array()) return Invalid(c.path + ".args", "must be an array");
        unsigned per_index[kMaxArgs] = {};
        for (size_t j = 0; j < args->size(); ++j) {
          const json& a = (*args)[j];
          std::string apath = absl::StrCat(c.path, ".args[", j, "]");
          if (!a.is_object()) return Invalid(apath, "must be an object");
          const json* index = Member(a, "index");
          if (index == nullptr) return Invalid(apath + ".index", "required");
          ASSIGN_OR_RETURN(uint64_t idx, Unsigned(*index, apath + ".index", kMaxArgs - 1));
          const json* value = Member(a, "value");
          if (value == nullptr) return Invalid(apath + ".value", "required");
          ASSIGN_OR_RETURN(uint64_t v, Unsigned(*value, apath + ".value", UINT64_MAX));
          uint64_t v2 = 0;
          if (const json* two = Member(a, "valueTwo")) {
            ASSIGN_OR_RETURN(v2, Unsigned(*two, apath + ".valueTwo", UINT64_MAX));
          }
          const json* op = Member(a, "op");
          if (op == nullptr) return Invalid(apath + ".op", "required");
          ASSIGN_OR_RETURN(std::string opname, String(*op, apath + ".op"));
          std::optional<scmp_compare> cmp;
          for (const auto& k : kOps)
            if (opname == k.name) cmp = k.op;
          if (!cmp)
            return Invalid(apath + ".op", absl::StrCat("unknown operator \"", opname, "\""));
          if (++per_index[idx] > 1) c.split = true;
          c.args.push_back({static_cast<unsigned>(idx), *cmp, v, v2});
        }
      }
      prof.calls.push_back(std::move(c));
    }
  }
  if (prof.notify) {
    if (seccomp_api_get() < 6)
      return Invalid(root, absl::StrCat("SCMP_ACT_NOTIFY needs libseccomp API level 6 (libseccomp "
                                        ">= 2.5, Linux >= 5.7), this host has ",
                                        seccomp_api_get()));
    if (prof.listener_path.empty())
      return Invalid(root + ".listenerPath", "required when SCMP_ACT_NOTIFY is used");
  }
  return prof;
}

bool StubApplies(const Profile& p) {
  return p.enabled && !p.default_action.def->permissive &&
         p.default_action.value != SCMP_ACT_ERRNO(ENOSYS);
}

// The AUDIT_ARCH_* the kernel reports for a libseccomp token (x32 runs as
// x86_64 with bit 30 in the syscall number).
uint32_t AuditArch(uint32_t token) { return token == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : token; }

// runc's -ENOSYS stub: per architecture of the filter, syscall numbers above
// the highest one the profile names return ENOSYS; everything else falls
// through to libseccomp's program, which starts right after the stub.
std::vector<sock_filter> EnosysStub(const Profile& p, const std::vector<uint32_t>& tokens) {
  struct Group {
    std::optional<uint32_t> main, x32;
    bool has_x32 = false;
  };
  std::map<uint32_t, Group> groups;
  for (uint32_t token : tokens) {
    std::optional<uint32_t> max;
    for (const std::string& n : p.named) {
      int nr = seccomp_syscall_resolve_name_arch(token, n.c_str());
      if (nr < 0) continue;  // unknown, or a pseudo-syscall on this arch
      if (!max || static_cast<uint32_t>(nr) > *max) max = nr;
    }
    Group& g = groups[AuditArch(token)];
    if (token == SCMP_ARCH_X32) {
      g.has_x32 = true;
      g.x32 = max;
    } else {
      g.main = max;
    }
  }

  const sock_filter ret_enosys = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  std::vector<sock_filter> stub;
  std::vector<size_t> to_end;  // "ja <end of stub>" to patch
  stub.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
  for (const auto& [audit, g] : groups) {
    if (!g.main && !g.x32) continue;
    std::vector<sock_filter> body;
    std::vector<size_t> body_end;
    auto above_max = [&](std::optional<uint32_t> max) {
      if (max) {
        body.push_back(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, *max, 0, 1));
        body.push_back(ret_enosys);
      }
      body_end.push_back(body.size());
      body.push_back(BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0));
    };
    body.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
    if (audit == AUDIT_ARCH_X86_64) {
      size_t jset = body.size();
      body.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kX32Bit, 0, 0));
      above_max(g.main);
      body[jset].jt = static_cast<uint8_t>(body.size() - jset - 1);
      // Without x32 in the filter, libseccomp's program rejects x32 calls.
      above_max(g.has_x32 ? g.x32 : std::nullopt);
    } else {
      if (audit == AUDIT_ARCH_S390 || audit == AUDIT_ARCH_S390X) {
        // Unknown syscall numbers reach the filter as 0 (the multiplexer).
        body.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1));
        body.push_back(ret_enosys);
      }
      above_max(g.main);
    }
    stub.push_back(
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, audit, 0, static_cast<uint8_t>(body.size())));
    size_t base = stub.size();
    stub.insert(stub.end(), body.begin(), body.end());
    for (size_t e : body_end) to_end.push_back(base + e);
  }
  if (to_end.empty()) return {};
  for (size_t i : to_end) stub[i].k = static_cast<uint32_t>(stub.size() - i - 1);
  return stub;
}

// Whether the kernel accepts these filter flags: seccomp(2) checks them
// before it reads the (here missing) program.
bool KernelAcceptsFlags(unsigned flags) {
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, nullptr);
  return rc < 0 && errno == EFAULT;
}

// The ENOSYS stub followed by libseccomp's program: nearly all the cost of
// a profile (~20 ms for Docker's default), hence the cache.
absl::StatusOr<std::vector<sock_filter>> BuildInsns(const Profile& p) {
  std::string root = kRoot;
  scmp_filter_ctx ctx = seccomp_init(p.default_action.value);
  if (ctx == nullptr) return absl::InternalError("seccomp_init failed");
  absl::Cleanup release = [ctx] { seccomp_release(ctx); };

  std::vector<uint32_t> tokens = {seccomp_arch_native()};
  for (const Arch& a : p.arches) {
    int rc = seccomp_arch_add(ctx, a.token);
    if (rc == -EEXIST) continue;  // the native one, or listed twice
    if (rc < 0)
      return Invalid(a.path, absl::StrCat(a.name,
                                          " cannot be combined with the native architecture "
                                          "in one filter: ",
                                          strerror(-rc)));
    tokens.push_back(a.token);
  }

  int rules = 0;
  for (const Call& c : p.calls) {
    // libseccomp refuses rules equal to the default; they change nothing.
    if (c.action.value == p.default_action.value) continue;
    for (const std::string& n : c.names) {
      int nr = seccomp_syscall_resolve_name(n.c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // unknown here: skipped, as runc does
      auto add = [&](unsigned count, const scmp_arg_cmp* args) -> absl::Status {
        int rc = seccomp_rule_add_array(ctx, c.action.value, nr, count, args);
        if (rc < 0) return Invalid(c.path, absl::StrCat("syscall ", n, ": ", strerror(-rc)));
        ++rules;
        return absl::OkStatus();
      };
      if (c.split) {
        for (const scmp_arg_cmp& a : c.args) RETURN_IF_ERROR(add(1, &a));
      } else {
        RETURN_IF_ERROR(add(c.args.size(), c.args.data()));
      }
    }
  }
  if (StubApplies(p) && !p.named.count("clone3")) {
    int nr = seccomp_syscall_resolve_name("clone3");
    if (nr != __NR_SCMP_ERROR) {
      int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
      if (rc < 0) return Invalid(root, absl::StrCat("clone3 ENOSYS rule: ", strerror(-rc)));
      ++rules;
    }
  }
  // A binary tree for long rule sets, as runc (libseccomp <= 2.5.4 breaks
  // with it and no rules at all).
  if (rules > 32) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

  UniqueFd mem(memfd_create("seccomp-bpf", MFD_CLOEXEC));
  if (!mem) return Errno("memfd_create for the seccomp program");
  int rc = seccomp_export_bpf(ctx, mem.get());
  if (rc < 0) return ErrnoError(-rc, "export the seccomp program");
  off_t size = lseek(mem.get(), 0, SEEK_END);
  if (size < 0 || size % sizeof(sock_filter) != 0)
    return absl::InternalError(absl::StrCat("seccomp program of odd size ", size));
  std::vector<sock_filter> prog(size / sizeof(sock_filter));
  if (pread(mem.get(), prog.data(), size, 0) != size) return Errno("read the seccomp program");

  std::vector<sock_filter> insns;
  if (StubApplies(p)) insns = EnosysStub(p, tokens);
  insns.insert(insns.end(), prog.begin(), prog.end());
  if (insns.size() > kSeccompMaxInsns)
    return Invalid(root, absl::StrCat("the filter has ", insns.size(),
                                      " BPF instructions, more than the kernel's limit of ",
                                      kSeccompMaxInsns));
  return insns;
}

// The seccomp(2) flags, each checked against the running kernel. Cheap, so
// it runs on every cache hit too: errors stay those of this kernel.
absl::StatusOr<unsigned> FilterFlags(const Profile& p) {
  unsigned flags = p.flags;
  if (p.notify) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if (flags & SECCOMP_FILTER_FLAG_TSYNC) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  } else {
    flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;  // only means something with a listener
  }
  for (const auto& [path, flag] : p.flag_paths) {
    if (!(flags & flag)) continue;
    unsigned probe = flag;
    if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if (!KernelAcceptsFlags(probe)) {
      std::string name;
      for (const auto& k : kFlags)
        if (k.flag == flag) name = k.name;
      return Invalid(path, absl::StrCat(name, " is not supported by this kernel"));
    }
  }
  return flags;
}

absl::StatusOr<SeccompProgram> Compile(const Profile& p) {
  SeccompProgram out;
  ASSIGN_OR_RETURN(out.insns, BuildInsns(p));
  ASSIGN_OR_RETURN(out.flags, FilterFlags(p));
  return out;
}

// The last program compiled in this process, by profile. A container's init
// and an exec'd process are clones of the ocirun that validated the
// profile, so they find it here instead of compiling again. ocirun is
// single-threaded; one entry is enough (one container per invocation).
struct Memo {
  std::string canonical;  // the profile's dump()
  SeccompProgram prog;
};
Memo*& LastCompiled() {
  static Memo* memo = nullptr;
  return memo;
}

// `p` (parsed from `profile`) compiled: from this process's memory, else
// from the cache under `root` (when not empty), else by libseccomp.
absl::StatusOr<const SeccompProgram*> CompileOnce(const Profile& p, const json& profile,
                                                  const std::string& root) {
  // Never throws: strings that are not UTF-8 (only possible for a profile
  // built in memory) are replaced, and differ only in names libseccomp
  // would not know anyway.
  std::string canonical = profile.dump(-1, ' ', false, json::error_handler_t::replace);
  Memo*& memo = LastCompiled();
  if (memo != nullptr && memo->canonical == canonical) return &memo->prog;

  std::optional<SeccompCache> cache;
  std::string key;
  std::optional<SeccompProgram> prog;
  if (!root.empty()) {
    cache.emplace(SeccompCache::DirFor(root));
    key = SeccompCacheKey(canonical);
    absl::StatusOr<SeccompProgram> hit = cache->Lookup(key);
    if (hit.ok()) {
      ASSIGN_OR_RETURN(unsigned flags, FilterFlags(p));
      if (flags == hit->flags) {
        prog = *std::move(hit);
      } else {
        LogDebug(absl::StrCat("seccomp cache: ", cache->dir(), "/", key, " has flags 0x",
                              absl::Hex(hit->flags), ", expected 0x", absl::Hex(flags),
                              "; compiling again"));
      }
    } else if (absl::IsFailedPrecondition(hit.status())) {
      LogWarning(absl::StrCat(hit.status().message(), "; compiling the profile without it"));
      cache.reset();
    } else if (!absl::IsNotFound(hit.status())) {
      LogDebug(absl::StrCat("seccomp cache: ", hit.status().message(), "; compiling again"));
    }
  }
  if (!prog) {
    ASSIGN_OR_RETURN(prog, Compile(p));
    if (cache) {
      absl::Status st = cache->Store(key, *prog);
      if (!st.ok()) LogDebug(absl::StrCat("seccomp cache: ", st.message()));
    }
  }
  if (memo == nullptr) memo = new Memo;
  memo->canonical = std::move(canonical);
  memo->prog = *std::move(prog);
  return &memo->prog;
}

absl::StatusOr<int> Load(const SeccompProgram& prog) {
  sock_fprog fprog = {static_cast<unsigned short>(prog.insns.size()),
                      const_cast<sock_filter*>(prog.insns.data())};
  auto load = [&] { return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, prog.flags, &fprog); };
  long rc = load();
  if (rc < 0 && errno == EACCES && prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0) {
    // Neither no_new_privs nor CAP_SYS_ADMIN: set no_new_privs, as
    // libseccomp's seccomp_load does by default.
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Errno("prctl PR_SET_NO_NEW_PRIVS");
    rc = load();
  }
  if (rc < 0) return Errno("load seccomp filter");
  if (prog.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) return static_cast<int>(rc);
  if (rc > 0)  // TSYNC: the thread that could not take the filter
    return absl::InternalError(absl::StrCat(
        "load seccomp filter: SECCOMP_FILTER_FLAG_TSYNC: thread ", rc, " cannot be synchronized"));
  return -1;
}

}  // namespace

absl::Status ValidateSeccomp(const nlohmann::json& profile) {
  return ValidateSeccomp(profile, std::string());
}

absl::Status ValidateSeccomp(const nlohmann::json& profile, const std::string& cache_root) {
  // Parse first: its errors never depend on the cache.
  ASSIGN_OR_RETURN(Profile p, Parse(profile));
  if (!p.enabled) return absl::OkStatus();
  return CompileOnce(p, profile, cache_root).status();
}

absl::StatusOr<int> ConnectSeccompListener(const nlohmann::json& profile) {
  ASSIGN_OR_RETURN(Profile p, Parse(profile));
  if (!p.enabled || !p.notify) return -1;
  std::string path = absl::StrCat(kRoot, ".listenerPath");
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (p.listener_path.size() >= sizeof(addr.sun_path))
    return Invalid(path, absl::StrCat("longer than ", sizeof(addr.sun_path) - 1, " bytes"));
  memcpy(addr.sun_path, p.listener_path.data(), p.listener_path.size());
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Errno("socket for the seccomp agent");
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return Errno(absl::StrCat("connect to the seccomp agent (", path, ")"), p.listener_path);
  return fd.release();
}

nlohmann::json SeccompProcessState(const nlohmann::json& profile, const nlohmann::json& state) {
  json msg = {{"ociVersion", "1.0.2"},
              {"fds", json::array({"seccompFd"})},
              {"pid", state.is_object() ? state.value("pid", 0) : 0},
              {"state", state}};
  if (profile.is_object()) {
    if (const json* m = Member(profile, "listenerMetadata"); m && m->is_string() && !m->empty())
      msg["metadata"] = *m;
  }
  return msg;
}

absl::Status SendSeccompFd(int listener_fd, int notify_fd, const nlohmann::json& profile,
                           const nlohmann::json& state) {
  std::string data = SeccompProcessState(profile, state).dump();
  iovec iov = {data.data(), data.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof(control);
  cmsghdr* cm = CMSG_FIRSTHDR(&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &notify_fd, sizeof(int));
  ssize_t n;
  do {
    n = sendmsg(listener_fd, &mh, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Errno("send the seccomp fd to the agent at linux.seccomp.listenerPath");
  // A stream socket may take a long state in pieces; the fd went with the first.
  for (size_t off = n; off < data.size();) {
    ssize_t m = send(listener_fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (m < 0 && errno == EINTR) continue;
    if (m < 0) return Errno("send the container state to the seccomp agent");
    off += m;
  }
  return absl::OkStatus();
}

absl::StatusOr<int> LoadSeccomp(const nlohmann::json& profile) {
  ASSIGN_OR_RETURN(Profile p, Parse(profile));
  if (!p.enabled) return -1;
  ASSIGN_OR_RETURN(const SeccompProgram* prog, CompileOnce(p, profile, std::string()));
  return Load(*prog);
}

absl::Status ApplySeccomp(const nlohmann::json& profile, const SeccompListener& listener) {
  UniqueFd listener_fd(listener.fd);
  ASSIGN_OR_RETURN(Profile p, Parse(profile));
  if (!p.enabled) return absl::OkStatus();
  if (p.notify && !listener_fd)
    return Invalid(absl::StrCat(kRoot, ".listenerPath"),
                   "SCMP_ACT_NOTIFY needs the runtime to connect to the seccomp agent before "
                   "loading the filter (ConnectSeccompListener)");
  ASSIGN_OR_RETURN(const SeccompProgram* prog, CompileOnce(p, profile, std::string()));
  ASSIGN_OR_RETURN(int notify_fd, Load(*prog));
  UniqueFd notify(notify_fd);
  if (notify)
    RETURN_IF_ERROR(SendSeccompFd(listener_fd.get(), notify.get(), profile, listener.state));
  return absl::OkStatus();
}

absl::Status ApplySeccomp(const nlohmann::json& profile) {
  return ApplySeccomp(profile, SeccompListener{});
}

}  // namespace skiff::runtime
