#include "tests/conformance/conformance.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace skiff::conformance {
namespace {

using itest::Contains;
using itest::PathExists;
using itest::ReadFileOr;
using itest::SplitLines;
using itest::Trim;
using itest::WriteFile;

std::string Basename(const std::string& p) {
  auto pos = p.rfind('/');
  return pos == std::string::npos ? p : p.substr(pos + 1);
}

std::string RunfilesDir() {
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    const char* v = getenv(var);
    if (v && *v) return v;
  }
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = 0;
  return std::string(buf) + ".runfiles";
}

// Names of the entries under dir (recursively) that contain needle.
void FindNamed(const std::string& dir, const std::string& needle, std::vector<std::string>* out) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    std::string p = dir + "/" + n;
    if (Contains(n, needle)) out->push_back(p);
    if (e->d_type == DT_DIR) FindNamed(p, needle, out);
  }
  closedir(d);
}

bool WriteAll(int fd, const std::string& s) {
  return write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size());
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, n);
  }
  return out;
}

struct CgroupMount {
  std::string root, mount_point, fstype, super_opts;
};

std::vector<CgroupMount> CgroupMounts() {
  std::vector<CgroupMount> out;
  std::ifstream f("/proc/self/mountinfo");
  std::string line;
  while (std::getline(f, line)) {
    auto w = Words(line);
    size_t dash = 0;
    for (size_t i = 6; i < w.size(); i++) {
      if (w[i] == "-") {
        dash = i;
        break;
      }
    }
    if (dash == 0 || dash + 3 > w.size()) continue;
    const std::string& type = w[dash + 1];
    if (type != "cgroup" && type != "cgroup2") continue;
    out.push_back({w[3], w[4], type, dash + 3 < w.size() ? w[dash + 3] : ""});
  }
  return out;
}

bool HasOption(const std::string& opts, const std::string& opt) {
  std::stringstream ss(opts);
  for (std::string o; std::getline(ss, o, ',');) {
    if (o == opt) return true;
  }
  return false;
}

// Joins a cgroup path (from /proc/PID/cgroup) to a mount of its hierarchy.
std::string UnderMount(const CgroupMount& m, const std::string& cg_path) {
  std::string rel = cg_path;
  if (m.root != "/" && rel.rfind(m.root, 0) == 0) rel = rel.substr(m.root.size());
  return m.mount_point + (rel == "/" ? "" : rel);
}

}  // namespace

// ---------------------------------------------------------------------------
// Runtime and ledger.

std::string RuntimeName() {
  const char* v = getenv("CONFORMANCE_RUNTIME");
  if (v && *v) return v;
  std::string base = Basename(itest::RuntimePath());
  for (const char* known : {"ocirun", "runc", "crun"}) {
    if (base.rfind(known, 0) == 0) return known;
  }
  return base;
}

std::string LedgerPath() {
  const char* v = getenv("CONFORMANCE_LEDGER");
  if (v && *v) return v;
  return RunfilesDir() + "/skiff/tests/conformance/ledger.txt";
}

const std::vector<LedgerEntry>& Ledger(std::string* error) {
  static std::string load_error;
  static const std::vector<LedgerEntry> entries = [] {
    std::vector<LedgerEntry> out;
    std::ifstream f(LedgerPath());
    if (!f) {
      load_error = "cannot read the ledger " + LedgerPath() + ": " + strerror(errno);
      return out;
    }
    std::string line;
    int n = 0;
    while (std::getline(f, line)) {
      n++;
      std::string t = Trim(line);
      if (t.empty() || t[0] == '#') continue;
      std::istringstream is(t);
      LedgerEntry e;
      e.line = n;
      is >> e.runtime >> e.test;
      std::getline(is, e.reason);
      e.reason = Trim(e.reason);
      if (e.test.empty() || e.reason.empty()) {
        load_error += "ledger line " + std::to_string(n) + " is not `runtime test reason`: " + t +
                      "\n";
        continue;
      }
      out.push_back(e);
    }
    return out;
  }();
  if (error) *error = load_error;
  return entries;
}

std::optional<std::string> LedgerSkipReason(const std::string& test) {
  const char* ignore = getenv("CONFORMANCE_IGNORE_LEDGER");
  if (ignore && *ignore) return std::nullopt;
  const std::string rt = RuntimeName();
  for (const auto& e : Ledger()) {
    if (e.runtime == rt && fnmatch(e.test.c_str(), test.c_str(), 0) == 0) return e.reason;
  }
  return std::nullopt;
}

void ConformanceTest::SetUp() {
  static bool announced = false;
  if (!announced) {
    announced = true;
    std::string err;
    const auto& entries = Ledger(&err);
    int mine = 0;
    for (const auto& e : entries) mine += e.runtime == RuntimeName();
    fprintf(stderr, "conformance: runtime %s (%s); ledger %s: %d entries for it%s\n",
            RuntimeName().c_str(), itest::RuntimePath().c_str(), LedgerPath().c_str(), mine,
            getenv("CONFORMANCE_IGNORE_LEDGER") && *getenv("CONFORMANCE_IGNORE_LEDGER")
                ? " (ignored: CONFORMANCE_IGNORE_LEDGER)"
                : "");
    if (!err.empty()) fprintf(stderr, "conformance: WARNING: %s\n", err.c_str());
  }
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  if (auto reason = LedgerSkipReason(name)) {
    // Printed by gtest with the SKIPPED line; echoed to stderr for logs that
    // only keep the summary.
    fprintf(stderr, "conformance: skipping %s on %s (ledger): %s\n", name.c_str(),
            RuntimeName().c_str(), reason->c_str());
    GTEST_SKIP() << "ledger (" << RuntimeName() << "): " << *reason;
  }
  itest::RuntimeTest::SetUp();
}

RunResult ConformanceTest::RunOnce(Bundle& b, const RunOptions& opts) {
  Container c(rt(), b);
  return c.Run({}, opts);
}

std::vector<std::string> ConformanceTest::Probe(Bundle& b, const std::vector<std::string>& args,
                                                size_t min_lines) {
  std::vector<std::string> argv = {"/ocitest"};
  argv.insert(argv.end(), args.begin(), args.end());
  b.Args(argv);
  RunResult r = RunOnce(b);
  EXPECT_TRUE(r.ok()) << r.Describe();
  return AtLeast(SplitLines(r.out), min_lines);
}

std::vector<std::string> ConformanceTest::ShProbe(Bundle& b, const std::string& script,
                                                  size_t min_lines) {
  b.Sh(script);
  RunResult r = RunOnce(b);
  EXPECT_TRUE(r.ok()) << r.Describe();
  return AtLeast(SplitLines(r.out), min_lines);
}

void ConformanceTest::ExpectNoTrace(const std::string& id, const Bundle& b) {
  std::string err;
  EXPECT_FALSE(rt().State(id, &err)) << "`state " << id << "` still answers";
  std::vector<std::string> left;
  FindNamed(rt().root(), id, &left);
  EXPECT_TRUE(left.empty()) << "state left under --root: " << (left.empty() ? "" : left[0]);
  auto cg = itest::CgroupDirs(b.cgroups_path());
  EXPECT_TRUE(cg.empty()) << "cgroup left behind: " << (cg.empty() ? "" : cg[0]);
}

// ---------------------------------------------------------------------------
// Helpers.

std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> w;
  std::istringstream is(s);
  for (std::string x; is >> x;) w.push_back(x);
  return w;
}

std::vector<std::string> AtLeast(std::vector<std::string> lines, size_t n) {
  while (lines.size() < n) lines.push_back("<missing>");
  return lines;
}

std::string NsLinkOf(pid_t pid, const std::string& name) {
  char buf[256];
  ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/ns/" + name).c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, n) : "";
}

std::string NsProcName(const std::string& t) {
  if (t == "network") return "net";
  if (t == "mount") return "mnt";
  return t;
}

std::string InNamespaceOf(pid_t pid, const std::string& ns_name,
                          const std::function<std::string()>& fn) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return std::string("pipe: ") + strerror(errno);
  pid_t child = fork();
  if (child == 0) {
    close(p[0]);
    std::string path = "/proc/" + std::to_string(pid) + "/ns/" + ns_name;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    std::string out;
    if (fd < 0 || setns(fd, 0) != 0)
      out = "setns " + path + ": " + strerror(errno);
    else
      out = fn();
    WriteAll(p[1], out);
    _exit(0);
  }
  close(p[1]);
  std::string out = child > 0 ? ReadAll(p[0]) : std::string("fork: ") + strerror(errno);
  close(p[0]);
  if (child > 0) waitpid(child, nullptr, 0);
  return out;
}

NsHolder::NsHolder(const std::string& spec_type) : name_(NsProcName(spec_type)) {
  static const struct {
    const char* type;
    int flag;
  } kFlags[] = {{"pid", CLONE_NEWPID},   {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
                {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},     {"user", CLONE_NEWUSER},
                {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME}};
  int flag = 0;
  for (const auto& f : kFlags) {
    if (spec_type == f.type) flag = f.flag;
  }
  if (!flag) {
    error_ = "unknown namespace type " + spec_type;
    return;
  }
  // to_parent: the child reports "<leaf pid>\n" or "error ...\n".
  // to_child: the parent says "go" once it wrote user namespace mappings.
  int to_parent[2], to_child[2];
  if (pipe2(to_parent, O_CLOEXEC) != 0 || pipe2(to_child, O_CLOEXEC) != 0) {
    error_ = std::string("pipe: ") + strerror(errno);
    return;
  }
  const bool needs_leaf = flag == CLONE_NEWPID || flag == CLONE_NEWTIME;
  pid_t parent = getpid();
  top_ = fork();
  if (top_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    close(to_parent[0]);
    close(to_child[1]);
    auto fail = [&](const std::string& what) {
      WriteAll(to_parent[1], "error " + what + ": " + strerror(errno) + "\n");
      _exit(1);
    };
    if (unshare(flag) != 0) fail("unshare");
    if (flag == CLONE_NEWNS && mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      fail("make / rprivate");
    if (flag == CLONE_NEWTIME) {
      std::string offs = "monotonic " + std::to_string(kTimeOffsetSecs) + " 0\nboottime " +
                         std::to_string(kTimeOffsetSecs) + " 0\n";
      int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
      if (fd < 0 || !WriteAll(fd, offs)) fail("timens_offsets");
      close(fd);
    }
    if (needs_leaf) {
      // The new pid and time namespaces are for children.
      pid_t leaf = fork();
      if (leaf == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (;;) pause();
      }
      if (leaf < 0) fail("fork");
      WriteAll(to_parent[1], std::to_string(leaf) + "\n");
      waitpid(leaf, nullptr, 0);
      _exit(0);
    }
    WriteAll(to_parent[1], std::to_string(getpid()) + "\n");
    char go[8];
    if (read(to_child[0], go, sizeof go) <= 0) _exit(1);
    for (;;) pause();
  }
  close(to_parent[1]);
  close(to_child[0]);
  if (top_ < 0) {
    error_ = std::string("fork: ") + strerror(errno);
    close(to_parent[0]);
    close(to_child[1]);
    return;
  }
  std::string line;
  char ch;
  while (read(to_parent[0], &ch, 1) == 1 && ch != '\n') line += ch;
  close(to_parent[0]);
  if (line.empty() || line.rfind("error", 0) == 0) {
    error_ = line.empty() ? "holder died" : line;
    close(to_child[1]);
    return;
  }
  pid_t leaf = atoi(line.c_str());
  if (flag == CLONE_NEWUSER) {
    std::string base = "/proc/" + std::to_string(leaf);
    std::string map = "0 " + std::to_string(kUserNsHostId) + " 65536\n";
    if (!WriteFile(base + "/uid_map", map) || !WriteFile(base + "/gid_map", map)) {
      error_ = "writing the user namespace mappings failed";
      close(to_child[1]);
      return;
    }
  }
  WriteAll(to_child[1], "go");
  close(to_child[1]);
  leaf_ = leaf;
}

NsHolder::~NsHolder() {
  if (leaf_ > 0) kill(leaf_, SIGKILL);
  if (top_ > 0) {
    kill(top_, SIGKILL);
    waitpid(top_, nullptr, 0);
  }
}

std::string NsHolder::path() const {
  return "/proc/" + std::to_string(leaf_) + "/ns/" + name_;
}

std::string NsHolder::link() const { return NsLinkOf(leaf_, name_); }

bool IsV1Controller(const std::string& controller) {
  for (const auto& m : CgroupMounts()) {
    if (m.fstype == "cgroup" && HasOption(m.super_opts, controller)) return true;
  }
  return false;
}

std::string CgroupFileOf(pid_t pid, const std::string& controller, const std::string& file) {
  std::string v2_path;
  for (const auto& line : SplitLines(ReadFileOr("/proc/" + std::to_string(pid) + "/cgroup"))) {
    // hierarchy-ID:controller-list:cgroup-path
    auto c1 = line.find(':');
    auto c2 = line.find(':', c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) continue;
    std::string ctls = line.substr(c1 + 1, c2 - c1 - 1), path = line.substr(c2 + 1);
    if (ctls.empty()) {
      v2_path = path;
      continue;
    }
    if (!HasOption(ctls, controller)) continue;
    for (const auto& m : CgroupMounts()) {
      if (m.fstype == "cgroup" && HasOption(m.super_opts, controller))
        return UnderMount(m, path) + "/" + file;
    }
  }
  if (!v2_path.empty()) {
    for (const auto& m : CgroupMounts()) {
      if (m.fstype == "cgroup2") return UnderMount(m, v2_path) + "/" + file;
    }
  }
  return "";
}

pid_t StatePid(Container& c) {
  auto st = c.State();
  if (!st || !(*st)["pid"].is_number_integer()) return 0;
  return (*st)["pid"].get<pid_t>();
}

}  // namespace skiff::conformance
