// The on-disk seccomp program cache (runtime/seccomp_cache.h) and the
// compile-once path through it (ValidateSeccomp with a root, then
// ApplySeccomp). Paths that use the process's in-memory copy run in forked
// children, so each starts with none.
#include "runtime/seccomp_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/seccomp.h"

namespace skiff::runtime {
namespace {

using json = nlohmann::json;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/seccomp_cache_test.XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    if (system(("rm -rf '" + path_ + "'").c_str()) != 0) ADD_FAILURE() << "rm -rf " << path_;
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& s) const { return path_ + "/" + s; }

 private:
  std::string path_;
};

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d))
    if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
  closedir(d);
  return out;
}

mode_t Mode(const std::string& path) {
  struct stat st = {};
  lstat(path.c_str(), &st);
  return st.st_mode & 07777;
}

// Returns mkdir with errno EXDEV, everything else allowed. Not what any
// profile below compiles to, so seeing EXDEV proves this program was used.
SeccompProgram Planted(unsigned flags = 0) {
  SeccompProgram p;
  p.flags = flags;
  p.insns = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mkdir, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mkdirat, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EXDEV),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  return p;
}

// mkdir gets EROFS.
json RofsProfile() {
  return {{"defaultAction", "SCMP_ACT_ALLOW"},
          {"syscalls",
           {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EROFS}}}}};
}

std::string KeyOf(const json& profile) { return SeccompCacheKey(profile.dump()); }

// Runs `f` in a forked child (its own, empty, in-memory program) and returns
// its exit code, or -1 if it did not exit.
int InChild(const std::function<int()>& f) {
  pid_t pid = fork();
  if (pid == 0) _exit(f());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// What ocirun does for a container: validate with the cache under `root`,
// then (in the init) apply. The exit code is mkdir's errno afterwards, 0 if
// it worked, 100 + n for a failure at step n.
int CreateAndProbe(const json& profile, const std::string& root, const std::string& target) {
  return InChild([&] {
    if (!ValidateSeccomp(profile, root).ok()) return 101;
    if (!ApplySeccomp(profile).ok()) return 102;
    return mkdir(target.c_str(), 0700) == 0 ? 0 : errno;
  });
}

// ---------------------------------------------------------------------------
// Keys.

TEST(SeccompCacheKey, IsStableHexAndDiffersWithTheProfile) {
  json a = RofsProfile();
  json b = RofsProfile();
  b["syscalls"][0]["errnoRet"] = EPERM;
  json c = RofsProfile();
  c["syscalls"][0]["names"] = {"mkdirat", "mkdir"};  // order is part of the profile
  std::string ka = KeyOf(a);
  EXPECT_EQ(ka.size(), 64u);
  EXPECT_EQ(ka.find_first_not_of("0123456789abcdef"), std::string::npos) << ka;
  EXPECT_EQ(ka, KeyOf(RofsProfile()));
  // Key order in the JSON does not matter: dump() sorts object keys.
  EXPECT_EQ(
      ka,
      KeyOf(json::parse(absl::StrCat(R"({"syscalls":[{"errnoRet":)", EROFS,
                                     R"(,"action":"SCMP_ACT_ERRNO","names":["mkdir","mkdirat"]}],)",
                                     R"("defaultAction":"SCMP_ACT_ALLOW"})"))));
  std::set<std::string> keys = {ka, KeyOf(b), KeyOf(c), KeyOf(json::object())};
  EXPECT_EQ(keys.size(), 4u);
}

// ---------------------------------------------------------------------------
// The store itself.

TEST(SeccompCache, MissThenStoreThenHitGivesTheSameProgram) {
  TempDir root;
  SeccompCache cache(SeccompCache::DirFor(root.path()));
  std::string key = KeyOf(RofsProfile());
  EXPECT_TRUE(absl::IsNotFound(cache.Lookup(key).status())) << cache.Lookup(key).status();

  SeccompProgram p = Planted(SECCOMP_FILTER_FLAG_LOG);
  ASSERT_TRUE(cache.Store(key, p).ok());
  auto got = cache.Lookup(key);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == p);
  // Only under its own key.
  EXPECT_TRUE(absl::IsNotFound(cache.Lookup(KeyOf(json::object())).status()));
}

TEST(SeccompCache, DirectoryIs0700AndFiles0600WithNoTempLeft) {
  TempDir root;
  SeccompCache cache(SeccompCache::DirFor(root.path()));
  EXPECT_EQ(cache.dir(), root / ".seccomp@cache");
  umask(0);  // must not widen anything
  std::string key = KeyOf(RofsProfile());
  absl::Status st = cache.Store(key, Planted());
  umask(022);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(Mode(cache.dir()), 0700u);
  EXPECT_EQ(Mode(cache.dir() + "/" + key), 0600u);
  EXPECT_EQ(Entries(cache.dir()), std::vector<std::string>{key});
}

TEST(SeccompCache, KeepsAtMostMaxEntriesDroppingTheOldest) {
  TempDir root;
  SeccompCache cache(SeccompCache::DirFor(root.path()), /*max_entries=*/4);
  std::vector<std::string> keys;
  auto store = [&](int i, bool age) {
    keys.push_back(KeyOf(json{{"defaultAction", "SCMP_ACT_ALLOW"}, {"n", i}}));
    ASSERT_TRUE(cache.Store(keys.back(), Planted()).ok());
    if (!age) return;
    // Distinct, increasing mtimes in the past, whatever the file system's
    // timestamp resolution.
    struct timespec t[2] = {{1000 + i, 0}, {1000 + i, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, (cache.dir() + "/" + keys.back()).c_str(), t, 0), 0);
  };
  auto present = [&] {
    std::vector<int> out;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (cache.Lookup(keys[i]).ok()) out.push_back(static_cast<int>(i));
    }
    return out;
  };
  for (int i = 0; i < 4; ++i) store(i, true);
  EXPECT_EQ(present(), (std::vector<int>{0, 1, 2, 3}));
  // The fifth makes 5 > 4: the oldest go until 3 remain.
  store(4, true);
  EXPECT_EQ(present(), (std::vector<int>{2, 3, 4}));
  store(5, false);
  EXPECT_EQ(present(), (std::vector<int>{2, 3, 4, 5}));

  // A stale temp file of a killed writer goes at the next store; a fresh
  // one (a writer at work) stays.
  const std::string stale = cache.dir() + "/.tmp-" + keys[0] + "-1";
  const std::string fresh = cache.dir() + "/.tmp-" + keys[0] + "-2";
  ASSERT_TRUE(WriteFileAtomic(stale, "x", 0600).ok());
  ASSERT_TRUE(WriteFileAtomic(fresh, "x", 0600).ok());
  struct timespec old_time[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, stale.c_str(), old_time, 0), 0);
  store(6, false);
  EXPECT_EQ(present(), (std::vector<int>{4, 5, 6}));
  EXPECT_NE(access(stale.c_str(), F_OK), 0) << "stale temp file kept";
  EXPECT_EQ(access(fresh.c_str(), F_OK), 0) << "a writer's fresh temp file was removed";
}

TEST(SeccompCache, CreatesAMissingRoot) {
  TempDir tmp;
  std::string root = tmp / "run/ocirun";
  SeccompCache cache(SeccompCache::DirFor(root));
  ASSERT_TRUE(cache.Store(KeyOf(RofsProfile()), Planted()).ok());
  EXPECT_EQ(Mode(root), 0711u);
  EXPECT_TRUE(cache.Lookup(KeyOf(RofsProfile())).ok());
}

TEST(SeccompCache, CorruptFilesAreRejectedAndReplaced) {
  TempDir root;
  SeccompCache cache(SeccompCache::DirFor(root.path()));
  std::string key = KeyOf(RofsProfile());
  std::string path = cache.dir() + "/" + key;
  ASSERT_TRUE(cache.Store(key, Planted()).ok());
  auto good = ReadFile(path);
  ASSERT_TRUE(good.ok());
  ASSERT_EQ(good->size(), 56u + 5 * 8);

  auto with_byte = [&](size_t off, char c) {
    std::string s = *good;
    s[off] = c;
    return s;
  };
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"empty", ""},
      {"short header", good->substr(0, 20)},
      {"header only", good->substr(0, 56)},
      {"truncated program", good->substr(0, good->size() - 8)},
      {"torn instruction", good->substr(0, good->size() - 3)},
      {"trailing bytes", *good + std::string(8, '\0')},
      {"bad magic", with_byte(0, 'X')},
      {"other version", with_byte(8, 9)},
      {"count too high", with_byte(16, 6)},
      {"instruction flipped", with_byte(56 + 8 + 4, 0x55)},
      {"digest flipped", with_byte(30, ~(*good)[30])},
      {"oversized", std::string(56 + 4097 * 8, '\0')},
  };
  for (const auto& [what, content] : bad) {
    SCOPED_TRACE(what);
    ASSERT_TRUE(WriteFileAtomic(path, content, 0600).ok());
    auto got = cache.Lookup(key);
    EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
    // Replaced by the next store.
    ASSERT_TRUE(cache.Store(key, Planted()).ok());
    got = cache.Lookup(key);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(*got == Planted());
  }
  // A file stored under one key is not taken for another.
  std::string other = KeyOf(json::object());
  ASSERT_TRUE(WriteFileAtomic(cache.dir() + "/" + other, *good, 0600).ok());
  EXPECT_TRUE(absl::IsDataLoss(cache.Lookup(other).status()));
}

TEST(SeccompCache, RejectsKeysThatAreNotDigests) {
  TempDir root;
  SeccompCache cache(SeccompCache::DirFor(root.path()));
  for (const std::string& key : std::vector<std::string>{
           "", "../../etc/passwd", std::string(64, 'A'), std::string(63, 'a')}) {
    EXPECT_TRUE(absl::IsInvalidArgument(cache.Lookup(key).status())) << key;
    EXPECT_TRUE(absl::IsInvalidArgument(cache.Store(key, Planted())));
  }
  EXPECT_TRUE(Entries(root.path()).empty());
}

TEST(SeccompCache, FilesOthersCouldWriteAreNotTrusted) {
  TempDir root;
  SeccompCache cache(SeccompCache::DirFor(root.path()));
  std::string key = KeyOf(RofsProfile());
  ASSERT_TRUE(cache.Store(key, Planted()).ok());
  std::string path = cache.dir() + "/" + key;

  ASSERT_EQ(chmod(path.c_str(), 0622), 0);
  auto got = cache.Lookup(key);
  EXPECT_TRUE(absl::IsFailedPrecondition(got.status())) << got.status();
  EXPECT_NE(got.status().message().find(path), std::string::npos) << got.status();
  ASSERT_TRUE(cache.Store(key, Planted()).ok());  // replaced, 0600 again
  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_TRUE(cache.Lookup(key).ok());

  // A directory others may write: not read; a store narrows our own back.
  ASSERT_EQ(chmod(cache.dir().c_str(), 0777), 0);
  EXPECT_TRUE(absl::IsFailedPrecondition(cache.Lookup(key).status()));
  ASSERT_TRUE(cache.Store(key, Planted()).ok());
  EXPECT_EQ(Mode(cache.dir()), 0700u);
  EXPECT_TRUE(cache.Lookup(key).ok());
}

TEST(SeccompCache, SymlinksAreNotFollowed) {
  TempDir root, elsewhere;
  SeccompCache real(SeccompCache::DirFor(elsewhere.path()));
  std::string key = KeyOf(RofsProfile());
  ASSERT_TRUE(real.Store(key, Planted()).ok());

  // The cache directory as a symlink.
  SeccompCache cache(SeccompCache::DirFor(root.path()));
  ASSERT_EQ(symlink(real.dir().c_str(), cache.dir().c_str()), 0);
  EXPECT_FALSE(cache.Lookup(key).ok());
  EXPECT_FALSE(cache.Store(key, Planted()).ok());
  ASSERT_EQ(unlink(cache.dir().c_str()), 0);

  // The program as a symlink.
  ASSERT_TRUE(cache.Store(KeyOf(json::object()), Planted()).ok());
  std::string link = cache.dir() + "/" + key;
  ASSERT_EQ(symlink((real.dir() + "/" + key).c_str(), link.c_str()), 0);
  EXPECT_FALSE(cache.Lookup(key).ok());
  // Stored over: the link is replaced, its target untouched.
  ASSERT_TRUE(cache.Store(key, Planted(SECCOMP_FILTER_FLAG_LOG)).ok());
  EXPECT_EQ(Mode(link), 0600u);
  EXPECT_TRUE(*real.Lookup(key) == Planted());
}

TEST(SeccompCache, OtherOwnersAreNotTrusted) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  TempDir root;
  SeccompCache cache(SeccompCache::DirFor(root.path()));
  std::string key = KeyOf(RofsProfile());
  ASSERT_TRUE(cache.Store(key, Planted()).ok());
  std::string path = cache.dir() + "/" + key;

  if (chown(path.c_str(), 65534, 65534) != 0)
    GTEST_SKIP() << "chown to uid 65534: " << strerror(errno) << " (a sandbox without it)";
  EXPECT_TRUE(absl::IsFailedPrecondition(cache.Lookup(key).status()));
  ASSERT_TRUE(cache.Store(key, Planted()).ok());  // ours again
  EXPECT_TRUE(cache.Lookup(key).ok());

  ASSERT_EQ(chown(cache.dir().c_str(), 65534, 65534), 0);
  EXPECT_TRUE(absl::IsFailedPrecondition(cache.Lookup(key).status()));
  absl::Status st = cache.Store(key, Planted());
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << st;
  EXPECT_NE(st.message().find("uid 65534"), std::string::npos) << st;
}

// ---------------------------------------------------------------------------
// ValidateSeccomp(profile, root), then ApplySeccomp, as ocirun create does.

TEST(SeccompCompileOnce, FirstContainerStoresLaterOnesHitWithTheSameFilter) {
  TempDir root, scratch;
  SeccompCache cache(SeccompCache::DirFor(root.path()));
  std::string key = KeyOf(RofsProfile());

  EXPECT_EQ(CreateAndProbe(RofsProfile(), root.path(), scratch / "a"), EROFS);
  ASSERT_EQ(Entries(cache.dir()), std::vector<std::string>{key});
  auto stored = cache.Lookup(key);
  ASSERT_TRUE(stored.ok()) << stored.status();
  struct stat before = {};
  ASSERT_EQ(stat((cache.dir() + "/" + key).c_str(), &before), 0);

  // The hit is not rewritten and behaves the same.
  EXPECT_EQ(CreateAndProbe(RofsProfile(), root.path(), scratch / "b"), EROFS);
  struct stat after = {};
  ASSERT_EQ(stat((cache.dir() + "/" + key).c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_TRUE(*cache.Lookup(key) == *stored);

  // What a cold compile (another root) produces is the same program.
  TempDir root2;
  EXPECT_EQ(CreateAndProbe(RofsProfile(), root2.path(), scratch / "c"), EROFS);
  auto cold = SeccompCache(SeccompCache::DirFor(root2.path())).Lookup(key);
  ASSERT_TRUE(cold.ok()) << cold.status();
  EXPECT_TRUE(*cold == *stored);

  // Another profile, another file.
  json other = RofsProfile();
  other["syscalls"][0]["errnoRet"] = EPERM;
  EXPECT_EQ(CreateAndProbe(other, root.path(), scratch / "d"), EPERM);
  EXPECT_EQ(Entries(cache.dir()).size(), 2u);
}

TEST(SeccompCompileOnce, AHitIsWhatTheProcessLoads) {
  // A valid program planted under the profile's key is loaded as is, and
  // ApplySeccomp reuses what ValidateSeccomp found instead of compiling.
  TempDir root, scratch;
  SeccompCache cache(SeccompCache::DirFor(root.path()));
  ASSERT_TRUE(cache.Store(KeyOf(RofsProfile()), Planted()).ok());
  EXPECT_EQ(CreateAndProbe(RofsProfile(), root.path(), scratch / "a"), EXDEV);
  // Without the cache: compiled from the profile.
  EXPECT_EQ(CreateAndProbe(RofsProfile(), "", scratch / "b"), EROFS);
}

TEST(SeccompCompileOnce, CorruptEntryIsIgnoredAndRewritten) {
  TempDir root, scratch;
  SeccompCache cache(SeccompCache::DirFor(root.path()));
  std::string key = KeyOf(RofsProfile());
  ASSERT_TRUE(cache.Store(key, Planted()).ok());
  std::string path = cache.dir() + "/" + key;
  auto content = ReadFile(path);
  ASSERT_TRUE(content.ok());
  std::string bad = content->substr(0, content->size() - 8);  // lost its last instruction
  ASSERT_TRUE(WriteFileAtomic(path, bad, 0600).ok());

  EXPECT_EQ(CreateAndProbe(RofsProfile(), root.path(), scratch / "a"), EROFS);
  auto fixed = cache.Lookup(key);
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_FALSE(*fixed == Planted());
  EXPECT_EQ(Entries(cache.dir()), std::vector<std::string>{key});
}

TEST(SeccompCompileOnce, EntryWithOtherFlagsIsRecompiled) {
  TempDir root, scratch;
  SeccompCache cache(SeccompCache::DirFor(root.path()));
  std::string key = KeyOf(RofsProfile());
  ASSERT_TRUE(cache.Store(key, Planted(SECCOMP_FILTER_FLAG_LOG)).ok());
  EXPECT_EQ(CreateAndProbe(RofsProfile(), root.path(), scratch / "a"), EROFS);
  auto got = cache.Lookup(key);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->flags, 0u);
}

TEST(SeccompCompileOnce, ErrorsAreTheSameWithACacheAndNothingIsStored) {
  TempDir root;
  SeccompCache cache(SeccompCache::DirFor(root.path()));
  json bad = RofsProfile();
  bad["syscalls"][0]["action"] = "SCMP_ACT_NOPE";
  // Even with a program planted under the bad profile's key.
  ASSERT_TRUE(cache.Store(KeyOf(bad), Planted()).ok());
  absl::Status plain = ValidateSeccomp(bad);
  absl::Status cached = ValidateSeccomp(bad, root.path());
  EXPECT_TRUE(absl::IsInvalidArgument(cached)) << cached;
  EXPECT_EQ(cached, plain);
  EXPECT_EQ(cached.message(), "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_NOPE\"");

#if defined(__x86_64__)
  // A profile that parses but does not compile: libseccomp refuses the
  // architecture next to the native one.
  TempDir root2;
  json mixed = RofsProfile();
  mixed["architectures"] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_PPC64"};  // big-endian
  int code = InChild([&] {
    absl::Status a = ValidateSeccomp(mixed, root2.path());
    absl::Status b = ValidateSeccomp(mixed);
    return !a.ok() && a == b &&
                   absl::StartsWith(a.message(),
                                    "linux.seccomp.architectures[1]: SCMP_ARCH_PPC64 cannot be "
                                    "combined with the native architecture")
               ? 0
               : 1;
  });
  EXPECT_EQ(code, 0);
  EXPECT_TRUE(Entries(SeccompCache::DirFor(root2.path())).empty());
#endif
}

TEST(SeccompCompileOnce, UnusableCacheOnlyCostsTime) {
  TempDir tmp, scratch;
  // --root is a file: nothing can be stored, the container still gets its filter.
  std::string root = tmp / "file";
  ASSERT_TRUE(WriteFileAtomic(root, "x").ok());
  EXPECT_EQ(CreateAndProbe(RofsProfile(), root, scratch / "a"), EROFS);
}

TEST(SeccompCompileOnce, DisabledProfileStoresNothing) {
  TempDir root;
  EXPECT_TRUE(ValidateSeccomp(json::object(), root.path()).ok());
  EXPECT_TRUE(Entries(root.path()).empty());
}

}  // namespace
}  // namespace skiff::runtime
