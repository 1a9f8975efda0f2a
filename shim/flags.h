#pragma once
// skiff-shim's command line (hand-parsed: gflags would double the shim's
// memory). `--flag value` and `--flag=value`; booleans take no value (or
// =true/=false). Relative paths are made absolute against the starter's
// working directory, because the shim moves to / when it daemonizes.
// The full text is kUsage (`skiff-shim --help`) and docs/skiff-shim.md.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace skiff::shim {

// How to call the runtime.
struct RuntimeConfig {
  std::string binary = "ocirun";  // a name without '/' is looked up in PATH
  std::string root;               // --root; "" = the runtime's default
  std::vector<std::string> global_args;
  int64_t timeout_ms = 60000;
};

struct Options {
  std::string id;         // container id
  std::string bundle;     // OCI bundle directory
  std::string state_dir;  // the shim's own files
  int sync_fd = -1;       // handshake pipe; -1: none

  RuntimeConfig runtime;

  std::string log_path;  // default STATE_DIR/container.log
  uint64_t log_max_size = 10 * 1024 * 1024;
  int log_max_files = 3;
  std::string exit_file;       // default STATE_DIR/exit
  std::string attach_socket;   // default STATE_DIR/attach.sock
  std::string control_socket;  // default STATE_DIR/control.sock
  std::string shim_log;        // default STATE_DIR/shim.log

  bool terminal = false;
  bool stdin = false;
  bool stdin_once = false;
  bool foreground = false;
  int64_t exit_linger_ms = 5000;

  bool help = false;
  bool version = false;
};

// Parses argv[1..]; fills the defaults that depend on --state-dir. Errors
// name the flag and what is wrong with it.
absl::StatusOr<Options> ParseFlags(const std::vector<std::string>& args);

// "10485760", "64k", "10M", "1G" (binary multiples).
absl::StatusOr<uint64_t> ParseSize(const std::string& s);

// Container ids as runc accepts them: [A-Za-z0-9_+.-]+, not "." or "..".
bool ValidContainerId(const std::string& id);

extern const char kUsage[];
extern const char kVersion[];

}  // namespace skiff::shim
