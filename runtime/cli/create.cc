#include <cstdlib>

#include "absl/strings/numbers.h"
#include "runtime/cli/common.h"
#include "runtime/container.h"

namespace skiff::runtime::cli {

// Flags shared by `create` and `run`.
std::vector<FlagDef> CreateFlags() {
  return {{"bundle", 'b', true, "path to the root of the bundle directory (default: .)", "path"},
          {"console-socket", 0, true, "unix socket that receives the pty master (SCM_RIGHTS)",
           "path"},
          {"pid-file", 0, true, "write the init's pid to this file", "path"},
          {"no-pivot", 0, false, "do not use pivot_root (for ramdisk roots)"},
          {"no-new-keyring", 0, false, "do not create a new session keyring"},
          {"preserve-fds", 0, true, "pass N extra fds (3..N+2) to the container", "N"}};
}

absl::StatusOr<CreateOptions> CreateOptionsFrom(const GlobalOptions& g, const ParsedFlags& f,
                                                const std::string& id) {
  CreateOptions o;
  o.root = g.root;
  o.id = id;
  o.bundle = f.Get("bundle", ".");
  o.console_socket = f.Get("console-socket");
  o.pid_file = AbsolutePath(f.Get("pid-file"));
  o.no_pivot = f.GetBool("no-pivot");
  o.no_new_keyring = f.GetBool("no-new-keyring");
  if (f.Has("preserve-fds") && (!absl::SimpleAtoi(f.Get("preserve-fds"), &o.preserve_fds) ||
                                o.preserve_fds < 0))
    return absl::InvalidArgumentError("--preserve-fds must be a non-negative number");
  if (g.systemd_cgroup)
    return absl::FailedPreconditionError(
        "--systemd-cgroup: systemd is not running on this host (no /run/systemd/system); "
        "drop the flag to use cgroupfs");
  return o;
}

int CmdCreate(const GlobalOptions& g, const Args& args) {
  ParsedFlags f;
  int rc;
  if (!ParseOrUsage("create", "create [command options] <container-id>",
                    "create a container from a bundle; its process waits for `start`",
                    CreateFlags(), args, &f, &rc))
    return rc;
  std::string id;
  if (!OneId("create", f, &id, &rc)) return rc;
  auto opts = CreateOptionsFrom(g, f, id);
  if (!opts.ok()) return Fail(opts.status());
  auto r = Create(*opts, CreateMode::kCreate);
  if (!r.ok()) return Fail(r.status());
  return 0;
}

}  // namespace skiff::runtime::cli
