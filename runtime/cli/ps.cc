// ocirun ps [--format table|json] <id> [ps args...]: the container's
// processes (runc ps). json prints the pids of its cgroup, as containerd
// reads them; table runs ps(1) (default `ps -ef`) and keeps the lines of
// those pids.
#include "runtime/cli/ps.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "nlohmann/json.hpp"
#include "runtime/cgroups/cgroups.h"
#include "runtime/cli/common.h"
#include "runtime/state.h"

namespace skiff::runtime::cli {

PsArgs SplitPsArgs(const Args& args) {
  PsArgs out;
  size_t i = 0;
  while (i < args.size()) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    out.own.push_back(a);
    ++i;
    // --format/-f take the next argument unless given as --format=x.
    if ((a == "--format" || a == "-format" || a == "-f") && i < args.size()) {
      out.own.push_back(args[i++]);
    }
  }
  if (i < args.size()) {
    out.own.push_back(args[i++]);
    out.ps_args.assign(args.begin() + static_cast<ptrdiff_t>(i), args.end());
  }
  return out;
}

absl::StatusOr<std::string> FilterPsOutput(const std::string& output,
                                           const std::vector<pid_t>& pids) {
  std::vector<absl::string_view> lines = absl::StrSplit(output, '\n');
  std::vector<absl::string_view> head = absl::StrSplit(lines[0], ' ', absl::SkipEmpty());
  auto it = std::find(head.begin(), head.end(), "PID");
  if (it == head.end()) return absl::InternalError("couldn't find PID field in ps output");
  const size_t index = static_cast<size_t>(it - head.begin());
  std::string out = absl::StrCat(lines[0], "\n");
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<absl::string_view> fields = absl::StrSplit(lines[i], ' ', absl::SkipEmpty());
    pid_t pid;
    if (index >= fields.size() || !absl::SimpleAtoi(fields[index], &pid)) continue;
    if (std::find(pids.begin(), pids.end(), pid) != pids.end()) {
      absl::StrAppend(&out, lines[i], "\n");
    }
  }
  return out;
}

std::string PidsJson(const std::vector<pid_t>& pids) { return nlohmann::json(pids).dump(); }

namespace {

// Runs ps(1) with `ps_args`; its stdout and stderr together.
absl::StatusOr<std::string> RunPs(const Args& ps_args) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return Errno("pipe for", "ps");
  UniqueFd rd(p[0]), wr(p[1]);
  std::vector<std::string> argv_s = {"ps"};
  argv_s.insert(argv_s.end(), ps_args.begin(), ps_args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return Errno("fork for", "ps");
  if (pid == 0) {
    dup2(wr.get(), STDOUT_FILENO);
    dup2(wr.get(), STDERR_FILENO);
    execvp("ps", argv.data());
    dprintf(STDERR_FILENO, "exec ps: %s\n", strerror(errno));
    _exit(127);
  }
  wr.reset();
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(rd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat("ps ", absl::StrJoin(ps_args, " "), ": ",
                     WIFEXITED(status) ? absl::StrCat("exit status ", WEXITSTATUS(status))
                                       : absl::StrCat("killed by signal ", WTERMSIG(status)),
                     ": ", out));
  }
  return out;
}

}  // namespace

int CmdPs(const GlobalOptions& g, const Args& args) {
  PsArgs split = SplitPsArgs(args);
  ParsedFlags f;
  int rc;
  if (!ParseOrUsage("ps", "ps [--format table|json] <container-id> [ps options]",
                    "display the processes of the container (table: filtered `ps -ef`)",
                    {{"format", 'f', true, "table or json (default: table)", "table|json"}},
                    split.own, &f, &rc))
    return rc;
  std::string id;
  if (!OneId("ps", f, &id, &rc)) return rc;
  const std::string format = f.Get("format", "table");
  if (format != "table" && format != "json") {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("ps: invalid --format \"", format, "\": use table or json")));
  }
  StateDir dir(g.root, id);
  absl::StatusOr<ContainerState> st = dir.Load();
  if (!st.ok()) return Fail(st.status());
  std::unique_ptr<Cgroup> cg = Cgroup::Open(st->cgroup_path, st->id);
  if (!cg) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat("ps: the cgroup of container `", id, "` cannot be found")));
  }
  absl::StatusOr<std::vector<pid_t>> pids = cg->Pids();
  if (!pids.ok()) return Fail(Annotate(pids.status(), absl::StrCat("ps: container `", id, "`")));
  if (format == "json") {
    printf("%s\n", PidsJson(*pids).c_str());
    return 0;
  }
  absl::StatusOr<std::string> out = RunPs(split.ps_args.empty() ? Args{"-ef"} : split.ps_args);
  if (!out.ok()) return Fail(out.status());
  absl::StatusOr<std::string> table = FilterPsOutput(*out, *pids);
  if (!table.ok()) return Fail(table.status());
  fputs(table->c_str(), stdout);
  return 0;
}

}  // namespace skiff::runtime::cli
