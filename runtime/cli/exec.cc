#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/status.h"
#include "runtime/cli/common.h"
#include "runtime/container.h"
#include "runtime/exec.h"
#include "runtime/state.h"

namespace skiff::runtime::cli {

namespace {

absl::Status ParseUser(const std::string& s, User* u) {
  std::vector<std::string> parts = absl::StrSplit(s, ':');
  uint32_t uid = 0, gid = 0;
  if (parts.size() > 2 || !absl::SimpleAtoi(parts[0], &uid) ||
      (parts.size() == 2 && !absl::SimpleAtoi(parts[1], &gid)))
    return absl::InvalidArgumentError(
        absl::StrCat("--user \"", s, "\": expected numeric uid[:gid]"));
  u->uid = uid;
  if (parts.size() == 2) u->gid = gid;
  return absl::OkStatus();
}

// runc's argv form: the container's own process settings, then the flags.
absl::StatusOr<Process> ProcessFromFlags(const ParsedFlags& f, const Spec& spec) {
  Process p = spec.process ? *spec.process : Process();
  p.args.assign(f.positional.begin() + 1, f.positional.end());
  if (p.args.empty())
    return absl::InvalidArgumentError("exec: give a command after the container id, or --process");
  p.terminal = f.GetBool("tty");
  if (f.Has("cwd")) p.cwd = f.Get("cwd");
  for (const auto& e : f.GetAll("env")) {
    if (e.find('=') == std::string::npos)
      return absl::InvalidArgumentError(absl::StrCat("--env \"", e, "\": expected KEY=VALUE"));
    p.env.push_back(e);
  }
  if (f.Has("user")) RETURN_IF_ERROR(ParseUser(f.Get("user"), &p.user));
  for (const auto& g : f.GetAll("additional-gids")) {
    uint32_t gid;
    if (!absl::SimpleAtoi(g, &gid))
      return absl::InvalidArgumentError(absl::StrCat("--additional-gids \"", g, "\": not a number"));
    p.user.additional_gids.push_back(gid);
  }
  if (f.GetBool("no-new-privs")) p.no_new_privileges = true;
  if (!f.GetAll("cap").empty()) {
    if (!p.capabilities) p.capabilities = Capabilities();
    for (const auto& name : f.GetAll("cap")) {
      int c = CapabilityFromName(name);
      if (c < 0) return absl::InvalidArgumentError(absl::StrCat("--cap: unknown capability ", name));
      for (auto* set : {&p.capabilities->bounding, &p.capabilities->effective,
                        &p.capabilities->permitted, &p.capabilities->inheritable,
                        &p.capabilities->ambient})
        set->push_back(c);
    }
  }
  return p;
}

}  // namespace

int CmdExec(const GlobalOptions& g, const Args& args) {
  ParsedFlags f;
  int rc;
  std::vector<FlagDef> defs = {
      {"process", 'p', true, "path to a process.json (OCI process object)", "path"},
      {"console-socket", 0, true, "unix socket that receives the pty master", "path"},
      {"tty", 't', false, "allocate a pseudo-TTY"},
      {"cwd", 0, true, "current working directory in the container", "path"},
      {"env", 'e', true, "set an environment variable (repeatable)", "KEY=VALUE"},
      {"user", 'u', true, "uid[:gid] to run as", "uid[:gid]"},
      {"additional-gids", 'g', true, "additional group id (repeatable)", "gid"},
      {"cap", 'c', true, "add a capability (repeatable)", "CAP_NAME"},
      {"no-new-privs", 0, false, "set no_new_privs"},
      {"detach", 'd', false, "detach from the process"},
      {"pid-file", 0, true, "write the process's pid to this file", "path"},
      {"preserve-fds", 0, true, "pass N extra fds (3..N+2) to the process", "N"},
      {"process-label", 0, true, "ignored (no SELinux)", "label"},
      {"apparmor", 0, true, "ignored (no AppArmor)", "profile"},
      {"ignore-paused", 0, false, "exec even if the container is paused"},
      {"cgroup", 0, true, "ignored; the process joins the container's cgroup", "path"},
  };
  if (!ParseOrUsage("exec", "exec [command options] <container-id> <command> [args...]",
                    "run a new process inside a running container", defs, args, &f, &rc,
                    /*stop_at_positional=*/true))
    return rc;
  if (f.positional.empty())
    return Fail(absl::InvalidArgumentError("exec: requires the container id"));
  ExecOptions o;
  o.root = g.root;
  o.id = f.positional[0];
  o.console_socket = f.Get("console-socket");
  o.pid_file = AbsolutePath(f.Get("pid-file"));
  o.detach = f.GetBool("detach");
  o.ignore_paused = f.GetBool("ignore-paused");
  if (f.Has("preserve-fds") &&
      (!absl::SimpleAtoi(f.Get("preserve-fds"), &o.preserve_fds) || o.preserve_fds < 0))
    return Fail(absl::InvalidArgumentError("--preserve-fds must be a non-negative number"));

  Process process;
  if (f.Has("process")) {
    auto text = ReadFile(f.Get("process"));
    if (!text.ok()) return Fail(Annotate(text.status(), "--process"));
    auto p = ParseProcessJson(*text);
    if (!p.ok()) {
      std::string msg(p.status().message());
      if (absl::StartsWith(msg, "config.json: ")) msg = msg.substr(13);
      return Fail(absl::InvalidArgumentError(absl::StrCat("--process ", f.Get("process"), ": ", msg)));
    }
    process = std::move(*p);
  } else {
    StateDir dir(g.root, o.id);
    auto st = dir.Load();
    if (!st.ok()) return Fail(st.status());
    auto spec = SavedSpec(*st);
    if (!spec.ok()) return Fail(spec.status());
    auto p = ProcessFromFlags(f, *spec);
    if (!p.ok()) return Fail(p.status());
    process = std::move(*p);
  }
  if (!o.console_socket.empty() && !process.terminal)
    return Fail(absl::InvalidArgumentError(
        "--console-socket was given but the process has no terminal (use --tty or "
        "\"terminal\": true)"));
  auto r = Exec(o, process);
  if (!r.ok()) return Fail(r.status());
  return *r;
}

}  // namespace skiff::runtime::cli
