#include "runtime/state.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/file_util.h"
#include "common/status.h"
#include "runtime/cgroups/cgroups.h"

namespace skiff::runtime {

const char* StatusName(Status s) {
  switch (s) {
    case Status::kCreating: return "creating";
    case Status::kCreated: return "created";
    case Status::kRunning: return "running";
    case Status::kPaused: return "paused";
    case Status::kStopped: return "stopped";
  }
  return "unknown";
}

nlohmann::json ContainerState::ToJson() const {
  return nlohmann::json{{"id", id},
                        {"bundle", bundle},
                        {"rootfs", rootfs},
                        {"ociVersion", oci_version},
                        {"pid", pid},
                        {"pidStartTime", pid_start_time},
                        {"created", created},
                        {"owner", owner},
                        {"cgroupPath", cgroup_path},
                        {"ownPidNs", own_pid_ns},
                        {"systemdCgroup", systemd_cgroup},
                        {"annotations", annotations},
                        {"config", config_json}};
}

absl::StatusOr<ContainerState> ContainerState::FromJson(const nlohmann::json& j) {
  ContainerState s;
  if (!j.is_object()) return absl::DataLossError("state.json is not an object");
  auto str = [&](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto num = [&](const char* k) -> long long {
    auto it = j.find(k);
    return it != j.end() && it->is_number() ? it->get<long long>() : 0;
  };
  s.id = str("id");
  s.bundle = str("bundle");
  s.rootfs = str("rootfs");
  s.oci_version = str("ociVersion");
  s.pid = static_cast<pid_t>(num("pid"));
  s.pid_start_time = static_cast<unsigned long long>(num("pidStartTime"));
  s.created = str("created");
  s.owner = static_cast<uid_t>(num("owner"));
  s.cgroup_path = str("cgroupPath");
  s.config_json = str("config");
  auto ns = j.find("ownPidNs");
  s.own_pid_ns = ns == j.end() || !ns->is_boolean() || ns->get<bool>();
  auto sd = j.find("systemdCgroup");
  s.systemd_cgroup = sd != j.end() && sd->is_boolean() && sd->get<bool>();
  auto a = j.find("annotations");
  if (a != j.end() && a->is_object())
    for (auto& [k, v] : a->items())
      if (v.is_string()) s.annotations[k] = v.get<std::string>();
  if (s.id.empty() || s.pid <= 0) return absl::DataLossError("state.json lacks id or pid");
  return s;
}

StateDir::StateDir(std::string root, std::string id)
    : root_(std::move(root)), id_(std::move(id)), dir_(absl::StrCat(root_, "/", id_)) {}

absl::Status StateDir::Create() {
  if (mkdir(root_.c_str(), 0711) != 0 && errno != EEXIST) {
    // --root may be nested (/run/containerd/runc/default): make parents.
    std::string p;
    for (size_t i = 1; i <= root_.size(); ++i) {
      if (i == root_.size() || root_[i] == '/') {
        p = root_.substr(0, i);
        if (mkdir(p.c_str(), 0711) != 0 && errno != EEXIST) return Errno("create state root", p);
      }
    }
  }
  if (mkdir(dir_.c_str(), 0711) != 0) {
    if (errno == EEXIST)
      return absl::AlreadyExistsError(absl::StrCat("container `", id_, "` already exists"));
    return Errno("create state directory", dir_);
  }
  return absl::OkStatus();
}

absl::Status StateDir::Save(const ContainerState& st) const {
  return WriteFileAtomic(state_file(), st.ToJson().dump(), 0600);
}

absl::StatusOr<ContainerState> StateDir::Load() const {
  auto text = ReadFile(state_file());
  if (!text.ok()) {
    if (absl::IsNotFound(text.status()))
      return absl::NotFoundError(absl::StrCat("container `", id_, "` does not exist"));
    return text.status();
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded())
    return absl::DataLossError(absl::StrCat("state of container `", id_, "` is corrupt: ",
                                            state_file()));
  return ContainerState::FromJson(j);
}

absl::Status StateDir::Remove() const {
  DIR* d = opendir(dir_.c_str());
  if (!d) return errno == ENOENT ? absl::OkStatus() : Errno("open state directory", dir_);
  while (struct dirent* e = readdir(d)) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    unlinkat(dirfd(d), e->d_name, 0);
  }
  closedir(d);
  if (rmdir(dir_.c_str()) != 0 && errno != ENOENT) return Errno("remove state directory", dir_);
  return absl::OkStatus();
}

absl::Status ValidateId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("container id must not be empty");
  if (id.size() > 1024) return absl::InvalidArgumentError("container id is longer than 1024 bytes");
  if (id == "." || id == "..")
    return absl::InvalidArgumentError(absl::StrCat("invalid container id `", id, "`"));
  for (char c : id)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' || c == '.'))
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid container id `", id, "`: only letters, digits and _ + - . are allowed"));
  return absl::OkStatus();
}

unsigned long long ProcessStartTime(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  // comm may hold spaces and parentheses: fields start after the last ')'.
  char* p = strrchr(buf, ')');
  if (!p) return 0;
  // After ") " comes field 3 (state). Start time is field 22.
  char state = p[2];
  if (state == 'Z' || state == 'X') return 0;  // a zombie has exited
  int field = 2;
  for (char* q = p + 1; *q; ++q) {
    if (*q == ' ') {
      ++field;
      if (field == 22) return strtoull(q + 1, nullptr, 10);
    }
  }
  return 0;
}

Status CurrentStatus(const ContainerState& st, const StateDir& dir) {
  unsigned long long t = ProcessStartTime(st.pid);
  if (t == 0 || (st.pid_start_time && t != st.pid_start_time)) return Status::kStopped;
  // Frozen wins over created, as in runc. Open() touches no cgroupfs; the
  // check is one small read (freezer.state / cgroup.freeze).
  if (std::unique_ptr<Cgroup> cg = Cgroup::Open(st.cgroup_path, st.id); cg && cg->IsFrozen()) {
    return Status::kPaused;
  }
  if (access(dir.fifo().c_str(), F_OK) == 0) return Status::kCreated;
  return Status::kRunning;
}

nlohmann::json OciStateJson(const ContainerState& st, Status status) {
  nlohmann::json j{{"ociVersion", st.oci_version},
                   {"id", st.id},
                   {"status", StatusName(status)},
                   {"pid", status == Status::kStopped ? 0 : st.pid},
                   {"bundle", st.bundle},
                   {"rootfs", st.rootfs},
                   {"created", st.created},
                   {"owner", ""}};
  if (!st.annotations.empty()) j["annotations"] = st.annotations;
  return j;
}

std::vector<std::string> ListIds(const std::string& root) {
  std::vector<std::string> ids;
  DIR* d = opendir(root.c_str());
  if (!d) return ids;
  while (struct dirent* e = readdir(d)) {
    // Ids may start with a dot (ValidateId allows ".a"); skip only . and ..
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN) ids.emplace_back(e->d_name);
  }
  closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string NowRfc3339() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return absl::StrFormat("%s.%09ldZ", buf, ts.tv_nsec);
}

}  // namespace skiff::runtime
