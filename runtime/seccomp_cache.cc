#include "runtime/seccomp_cache.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <tuple>

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, but
// EVP pulls the provider machinery (~3.5 MB) into the static ocirun, which
// is copied into a sealed memfd on every create; these cost ~25 KB.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

namespace {

// Bump when the compiled program for an unchanged profile changes in a way
// the build id would not show (it always changes with ocirun's code).
constexpr char kKeyFormat[] = "skiff-seccomp-cache/1";

constexpr char kMagic[8] = {'S', 'K', 'F', 'S', 'E', 'C', 'C', 'P'};
constexpr uint32_t kFileVersion = 1;

struct FileHeader {
  char magic[8];
  uint32_t version;
  uint32_t flags;
  uint32_t count;
  uint32_t reserved;
  unsigned char digest[SHA256_DIGEST_LENGTH];  // sha256(key || instructions)
};
static_assert(sizeof(FileHeader) == 56);
static_assert(sizeof(sock_filter) == 8);

constexpr size_t kMaxFileSize = sizeof(FileHeader) + kSeccompMaxInsns * sizeof(sock_filter);

void Digest(const std::string& key, const std::vector<sock_filter>& insns,
            unsigned char out[SHA256_DIGEST_LENGTH]) {
  SHA256_CTX c;
  SHA256_Init(&c);
  SHA256_Update(&c, key.data(), key.size());
  SHA256_Update(&c, insns.data(), insns.size() * sizeof(sock_filter));
  SHA256_Final(out, &c);
}

// The main program's GNU build id (hex), or "" without one. It changes with
// any change to ocirun's code, including the compiler in runtime/seccomp.cc.
std::string BuildId() {
  std::string id;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) -> int {
        auto* out = static_cast<std::string*>(data);
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_NOTE) continue;
          size_t align = ph.p_align == 8 ? 8 : 4;
          auto round = [align](size_t n) { return (n + align - 1) & ~(align - 1); };
          const char* p = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
          const char* end = p + ph.p_memsz;
          while (p + sizeof(ElfW(Nhdr)) <= end) {
            ElfW(Nhdr) nh;
            memcpy(&nh, p, sizeof nh);
            const char* name = p + sizeof nh;
            const char* desc = name + round(nh.n_namesz);
            if (desc + nh.n_descsz > end) break;
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
              *out = absl::BytesToHexString(absl::string_view(desc, nh.n_descsz));
              return 1;
            }
            p = desc + round(nh.n_descsz);
          }
        }
        return 1;  // the first object is the program itself; stop there
      },
      &id);
  return id;
}

absl::Status CheckKey(const std::string& key) {
  bool ok = key.size() == 2 * SHA256_DIGEST_LENGTH;
  for (char c : key) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!ok)
    return absl::InvalidArgumentError(
        absl::StrCat("seccomp cache key `", key, "` is not 64 lowercase hex digits"));
  return absl::OkStatus();
}

// Only the effective uid may have written `fd`: otherwise its content could
// weaken every container's filter.
absl::Status CheckOwned(int fd, const std::string& path) {
  struct stat st;
  if (fstat(fd, &st) != 0) return Errno("stat seccomp cache", path);
  if (st.st_uid != geteuid() || (st.st_mode & 022) != 0)
    return absl::FailedPreconditionError(absl::StrCat(
        "seccomp cache `", path, "` is not trusted: owned by uid ", st.st_uid, " with mode 0",
        absl::Hex(st.st_mode & 07777), " (expected uid ", geteuid(), ", writable by nobody else)"));
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> OpenDir(const std::string& dir) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return Errno("open seccomp cache", dir);
  RETURN_IF_ERROR(CheckOwned(fd.get(), dir));
  return fd;
}

// mkdir -p for --root (0711, as StateDir::Create), then the cache itself.
absl::StatusOr<UniqueFd> MakeDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno == ENOENT) {
    for (size_t i = 1; i < dir.size(); ++i) {
      if (dir[i] != '/') continue;
      std::string p = dir.substr(0, i);
      if (mkdir(p.c_str(), 0711) != 0 && errno != EEXIST) return Errno("create", p);
    }
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Errno("create seccomp cache", dir);
  }
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return Errno("open seccomp cache", dir);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Errno("stat seccomp cache", dir);
  // Ours but too open (e.g. chmod by hand): narrow it rather than give up.
  if (st.st_uid == geteuid() && (st.st_mode & 077) != 0 && fchmod(fd.get(), 0700) != 0)
    return Errno("chmod 0700 seccomp cache", dir);
  RETURN_IF_ERROR(CheckOwned(fd.get(), dir));
  return fd;
}

}  // namespace

bool operator==(const SeccompProgram& a, const SeccompProgram& b) {
  return a.flags == b.flags && a.insns.size() == b.insns.size() &&
         memcmp(a.insns.data(), b.insns.data(), a.insns.size() * sizeof(sock_filter)) == 0;
}

std::string SeccompCacheKey(const std::string& canonical_profile) {
  static const std::string* const identity = [] {
    const scmp_version* v = seccomp_version();
    struct utsname u = {};
    uname(&u);
    // Newline-separated; the JSON (no raw newlines in a dump) comes last.
    return new std::string(absl::StrCat(kKeyFormat, "\nbuild-id ", BuildId(), "\nlibseccomp ",
                                        v->major, ".", v->minor, ".", v->micro, " api ",
                                        seccomp_api_get(), "\narch ", seccomp_arch_native(),
                                        "\nkernel ", u.release, "\n"));
  }();
  SHA256_CTX c;
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256_Init(&c);
  SHA256_Update(&c, identity->data(), identity->size());
  SHA256_Update(&c, canonical_profile.data(), canonical_profile.size());
  SHA256_Final(md, &c);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(md), sizeof md));
}

std::string SeccompCache::DirFor(const std::string& root) {
  return absl::StrCat(root, "/.seccomp@cache");
}

absl::StatusOr<SeccompProgram> SeccompCache::Lookup(const std::string& key) const {
  RETURN_IF_ERROR(CheckKey(key));
  ASSIGN_OR_RETURN(UniqueFd dir, OpenDir(dir_));
  std::string path = absl::StrCat(dir_, "/", key);
  UniqueFd fd(openat(dir.get(), key.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return Errno("open cached seccomp program", path);
  RETURN_IF_ERROR(CheckOwned(fd.get(), path));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Errno("stat cached seccomp program", path);
  auto corrupt = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat("cached seccomp program `", path, "`: ", why));
  };
  if (!S_ISREG(st.st_mode)) return corrupt("not a regular file");
  if (st.st_size < static_cast<off_t>(sizeof(FileHeader)) ||
      st.st_size > static_cast<off_t>(kMaxFileSize))
    return corrupt(
        absl::StrCat("size ", st.st_size, " is outside ", sizeof(FileHeader), "..", kMaxFileSize));
  std::string data(st.st_size, '\0');
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = pread(fd.get(), data.data() + got, data.size() - got, got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("read cached seccomp program", path);
    if (n == 0) return corrupt("shorter than its size");
    got += n;
  }
  FileHeader h;
  memcpy(&h, data.data(), sizeof h);
  if (memcmp(h.magic, kMagic, sizeof kMagic) != 0) return corrupt("bad magic");
  if (h.version != kFileVersion) return corrupt(absl::StrCat("unknown version ", h.version));
  size_t body = data.size() - sizeof h;
  if (body % sizeof(sock_filter) != 0)
    return corrupt(
        absl::StrCat(body, " bytes of instructions, not a multiple of ", sizeof(sock_filter)));
  if (h.count == 0 || h.count > kSeccompMaxInsns || h.count != body / sizeof(sock_filter) ||
      h.reserved != 0)
    return corrupt(absl::StrCat("header says ", h.count, " instructions, the file holds ",
                                body / sizeof(sock_filter)));
  SeccompProgram prog;
  prog.flags = h.flags;
  prog.insns.resize(h.count);
  memcpy(prog.insns.data(), data.data() + sizeof h, body);
  unsigned char md[SHA256_DIGEST_LENGTH];
  Digest(key, prog.insns, md);
  if (memcmp(md, h.digest, sizeof md) != 0) return corrupt("digest mismatch");
  return prog;
}

absl::Status SeccompCache::Store(const std::string& key, const SeccompProgram& prog) const {
  RETURN_IF_ERROR(CheckKey(key));
  if (prog.insns.empty() || prog.insns.size() > kSeccompMaxInsns)
    return absl::InvalidArgumentError(
        absl::StrCat("seccomp program of ", prog.insns.size(), " instructions cannot be cached"));
  ASSIGN_OR_RETURN(UniqueFd dir, MakeDir(dir_));

  FileHeader h = {};
  memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kFileVersion;
  h.flags = prog.flags;
  h.count = static_cast<uint32_t>(prog.insns.size());
  Digest(key, prog.insns, h.digest);
  std::string data(reinterpret_cast<const char*>(&h), sizeof h);
  data.append(reinterpret_cast<const char*>(prog.insns.data()),
              prog.insns.size() * sizeof(sock_filter));

  std::string tmp = absl::StrCat(".tmp-", key, "-", getpid());
  std::string tmp_path = absl::StrCat(dir_, "/", tmp);
  int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  UniqueFd fd(openat(dir.get(), tmp.c_str(), flags, 0600));
  if (!fd && errno == EEXIST) {  // left by a killed process with our pid
    unlinkat(dir.get(), tmp.c_str(), 0);
    fd.reset(openat(dir.get(), tmp.c_str(), flags, 0600));
  }
  if (!fd) return Errno("create", tmp_path);
  bool renamed = false;
  absl::Cleanup remove_tmp = [&] {
    if (!renamed) unlinkat(dir.get(), tmp.c_str(), 0);
  };
  for (size_t off = 0; off < data.size();) {
    ssize_t n = write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("write", tmp_path);
    off += n;
  }
  if (renameat(dir.get(), tmp.c_str(), dir.get(), key.c_str()) != 0)
    return Errno(absl::StrCat("rename to ", key), tmp_path);
  renamed = true;
  Prune(dir.get());
  return absl::OkStatus();
}

void SeccompCache::Prune(int dir_fd) const {
  int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    close(fd);
    return;
  }
  struct Entry {
    struct timespec mtime;
    std::string name;
  };
  std::vector<Entry> programs;
  const time_t stale_before = time(nullptr) - 3600;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    struct stat st;
    if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
      continue;
    }
    if (absl::StartsWith(name, ".tmp-")) {
      if (st.st_mtime < stale_before) unlinkat(dir_fd, name.c_str(), 0);
    } else if (CheckKey(name).ok()) {
      programs.push_back({st.st_mtim, name});
    }
  }
  closedir(d);
  if (programs.size() <= max_entries_) return;
  std::sort(programs.begin(), programs.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.mtime.tv_sec, a.mtime.tv_nsec, a.name) <
           std::tie(b.mtime.tv_sec, b.mtime.tv_nsec, b.name);
  });
  const size_t keep = max_entries_ * 3 / 4;
  for (size_t i = 0; i + keep < programs.size(); ++i) {
    unlinkat(dir_fd, programs[i].name.c_str(), 0);
  }
}

}  // namespace skiff::runtime
