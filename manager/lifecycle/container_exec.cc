// Exec sessions: the process is the container's own process spec (caps,
// rlimits, seccomp, no_new_privileges...) with the exec's argv, env, user,
// cwd and terminal, run by the container's shim.
#include <unistd.h>


#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/status.h"
#include "manager/containers/spec_builder.h"
#include "manager/lifecycle/container_internal.h"
#include "manager/lifecycle/container_manager.h"
#include "nlohmann/json.hpp"

namespace skiff::manager {

namespace v1 = skiff::v1;

namespace {

// Every capability this kernel knows (exec --privileged).
std::vector<std::string> AllCapabilities() {
  static const char* kNames[] = {
      "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
      "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
      "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
      "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
      "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
      "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
      "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
      "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
      "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"};
  return {std::begin(kNames), std::end(kNames)};
}

}  // namespace

absl::StatusOr<ContainerManager::ExecSession> ContainerManager::Exec(const v1::ExecStart& start) {
  ASSIGN_OR_RETURN(ContainerRecord rec, Resolve(start.id()));
  if (rec.state == ContainerState::kPaused) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", rec.name, " is paused: unpause it first"));
  }
  if (rec.state != ContainerState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat("container ", rec.name, " is not running"));
  }
  const v1::ProcessSpec& p = start.process();
  if (p.args().empty()) return absl::InvalidArgumentError("exec: no command given");
  const std::string bundle = BundleDir(rec.id);
  ASSIGN_OR_RETURN(std::string config_text, ReadFile(bundle + "/config.json"));
  nlohmann::json spec = nlohmann::json::parse(config_text, nullptr, false);
  if (!spec.is_object() || !spec.contains("process")) {
    return absl::DataLossError(absl::StrCat("container ", rec.name, ": unreadable ", bundle,
                                            "/config.json"));
  }
  nlohmann::json process = spec["process"];
  process["args"] = std::vector<std::string>(p.args().begin(), p.args().end());
  process["terminal"] = p.tty();
  if (!p.working_dir().empty()) process["cwd"] = p.working_dir();
  // The exec's env entries replace the container's with the same key.
  std::vector<std::string> env;
  if (process.contains("env")) env = process["env"].get<std::vector<std::string>>();
  for (const std::string& e : p.env()) {
    std::string key = e.substr(0, e.find('='));
    bool replaced = false;
    for (auto& old : env) {
      if (old.substr(0, old.find('=')) == key) {
        old = e;
        replaced = true;
      }
    }
    if (!replaced) env.push_back(e);
  }
  process["env"] = env;
  if (!p.user().empty()) {
    ASSIGN_OR_RETURN(ResolvedUser u, ResolveUser(bundle + "/rootfs", p.user()));
    process["user"] = {{"uid", u.uid}, {"gid", u.gid}, {"additionalGids", u.additional_gids}};
  }
  if (p.privileged()) {
    std::vector<std::string> caps = AllCapabilities();
    process["capabilities"] = {{"bounding", caps},
                               {"effective", caps},
                               {"permitted", caps},
                               {"inheritable", caps}};
  }
  std::string exec_id = RandomHex(16);
  std::string process_file = absl::StrCat(ShimDir(rec.id), "/exec-", exec_id, ".json");
  RETURN_IF_ERROR(WriteFileAtomic(process_file, process.dump(), 0600));

  skiff::shim::ExecRequest req;
  req.id = exec_id;
  req.process = process_file;
  req.tty = p.tty();
  req.stdin = start.attach_stdin();
  req.stdin_once = start.attach_stdin();
  req.attach = !start.detach();
  events_.PublishContainer(absl::StrCat("exec_create: ", absl::StrJoin(p.args(), " ")), rec.id,
                           rec.name, rec.image, rec.labels, {{"execID", exec_id}});
  absl::StatusOr<skiff::shim::AttachClient::ExecResult> r =
      skiff::shim::AttachClient::Exec(ShimDir(rec.id) + "/control.sock", req);
  unlink(process_file.c_str());
  if (!r.ok()) return r.status();
  events_.PublishContainer(absl::StrCat("exec_start: ", absl::StrJoin(p.args(), " ")), rec.id,
                           rec.name, rec.image, rec.labels, {{"execID", exec_id}});
  ExecSession s;
  s.exec_id = exec_id;
  s.pid = r->pid;
  s.client = std::move(r->client);
  return s;
}

}  // namespace skiff::manager
