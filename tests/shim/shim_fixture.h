#pragma once
// Fixture for skiff-shim's integration tests: real containers run by the
// runtime under test (tests/rootfs/bundle.h) with a real skiff-shim in front.
//
// The shim is $SKIFF_SHIM, else the runfile of //shim:skiff-shim. Every
// shim gets a private state dir; the fixture waits for every shim it started
// to exit at the end of the test and kills (and reports) any that did not.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "shim/attach_client.h"
#include "shim/flags.h"
#include "tests/rootfs/bundle.h"

namespace skiff::itest {

std::string ShimPath();

// One record of the CRI log format.
struct LogRecord {
  std::string time, stream, tag, content;
};
// Parses a CRI log; a malformed line is a test failure (reported) and skipped.
std::vector<LogRecord> ParseCriLog(const std::string& text);
// Concatenates the records of one stream, joining P records, one string per
// full line.
std::vector<std::string> StreamLines(const std::vector<LogRecord>& records,
                                     const std::string& stream);

// Running skiff-shim processes whose --state-dir is dir (per /proc/PID/cmdline).
std::vector<pid_t> ShimsFor(const std::string& state_dir);

// Children of pid per /proc (pid, state letter).
std::vector<std::pair<pid_t, char>> ChildrenOf(pid_t pid);

class ShimTest : public RuntimeTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Options for a shim of container `id` on bundle b, in a fresh state dir,
  // calling the runtime under test with its private --root.
  shim::Options Opts(const std::string& id);
  // Writes b's config.json and launches the shim (the starter is this test).
  absl::StatusOr<shim::Launched> Launch(Bundle& b, const shim::Options& o);
  // Launches and starts the container; fails the test on error.
  shim::Launched LaunchAndStart(Bundle& b, const shim::Options& o, Container& c);

  // The exit record at path, once it appears.
  std::optional<json> WaitExit(const std::string& path, milliseconds timeout = milliseconds(10000));
  // Waits for a shim to exit (false if it is still running at the timeout).
  bool WaitShimGone(pid_t shim, milliseconds timeout = milliseconds(10000));
  // An OCI process JSON from the bundle's process with other args, written
  // into dir; returns its path.
  std::string WriteProcess(Bundle& b, const std::string& dir, const std::string& name,
                           const std::vector<std::string>& args, bool terminal = false);
  std::string TempPath(const std::string& name);

  std::vector<std::unique_ptr<TempDir>> dirs_;
  std::vector<pid_t> shims_;
  std::vector<std::string> state_dirs_;
};

}  // namespace skiff::itest
