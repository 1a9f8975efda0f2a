// ocirun: an OCI runtime with runc's command line.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/flags.h"
#include "runtime/log.h"
#include "runtime/self_seal.h"

namespace {

using skiff::runtime::cli::Args;
using skiff::runtime::cli::GlobalOptions;

struct Command {
  const char* name;
  int (*fn)(const GlobalOptions&, const Args&);
  const char* help;
};

const Command kCommands[] = {
    {"create", skiff::runtime::cli::CmdCreate, "create a container"},
    {"start", skiff::runtime::cli::CmdStart, "execute the user-defined process of a created container"},
    {"run", skiff::runtime::cli::CmdRun, "create and run a container"},
    {"exec", skiff::runtime::cli::CmdExec, "execute new process inside the container"},
    {"state", skiff::runtime::cli::CmdState, "output the state of a container"},
    {"kill", skiff::runtime::cli::CmdKill, "send a signal to the container's init process"},
    {"delete", skiff::runtime::cli::CmdDelete, "delete a container and the resources it holds"},
    {"list", skiff::runtime::cli::CmdList, "list containers started by ocirun with the given root"},
    {"spec", skiff::runtime::cli::CmdSpec, "create a new specification file"},
    {"update", skiff::runtime::cli::CmdUpdate, "update container resource constraints"},
    {"pause", skiff::runtime::cli::CmdPause, "pause all processes inside the container"},
    {"resume", skiff::runtime::cli::CmdResume, "resume all processes that have been previously paused"},
    {"ps", skiff::runtime::cli::CmdPs, "ps displays the processes running inside a container"},
    {"events", skiff::runtime::cli::CmdEvents, "display container events such as OOM notifications, cpu, memory, and IO usage statistics"},
    {"features", skiff::runtime::cli::CmdFeatures, "show the enabled features"},
};

skiff::runtime::cli::FlagSet GlobalFlags() {
  return skiff::runtime::cli::FlagSet({
      {"root", 0, true, "root directory for container state (default: /run/ocirun)", "path"},
      {"log", 0, true, "append errors (and debug lines) to this file", "path"},
      {"log-format", 0, true, "format of --log: text or json", "text|json"},
      {"debug", 0, false, "log debug output"},
      {"systemd-cgroup", 0, false, "use systemd to manage cgroups (needs a running systemd)"},
      {"rootless", 0, true, "ignored; accepted for runc compatibility", "true|false|auto"},
      {"criu", 0, true, "ignored; checkpoint/restore is not supported", "path"},
      {"version", 'v', false, "print the version"},
      {"help", 'h', false, "show help"},
  });
}

void Usage() {
  printf(
      "NAME:\n   ocirun - an OCI runtime (runc-compatible command line)\n\n"
      "USAGE:\n   ocirun [global options] command [command options] [arguments...]\n\n"
      "COMMANDS:\n");
  for (const auto& c : kCommands) printf("   %-10s %s\n", c.name, c.help);
  printf("\nGLOBAL OPTIONS:\n%s", GlobalFlags().Usage().c_str());
}

}  // namespace

int main(int argc, char** argv, char** envp) {
  Args args(argv + 1, argv + argc);
  auto parsed = GlobalFlags().Parse(args, /*stop_at_positional=*/true);
  if (!parsed.ok()) {
    fprintf(stderr, "ocirun: %s (see `ocirun --help`)\n",
            std::string(parsed.status().message()).c_str());
    return 1;
  }
  if (parsed->GetBool("version")) {
    printf("ocirun version %s\nspec: 1.1.0\n", skiff::runtime::cli::kVersion);
    return 0;
  }
  GlobalOptions g;
  if (geteuid() != 0) {
    // Rootless, as runc: state under $XDG_RUNTIME_DIR, which the user owns.
    const char* xdg = getenv("XDG_RUNTIME_DIR");
    g.root = xdg && *xdg ? absl::StrCat(xdg, "/ocirun") : absl::StrCat("/tmp/ocirun-", geteuid());
  }
  g.root = parsed->Get("root", g.root);
  g.log = parsed->Get("log");
  g.log_format = parsed->Get("log-format", "text");
  g.debug = parsed->GetBool("debug");
  g.systemd_cgroup = parsed->GetBool("systemd-cgroup");
  if (g.log_format != "text" && g.log_format != "json") {
    fprintf(stderr, "ocirun: invalid --log-format \"%s\": use text or json\n",
            g.log_format.c_str());
    return 1;
  }
  skiff::runtime::LogSetup(g.log, g.log_format == "json", g.debug);
  if (parsed->positional.empty() || parsed->GetBool("help")) {
    Usage();
    return parsed->GetBool("help") ? 0 : 1;
  }
  const std::string& verb = parsed->positional[0];
  skiff::runtime::SetSelfArgs(argv, envp);
  Args rest(parsed->positional.begin() + 1, parsed->positional.end());
  for (const auto& c : kCommands)
    if (verb == c.name) return c.fn(g, rest);
  skiff::runtime::LogError(absl::StrCat("unknown command \"", verb, "\" (see `ocirun --help`)"));
  return 1;
}
