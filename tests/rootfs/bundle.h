#pragma once
// Helpers for the runtime-agnostic integration tests: OCI bundles with a
// busybox rootfs, a runner for the runtime binary (runc's command line) with
// captured output and a timeout, and RAII cleanup of everything a test made
// (containers, temp dirs, cgroups, network namespaces).
//
// The runtime under test is $OCIRUN if set, else the runfile of
// //runtime:ocirun. Every Runtime uses a private --root state directory.
// $OCIRUN_FLAGS adds global flags to every call.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace skiff::itest {

using json = nlohmann::json;
using std::chrono::milliseconds;

// ---------------------------------------------------------------------------
// Environment.

// The runtime binary under test: $OCIRUN, else $TEST_SRCDIR/skiff/runtime/ocirun.
std::string RuntimePath();
// The static probe: $OCITEST, else $TEST_SRCDIR/skiff/tests/helper/ocitest.
std::string OcitestPath();
// Why the integration tests cannot run here ("" when they can): not root, no
// namespaces, missing binaries.
std::string SkipReason();
// True when the runtime under test is runc (its basename starts with "runc").
bool RuntimeIsRunc();
bool RuntimeIsCrun();

// ---------------------------------------------------------------------------
// Small file and string helpers.

std::string ReadFileOr(const std::string& path, const std::string& fallback = "");
bool WriteFile(const std::string& path, const std::string& data, int mode = 0644);
bool PathExists(const std::string& path);  // lstat succeeds
std::string Trim(const std::string& s);
std::vector<std::string> SplitLines(const std::string& s);
bool Contains(const std::string& haystack, const std::string& needle);
bool ContainsNoCase(const std::string& haystack, const std::string& needle);
// readlink(2) of /proc/self/ns/NAME of the test process, e.g. "net:[4026531833]".
std::string OwnNamespace(const std::string& name);
// Waits until pred() is true or the timeout passes; returns pred()'s last value.
bool WaitFor(const std::function<bool()>& pred, milliseconds timeout = milliseconds(5000));
// True when /proc/PID exists and is not a zombie.
bool ProcessAlive(pid_t pid);

// Recursively removes `path` without crossing into other file systems, after
// lazily unmounting anything mounted below it.
void RemoveTree(const std::string& path);

// A fresh directory under /tmp (short paths: unix sockets live here too),
// mode 0755, removed with RemoveTree on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "skiff-it");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// An anonymous in-memory file to hand to a child as stdout/stderr; read it
// back at any time (also after the container wrote to it later).
class CaptureFile {
 public:
  CaptureFile();
  ~CaptureFile();
  CaptureFile(const CaptureFile&) = delete;
  CaptureFile& operator=(const CaptureFile&) = delete;
  int fd() const { return fd_; }
  std::string Read() const;

 private:
  int fd_ = -1;
};

// ---------------------------------------------------------------------------
// Running the runtime.

struct RunOptions {
  milliseconds timeout{10000};
  // Data fed to stdin through a pipe; without it stdin is /dev/null (or stdin_fd).
  std::optional<std::string> stdin_data;
  int stdin_fd = -1;
  // Pass these fds as stdout/stderr instead of capturing (RunResult.out/err
  // stay empty then).
  int stdout_fd = -1;
  int stderr_fd = -1;
  // These fds become the child's fds 3, 4, ... (for --preserve-fds, or to
  // check that the runtime does not leak them into the container).
  std::vector<int> extra_fds;
  // A pty slave to become the child's controlling terminal and stdio (the
  // child starts a new session); stdin/stdout/stderr options still win.
  int ctty_fd = -1;
  std::string cwd;                // the child's working directory
  std::vector<std::string> env;   // extra NAME=VALUE entries
};

struct RunResult {
  int exit_code = -1;  // exit status, or 128+signal if killed by a signal
  int signal = 0;      // the signal that killed it, or 0
  bool timed_out = false;
  double seconds = 0;  // wall time
  std::string out, err;
  bool ok() const { return exit_code == 0 && !timed_out; }
  // "exit 1 (timed out)\nstdout: ...\nstderr: ..." for assertion messages.
  std::string Describe() const;
};

// A child started without waiting for it (e.g. a foreground `run`).
class Process {
 public:
  Process(pid_t pid, int out_fd, int err_fd, bool capture);
  ~Process();  // SIGKILLs the process group if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  pid_t pid() const { return pid_; }
  // Waits for exit; on timeout SIGKILLs the child's process group.
  RunResult Wait(milliseconds timeout = milliseconds(20000));
  bool Exited();  // non-blocking check (reaps if exited)

 private:
  pid_t pid_;
  int out_fd_, err_fd_;
  bool capture_;
  bool reaped_ = false;
  int status_ = 0;
  std::chrono::steady_clock::time_point start_;
};

std::unique_ptr<Process> Spawn(const std::vector<std::string>& argv, const RunOptions& opts = {});
RunResult RunCommand(const std::vector<std::string>& argv, const RunOptions& opts = {});

class Runtime {
 public:
  Runtime();  // private --root temp dir
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const std::string& binary() const { return binary_; }
  const std::string& root() const { return root_->path(); }
  // Global flags placed before the subcommand, after --root (e.g. --log F).
  std::vector<std::string> global_flags;

  // `RUNTIME --root ROOT [global_flags] args...`
  RunResult Run(const std::vector<std::string>& args, const RunOptions& opts = {});
  std::unique_ptr<Process> Start(const std::vector<std::string>& args, const RunOptions& opts = {});
  // The full argv for args.
  std::vector<std::string> Argv(const std::vector<std::string>& args) const;

  // `state ID` parsed; nullopt (with the error in *err) when it fails.
  std::optional<json> State(const std::string& id, std::string* err = nullptr);
  // "" when `state` fails.
  std::string Status(const std::string& id);
  bool WaitForStatus(const std::string& id, const std::string& status,
                     milliseconds timeout = milliseconds(5000));

 private:
  std::string binary_;
  std::vector<std::string> base_flags_;  // from $OCIRUN_FLAGS
  std::unique_ptr<TempDir> root_;
};

// The spec that `RUNTIME spec` writes (cached); falls back to runc's default
// spec (printing a warning) when the runtime cannot produce one.
const json& DefaultSpec();
// runc 1.1's `runc spec` output, built in.
json BuiltinDefaultSpec();

// A unique container id: "skiff-it-<testpid>-<n>" (with an optional tag).
std::string UniqueId(const std::string& tag = "");

// Existing cgroup directories for a cgroupsPath on this host: v1
// /sys/fs/cgroup/<hierarchy>/<path> and the v2 unified one.
std::vector<std::string> CgroupDirs(const std::string& cgroups_path);
// The v1 controller dir (e.g. "memory") or, on pure v2, the unified dir.
std::string CgroupDir(const std::string& controller, const std::string& cgroups_path);

// ---------------------------------------------------------------------------
// Bundles.

// A bundle directory with config.json and a busybox rootfs:
//   /bin/busybox + applet symlinks, /ocitest, /etc/passwd, /etc/group
//   (root and user:1000), empty /proc /sys /dev /tmp /root /home/user /mnt.
// config() starts as DefaultSpec() with terminal=false, root.readonly=false,
// a unique cgroupsPath ("/skiff-it-<pid>-<n>"), and args ["/ocitest","pid"].
// Leftover cgroup dirs of that path are removed on destruction.
class Bundle {
 public:
  Bundle();
  ~Bundle();
  Bundle(const Bundle&) = delete;
  Bundle& operator=(const Bundle&) = delete;

  const std::string& dir() const { return dir_->path(); }
  std::string rootfs() const { return dir_->path() + "/rootfs"; }
  std::string InRootfs(const std::string& rel) const;  // host path of a rootfs path
  json& config() { return config_; }
  const std::string& cgroups_path() const { return cgroups_path_; }

  // Shorthands that edit config().
  Bundle& Args(const std::vector<std::string>& args);
  Bundle& Sh(const std::string& script);  // ["/bin/sh", "-c", script]
  Bundle& Mount(const std::string& dest, const std::string& type, const std::string& source,
                const std::vector<std::string>& options = {});
  Bundle& BindMount(const std::string& dest, const std::string& host_dir, bool readonly = false);
  Bundle& Env(const std::string& name_value);
  Bundle& AddNamespace(const std::string& type, const std::string& path = "");
  Bundle& RemoveNamespace(const std::string& type);
  Bundle& Hook(const std::string& kind, const std::vector<std::string>& args,
               std::optional<int> timeout = std::nullopt,
               const std::vector<std::string>& env = {});

  // Writes config.json; called by Container before create/run.
  void Write() const;

 private:
  std::unique_ptr<TempDir> dir_;
  json config_;
  std::string cgroups_path_;
};

// A container id bound to a runtime and a bundle. The destructor runs
// `delete --force ID` (and waits for its processes to go).
class Container {
 public:
  Container(Runtime& rt, Bundle& bundle, const std::string& id = "");
  ~Container();
  Container(const Container&) = delete;
  Container& operator=(const Container&) = delete;

  const std::string& id() const { return id_; }

  // Each writes config.json, then runs the subcommand with
  // `--bundle DIR` where it applies. extra flags go before the id.
  RunResult Create(const std::vector<std::string>& extra = {}, const RunOptions& opts = {});
  RunResult Start(const RunOptions& opts = {});
  // Foreground `run`.
  RunResult Run(const std::vector<std::string>& extra = {}, const RunOptions& opts = {});
  std::unique_ptr<Process> SpawnRun(const std::vector<std::string>& extra = {},
                                    const RunOptions& opts = {});
  RunResult Kill(const std::string& signal = "KILL", const std::vector<std::string>& extra = {});
  RunResult Delete(bool force = false);
  std::optional<json> State(std::string* err = nullptr) { return rt_.State(id_, err); }
  std::string Status() { return rt_.Status(id_); }
  bool WaitForStatus(const std::string& status, milliseconds timeout = milliseconds(5000)) {
    return rt_.WaitForStatus(id_, status, timeout);
  }

 private:
  Runtime& rt_;
  Bundle& bundle_;
  std::string id_;
};

// ---------------------------------------------------------------------------
// Other fixtures.

// Receives the pty master that a runtime sends to --console-socket.
class ConsoleSocket {
 public:
  explicit ConsoleSocket(const std::string& path);
  ~ConsoleSocket();
  const std::string& path() const { return path_; }
  bool listening() const { return listen_fd_ >= 0; }
  // Accepts one connection and returns the fd passed with SCM_RIGHTS, or -1.
  // The caller owns the fd.
  int ReceiveFd(milliseconds timeout = milliseconds(10000));

 private:
  std::string path_;
  int listen_fd_ = -1;
};

// A pseudo-terminal pair, for runs that need a controlling terminal.
class Pty {
 public:
  Pty();
  ~Pty();
  bool ok() const { return master_ >= 0 && slave_ >= 0; }
  int master() const { return master_; }
  int slave() const { return slave_; }
  void CloseSlave();  // after handing it to a child, so reads end with EIO

 private:
  int master_ = -1, slave_ = -1;
};

// Reads from fd until EOF/EIO or the timeout, returning what came.
std::string ReadUntilClosed(int fd, milliseconds timeout = milliseconds(10000));

// A persistent network namespace bound onto a file (what `ip netns add`
// does, without touching /run/netns). Unmounted and removed on destruction.
class NetnsFile {
 public:
  NetnsFile();
  ~NetnsFile();
  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }
  std::string link() const { return link_; }  // "net:[INODE]"

 private:
  std::unique_ptr<TempDir> dir_;
  std::string path_, link_;
  bool ok_ = false;
};

// Capability helpers: the number of CAP_NAME, and the /proc/self/status hex
// mask (16 lowercase digits) of a set.
int CapNumber(const std::string& name);
std::string CapMask(const std::vector<std::string>& caps);

// Base fixture: skips when SkipReason() says so, owns a Runtime.
class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override;
  std::unique_ptr<Runtime> rt_;
  Runtime& rt() { return *rt_; }
};

}  // namespace skiff::itest
