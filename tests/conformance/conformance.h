#pragma once
// Shared pieces of the OCI runtime-spec conformance suite: the ledger of
// known per-runtime differences (tests/conformance/ledger.txt), the base
// fixture that skips ledgered cases with their reason, and helpers for
// questions the bundle library does not answer (namespace holders, the
// container's cgroup files, setns probes).
//
// The runtime under test is $OCIRUN (default: //runtime:ocirun), exactly as
// for tests/integration; see tests/rootfs/bundle.h.

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/rootfs/bundle.h"

namespace skiff::conformance {

using itest::Bundle;
using itest::CaptureFile;
using itest::Container;
using itest::json;
using itest::milliseconds;
using itest::RunOptions;
using itest::RunResult;
using itest::TempDir;

// ---------------------------------------------------------------------------
// Runtime and ledger.

// "ocirun", "runc", "crun" (from the basename of $OCIRUN), or
// $CONFORMANCE_RUNTIME when set.
std::string RuntimeName();

struct LedgerEntry {
  std::string runtime;  // as RuntimeName() spells it
  std::string test;     // "Suite.Test"; fnmatch(3) patterns allowed
  std::string reason;
  int line = 0;
};

// $CONFORMANCE_LEDGER, else the runfile tests/conformance/ledger.txt.
std::string LedgerPath();
// The parsed ledger (cached). *error is set when it cannot be read.
const std::vector<LedgerEntry>& Ledger(std::string* error = nullptr);
// The reason to skip `test` ("Suite.Test") on the runtime under test, or
// nullopt. Always nullopt when $CONFORMANCE_IGNORE_LEDGER is non-empty.
std::optional<std::string> LedgerSkipReason(const std::string& test);

// Base fixture: RuntimeTest's environment checks, then the ledger.
class ConformanceTest : public itest::RuntimeTest {
 protected:
  void SetUp() override;

  // Foreground `run` of the bundle under a fresh id.
  RunResult RunOnce(Bundle& b, const RunOptions& opts = {});
  // Runs ["/ocitest", args...] in the container, expects success, returns the
  // output lines (padded with "<missing>" to at least `min_lines`).
  std::vector<std::string> Probe(Bundle& b, const std::vector<std::string>& args,
                                 size_t min_lines = 0);
  // Same with ["/bin/sh", "-c", script] (busybox sh in the rootfs).
  std::vector<std::string> ShProbe(Bundle& b, const std::string& script, size_t min_lines = 0);

  // The runtime-agnostic "nothing left behind" after a failed operation: the
  // id is unknown to `state`, nothing under --root is named after it, and
  // the bundle's cgroupsPath does not exist in any hierarchy.
  void ExpectNoTrace(const std::string& id, const Bundle& b);
};

// ---------------------------------------------------------------------------
// Helpers.

// Whitespace-separated words.
std::vector<std::string> Words(const std::string& s);
// Lines of `text`, padded with "<missing>" up to n.
std::vector<std::string> AtLeast(std::vector<std::string> lines, size_t n);

// /proc/PID/ns/NAME of another process ("net:[4026531840]"), "" if gone.
std::string NsLinkOf(pid_t pid, const std::string& name);
// The /proc/PID/ns/ file name of a spec namespace type ("network" -> "net").
std::string NsProcName(const std::string& spec_type);

// Runs fn in a child process that first joined the namespace /proc/PID/ns/NAME
// (setns); returns what fn returned, or "setns: ..." on failure.
std::string InNamespaceOf(pid_t pid, const std::string& ns_name,
                          const std::function<std::string()>& fn);

// A process that holds a new namespace of one spec type, so that a container
// can join it by path. "user" gets uid/gid mappings 0 -> kUserNsHostId (size
// 65536); "time" gets kTimeOffsetSecs on monotonic and boottime; "mount" is
// made recursively private. Killed on destruction.
class NsHolder {
 public:
  static constexpr int kUserNsHostId = 200000;
  static constexpr long kTimeOffsetSecs = 7 * 86400;

  explicit NsHolder(const std::string& spec_type);
  ~NsHolder();
  NsHolder(const NsHolder&) = delete;
  NsHolder& operator=(const NsHolder&) = delete;

  bool ok() const { return leaf_ > 0; }
  const std::string& error() const { return error_; }
  pid_t pid() const { return leaf_; }
  // /proc/PID/ns/NAME: the path a config's namespace entry names.
  std::string path() const;
  // readlink of path(): what the container must report for `ns NAME`.
  std::string link() const;

 private:
  std::string name_;
  pid_t top_ = -1, leaf_ = -1;
  std::string error_;
};

// The host path of `file` in the cgroup of process `pid` for a controller:
// the v1 hierarchy that has the controller when there is one, else the v2
// unified hierarchy. "" when neither is found.
std::string CgroupFileOf(pid_t pid, const std::string& v1_controller, const std::string& file);
// True when `controller` is a cgroup v1 controller here (a hierarchy has it).
bool IsV1Controller(const std::string& controller);

// The container's pid from `state`, or 0.
pid_t StatePid(Container& c);

}  // namespace skiff::conformance
