// exec: a further process in a running container.

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "cli/commands/container_common.h"
#include "cli/foreground.h"
#include "cli/run_options.h"
#include "cli/stream.h"
#include "cli/terminal.h"

namespace skiff::cli::container {

namespace v1 = ::skiff::v1;

int Exec(Context& ctx, const std::vector<std::string>& args) {
  bool interactive = false, tty = false, detach = false, privileged = false;
  std::vector<std::string> env, env_files;
  std::string user, workdir, detach_keys;
  FlagSet fs("skiff exec [OPTIONS] CONTAINER COMMAND [ARG...]",
             "Execute a command in a running container");
  fs.Bool("interactive", 'i', &interactive, "Keep STDIN open even if not attached");
  fs.Bool("tty", 't', &tty, "Allocate a pseudo-TTY");
  fs.Bool("detach", 'd', &detach, "Detached mode: run command in the background");
  fs.StringList("env", 'e', &env, "Set environment variables");
  fs.StringList("env-file", 0, &env_files, "Read in a file of environment variables");
  fs.String("user", 'u', &user, "Username or UID (format: \"<name|uid>[:<group|gid>]\")");
  fs.String("workdir", 'w', &workdir, "Working directory inside the container");
  fs.Bool("privileged", 0, &privileged, "Give extended privileges to the command");
  fs.String("detach-keys", 0, &detach_keys, "Override the key sequence for detaching a container");
  int exit = 0;
  auto pos = Parse(ctx, fs, "exec", args, &exit, 2, SIZE_MAX, /*interspersed=*/false);
  if (!pos) return exit;
  if (interactive && tty && !detach && !ctx.stdin_is_tty()) {
    ctx.err() << "the input device is not a TTY\n";
    return 1;
  }

  auto envs = ExpandEnv(env, env_files);
  if (!envs.ok()) return ctx.UsageError("exec", std::string(envs.status().message()), 125);

  v1::ExecStart start;
  start.set_id((*pos)[0]);
  auto* proc = start.mutable_process();
  for (size_t i = 1; i < pos->size(); ++i) proc->add_args((*pos)[i]);
  for (const auto& e : *envs) proc->add_env(e);
  proc->set_user(user);
  proc->set_working_dir(workdir);
  proc->set_tty(tty);
  proc->set_privileged(privileged);
  start.set_attach_stdin(interactive && !detach);
  start.set_attach_stdout(!detach);
  start.set_attach_stderr(!detach);
  start.set_detach(detach);
  start.set_detach_keys(detach_keys);
  int size_fd = ctx.stdout_is_tty() ? STDOUT_FILENO : STDIN_FILENO;
  if (tty) {
    if (auto ws = GetWindowSize(size_fd); ws.ok()) {
      start.mutable_size()->set_rows(ws->rows);
      start.mutable_size()->set_columns(ws->columns);
    }
  }

  StreamOptions so;
  so.stdin_fd = start.attach_stdin() ? STDIN_FILENO : -1;
  so.tty = tty && !detach && (ctx.stdout_is_tty() || ctx.stdin_is_tty());
  so.tty_fd = size_fd;
  std::unique_ptr<RawMode> raw;
  if (tty && start.attach_stdin() && ctx.stdin_is_tty()) {
    if (auto r = RawMode::Enable(STDIN_FILENO); r.ok()) raw = std::move(*r);
  }
  ctx.out().flush();
  ExecPump pump(ctx.containers(), start, so);
  StreamResult r = pump.Run();
  raw.reset();
  if (!r.status.ok()) {
    int code = StartFailureExitCode(r.status, r.has_detail ? &r.detail : nullptr, 1);
    return ctx.Fail(r.status, code);
  }
  if (r.detached || detach) return 0;
  if (!r.exited) return 0;
  if (!r.exit.error().empty()) ctx.err() << r.exit.error() << "\n";
  return r.exit.exit_code();
}

}  // namespace skiff::cli::container
