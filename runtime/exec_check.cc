#include "runtime/exec_check.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

namespace {
constexpr char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const char* MachineName(int m) {
  switch (m) {
    case EM_X86_64: return "x86-64";
    case EM_386: return "i386";
    case EM_AARCH64: return "arm64";
    case EM_ARM: return "arm";
    case EM_RISCV: return "riscv";
    case EM_PPC64: return "ppc64";
    case EM_S390: return "s390x";
    default: return "another machine";
  }
}

#if defined(__x86_64__)
constexpr int kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr int kHostMachine = EM_AARCH64;
#else
constexpr int kHostMachine = 0;
#endif
}  // namespace

absl::Status CheckExecutable(const std::string& path, int depth) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return absl::NotFoundError(absl::StrCat("exec: `", path, "`: no such file in the rootfs"));
    return Errno("exec: stat", path);
  }
  if (S_ISDIR(st.st_mode))
    return absl::PermissionDeniedError(absl::StrCat("exec: `", path, "` is a directory"));
  if (!S_ISREG(st.st_mode))
    return absl::PermissionDeniedError(absl::StrCat("exec: `", path, "` is not a regular file"));
  if (access(path.c_str(), X_OK) != 0) {
    struct statvfs sv;
    if (statvfs(path.c_str(), &sv) == 0 && (sv.f_flag & ST_NOEXEC))
      return absl::PermissionDeniedError(
          absl::StrCat("exec: `", path, "`: permission denied: it is on a noexec mount"));
    return absl::PermissionDeniedError(absl::StrCat(
        "exec: `", path, "`: permission denied: not executable (mode ", absl::StrFormat("%o", st.st_mode & 07777),
        " for uid ", geteuid(), ")"));
  }
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return absl::OkStatus();  // execute-only file: let execve judge
  char buf[512];
  ssize_t n = pread(fd.get(), buf, sizeof buf - 1, 0);
  if (n < 4) return absl::OkStatus();
  buf[n] = 0;
  if (memcmp(buf, ELFMAG, SELFMAG) == 0 && n >= static_cast<ssize_t>(sizeof(Elf64_Ehdr)) &&
      buf[EI_CLASS] == ELFCLASS64) {
    Elf64_Ehdr eh;
    memcpy(&eh, buf, sizeof eh);
    if (kHostMachine && eh.e_machine != kHostMachine)
      return absl::FailedPreconditionError(
          absl::StrCat("exec: `", path, "` is an ELF binary for ", MachineName(eh.e_machine),
                       ", this host is ", MachineName(kHostMachine)));
    for (int i = 0; i < eh.e_phnum && i < 64; ++i) {
      Elf64_Phdr ph;
      if (pread(fd.get(), &ph, sizeof ph, eh.e_phoff + i * eh.e_phentsize) != sizeof ph) break;
      if (ph.p_type != PT_INTERP || ph.p_filesz == 0 || ph.p_filesz > 4096) continue;
      std::string interp(ph.p_filesz, '\0');
      if (pread(fd.get(), interp.data(), ph.p_filesz, ph.p_offset) !=
          static_cast<ssize_t>(ph.p_filesz))
        break;
      interp.resize(strnlen(interp.c_str(), interp.size()));
      if (access(interp.c_str(), F_OK) != 0)
        return absl::NotFoundError(absl::StrCat("exec: `", path,
                                                "` needs the dynamic loader `", interp,
                                                "`, which is missing from the rootfs"));
    }
  } else if (memcmp(buf, ELFMAG, SELFMAG) == 0 && buf[EI_CLASS] == ELFCLASS32 && kHostMachine) {
    Elf32_Ehdr eh;
    memcpy(&eh, buf, std::min<size_t>(sizeof eh, n));
    if (eh.e_machine != EM_386 || kHostMachine != EM_X86_64)
      return absl::FailedPreconditionError(
          absl::StrCat("exec: `", path, "` is a 32-bit ELF binary for ",
                       MachineName(eh.e_machine), ", this host is ", MachineName(kHostMachine)));
  } else if (buf[0] == '#' && buf[1] == '!') {
    std::string line(buf + 2, strcspn(buf + 2, "\n"));
    if (!line.empty() && line.back() == '\r')
      return absl::FailedPreconditionError(absl::StrCat(
          "exec: `", path, "` has a shebang line ending in \\r (DOS line endings); "
          "convert it with dos2unix"));
    std::vector<std::string> words = absl::StrSplit(line, absl::ByAnyChar(" \t"),
                                                    absl::SkipEmpty());
    if (!words.empty()) {
      if (depth > 4) return absl::OkStatus();
      absl::Status s = CheckExecutable(words[0], depth + 1);
      if (!s.ok())
        return absl::Status(s.code(), absl::StrCat("exec: script `", path, "` names interpreter `",
                                                   words[0], "`: ", s.message()));
    }
    } else if (memcmp(buf, ELFMAG, SELFMAG) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "exec: `", path, "`: exec format error: neither an ELF binary nor a script starting "
        "with #!"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ResolveExecutable(const std::string& arg0,
                                              const std::vector<std::string>& env) {
  if (arg0.empty()) return absl::InvalidArgumentError("exec: process.args[0] is empty");
  if (arg0.find('/') != std::string::npos) {
    RETURN_IF_ERROR(CheckExecutable(arg0));
    return arg0;
  }
  std::string path_var = kDefaultPath;
  for (const auto& e : env)
    if (absl::StartsWith(e, "PATH=")) path_var = e.substr(5);
  absl::Status first_problem;
  for (absl::string_view dir : absl::StrSplit(path_var, ':')) {
    std::string cand = absl::StrCat(dir.empty() ? "." : dir, "/", arg0);
    struct stat st;
    if (stat(cand.c_str(), &st) != 0) {
      // Present but unresolvable: a dangling symlink or a loop says more
      // than "not found".
      struct stat lst;
      if (lstat(cand.c_str(), &lst) == 0 && first_problem.ok())
        first_problem = Errno(absl::StrCat("exec: `", arg0, "` resolves to a broken symlink"),
                              cand);
      continue;
    }
    if (S_ISDIR(st.st_mode)) continue;
    absl::Status s = CheckExecutable(cand);
    if (s.ok()) return cand;
    if (first_problem.ok()) first_problem = s;
  }
  if (!first_problem.ok()) return first_problem;
  return absl::NotFoundError(absl::StrCat("exec: `", arg0,
                                          "`: executable file not found in $PATH (PATH=",
                                          path_var, ")"));
}

}  // namespace skiff::runtime
