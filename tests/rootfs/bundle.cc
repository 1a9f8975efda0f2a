#include "tests/rootfs/bundle.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace skiff::itest {
namespace {

constexpr unsigned long kCgroupSuperMagic = 0x27e0eb;
constexpr unsigned long kCgroup2SuperMagic = 0x63677270;

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
  if (n > 0) {
    buf[n] = 0;
    return std::string(buf) + ".runfiles";
  }
  return "";
}

bool CopyFile(const std::string& from, const std::string& to, int mode) {
  int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return false;
  int out = open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (out < 0) {
    close(in);
    return false;
  }
  char buf[1 << 16];
  bool ok = true;
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    if (write(out, buf, n) != n) {
      ok = false;
      break;
    }
  }
  fchmod(out, mode);
  close(in);
  close(out);
  return ok;
}

void MkdirP(const std::string& path, int mode = 0755) {
  std::string cur;
  std::stringstream ss(path);
  std::string part;
  if (!path.empty() && path[0] == '/') cur = "";
  while (std::getline(ss, part, '/')) {
    if (part.empty()) continue;
    cur += "/" + part;
    if (mkdir(cur.c_str(), mode) == 0) chmod(cur.c_str(), mode);
  }
}

const std::vector<std::string>& BusyboxApplets() {
  static const std::vector<std::string> applets = [] {
    std::vector<std::string> out;
    RunResult r = RunCommand({"/bin/busybox", "--list"});
    for (const auto& line : SplitLines(r.out)) {
      std::string a = Trim(line);
      if (!a.empty() && a != "busybox" && a.find('/') == std::string::npos) out.push_back(a);
    }
    return out;
  }();
  return applets;
}

std::string UnescapeMountPath(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 3 < s.size() + 0 && isdigit(s[i + 1])) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> MountPoints() {
  std::vector<std::string> out;
  std::ifstream f("/proc/self/mountinfo");
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream ls(line);
    std::string id, parent, devno, root, mp;
    if (ls >> id >> parent >> devno >> root >> mp) out.push_back(UnescapeMountPath(mp));
  }
  return out;
}

int RemoveEntry(const char* path, const struct stat*, int type, struct FTW*) {
  if (type == FTW_DP || type == FTW_D)
    rmdir(path);
  else
    unlink(path);
  return 0;
}

bool IsCgroupFs(const std::string& path) {
  struct statfs sf;
  if (statfs(path.c_str(), &sf) != 0) return false;
  return static_cast<unsigned long>(sf.f_type) == kCgroupSuperMagic ||
         static_cast<unsigned long>(sf.f_type) == kCgroup2SuperMagic;
}

bool IsCgroup2(const std::string& path) {
  struct statfs sf;
  return statfs(path.c_str(), &sf) == 0 &&
         static_cast<unsigned long>(sf.f_type) == kCgroup2SuperMagic;
}

// Removes a cgroup directory tree bottom-up, killing what is left inside.
void RemoveCgroupTree(const std::string& dir) {
  if (DIR* d = opendir(dir.c_str())) {
    std::vector<std::string> subs;
    while (struct dirent* e = readdir(d)) {
      if (e->d_type == DT_DIR && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
        subs.push_back(dir + "/" + e->d_name);
    }
    closedir(d);
    for (const auto& s : subs) RemoveCgroupTree(s);
  }
  for (int attempt = 0; attempt < 50; attempt++) {
    if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    for (const auto& line : SplitLines(ReadFileOr(dir + "/cgroup.procs"))) {
      pid_t p = atoi(line.c_str());
      if (p > 0) kill(p, SIGKILL);
    }
    // A frozen v1 freezer cgroup keeps its tasks from dying.
    if (PathExists(dir + "/freezer.state")) WriteFile(dir + "/freezer.state", "THAWED");
    usleep(20000);
  }
  fprintf(stderr, "itest: could not remove cgroup %s: %s\n", dir.c_str(), strerror(errno));
}

std::string ReadFd(int fd) {
  std::string out;
  if (fd < 0) return out;
  char buf[8192];
  off_t off = 0;
  for (;;) {
    ssize_t n = pread(fd, buf, sizeof buf, off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, n);
    off += n;
  }
  return out;
}

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

}  // namespace

// ---------------------------------------------------------------------------
// Environment.

std::string RuntimePath() {
  const char* v = getenv("OCIRUN");
  if (v && *v) return v;
  return RunfilesDir() + "/skiff/runtime/ocirun";
}

std::string OcitestPath() {
  const char* v = getenv("OCITEST");
  if (v && *v) return v;
  return RunfilesDir() + "/skiff/tests/helper/ocitest";
}

bool RuntimeIsRunc() { return Basename(RuntimePath()).rfind("runc", 0) == 0; }
bool RuntimeIsCrun() { return Basename(RuntimePath()).rfind("crun", 0) == 0; }

std::string SkipReason() {
  static const std::string reason = []() -> std::string {
    if (geteuid() != 0) return "integration tests need root (real namespaces, mounts, cgroups)";
    if (access(RuntimePath().c_str(), X_OK) != 0)
      return "runtime binary not found: " + RuntimePath() + " (set OCIRUN)";
    if (access(OcitestPath().c_str(), R_OK) != 0)
      return "ocitest helper not found: " + OcitestPath() + " (set OCITEST)";
    if (access("/bin/busybox", X_OK) != 0) return "/bin/busybox (busybox-static) is missing";
    pid_t pid = fork();
    if (pid == 0) {
      _exit(unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC) == 0
                ? 0
                : 1);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
      return "cannot create namespaces here (unshare failed)";
    return "";
  }();
  return reason;
}

// ---------------------------------------------------------------------------
// Files and strings.

std::string ReadFileOr(const std::string& path, const std::string& fallback) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fallback;
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, n);
  }
  close(fd);
  return out;
}

bool WriteFile(const std::string& path, const std::string& data, int mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  bool ok = write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  close(fd);
  return ok;
}

bool PathExists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == '\n') {
      if (!cur.empty() && cur.back() == '\r') cur.pop_back();
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) {
    if (cur.back() == '\r') cur.pop_back();
    out.push_back(cur);
  }
  return out;
}

bool Contains(const std::string& h, const std::string& n) { return h.find(n) != std::string::npos; }

bool ContainsNoCase(const std::string& h, const std::string& n) {
  std::string a = h, b = n;
  std::transform(a.begin(), a.end(), a.begin(), ::tolower);
  std::transform(b.begin(), b.end(), b.begin(), ::tolower);
  return a.find(b) != std::string::npos;
}

std::string OwnNamespace(const std::string& name) {
  char buf[256];
  ssize_t n = readlink(("/proc/self/ns/" + name).c_str(), buf, sizeof buf - 1);
  if (n < 0) return "";
  return std::string(buf, n);
}

bool WaitFor(const std::function<bool()>& pred, milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    usleep(10000);
  }
}

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  std::string stat = ReadFileOr("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return false;
  auto p = stat.rfind(')');
  return p != std::string::npos && p + 2 < stat.size() && stat[p + 2] != 'Z' &&
         stat[p + 2] != 'X';
}

void RemoveTree(const std::string& path) {
  if (path.empty() || path == "/") return;
  std::vector<std::string> below;
  for (const auto& mp : MountPoints()) {
    if (mp == path || mp.rfind(path + "/", 0) == 0) below.push_back(mp);
  }
  std::sort(below.begin(), below.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const auto& mp : below) umount2(mp.c_str(), MNT_DETACH);
  nftw(path.c_str(), RemoveEntry, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + ".XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back(0);
  if (mkdtemp(buf.data()) == nullptr) {
    fprintf(stderr, "itest: mkdtemp %s: %s\n", tmpl.c_str(), strerror(errno));
    abort();
  }
  path_ = buf.data();
  chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() { RemoveTree(path_); }

CaptureFile::CaptureFile() { fd_ = memfd_create("itest-capture", MFD_CLOEXEC); }
CaptureFile::~CaptureFile() {
  if (fd_ >= 0) close(fd_);
}
std::string CaptureFile::Read() const { return ReadFd(fd_); }

// ---------------------------------------------------------------------------
// Processes.

std::string RunResult::Describe() const {
  std::string s = "exit " + std::to_string(exit_code);
  if (signal) s += " (signal " + std::to_string(signal) + ")";
  if (timed_out) s += " (TIMED OUT)";
  s += "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
  return s;
}

Process::Process(pid_t pid, int out_fd, int err_fd, bool capture)
    : pid_(pid), out_fd_(out_fd), err_fd_(err_fd), capture_(capture),
      start_(std::chrono::steady_clock::now()) {}

Process::~Process() {
  if (!reaped_ && pid_ > 0) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

bool Process::Exited() {
  if (reaped_) return true;
  pid_t r = waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return reaped_;
}

RunResult Process::Wait(milliseconds timeout) {
  RunResult res;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int pidfd = reaped_ ? -1 : PidfdOpen(pid_);
  while (!Exited()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      res.timed_out = true;
      kill(-pid_, SIGKILL);
      kill(pid_, SIGKILL);
      if (waitpid(pid_, &status_, 0) == pid_) reaped_ = true;
      break;
    }
    int left = static_cast<int>(
        std::chrono::duration_cast<milliseconds>(deadline - now).count());
    if (pidfd >= 0) {
      struct pollfd p = {pidfd, POLLIN, 0};
      poll(&p, 1, std::min(left, 1000));
    } else {
      usleep(std::min(left, 5) * 1000);
    }
  }
  if (pidfd >= 0) close(pidfd);
  if (WIFEXITED(status_)) {
    res.exit_code = WEXITSTATUS(status_);
  } else if (WIFSIGNALED(status_)) {
    res.signal = WTERMSIG(status_);
    res.exit_code = 128 + res.signal;
  }
  res.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (capture_) {
    res.out = ReadFd(out_fd_);
    res.err = ReadFd(err_fd_);
  }
  return res;
}

std::unique_ptr<Process> Spawn(const std::vector<std::string>& argv, const RunOptions& opts) {
  int cap_out = -1, cap_err = -1;
  int out = opts.stdout_fd, err = opts.stderr_fd;
  if (out < 0) out = cap_out = memfd_create("itest-stdout", MFD_CLOEXEC);
  if (err < 0) err = cap_err = memfd_create("itest-stderr", MFD_CLOEXEC);
  int in_pipe[2] = {-1, -1};
  if (opts.stdin_data) {
    if (pipe2(in_pipe, O_CLOEXEC) != 0) abort();
  }
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

  std::vector<std::string> env_strs;
  for (char** e = environ; *e; e++) env_strs.push_back(*e);
  for (const auto& e : opts.env) env_strs.push_back(e);
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env_strs) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) abort();
  if (pid == 0) {
    if (opts.ctty_fd >= 0) {
      setsid();
      ioctl(opts.ctty_fd, TIOCSCTTY, 0);
    } else {
      setpgid(0, 0);
    }
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    int tty = opts.ctty_fd;
    int in = in_pipe[0] >= 0 ? in_pipe[0]
             : opts.stdin_fd >= 0 ? opts.stdin_fd
             : tty >= 0 ? tty
             : devnull;
    if (tty >= 0 && opts.stdout_fd < 0) out = tty;
    if (tty >= 0 && opts.stderr_fd < 0) err = tty;
    // Move the extra fds out of the way of 0..2 and 3..3+n first.
    std::vector<int> extra;
    for (int fd : opts.extra_fds) extra.push_back(fcntl(fd, F_DUPFD_CLOEXEC, 1000));
    int in2 = fcntl(in, F_DUPFD_CLOEXEC, 1000);
    int out2 = fcntl(out, F_DUPFD_CLOEXEC, 1000);
    int err2 = fcntl(err, F_DUPFD_CLOEXEC, 1000);
    dup2(in2, 0);
    dup2(out2, 1);
    dup2(err2, 2);
    for (size_t i = 0; i < extra.size(); i++) dup2(extra[i], 3 + static_cast<int>(i));
    // Everything else was opened O_CLOEXEC or is closed here.
    syscall(SYS_close_range, 3 + extra.size(), ~0U, 0);
    if (!opts.cwd.empty() && chdir(opts.cwd.c_str()) != 0) _exit(126);
    execvpe(cargv[0], cargv.data(), cenv.data());
    dprintf(2, "exec %s: %s\n", cargv[0], strerror(errno));
    _exit(127);
  }
  if (opts.ctty_fd < 0) setpgid(pid, pid);
  if (devnull >= 0) close(devnull);
  if (in_pipe[0] >= 0) {
    close(in_pipe[0]);
    const std::string& d = *opts.stdin_data;
    size_t off = 0;
    while (off < d.size()) {
      ssize_t n = write(in_pipe[1], d.data() + off, d.size() - off);
      if (n <= 0) break;
      off += n;
    }
    close(in_pipe[1]);
  }
  return std::make_unique<Process>(pid, cap_out, cap_err, true);
}

RunResult RunCommand(const std::vector<std::string>& argv, const RunOptions& opts) {
  return Spawn(argv, opts)->Wait(opts.timeout);
}

// ---------------------------------------------------------------------------
// Runtime.

Runtime::Runtime() : binary_(RuntimePath()), root_(std::make_unique<TempDir>("skiff-it-root")) {
  // Extra global flags for every call, e.g. OCIRUN_FLAGS=--cgroup-manager=disabled
  // to try crun on a host whose cgroup layout it refuses.
  if (const char* extra = getenv("OCIRUN_FLAGS")) {
    std::istringstream is(extra);
    for (std::string f; is >> f;) base_flags_.push_back(f);
  }
}

Runtime::~Runtime() {
  // Anything a test forgot: force-delete what the runtime still knows.
  if (DIR* d = opendir(root().c_str())) {
    std::vector<std::string> ids;
    while (struct dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ids.push_back(e->d_name);
    }
    closedir(d);
    for (const auto& id : ids) {
      RunOptions o;
      o.timeout = milliseconds(10000);
      Run({"delete", "--force", id}, o);
    }
  }
}

std::vector<std::string> Runtime::Argv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {binary_, "--root", root()};
  argv.insert(argv.end(), base_flags_.begin(), base_flags_.end());
  argv.insert(argv.end(), global_flags.begin(), global_flags.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

RunResult Runtime::Run(const std::vector<std::string>& args, const RunOptions& opts) {
  return RunCommand(Argv(args), opts);
}

std::unique_ptr<Process> Runtime::Start(const std::vector<std::string>& args,
                                        const RunOptions& opts) {
  return Spawn(Argv(args), opts);
}

std::optional<json> Runtime::State(const std::string& id, std::string* err) {
  RunResult r = Run({"state", id});
  if (!r.ok()) {
    if (err) *err = r.Describe();
    return std::nullopt;
  }
  try {
    return json::parse(r.out);
  } catch (const std::exception& e) {
    if (err) *err = std::string("state output is not JSON: ") + e.what() + "\n" + r.out;
    return std::nullopt;
  }
}

std::string Runtime::Status(const std::string& id) {
  auto s = State(id);
  if (!s || !s->contains("status") || !(*s)["status"].is_string()) return "";
  return (*s)["status"].get<std::string>();
}

bool Runtime::WaitForStatus(const std::string& id, const std::string& status,
                            milliseconds timeout) {
  return WaitFor([&] { return Status(id) == status; }, timeout);
}

json BuiltinDefaultSpec() {
  static const char kSpec[] =
#include "tests/rootfs/default_spec.inc"
      ;
  return json::parse(kSpec);
}

const json& DefaultSpec() {
  static const json spec = [] {
    TempDir d("skiff-it-spec");
    RunOptions o;
    o.cwd = d.path();
    RunResult r = RunCommand({RuntimePath(), "spec"}, o);
    if (r.ok()) {
      try {
        return json::parse(ReadFileOr(d / "config.json"));
      } catch (const std::exception& e) {
        fprintf(stderr, "itest: WARNING: `%s spec` wrote bad JSON (%s); using runc's default\n",
                RuntimePath().c_str(), e.what());
      }
    } else {
      fprintf(stderr, "itest: WARNING: `%s spec` failed; using runc's default spec\n%s\n",
              RuntimePath().c_str(), r.Describe().c_str());
    }
    return BuiltinDefaultSpec();
  }();
  return spec;
}

std::string UniqueId(const std::string& tag) {
  static std::atomic<int> counter{0};
  std::string id = "skiff-it-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
  if (!tag.empty()) id += "-" + tag;
  return id;
}

std::vector<std::string> CgroupDirs(const std::string& cgroups_path) {
  std::vector<std::string> out;
  const std::string base = "/sys/fs/cgroup";
  if (IsCgroup2(base)) {
    if (PathExists(base + cgroups_path)) out.push_back(base + cgroups_path);
    return out;
  }
  DIR* d = opendir(base.c_str());
  if (!d) return out;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.' || e->d_type == DT_LNK) continue;
    std::string h = base + "/" + e->d_name;
    if (!IsCgroupFs(h)) continue;
    if (PathExists(h + cgroups_path)) out.push_back(h + cgroups_path);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string CgroupDir(const std::string& controller, const std::string& cgroups_path) {
  if (IsCgroup2("/sys/fs/cgroup")) return "/sys/fs/cgroup" + cgroups_path;
  return "/sys/fs/cgroup/" + controller + cgroups_path;
}

// ---------------------------------------------------------------------------
// Bundle.

Bundle::Bundle() : dir_(std::make_unique<TempDir>("skiff-it-bundle")) {
  const std::string r = rootfs();
  for (const char* sub : {"", "/bin", "/dev", "/etc", "/proc", "/sys", "/root", "/home/user",
                          "/mnt", "/var", "/usr/bin", "/tmp"}) {
    MkdirP(r + sub);
  }
  chmod((r + "/tmp").c_str(), 01777);
  chmod((r + "/root").c_str(), 0700);
  if (chown((r + "/home/user").c_str(), 1000, 1000) != 0) perror("itest: chown /home/user");
  if (!CopyFile("/bin/busybox", r + "/bin/busybox", 0755))
    fprintf(stderr, "itest: copying /bin/busybox: %s\n", strerror(errno));
  for (const auto& a : BusyboxApplets()) {
    if (symlink("busybox", (r + "/bin/" + a).c_str()) != 0 && errno != EEXIST)
      fprintf(stderr, "itest: symlink %s: %s\n", a.c_str(), strerror(errno));
  }
  if (!CopyFile(OcitestPath(), r + "/ocitest", 0755))
    fprintf(stderr, "itest: copying %s: %s\n", OcitestPath().c_str(), strerror(errno));
  WriteFile(r + "/etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\n"
            "user:x:1000:1000:user:/home/user:/bin/sh\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  WriteFile(r + "/etc/group",
            "root:x:0:\n"
            "wheel:x:10:\n"
            "user:x:1000:\n"
            "nogroup:x:65534:\n");

  config_ = DefaultSpec();
  config_["process"]["terminal"] = false;
  config_["process"]["args"] = {"/ocitest", "pid"};
  config_["root"] = {{"path", "rootfs"}, {"readonly", false}};
  cgroups_path_ = "/" + UniqueId("cg");
  config_["linux"]["cgroupsPath"] = cgroups_path_;
}

Bundle::~Bundle() {
  for (const auto& d : CgroupDirs(cgroups_path_)) RemoveCgroupTree(d);
}

std::string Bundle::InRootfs(const std::string& rel) const {
  return rootfs() + (rel.empty() || rel[0] == '/' ? "" : "/") + rel;
}

Bundle& Bundle::Args(const std::vector<std::string>& args) {
  config_["process"]["args"] = args;
  return *this;
}

Bundle& Bundle::Sh(const std::string& script) { return Args({"/bin/sh", "-c", script}); }

Bundle& Bundle::Mount(const std::string& dest, const std::string& type, const std::string& source,
                      const std::vector<std::string>& options) {
  json m = {{"destination", dest}, {"type", type}, {"source", source}};
  if (!options.empty()) m["options"] = options;
  config_["mounts"].push_back(m);
  return *this;
}

Bundle& Bundle::BindMount(const std::string& dest, const std::string& host_dir, bool readonly) {
  std::vector<std::string> opts = {"rbind"};
  if (readonly) opts.push_back("ro");
  return Mount(dest, "bind", host_dir, opts);
}

Bundle& Bundle::Env(const std::string& name_value) {
  config_["process"]["env"].push_back(name_value);
  return *this;
}

Bundle& Bundle::AddNamespace(const std::string& type, const std::string& path) {
  RemoveNamespace(type);
  json ns = {{"type", type}};
  if (!path.empty()) ns["path"] = path;
  config_["linux"]["namespaces"].push_back(ns);
  return *this;
}

Bundle& Bundle::RemoveNamespace(const std::string& type) {
  json& nss = config_["linux"]["namespaces"];
  json kept = json::array();
  for (const auto& ns : nss) {
    if (ns.value("type", "") != type) kept.push_back(ns);
  }
  nss = kept;
  return *this;
}

Bundle& Bundle::Hook(const std::string& kind, const std::vector<std::string>& args,
                     std::optional<int> timeout, const std::vector<std::string>& env) {
  json h = {{"path", args.at(0)}, {"args", args}};
  if (timeout) h["timeout"] = *timeout;
  if (!env.empty()) h["env"] = env;
  config_["hooks"][kind].push_back(h);
  return *this;
}

void Bundle::Write() const { WriteFile(dir() + "/config.json", config_.dump(2) + "\n"); }

// ---------------------------------------------------------------------------
// Container.

Container::Container(Runtime& rt, Bundle& bundle, const std::string& id)
    : rt_(rt), bundle_(bundle), id_(id.empty() ? UniqueId() : id) {}

Container::~Container() {
  RunOptions o;
  o.timeout = milliseconds(15000);
  rt_.Run({"delete", "--force", id_}, o);
}

RunResult Container::Create(const std::vector<std::string>& extra, const RunOptions& opts) {
  bundle_.Write();
  std::vector<std::string> args = {"create", "--bundle", bundle_.dir()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(id_);
  return rt_.Run(args, opts);
}

RunResult Container::Start(const RunOptions& opts) { return rt_.Run({"start", id_}, opts); }

RunResult Container::Run(const std::vector<std::string>& extra, const RunOptions& opts) {
  bundle_.Write();
  std::vector<std::string> args = {"run", "--bundle", bundle_.dir()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(id_);
  return rt_.Run(args, opts);
}

std::unique_ptr<Process> Container::SpawnRun(const std::vector<std::string>& extra,
                                             const RunOptions& opts) {
  bundle_.Write();
  std::vector<std::string> args = {"run", "--bundle", bundle_.dir()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(id_);
  return rt_.Start(args, opts);
}

RunResult Container::Kill(const std::string& signal, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"kill"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(id_);
  args.push_back(signal);
  return rt_.Run(args);
}

RunResult Container::Delete(bool force) {
  if (force) return rt_.Run({"delete", "--force", id_});
  return rt_.Run({"delete", id_});
}

// ---------------------------------------------------------------------------
// Console socket.

ConsoleSocket::ConsoleSocket(const std::string& path) : path_(path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (fd < 0 || path.size() >= sizeof addr.sun_path) {
    if (fd >= 0) close(fd);
    return;
  }
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  unlink(path.c_str());
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4) != 0) {
    close(fd);
    return;
  }
  listen_fd_ = fd;
}

ConsoleSocket::~ConsoleSocket() {
  if (listen_fd_ >= 0) close(listen_fd_);
  unlink(path_.c_str());
}

int ConsoleSocket::ReceiveFd(milliseconds timeout) {
  if (listen_fd_ < 0) return -1;
  struct pollfd p = {listen_fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) != 1) return -1;
  int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) return -1;
  struct pollfd c = {conn, POLLIN, 0};
  int result = -1;
  if (poll(&c, 1, static_cast<int>(timeout.count())) == 1) {
    char data[4096];
    struct iovec iov = {data, sizeof data};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)];
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) >= 0) {
      for (struct cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
          int nfds = static_cast<int>((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
          int* fds = reinterpret_cast<int*>(CMSG_DATA(cm));
          for (int i = 0; i < nfds; i++) {
            if (result < 0)
              result = fds[i];
            else
              close(fds[i]);
          }
        }
      }
    }
  }
  close(conn);
  return result;
}

Pty::Pty() {
  master_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master_ < 0 || grantpt(master_) != 0 || unlockpt(master_) != 0) return;
  char name[128];
  if (ptsname_r(master_, name, sizeof name) != 0) return;
  slave_ = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
}

Pty::~Pty() {
  CloseSlave();
  if (master_ >= 0) close(master_);
}

void Pty::CloseSlave() {
  if (slave_ >= 0) close(slave_);
  slave_ = -1;
}

std::string ReadUntilClosed(int fd, milliseconds timeout) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline -
                                                         std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF, or EIO once the slave side is closed
    out.append(buf, n);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Network namespace file.

NetnsFile::NetnsFile() : dir_(std::make_unique<TempDir>("skiff-it-netns")) {
  path_ = dir_->path() + "/net";
  if (!WriteFile(path_, "")) return;
  pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNET) != 0) _exit(1);
    if (mount("/proc/self/ns/net", path_.c_str(), nullptr, MS_BIND, nullptr) != 0) _exit(2);
    _exit(0);
  }
  int st = 0;
  if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return;
  struct stat sb;
  if (stat(path_.c_str(), &sb) != 0) return;
  link_ = "net:[" + std::to_string(sb.st_ino) + "]";
  ok_ = true;
}

NetnsFile::~NetnsFile() {
  if (ok_) umount2(path_.c_str(), MNT_DETACH);
}

// ---------------------------------------------------------------------------
// Capabilities.

int CapNumber(const std::string& name) {
  static const char* const kNames[] = {
      "CHOWN",           "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER",          "FSETID",
      "KILL",            "SETGID",       "SETUID",          "SETPCAP",         "LINUX_IMMUTABLE",
      "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN",     "NET_RAW",         "IPC_LOCK",
      "IPC_OWNER",       "SYS_MODULE",   "SYS_RAWIO",       "SYS_CHROOT",      "SYS_PTRACE",
      "SYS_PACCT",       "SYS_ADMIN",    "SYS_BOOT",        "SYS_NICE",        "SYS_RESOURCE",
      "SYS_TIME",        "SYS_TTY_CONFIG", "MKNOD",         "LEASE",           "AUDIT_WRITE",
      "AUDIT_CONTROL",   "SETFCAP",      "MAC_OVERRIDE",    "MAC_ADMIN",       "SYSLOG",
      "WAKE_ALARM",      "BLOCK_SUSPEND", "AUDIT_READ",     "PERFMON",         "BPF",
      "CHECKPOINT_RESTORE"};
  std::string n = name.rfind("CAP_", 0) == 0 ? name.substr(4) : name;
  for (size_t i = 0; i < sizeof kNames / sizeof kNames[0]; i++) {
    if (n == kNames[i]) return static_cast<int>(i);
  }
  return -1;
}

std::string CapMask(const std::vector<std::string>& caps) {
  unsigned long long mask = 0;
  for (const auto& c : caps) {
    int n = CapNumber(c);
    if (n >= 0) mask |= 1ULL << n;
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%016llx", mask);
  return buf;
}

void RuntimeTest::SetUp() {
  static bool announced = false;
  if (!announced) {
    announced = true;
    fprintf(stderr, "itest: runtime under test: %s\n", RuntimePath().c_str());
  }
  std::string reason = SkipReason();
  if (!reason.empty()) GTEST_SKIP() << reason;
  rt_ = std::make_unique<Runtime>();
}

}  // namespace skiff::itest
