#pragma once
// A content-addressed cache of compiled seccomp programs, so that only the
// first container with a given linux.seccomp pays for libseccomp (~20 ms for
// Docker's default profile; a cache hit reads one ~10 KB file).
//
// Layout: one file per program under <ocirun --root>/.seccomp@cache/ (the
// '@' cannot appear in a container id, so the directory never collides
// with a container's state dir):
//
//   <key>   header { magic "SKFSECCP", version, seccomp(2) flags, count,
//                    0, sha256(key || instructions) }, then `count` sock_filter
//           in native byte order (the key covers the architecture)
//
// The key (SeccompCacheKey) is the sha256 of everything the program depends
// on: the profile as canonical JSON, this binary (its build id and the
// format version), libseccomp's version and API level, the native
// architecture and the kernel release. So a new ocirun, libseccomp or kernel
// never reads an older program; stale files are only disk space, and the
// directory may be removed at any time.
//
// Nothing read back is trusted blindly. Lookup uses a file only if the
// directory and the file belong to the effective uid and nobody else may
// write them, the file is a regular file of exactly header + count
// instructions, 1 <= count <= BPF_MAXINSNS, magic and version match, and
// the digest matches the key and the instructions. Anything else is a miss:
// the caller compiles and Store replaces the file. Store writes a 0600 temp
// file in the directory (0700, created on demand) and renames it over the
// key, so a reader never sees a partial program; concurrent writers of one
// key each rename their own temp file, and the last (identical) one wins.
//
//   SeccompCache cache(SeccompCache::DirFor(root));
//   std::string key = SeccompCacheKey(profile.dump());
//   auto prog = cache.Lookup(key);
//   if (!prog.ok()) { prog = Compile(...); (void)cache.Store(key, *prog); }

#include <linux/filter.h>

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace skiff::runtime {

// The kernel's limit on a filter's length (BPF_MAXINSNS).
inline constexpr size_t kSeccompMaxInsns = 4096;

// A filter ready for seccomp(SECCOMP_SET_MODE_FILTER, flags, {insns}).
struct SeccompProgram {
  std::vector<sock_filter> insns;
  unsigned flags = 0;  // SECCOMP_FILTER_FLAG_*
};

bool operator==(const SeccompProgram& a, const SeccompProgram& b);

// 64 lowercase hex digits; see above for what goes in. `canonical_profile`
// is linux.seccomp as nlohmann::json::dump() prints it (sorted keys, no
// spaces): equal profiles get equal keys.
std::string SeccompCacheKey(const std::string& canonical_profile);

class SeccompCache {
 public:
  // <root>/.seccomp@cache
  static std::string DirFor(const std::string& root);

  // At most `max_entries` programs are kept (see Store).
  explicit SeccompCache(std::string dir, size_t max_entries = kDefaultMaxEntries)
      : dir_(std::move(dir)), max_entries_(max_entries) {}

  // Far more than the distinct profiles a host runs (one per profile and
  // capability set); each file is about 10 KB.
  static constexpr size_t kDefaultMaxEntries = 256;

  const std::string& dir() const { return dir_; }

  // The program stored under `key`. NotFound when there is none;
  // FailedPrecondition when the directory or file is not ours alone
  // (owner, mode, symlink); DataLoss when the file is short, oversized or
  // does not match its header, key or digest. Every error is a miss.
  absl::StatusOr<SeccompProgram> Lookup(const std::string& key) const;

  // Stores `prog` under `key`, replacing any file there. Creates the
  // directory (0700) and, if missing, --root itself (0711, as ocirun's
  // state dirs). Then, when more than max_entries programs are stored, the
  // oldest (by mtime: the cache is first in, first out; an evicted program
  // costs one compile) go until max_entries * 3/4 remain, and temp files
  // older than an hour (left by killed writers) go too. Errors name the
  // path; callers may ignore them.
  absl::Status Store(const std::string& key, const SeccompProgram& prog) const;

 private:
  void Prune(int dir_fd) const;

  std::string dir_;
  size_t max_entries_;
};

}  // namespace skiff::runtime
