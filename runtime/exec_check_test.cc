#include "runtime/exec_check.h"

#include <elf.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::runtime {
namespace {

using ::testing::HasSubstr;

#if defined(__aarch64__)
constexpr uint16_t kHost = EM_AARCH64, kForeign = EM_X86_64;
#else
constexpr uint16_t kHost = EM_X86_64, kForeign = EM_AARCH64;
#endif

class ExecCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = getenv("TEST_TMPDIR");
    dir_ = std::string(base && *base ? base : "/tmp") + "/exec_check_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
  }

  std::string Write(const std::string& name, const std::string& content, mode_t mode = 0755) {
    std::string p = absl::StrCat(dir_, "/", name);
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    EXPECT_EQ(chmod(p.c_str(), mode), 0);
    return p;
  }

  static std::string ElfHeader(uint16_t machine, uint16_t phnum) {
    Elf64_Ehdr eh = {};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = machine;
    eh.e_version = EV_CURRENT;
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phoff = phnum ? sizeof(Elf64_Ehdr) : 0;
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = phnum;
    return std::string(reinterpret_cast<const char*>(&eh), sizeof eh);
  }

  std::string dir_;
};

TEST_F(ExecCheckTest, BinShIsOk) {
  EXPECT_TRUE(CheckExecutable("/bin/sh").ok());
  auto r = ResolveExecutable("sh", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r, HasSubstr("/sh"));
  r = ResolveExecutable("/bin/sh", {"PATH=/nonexistent"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "/bin/sh");
}

TEST_F(ExecCheckTest, EmptyArg0) {
  EXPECT_TRUE(absl::IsInvalidArgument(ResolveExecutable("", {}).status()));
}

TEST_F(ExecCheckTest, NotFoundInPathListsPath) {
  std::string path = absl::StrCat(dir_, "/a:", dir_, "/b");
  auto r = ResolveExecutable("no-such-tool", {"HOME=/", "PATH=" + path});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("no-such-tool"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("PATH=" + path));
}

TEST_F(ExecCheckTest, FoundViaPathFromEnv) {
  ASSERT_EQ(mkdir((dir_ + "/bin1").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir_ + "/bin2").c_str(), 0755), 0);
  // A directory of that name earlier in PATH is skipped.
  ASSERT_EQ(mkdir((dir_ + "/bin1/tool").c_str(), 0755), 0);
  std::string tool = Write("bin2/tool", "#!/bin/sh\necho hi\n");
  auto r = ResolveExecutable("tool", {"PATH=" + dir_ + "/bin1:" + dir_ + "/bin2"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, tool);
}

TEST_F(ExecCheckTest, NonExecutableInPathIsReported) {
  ASSERT_EQ(mkdir((dir_ + "/bin").c_str(), 0755), 0);
  Write("bin/tool", "#!/bin/sh\n", 0644);
  auto r = ResolveExecutable("tool", {"PATH=" + dir_ + "/bin"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("not executable"));
}

TEST_F(ExecCheckTest, Directory) {
  absl::Status s = CheckExecutable(dir_);
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("is a directory"));
  EXPECT_THAT(std::string(ResolveExecutable(dir_, {}).status().message()),
              HasSubstr("is a directory"));
}

TEST_F(ExecCheckTest, MissingFile) {
  absl::Status s = CheckExecutable(dir_ + "/missing");
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(dir_ + "/missing"));
}

TEST_F(ExecCheckTest, NotExecutable) {
  std::string p = Write("plain", "#!/bin/sh\necho hi\n", 0644);
  absl::Status s = CheckExecutable(p);
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("not executable"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("mode 644"));
}

TEST_F(ExecCheckTest, ShebangWithCarriageReturn) {
  std::string p = Write("dos.sh", "#!/bin/sh\r\necho hi\r\n");
  absl::Status s = CheckExecutable(p);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("\\r"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("DOS line endings"));
  EXPECT_TRUE(CheckExecutable(Write("unix.sh", "#!/bin/sh\necho hi\n")).ok());
  EXPECT_TRUE(CheckExecutable(Write("args.sh", "#! /bin/sh -e\necho hi\n")).ok());
}

TEST_F(ExecCheckTest, ScriptWithMissingInterpreter) {
  std::string interp = dir_ + "/no/such/python";
  std::string p = Write("script.py", "#!" + interp + " -u\nprint(1)\n");
  absl::Status s = CheckExecutable(p);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("script `" + p + "`"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("interpreter `" + interp + "`"));
}

TEST_F(ExecCheckTest, ForeignElf) {
  std::string p = Write("foreign", ElfHeader(kForeign, 0));
  absl::Status s = CheckExecutable(p);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("ELF binary for"));
  EXPECT_THAT(std::string(s.message()), HasSubstr(kForeign == EM_AARCH64 ? "arm64" : "x86-64"));
  // The same header for this host is fine.
  EXPECT_TRUE(CheckExecutable(Write("native", ElfHeader(kHost, 0))).ok());
}

TEST_F(ExecCheckTest, ElfWithMissingLoader) {
  std::string loader = dir_ + "/lib/ld-missing.so.2";
  std::string interp = loader + '\0';
  Elf64_Phdr ph = {};
  ph.p_type = PT_INTERP;
  ph.p_offset = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
  ph.p_filesz = interp.size();
  ph.p_memsz = interp.size();
  std::string content = ElfHeader(kHost, 1) +
                        std::string(reinterpret_cast<const char*>(&ph), sizeof ph) + interp;
  std::string p = Write("dyn", content);
  absl::Status s = CheckExecutable(p);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("dynamic loader `" + loader + "`"));

  // With the loader present it passes.
  ASSERT_EQ(mkdir((dir_ + "/lib").c_str(), 0755), 0);
  Write("lib/ld-missing.so.2", "");
  EXPECT_TRUE(CheckExecutable(p).ok()) << CheckExecutable(p);
}

TEST_F(ExecCheckTest, NoexecMount) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a noexec tmpfs";
  std::string mnt = dir_ + "/noexec";
  ASSERT_EQ(mkdir(mnt.c_str(), 0755), 0);
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(p[0]);
    auto report = [&](const std::string& s) {
      (void)!write(p[1], s.data(), s.size());
      _exit(0);
    };
    if (unshare(CLONE_NEWNS) != 0) report(absl::StrCat("SKIP unshare: ", strerror(errno)));
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      report(absl::StrCat("SKIP make / private: ", strerror(errno)));
    if (mount("tmpfs", mnt.c_str(), "tmpfs", MS_NOEXEC, "mode=755") != 0)
      report(absl::StrCat("SKIP mount tmpfs: ", strerror(errno)));
    std::string f = mnt + "/prog";
    std::ofstream(f) << "#!/bin/sh\n";
    chmod(f.c_str(), 0755);
    absl::Status s = CheckExecutable(f);
    report(s.ok() ? std::string("OK") : std::string(s.message()));
  }
  close(p[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) out.append(buf, n);
  close(p[0]);
  int status;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  if (out.rfind("SKIP ", 0) == 0) GTEST_SKIP() << out.substr(5);
  EXPECT_THAT(out, HasSubstr("noexec mount"));
  EXPECT_THAT(out, HasSubstr("/noexec/prog"));
}

}  // namespace
}  // namespace skiff::runtime
