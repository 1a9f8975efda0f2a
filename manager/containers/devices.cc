#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "absl/strings/str_cat.h"
#include "manager/containers/spec_parts.h"

namespace skiff::manager::internal {
namespace {

using json = nlohmann::json;

json Rule(bool allow, const std::string& type, int64_t major, int64_t minor,
          const std::string& access) {
  json r = {{"allow", allow}, {"access", access}};
  if (!type.empty()) r["type"] = type;
  if (major >= 0) r["major"] = major;
  if (minor >= 0) r["minor"] = minor;
  return r;
}

json Node(const std::string& path, const struct stat& st) {
  return {{"path", path},
          {"type", S_ISBLK(st.st_mode) ? "b" : "c"},
          {"major", major(st.st_rdev)},
          {"minor", minor(st.st_rdev)},
          {"fileMode", st.st_mode & 07777},
          {"uid", st.st_uid},
          {"gid", st.st_gid}};
}

// Every char and block device under /dev, as runc's HostDevices lists them:
// not the per-container trees (pts, shm, mqueue, fd) nor the console.
void HostDevices(const std::string& dir, json& out) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (struct dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = dir + "/" + name;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (name == "pts" || name == "shm" || name == "fd" || name == "mqueue" || name == ".lxc" ||
          name == ".lxd-mounts" || name == ".udev")
        continue;
      HostDevices(path, out);
      continue;
    }
    if (name == "console") continue;
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) out.push_back(Node(path, st));
  }
  closedir(d);
}

absl::Status AddDeviceMapping(const skiff::v1::DeviceMapping& m, Devices& out) {
  const std::string& host_path = m.path_on_host();
  const std::string container_path =
      m.path_in_container().empty() ? host_path : m.path_in_container();
  const std::string perms = m.cgroup_permissions().empty() ? "rwm" : m.cgroup_permissions();
  if (perms.find_first_not_of("rwm") != std::string::npos)
    return absl::InvalidArgumentError(
        absl::StrCat("--device ", host_path, ": invalid permissions \"", perms, "\" (any of rwm)"));
  if (host_path.empty() || host_path[0] != '/' || container_path[0] != '/')
    return absl::InvalidArgumentError(
        absl::StrCat("--device: paths must be absolute: ", host_path, ":", container_path));
  struct stat st;
  if (stat(host_path.c_str(), &st) != 0)
    return absl::InvalidArgumentError(absl::StrCat(
        "--device ", host_path, ": error gathering device information: ", strerror(errno)));
  if (S_ISDIR(st.st_mode)) {
    // docker maps a directory's devices one by one, keeping their names.
    json found = json::array();
    HostDevices(host_path, found);
    if (found.empty())
      return absl::InvalidArgumentError(
          absl::StrCat("--device ", host_path, ": no devices found in the directory"));
    for (json& n : found) {
      const std::string p = n["path"].get<std::string>();
      n["path"] = container_path + p.substr(host_path.size());
      out.rules.push_back(Rule(true, n["type"], n["major"], n["minor"], perms));
      out.nodes.push_back(std::move(n));
    }
    return absl::OkStatus();
  }
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
    return absl::InvalidArgumentError(
        absl::StrCat("--device ", host_path, ": not a character or block device"));
  json n = Node(container_path, st);
  out.rules.push_back(Rule(true, n["type"], n["major"], n["minor"], perms));
  out.nodes.push_back(std::move(n));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Devices> BuildDevices(const skiff::v1::HostConfig& host) {
  Devices out;
  out.rules.push_back(Rule(false, "", -1, -1, "rwm"));
  if (host.privileged()) {
    HostDevices("/dev", out.nodes);
    out.rules.push_back(Rule(true, "", -1, -1, "rwm"));
  } else {
    out.rules.push_back(Rule(true, "c", -1, -1, "m"));
    out.rules.push_back(Rule(true, "b", -1, -1, "m"));
    const std::pair<int, int> kAllowed[] = {
        {1, 3},     // null
        {1, 5},     // zero
        {1, 7},     // full
        {1, 8},     // random
        {1, 9},     // urandom
        {5, 0},     // tty
        {5, 1},     // console
        {5, 2},     // ptmx
        {136, -1},  // pts/*
        {10, 200},  // net/tun
    };
    for (const auto& [maj, min] : kAllowed) out.rules.push_back(Rule(true, "c", maj, min, "rwm"));
  }
  for (const auto& m : host.resources().devices()) {
    if (auto s = AddDeviceMapping(m, out); !s.ok()) return s;
  }
  return out;
}

}  // namespace skiff::manager::internal
