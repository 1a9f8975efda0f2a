#include "runtime/spec.h"

#include <algorithm>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <limits>
#include <set>
#include <type_traits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/status.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#define MOUNT_ATTR__ATIME 0x00000070
#define MOUNT_ATTR_RELATIME 0x00000000
#define MOUNT_ATTR_NOATIME 0x00000010
#define MOUNT_ATTR_STRICTATIME 0x00000020
#define MOUNT_ATTR_NODIRATIME 0x00000080
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

namespace skiff::runtime {

namespace {

using json = nlohmann::json;

// ---------------------------------------------------------------------------
// Error and path helpers.

absl::Status Invalid(const std::string& path, absl::string_view msg) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat("config.json: ", msg));
  return absl::InvalidArgumentError(absl::StrCat("config.json: ", path, ": ", msg));
}

std::string Sub(const std::string& base, absl::string_view key) {
  if (base.empty()) return std::string(key);
  return absl::StrCat(base, ".", key);
}

std::string Idx(const std::string& base, size_t i) { return absl::StrCat(base, "[", i, "]"); }

std::string Quote(const std::string& s) { return absl::StrCat("\"", s, "\""); }

// The member `key` of object `obj`, or nullptr when it is missing or null
// (Go's encoding/json, which runc uses, treats null like a missing field).
const json* Get(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

// Lexical path cleaning of an absolute path, like Go's filepath.Clean.
std::string CleanAbs(const std::string& path) {
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.emplace_back(part);
  }
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

// `path` made absolute against `base` (itself made absolute against the cwd).
std::string ResolveAgainst(const std::string& base, const std::string& path) {
  if (!path.empty() && path[0] == '/') return CleanAbs(path);
  std::string dir = base;
  if (dir.empty() || dir[0] != '/') {
    char cwd[4096];
    std::string prefix = getcwd(cwd, sizeof cwd) != nullptr ? cwd : "/";
    dir = dir.empty() ? prefix : absl::StrCat(prefix, "/", dir);
  }
  return CleanAbs(absl::StrCat(dir, "/", path));
}

bool IsAbs(const std::string& p) { return !p.empty() && p[0] == '/'; }

// ---------------------------------------------------------------------------
// Typed accessors. Every accessor checks the JSON type first, so a wrong type
// becomes an error naming the field instead of a nlohmann exception.

absl::Status AsString(const json& v, const std::string& path, std::string* out) {
  if (!v.is_string()) return Invalid(path, "must be a string");
  *out = v.get<std::string>();
  return absl::OkStatus();
}

absl::Status AsBool(const json& v, const std::string& path, bool* out) {
  if (!v.is_boolean()) return Invalid(path, "must be a boolean");
  *out = v.get<bool>();
  return absl::OkStatus();
}

template <typename T>
absl::Status AsInt(const json& v, const std::string& path, T* out) {
  static_assert(std::is_integral_v<T>);
  constexpr T kMin = std::numeric_limits<T>::min();
  constexpr T kMax = std::numeric_limits<T>::max();
  std::string range = absl::StrCat("must be an integer between ", kMin, " and ", kMax);
  if (!v.is_number_integer()) return Invalid(path, range);
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(kMax)) return Invalid(path, range);
    *out = static_cast<T>(u);
    return absl::OkStatus();
  }
  int64_t i = v.get<int64_t>();
  if constexpr (std::is_unsigned_v<T>) {
    if (i < 0 || static_cast<uint64_t>(i) > static_cast<uint64_t>(kMax)) {
      return Invalid(path, range);
    }
  } else {
    if (i < static_cast<int64_t>(kMin) || i > static_cast<int64_t>(kMax)) {
      return Invalid(path, range);
    }
  }
  *out = static_cast<T>(i);
  return absl::OkStatus();
}

absl::Status OptString(const json& obj, const char* key, const std::string& base,
                       std::string* out) {
  const json* v = Get(obj, key);
  if (v == nullptr) return absl::OkStatus();
  return AsString(*v, Sub(base, key), out);
}

absl::Status OptBool(const json& obj, const char* key, const std::string& base, bool* out) {
  const json* v = Get(obj, key);
  if (v == nullptr) return absl::OkStatus();
  return AsBool(*v, Sub(base, key), out);
}

template <typename T>
absl::Status OptInt(const json& obj, const char* key, const std::string& base, T* out) {
  const json* v = Get(obj, key);
  if (v == nullptr) return absl::OkStatus();
  return AsInt(*v, Sub(base, key), out);
}

template <typename T>
absl::Status OptInt(const json& obj, const char* key, const std::string& base,
                    std::optional<T>* out) {
  const json* v = Get(obj, key);
  if (v == nullptr) return absl::OkStatus();
  T value{};
  RETURN_IF_ERROR(AsInt(*v, Sub(base, key), &value));
  *out = value;
  return absl::OkStatus();
}

// nullptr when absent; an error when present but not an object.
absl::StatusOr<const json*> OptObject(const json& obj, const char* key, const std::string& base) {
  const json* v = Get(obj, key);
  if (v != nullptr && !v->is_object()) return Invalid(Sub(base, key), "must be an object");
  return v;
}

absl::StatusOr<const json*> OptArray(const json& obj, const char* key, const std::string& base) {
  const json* v = Get(obj, key);
  if (v != nullptr && !v->is_array()) return Invalid(Sub(base, key), "must be an array");
  return v;
}

absl::Status AsStringArray(const json& v, const std::string& path, std::vector<std::string>* out) {
  if (!v.is_array()) return Invalid(path, "must be an array of strings");
  out->clear();
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) return Invalid(Idx(path, i), "must be a string");
    out->push_back(v[i].get<std::string>());
  }
  return absl::OkStatus();
}

absl::Status OptStringArray(const json& obj, const char* key, const std::string& base,
                            std::vector<std::string>* out) {
  const json* v = Get(obj, key);
  if (v == nullptr) return absl::OkStatus();
  return AsStringArray(*v, Sub(base, key), out);
}

absl::Status OptStringMap(const json& obj, const char* key, const std::string& base,
                          std::map<std::string, std::string>* out) {
  const json* v = Get(obj, key);
  if (v == nullptr) return absl::OkStatus();
  std::string path = Sub(base, key);
  if (!v->is_object()) return Invalid(path, "must be an object mapping strings to strings");
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it.value().is_string()) {
      return Invalid(absl::StrCat(path, "[", Quote(it.key()), "]"), "must be a string");
    }
    (*out)[it.key()] = it.value().get<std::string>();
  }
  return absl::OkStatus();
}

absl::Status OptAbsPaths(const json& obj, const char* key, const std::string& base,
                         std::vector<std::string>* out) {
  RETURN_IF_ERROR(OptStringArray(obj, key, base, out));
  for (size_t i = 0; i < out->size(); ++i) {
    if (!IsAbs((*out)[i])) return Invalid(Idx(Sub(base, key), i), "must be an absolute path");
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Section parsers.

absl::Status ParseRoot(const json& doc, const std::string& bundle, Root* root) {
  const json* r = Get(doc, "root");
  if (r == nullptr) return Invalid("root", "required");
  if (!r->is_object()) return Invalid("root", "must be an object");
  const json* p = Get(*r, "path");
  if (p == nullptr) return Invalid("root.path", "required");
  std::string path;
  RETURN_IF_ERROR(AsString(*p, "root.path", &path));
  if (path.empty()) return Invalid("root.path", "must not be empty");
  root->path = ResolveAgainst(bundle, path);
  return OptBool(*r, "readonly", "root", &root->readonly);
}

absl::Status ParseCapSet(const json& caps, const char* key, std::vector<int>* out,
                         std::vector<std::string>* unknown) {
  std::vector<std::string> names;
  RETURN_IF_ERROR(OptStringArray(caps, key, "process.capabilities", &names));
  for (const std::string& name : names) {
    int cap = CapabilityFromName(name);
    if (cap < 0) {
      // runc: "unknown capability ... ignoring" (a newer spec on an older
      // runtime must still start).
      bool seen = false;
      for (const std::string& u : *unknown) seen = seen || u == name;
      if (!seen) unknown->push_back(name);
      continue;
    }
    out->push_back(cap);
  }
  return absl::OkStatus();
}

absl::Status ParseProcess(const json& p, Process* proc) {
  const std::string base = "process";
  RETURN_IF_ERROR(OptBool(p, "terminal", base, &proc->terminal));

  ASSIGN_OR_RETURN(const json* console, OptObject(p, "consoleSize", base));
  if (console != nullptr) {
    RETURN_IF_ERROR(OptInt(*console, "height", "process.consoleSize", &proc->console_height));
    RETURN_IF_ERROR(OptInt(*console, "width", "process.consoleSize", &proc->console_width));
  }

  ASSIGN_OR_RETURN(const json* user, OptObject(p, "user", base));
  if (user != nullptr) {
    const std::string ub = "process.user";
    uint32_t uid = 0, gid = 0;
    RETURN_IF_ERROR(OptInt(*user, "uid", ub, &uid));
    RETURN_IF_ERROR(OptInt(*user, "gid", ub, &gid));
    proc->user.uid = uid;
    proc->user.gid = gid;
    std::optional<uint32_t> umask;
    RETURN_IF_ERROR(OptInt(*user, "umask", ub, &umask));
    if (umask.has_value()) {
      if (*umask > 07777) return Invalid(Sub(ub, "umask"), "must be between 0 and 07777");
      proc->user.umask = static_cast<mode_t>(*umask);
    }
    ASSIGN_OR_RETURN(const json* gids, OptArray(*user, "additionalGids", ub));
    if (gids != nullptr) {
      for (size_t i = 0; i < gids->size(); ++i) {
        uint32_t g = 0;
        RETURN_IF_ERROR(AsInt((*gids)[i], Idx(Sub(ub, "additionalGids"), i), &g));
        proc->user.additional_gids.push_back(g);
      }
    }
  }

  const json* args = Get(p, "args");
  const char* kArgsMsg = "must be a non-empty array of strings";
  if (args == nullptr || !args->is_array() || args->empty()) {
    return Invalid("process.args", kArgsMsg);
  }
  for (size_t i = 0; i < args->size(); ++i) {
    if (!(*args)[i].is_string()) return Invalid(Idx("process.args", i), "must be a string");
    proc->args.push_back((*args)[i].get<std::string>());
  }

  RETURN_IF_ERROR(OptStringArray(p, "env", base, &proc->env));
  for (size_t i = 0; i < proc->env.size(); ++i) {
    const std::string& e = proc->env[i];
    size_t eq = e.find('=');
    if (eq == std::string::npos) {
      return Invalid(Idx("process.env", i), absl::StrCat(Quote(e), " must be of the form KEY=VALUE"));
    }
    if (eq == 0) return Invalid(Idx("process.env", i), absl::StrCat(Quote(e), " has an empty name"));
  }

  // The spec requires cwd; runc-era configs without one get "/".
  const json* cwd = Get(p, "cwd");
  if (cwd != nullptr) {
    RETURN_IF_ERROR(AsString(*cwd, "process.cwd", &proc->cwd));
    if (!IsAbs(proc->cwd)) return Invalid("process.cwd", "must be an absolute path");
  }

  ASSIGN_OR_RETURN(const json* caps, OptObject(p, "capabilities", base));
  if (caps != nullptr) {
    Capabilities c;
    RETURN_IF_ERROR(ParseCapSet(*caps, "bounding", &c.bounding, &c.unknown));
    RETURN_IF_ERROR(ParseCapSet(*caps, "effective", &c.effective, &c.unknown));
    RETURN_IF_ERROR(ParseCapSet(*caps, "inheritable", &c.inheritable, &c.unknown));
    RETURN_IF_ERROR(ParseCapSet(*caps, "permitted", &c.permitted, &c.unknown));
    RETURN_IF_ERROR(ParseCapSet(*caps, "ambient", &c.ambient, &c.unknown));
    proc->capabilities = std::move(c);
  }

  ASSIGN_OR_RETURN(const json* rlimits, OptArray(p, "rlimits", base));
  if (rlimits != nullptr) {
    std::set<int> seen;
    for (size_t i = 0; i < rlimits->size(); ++i) {
      const json& r = (*rlimits)[i];
      std::string rb = Idx("process.rlimits", i);
      if (!r.is_object()) return Invalid(rb, "must be an object");
      Rlimit rl;
      const json* type = Get(r, "type");
      if (type == nullptr) return Invalid(Sub(rb, "type"), "required");
      RETURN_IF_ERROR(AsString(*type, Sub(rb, "type"), &rl.type));
      rl.resource = RlimitFromName(rl.type);
      if (rl.resource < 0) {
        return Invalid(Sub(rb, "type"), absl::StrCat("unknown rlimit type ", Quote(rl.type)));
      }
      if (!seen.insert(rl.resource).second) {
        return Invalid(Sub(rb, "type"), absl::StrCat("duplicate rlimit type ", Quote(rl.type)));
      }
      RETURN_IF_ERROR(OptInt(r, "hard", rb, &rl.hard));
      RETURN_IF_ERROR(OptInt(r, "soft", rb, &rl.soft));
      if (rl.soft > rl.hard) {
        return Invalid(Sub(rb, "soft"), absl::StrCat("soft limit ", rl.soft,
                                                     " exceeds the hard limit ", rl.hard));
      }
      proc->rlimits.push_back(std::move(rl));
    }
  }

  RETURN_IF_ERROR(OptBool(p, "noNewPrivileges", base, &proc->no_new_privileges));
  std::optional<int> oom;
  RETURN_IF_ERROR(OptInt(p, "oomScoreAdj", base, &oom));
  if (oom.has_value() && (*oom < -1000 || *oom > 1000)) {
    return Invalid("process.oomScoreAdj", "must be between -1000 and 1000");
  }
  proc->oom_score_adj = oom;
  RETURN_IF_ERROR(OptString(p, "apparmorProfile", base, &proc->apparmor_profile));
  RETURN_IF_ERROR(OptString(p, "selinuxLabel", base, &proc->selinux_label));
  return absl::OkStatus();
}

absl::Status ParseMounts(const json& doc, const std::string& bundle, std::vector<Mount>* mounts) {
  ASSIGN_OR_RETURN(const json* arr, OptArray(doc, "mounts", ""));
  if (arr == nullptr) return absl::OkStatus();
  for (size_t i = 0; i < arr->size(); ++i) {
    const json& m = (*arr)[i];
    std::string mb = Idx("mounts", i);
    if (!m.is_object()) return Invalid(mb, "must be an object");
    Mount mount;
    const json* dest = Get(m, "destination");
    if (dest == nullptr) return Invalid(Sub(mb, "destination"), "required");
    RETURN_IF_ERROR(AsString(*dest, Sub(mb, "destination"), &mount.destination));
    if (!IsAbs(mount.destination)) {
      return Invalid(Sub(mb, "destination"), "must be an absolute path");
    }
    RETURN_IF_ERROR(OptString(m, "type", mb, &mount.type));
    RETURN_IF_ERROR(OptString(m, "source", mb, &mount.source));
    RETURN_IF_ERROR(OptStringArray(m, "options", mb, &mount.options));
    ParseMountOptions(mount);
    // runc resolves a relative bind source against the bundle (its cwd).
    if (mount.bind() && !mount.source.empty() && !IsAbs(mount.source)) {
      mount.source = ResolveAgainst(bundle, mount.source);
    }
    mounts->push_back(std::move(mount));
  }
  return absl::OkStatus();
}

absl::Status ParseHookList(const json& hooks, const char* key, std::vector<Hook>* out) {
  std::string hb = Sub("hooks", key);
  ASSIGN_OR_RETURN(const json* arr, OptArray(hooks, key, "hooks"));
  if (arr == nullptr) return absl::OkStatus();
  for (size_t i = 0; i < arr->size(); ++i) {
    const json& h = (*arr)[i];
    std::string b = Idx(hb, i);
    if (!h.is_object()) return Invalid(b, "must be an object");
    Hook hook;
    const json* path = Get(h, "path");
    if (path == nullptr) return Invalid(Sub(b, "path"), "required");
    RETURN_IF_ERROR(AsString(*path, Sub(b, "path"), &hook.path));
    if (!IsAbs(hook.path)) return Invalid(Sub(b, "path"), "must be an absolute path");
    RETURN_IF_ERROR(OptStringArray(h, "args", b, &hook.args));
    RETURN_IF_ERROR(OptStringArray(h, "env", b, &hook.env));
    RETURN_IF_ERROR(OptInt(h, "timeout", b, &hook.timeout));
    if (hook.timeout.has_value() && *hook.timeout <= 0) {
      return Invalid(Sub(b, "timeout"), "must be a positive integer");
    }
    out->push_back(std::move(hook));
  }
  return absl::OkStatus();
}

absl::Status ParseHooks(const json& doc, Hooks* hooks) {
  ASSIGN_OR_RETURN(const json* h, OptObject(doc, "hooks", ""));
  if (h == nullptr) return absl::OkStatus();
  RETURN_IF_ERROR(ParseHookList(*h, "prestart", &hooks->prestart));
  RETURN_IF_ERROR(ParseHookList(*h, "createRuntime", &hooks->create_runtime));
  RETURN_IF_ERROR(ParseHookList(*h, "createContainer", &hooks->create_container));
  RETURN_IF_ERROR(ParseHookList(*h, "startContainer", &hooks->start_container));
  RETURN_IF_ERROR(ParseHookList(*h, "poststart", &hooks->poststart));
  RETURN_IF_ERROR(ParseHookList(*h, "poststop", &hooks->poststop));
  return absl::OkStatus();
}

int NamespaceFlag(const std::string& type) {
  static const std::pair<const char*, int> kTypes[] = {
      {"pid", CLONE_NEWPID},   {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
      {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},     {"user", CLONE_NEWUSER},
      {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
  };
  for (const auto& [name, flag] : kTypes) {
    if (type == name) return flag;
  }
  return 0;
}

absl::Status ParseIdMappings(const json& linux, const char* key, std::vector<IdMapping>* out) {
  std::string base = Sub("linux", key);
  ASSIGN_OR_RETURN(const json* arr, OptArray(linux, key, "linux"));
  if (arr == nullptr) return absl::OkStatus();
  for (size_t i = 0; i < arr->size(); ++i) {
    const json& m = (*arr)[i];
    std::string b = Idx(base, i);
    if (!m.is_object()) return Invalid(b, "must be an object");
    IdMapping map;
    for (auto [field, dst] : {std::pair<const char*, uint32_t*>{"containerID", &map.container_id},
                              {"hostID", &map.host_id},
                              {"size", &map.size}}) {
      const json* v = Get(m, field);
      if (v == nullptr) return Invalid(Sub(b, field), "required");
      RETURN_IF_ERROR(AsInt(*v, Sub(b, field), dst));
    }
    if (map.size == 0) return Invalid(Sub(b, "size"), "must be positive");
    out->push_back(map);
  }
  return absl::OkStatus();
}

absl::Status ParseDevices(const json& linux, std::vector<Device>* out) {
  ASSIGN_OR_RETURN(const json* arr, OptArray(linux, "devices", "linux"));
  if (arr == nullptr) return absl::OkStatus();
  for (size_t i = 0; i < arr->size(); ++i) {
    const json& d = (*arr)[i];
    std::string b = Idx("linux.devices", i);
    if (!d.is_object()) return Invalid(b, "must be an object");
    Device dev;
    const json* path = Get(d, "path");
    if (path == nullptr) return Invalid(Sub(b, "path"), "required");
    RETURN_IF_ERROR(AsString(*path, Sub(b, "path"), &dev.path));
    if (!IsAbs(dev.path)) return Invalid(Sub(b, "path"), "must be an absolute path");
    const json* type = Get(d, "type");
    if (type == nullptr) return Invalid(Sub(b, "type"), "required");
    std::string t;
    RETURN_IF_ERROR(AsString(*type, Sub(b, "type"), &t));
    if (t != "c" && t != "b" && t != "u" && t != "p") {
      return Invalid(Sub(b, "type"),
                     absl::StrCat("unknown device type ", Quote(t), " (want c, b, u or p)"));
    }
    dev.type = t[0];
    if (dev.type != 'p') {
      for (const char* field : {"major", "minor"}) {
        if (Get(d, field) == nullptr) {
          return Invalid(Sub(b, field), absl::StrCat("required for device type ", Quote(t)));
        }
      }
    }
    RETURN_IF_ERROR(OptInt(d, "major", b, &dev.major));
    RETURN_IF_ERROR(OptInt(d, "minor", b, &dev.minor));
    std::optional<uint32_t> mode, uid, gid;
    RETURN_IF_ERROR(OptInt(d, "fileMode", b, &mode));
    RETURN_IF_ERROR(OptInt(d, "uid", b, &uid));
    RETURN_IF_ERROR(OptInt(d, "gid", b, &gid));
    if (mode.has_value()) dev.file_mode = static_cast<mode_t>(*mode);
    if (uid.has_value()) dev.uid = static_cast<uid_t>(*uid);
    if (gid.has_value()) dev.gid = static_cast<gid_t>(*gid);
    out->push_back(std::move(dev));
  }
  return absl::OkStatus();
}

// {"major": M, "minor": N, ...} entries of blockIO.
absl::Status ParseMajorMinor(const json& d, const std::string& b, int64_t* major, int64_t* minor) {
  if (!d.is_object()) return Invalid(b, "must be an object");
  const json* ma = Get(d, "major");
  const json* mi = Get(d, "minor");
  if (ma == nullptr) return Invalid(Sub(b, "major"), "required");
  if (mi == nullptr) return Invalid(Sub(b, "minor"), "required");
  RETURN_IF_ERROR(AsInt(*ma, Sub(b, "major"), major));
  RETURN_IF_ERROR(AsInt(*mi, Sub(b, "minor"), minor));
  if (*major < 0) return Invalid(Sub(b, "major"), "must not be negative");
  if (*minor < 0) return Invalid(Sub(b, "minor"), "must not be negative");
  return absl::OkStatus();
}

absl::Status ParseThrottleList(const json& bio, const char* key, const std::string& base,
                               std::vector<ThrottleDevice>* out) {
  ASSIGN_OR_RETURN(const json* list, OptArray(bio, key, base));
  if (list == nullptr) return absl::OkStatus();
  for (size_t i = 0; i < list->size(); ++i) {
    const json& d = (*list)[i];
    std::string b = Idx(Sub(base, key), i);
    ThrottleDevice t;
    RETURN_IF_ERROR(ParseMajorMinor(d, b, &t.major, &t.minor));
    const json* rate = Get(d, "rate");
    if (rate == nullptr) return Invalid(Sub(b, "rate"), "required");
    RETURN_IF_ERROR(AsInt(*rate, Sub(b, "rate"), &t.rate));
    out->push_back(t);
  }
  return absl::OkStatus();
}

absl::Status ParseBlockIo(const json& r, const std::string& base, Resources* res) {
  ASSIGN_OR_RETURN(const json* bio, OptObject(r, "blockIO", base));
  if (bio == nullptr) return absl::OkStatus();
  const std::string b = Sub(base, "blockIO");
  BlockIoResources io;
  RETURN_IF_ERROR(OptInt(*bio, "weight", b, &io.weight));
  RETURN_IF_ERROR(OptInt(*bio, "leafWeight", b, &io.leaf_weight));
  ASSIGN_OR_RETURN(const json* wd, OptArray(*bio, "weightDevice", b));
  if (wd != nullptr) {
    for (size_t i = 0; i < wd->size(); ++i) {
      const json& d = (*wd)[i];
      std::string db = Idx(Sub(b, "weightDevice"), i);
      WeightDevice w;
      RETURN_IF_ERROR(ParseMajorMinor(d, db, &w.major, &w.minor));
      RETURN_IF_ERROR(OptInt(d, "weight", db, &w.weight));
      RETURN_IF_ERROR(OptInt(d, "leafWeight", db, &w.leaf_weight));
      io.weight_device.push_back(w);
    }
  }
  RETURN_IF_ERROR(ParseThrottleList(*bio, "throttleReadBpsDevice", b, &io.throttle_read_bps));
  RETURN_IF_ERROR(ParseThrottleList(*bio, "throttleWriteBpsDevice", b, &io.throttle_write_bps));
  RETURN_IF_ERROR(ParseThrottleList(*bio, "throttleReadIOPSDevice", b, &io.throttle_read_iops));
  RETURN_IF_ERROR(
      ParseThrottleList(*bio, "throttleWriteIOPSDevice", b, &io.throttle_write_iops));
  res->block_io = std::move(io);
  return absl::OkStatus();
}

absl::Status ParseHugepageLimits(const json& r, const std::string& base, Resources* res) {
  ASSIGN_OR_RETURN(const json* list, OptArray(r, "hugepageLimits", base));
  if (list == nullptr) return absl::OkStatus();
  for (size_t i = 0; i < list->size(); ++i) {
    const json& h = (*list)[i];
    std::string b = Idx(Sub(base, "hugepageLimits"), i);
    if (!h.is_object()) return Invalid(b, "must be an object");
    HugepageLimit l;
    const json* size = Get(h, "pageSize");
    if (size == nullptr) return Invalid(Sub(b, "pageSize"), "required");
    RETURN_IF_ERROR(AsString(*size, Sub(b, "pageSize"), &l.page_size));
    if (l.page_size.empty()) return Invalid(Sub(b, "pageSize"), "must not be empty");
    const json* limit = Get(h, "limit");
    if (limit == nullptr) return Invalid(Sub(b, "limit"), "required");
    RETURN_IF_ERROR(AsInt(*limit, Sub(b, "limit"), &l.limit));
    res->hugepage_limits.push_back(std::move(l));
  }
  return absl::OkStatus();
}

absl::Status ParseNetwork(const json& r, const std::string& base, Resources* res) {
  ASSIGN_OR_RETURN(const json* net, OptObject(r, "network", base));
  if (net == nullptr) return absl::OkStatus();
  const std::string b = Sub(base, "network");
  NetworkResources n;
  RETURN_IF_ERROR(OptInt(*net, "classID", b, &n.class_id));
  ASSIGN_OR_RETURN(const json* prios, OptArray(*net, "priorities", b));
  if (prios != nullptr) {
    for (size_t i = 0; i < prios->size(); ++i) {
      const json& p = (*prios)[i];
      std::string pb = Idx(Sub(b, "priorities"), i);
      if (!p.is_object()) return Invalid(pb, "must be an object");
      NetworkPriority np;
      const json* name = Get(p, "name");
      if (name == nullptr) return Invalid(Sub(pb, "name"), "required");
      RETURN_IF_ERROR(AsString(*name, Sub(pb, "name"), &np.name));
      if (np.name.empty() || np.name.find_first_of(" \t\n/") != std::string::npos) {
        return Invalid(Sub(pb, "name"), absl::StrCat("invalid interface name ", Quote(np.name)));
      }
      RETURN_IF_ERROR(OptInt(p, "priority", pb, &np.priority));
      n.priorities.push_back(std::move(np));
    }
  }
  if (n.class_id || !n.priorities.empty()) res->network = std::move(n);
  return absl::OkStatus();
}

absl::Status ParseRdma(const json& r, const std::string& base, Resources* res) {
  ASSIGN_OR_RETURN(const json* rdma, OptObject(r, "rdma", base));
  if (rdma == nullptr) return absl::OkStatus();
  const std::string b = Sub(base, "rdma");
  for (auto it = rdma->begin(); it != rdma->end(); ++it) {
    std::string db = absl::StrCat(b, "[", Quote(it.key()), "]");
    if (it.key().empty() || it.key().find_first_of(" \t\n=") != std::string::npos) {
      return Invalid(db, "is not an RDMA device name");
    }
    if (!it.value().is_object()) return Invalid(db, "must be an object");
    RdmaLimit l;
    RETURN_IF_ERROR(OptInt(it.value(), "hcaHandles", db, &l.hca_handles));
    RETURN_IF_ERROR(OptInt(it.value(), "hcaObjects", db, &l.hca_objects));
    res->rdma[it.key()] = l;
  }
  return absl::OkStatus();
}

absl::Status ParseResources(const json& r, Resources* res) {
  const std::string base = "linux.resources";
  ASSIGN_OR_RETURN(const json* mem, OptObject(r, "memory", base));
  if (mem != nullptr) {
    const std::string b = Sub(base, "memory");
    MemoryResources m;
    RETURN_IF_ERROR(OptInt(*mem, "limit", b, &m.limit));
    RETURN_IF_ERROR(OptInt(*mem, "reservation", b, &m.reservation));
    RETURN_IF_ERROR(OptInt(*mem, "swap", b, &m.swap));
    RETURN_IF_ERROR(OptInt(*mem, "kernel", b, &m.kernel));
    RETURN_IF_ERROR(OptInt(*mem, "kernelTCP", b, &m.kernel_tcp));
    RETURN_IF_ERROR(OptInt(*mem, "swappiness", b, &m.swappiness));
    const json* oom = Get(*mem, "disableOOMKiller");
    if (oom != nullptr) {
      bool v = false;
      RETURN_IF_ERROR(AsBool(*oom, Sub(b, "disableOOMKiller"), &v));
      m.disable_oom_killer = v;
    }
    res->memory = std::move(m);
  }

  ASSIGN_OR_RETURN(const json* cpu, OptObject(r, "cpu", base));
  if (cpu != nullptr) {
    const std::string b = Sub(base, "cpu");
    CpuResources c;
    RETURN_IF_ERROR(OptInt(*cpu, "shares", b, &c.shares));
    RETURN_IF_ERROR(OptInt(*cpu, "quota", b, &c.quota));
    RETURN_IF_ERROR(OptInt(*cpu, "period", b, &c.period));
    RETURN_IF_ERROR(OptInt(*cpu, "realtimeRuntime", b, &c.realtime_runtime));
    RETURN_IF_ERROR(OptInt(*cpu, "realtimePeriod", b, &c.realtime_period));
    RETURN_IF_ERROR(OptString(*cpu, "cpus", b, &c.cpus));
    RETURN_IF_ERROR(OptString(*cpu, "mems", b, &c.mems));
    RETURN_IF_ERROR(OptInt(*cpu, "idle", b, &c.idle));
    res->cpu = std::move(c);
  }

  ASSIGN_OR_RETURN(const json* pids, OptObject(r, "pids", base));
  if (pids != nullptr) RETURN_IF_ERROR(OptInt(*pids, "limit", Sub(base, "pids"), &res->pids_limit));

  ASSIGN_OR_RETURN(const json* devs, OptArray(r, "devices", base));
  if (devs != nullptr) {
    for (size_t i = 0; i < devs->size(); ++i) {
      const json& d = (*devs)[i];
      std::string b = Idx(Sub(base, "devices"), i);
      if (!d.is_object()) return Invalid(b, "must be an object");
      DeviceRule rule;
      const json* allow = Get(d, "allow");
      if (allow == nullptr) return Invalid(Sub(b, "allow"), "required");
      RETURN_IF_ERROR(AsBool(*allow, Sub(b, "allow"), &rule.allow));
      RETURN_IF_ERROR(OptString(d, "type", b, &rule.type));
      if (rule.type.empty()) rule.type = "a";
      if (rule.type != "a" && rule.type != "b" && rule.type != "c") {
        return Invalid(Sub(b, "type"),
                       absl::StrCat("unknown device type ", Quote(rule.type), " (want a, b or c)"));
      }
      RETURN_IF_ERROR(OptInt(d, "major", b, &rule.major));
      RETURN_IF_ERROR(OptInt(d, "minor", b, &rule.minor));
      RETURN_IF_ERROR(OptString(d, "access", b, &rule.access));
      for (char c : rule.access) {
        if (c != 'r' && c != 'w' && c != 'm') {
          return Invalid(Sub(b, "access"),
                         absl::StrCat("invalid access ", Quote(rule.access),
                                      " (want a combination of r, w and m)"));
        }
      }
      res->devices.push_back(std::move(rule));
    }
  }

  RETURN_IF_ERROR(ParseBlockIo(r, base, res));
  RETURN_IF_ERROR(ParseHugepageLimits(r, base, res));
  RETURN_IF_ERROR(ParseNetwork(r, base, res));
  RETURN_IF_ERROR(ParseRdma(r, base, res));
  RETURN_IF_ERROR(OptStringMap(r, "unified", base, &res->unified));

  static const std::set<std::string> kHandled = {"memory",  "cpu",           "pids",
                                                 "devices", "unified",       "blockIO",
                                                 "network", "hugepageLimits", "rdma"};
  for (auto it = r.begin(); it != r.end(); ++it) {
    if (kHandled.count(it.key()) != 0) continue;
    const json& v = it.value();
    if (v.is_null() || ((v.is_object() || v.is_array()) && v.empty())) continue;
    res->unsupported.push_back(it.key());
  }
  return absl::OkStatus();
}

unsigned long PropagationFlags(const std::string& name, bool* ok) {
  static const std::pair<const char*, unsigned long> kProps[] = {
      {"shared", MS_SHARED},
      {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},
      {"rslave", MS_SLAVE | MS_REC},
      {"private", MS_PRIVATE},
      {"rprivate", MS_PRIVATE | MS_REC},
      {"unbindable", MS_UNBINDABLE},
      {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  for (const auto& [n, flags] : kProps) {
    if (name == n) {
      *ok = true;
      return flags;
    }
  }
  *ok = false;
  return 0;
}

absl::Status ParseLinux(const json& doc, const std::string& bundle, Linux* lx) {
  ASSIGN_OR_RETURN(const json* l, OptObject(doc, "linux", ""));
  if (l == nullptr) return absl::OkStatus();
  const json& linux = *l;
  const std::string base = "linux";

  ASSIGN_OR_RETURN(const json* nss, OptArray(linux, "namespaces", base));
  if (nss != nullptr) {
    for (size_t i = 0; i < nss->size(); ++i) {
      const json& n = (*nss)[i];
      std::string b = Idx("linux.namespaces", i);
      if (!n.is_object()) return Invalid(b, "must be an object");
      Namespace ns;
      const json* type = Get(n, "type");
      if (type == nullptr) return Invalid(Sub(b, "type"), "required");
      RETURN_IF_ERROR(AsString(*type, Sub(b, "type"), &ns.type));
      ns.clone_flag = NamespaceFlag(ns.type);
      if (ns.clone_flag == 0) {
        return Invalid(Sub(b, "type"), absl::StrCat("unknown namespace type ", Quote(ns.type)));
      }
      for (const Namespace& prev : lx->namespaces) {
        if (prev.type == ns.type) {
          return Invalid(Sub(b, "type"), absl::StrCat("duplicate namespace type ", Quote(ns.type)));
        }
      }
      RETURN_IF_ERROR(OptString(n, "path", b, &ns.path));
      if (!ns.path.empty() && !IsAbs(ns.path)) {
        return Invalid(Sub(b, "path"), "must be an absolute path");
      }
      lx->namespaces.push_back(std::move(ns));
    }
  }

  RETURN_IF_ERROR(ParseIdMappings(linux, "uidMappings", &lx->uid_mappings));
  RETURN_IF_ERROR(ParseIdMappings(linux, "gidMappings", &lx->gid_mappings));

  ASSIGN_OR_RETURN(const json* offsets, OptObject(linux, "timeOffsets", base));
  if (offsets != nullptr) {
    for (auto it = offsets->begin(); it != offsets->end(); ++it) {
      std::string b = Sub("linux.timeOffsets", it.key());
      if (it.key() != "monotonic" && it.key() != "boottime") {
        return Invalid(b, "unknown clock (want \"monotonic\" or \"boottime\")");
      }
      if (it.value().is_null()) continue;
      if (!it.value().is_object()) return Invalid(b, "must be an object");
      int64_t secs = 0;
      uint32_t nsecs = 0;
      RETURN_IF_ERROR(OptInt(it.value(), "secs", b, &secs));
      RETURN_IF_ERROR(OptInt(it.value(), "nanosecs", b, &nsecs));
      if (nsecs >= 1000000000u) return Invalid(Sub(b, "nanosecs"), "must be below 1000000000");
      lx->time_offsets_secs[it.key()] = secs;
      lx->time_offsets_nsecs[it.key()] = nsecs;
    }
  }

  RETURN_IF_ERROR(ParseDevices(linux, &lx->devices));
  RETURN_IF_ERROR(OptString(linux, "cgroupsPath", base, &lx->cgroups_path));

  ASSIGN_OR_RETURN(const json* res, OptObject(linux, "resources", base));
  if (res != nullptr) {
    Resources r;
    RETURN_IF_ERROR(ParseResources(*res, &r));
    lx->resources = std::move(r);
  }

  RETURN_IF_ERROR(OptString(linux, "rootfsPropagation", base, &lx->rootfs_propagation));
  if (!lx->rootfs_propagation.empty()) {
    bool ok = false;
    lx->rootfs_propagation_flags = PropagationFlags(lx->rootfs_propagation, &ok);
    if (!ok) {
      return Invalid("linux.rootfsPropagation",
                     absl::StrCat("unknown propagation ", Quote(lx->rootfs_propagation)));
    }
  }

  RETURN_IF_ERROR(OptAbsPaths(linux, "maskedPaths", base, &lx->masked_paths));
  RETURN_IF_ERROR(OptAbsPaths(linux, "readonlyPaths", base, &lx->readonly_paths));
  RETURN_IF_ERROR(OptStringMap(linux, "sysctl", base, &lx->sysctl));
  RETURN_IF_ERROR(OptString(linux, "mountLabel", base, &lx->mount_label));

  const json* seccomp = Get(linux, "seccomp");
  if (seccomp != nullptr) {
    if (!seccomp->is_object()) return Invalid("linux.seccomp", "must be an object");
    lx->seccomp = *seccomp;
  }
  const json* personality = Get(linux, "personality");
  if (personality != nullptr) {
    if (!personality->is_object()) return Invalid("linux.personality", "must be an object");
    lx->personality = *personality;
  }
  (void)bundle;
  return absl::OkStatus();
}

bool IsIpcSysctl(const std::string& key) {
  static const std::set<std::string> kIpc = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
  };
  return kIpc.count(key) != 0 || absl::StartsWith(key, "fs.mqueue.");
}

// Cross-field checks, after everything parsed. As in runc's config validator,
// a namespace counts as "private" when it is listed at all (new or joined).
absl::Status Validate(const Spec& spec) {
  const Linux& lx = spec.linux;
  const Namespace* user = spec.FindNamespace("user");
  if (user == nullptr) {
    if (!lx.uid_mappings.empty()) {
      return Invalid("linux.uidMappings", "set but no user namespace is requested");
    }
    if (!lx.gid_mappings.empty()) {
      return Invalid("linux.gidMappings", "set but no user namespace is requested");
    }
  } else if (user->path.empty()) {
    if (lx.uid_mappings.empty()) {
      return Invalid("linux.uidMappings", "required when a new user namespace is requested");
    }
    if (lx.gid_mappings.empty()) {
      return Invalid("linux.gidMappings", "required when a new user namespace is requested");
    }
  }

  if (!lx.time_offsets_secs.empty() && !spec.HasNewNamespace(CLONE_NEWTIME)) {
    return Invalid("linux.timeOffsets", "set but no new time namespace is requested");
  }

  bool uts = spec.FindNamespace("uts") != nullptr;
  if (!spec.hostname.empty() && !uts) {
    return Invalid("hostname", "unable to set hostname without a private UTS namespace");
  }
  if (!spec.domainname.empty() && !uts) {
    return Invalid("domainname", "unable to set domainname without a private UTS namespace");
  }

  bool ipc = spec.FindNamespace("ipc") != nullptr;
  bool net = spec.FindNamespace("network") != nullptr;
  for (const auto& [raw_key, value] : lx.sysctl) {
    // "net/ipv4/ip_forward" and "net.ipv4.ip_forward" name the same knob.
    std::string key = raw_key;
    if (key.find('/') != std::string::npos) std::replace(key.begin(), key.end(), '/', '.');
    if (IsIpcSysctl(key)) {
      if (!ipc) {
        return Invalid("linux.sysctl", absl::StrCat("sysctl ", Quote(key),
                                                    " is not allowed in the host's ipc namespace"));
      }
      continue;
    }
    if (absl::StartsWith(key, "net.")) {
      if (!net) {
        return Invalid("linux.sysctl", absl::StrCat("sysctl ", Quote(key),
                                                    " is not allowed in the host's network namespace"));
      }
      continue;
    }
    if (uts && key == "kernel.domainname") continue;
    if (uts && key == "kernel.hostname") {
      return Invalid("linux.sysctl", absl::StrCat("sysctl ", Quote(key),
                                                  " conflicts with the \"hostname\" field"));
    }
    return Invalid("linux.sysctl",
                   absl::StrCat("sysctl ", Quote(key), " is not in a separate kernel namespace"));
  }
  return absl::OkStatus();
}

// Parses JSON without exceptions, keeping nlohmann's error message.
class ErrorSax : public nlohmann::json_sax<json> {
 public:
  std::string error;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    error = absl::StrCat(ex.what(), " (byte ", position, ")");
    return false;
  }
};

}  // namespace

// ---------------------------------------------------------------------------

bool Mount::bind() const { return (flags & MS_BIND) != 0 || type == "bind"; }

const Namespace* Spec::FindNamespace(const std::string& type) const {
  for (const Namespace& ns : linux.namespaces) {
    if (ns.type == type) return &ns;
  }
  return nullptr;
}

bool Spec::HasNewNamespace(int clone_flag) const {
  for (const Namespace& ns : linux.namespaces) {
    if (ns.clone_flag == clone_flag) return ns.path.empty();
  }
  return false;
}

void ParseMountOptions(Mount& m) {
  struct FlagOpt {
    const char* name;
    bool clear;
    unsigned long flag;
  };
  // runc's libcontainer/specconv mount flag table.
  static const FlagOpt kFlags[] = {
      {"acl", false, MS_POSIXACL},
      {"async", true, MS_SYNCHRONOUS},
      {"atime", true, MS_NOATIME},
      {"bind", false, MS_BIND},
      {"defaults", false, 0},
      {"dev", true, MS_NODEV},
      {"diratime", true, MS_NODIRATIME},
      {"dirsync", false, MS_DIRSYNC},
      {"exec", true, MS_NOEXEC},
      {"iversion", false, MS_I_VERSION},
      {"lazytime", false, MS_LAZYTIME},
      {"loud", true, MS_SILENT},
      {"mand", false, MS_MANDLOCK},
      {"noacl", true, MS_POSIXACL},
      {"noatime", false, MS_NOATIME},
      {"nodev", false, MS_NODEV},
      {"nodiratime", false, MS_NODIRATIME},
      {"noexec", false, MS_NOEXEC},
      {"noiversion", true, MS_I_VERSION},
      {"nolazytime", true, MS_LAZYTIME},
      {"nomand", true, MS_MANDLOCK},
      {"norelatime", true, MS_RELATIME},
      {"nostrictatime", true, MS_STRICTATIME},
      {"nosuid", false, MS_NOSUID},
      {"nosymfollow", false, MS_NOSYMFOLLOW},
      {"rbind", false, MS_BIND | MS_REC},
      {"relatime", false, MS_RELATIME},
      {"remount", false, MS_REMOUNT},
      {"ro", false, MS_RDONLY},
      {"rw", true, MS_RDONLY},
      {"silent", false, MS_SILENT},
      {"strictatime", false, MS_STRICTATIME},
      {"suid", true, MS_NOSUID},
      {"symfollow", true, MS_NOSYMFOLLOW},
      {"sync", false, MS_SYNCHRONOUS},
  };
  struct RecAttr {
    const char* name;
    bool clear;
    uint64_t attr;
  };
  // runc's recursive (mount_setattr) options.
  static const RecAttr kRecAttrs[] = {
      {"rro", false, MOUNT_ATTR_RDONLY},
      {"rrw", true, MOUNT_ATTR_RDONLY},
      {"rnosuid", false, MOUNT_ATTR_NOSUID},
      {"rsuid", true, MOUNT_ATTR_NOSUID},
      {"rnodev", false, MOUNT_ATTR_NODEV},
      {"rdev", true, MOUNT_ATTR_NODEV},
      {"rnoexec", false, MOUNT_ATTR_NOEXEC},
      {"rexec", true, MOUNT_ATTR_NOEXEC},
      {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
      {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
      {"rrelatime", false, MOUNT_ATTR_RELATIME},
      {"rnorelatime", true, MOUNT_ATTR_RELATIME},
      {"rnoatime", false, MOUNT_ATTR_NOATIME},
      {"ratime", true, MOUNT_ATTR_NOATIME},
      {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
      {"rnostrictatime", true, MOUNT_ATTR_STRICTATIME},
      {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
      {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
  };

  m.flags = 0;
  m.clear_flags = 0;
  m.propagation = 0;
  m.rec_attr_set = 0;
  m.rec_attr_clr = 0;
  m.tmpcopyup = false;
  std::vector<std::string> data;
  for (const std::string& opt : m.options) {
    bool handled = false;
    for (const FlagOpt& f : kFlags) {
      if (opt != f.name) continue;
      handled = true;
      if (f.clear) {
        m.flags &= ~f.flag;
        m.clear_flags |= f.flag;
      } else {
        m.flags |= f.flag;
        m.clear_flags &= ~f.flag;
      }
      break;
    }
    if (handled) continue;
    bool ok = false;
    unsigned long prop = PropagationFlags(opt, &ok);
    if (ok) {
      m.propagation = prop;
      continue;
    }
    for (const RecAttr& a : kRecAttrs) {
      if (opt != a.name) continue;
      handled = true;
      // The atime modes are one field, not independent bits.
      bool atime = a.attr == MOUNT_ATTR_RELATIME || (a.attr & MOUNT_ATTR__ATIME) != 0;
      if (a.clear) {
        m.rec_attr_set &= ~a.attr;
        m.rec_attr_clr |= a.attr;
      } else {
        if (atime) {
          m.rec_attr_clr |= MOUNT_ATTR__ATIME;
          m.rec_attr_set &= ~static_cast<uint64_t>(MOUNT_ATTR__ATIME);
        }
        m.rec_attr_set |= a.attr;
        if (!atime) m.rec_attr_clr &= ~a.attr;
      }
      break;
    }
    if (handled) continue;
    if (opt == "tmpcopyup") {
      m.tmpcopyup = true;
      continue;
    }
    if (opt == "idmap" || opt == "ridmap") continue;
    data.push_back(opt);
  }
  m.data = absl::StrJoin(data, ",");
}

int CapabilityFromName(const std::string& name) {
  static const std::pair<const char*, int> kCaps[] = {
      {"CAP_CHOWN", CAP_CHOWN},
      {"CAP_DAC_OVERRIDE", CAP_DAC_OVERRIDE},
      {"CAP_DAC_READ_SEARCH", CAP_DAC_READ_SEARCH},
      {"CAP_FOWNER", CAP_FOWNER},
      {"CAP_FSETID", CAP_FSETID},
      {"CAP_KILL", CAP_KILL},
      {"CAP_SETGID", CAP_SETGID},
      {"CAP_SETUID", CAP_SETUID},
      {"CAP_SETPCAP", CAP_SETPCAP},
      {"CAP_LINUX_IMMUTABLE", CAP_LINUX_IMMUTABLE},
      {"CAP_NET_BIND_SERVICE", CAP_NET_BIND_SERVICE},
      {"CAP_NET_BROADCAST", CAP_NET_BROADCAST},
      {"CAP_NET_ADMIN", CAP_NET_ADMIN},
      {"CAP_NET_RAW", CAP_NET_RAW},
      {"CAP_IPC_LOCK", CAP_IPC_LOCK},
      {"CAP_IPC_OWNER", CAP_IPC_OWNER},
      {"CAP_SYS_MODULE", CAP_SYS_MODULE},
      {"CAP_SYS_RAWIO", CAP_SYS_RAWIO},
      {"CAP_SYS_CHROOT", CAP_SYS_CHROOT},
      {"CAP_SYS_PTRACE", CAP_SYS_PTRACE},
      {"CAP_SYS_PACCT", CAP_SYS_PACCT},
      {"CAP_SYS_ADMIN", CAP_SYS_ADMIN},
      {"CAP_SYS_BOOT", CAP_SYS_BOOT},
      {"CAP_SYS_NICE", CAP_SYS_NICE},
      {"CAP_SYS_RESOURCE", CAP_SYS_RESOURCE},
      {"CAP_SYS_TIME", CAP_SYS_TIME},
      {"CAP_SYS_TTY_CONFIG", CAP_SYS_TTY_CONFIG},
      {"CAP_MKNOD", CAP_MKNOD},
      {"CAP_LEASE", CAP_LEASE},
      {"CAP_AUDIT_WRITE", CAP_AUDIT_WRITE},
      {"CAP_AUDIT_CONTROL", CAP_AUDIT_CONTROL},
      {"CAP_SETFCAP", CAP_SETFCAP},
      {"CAP_MAC_OVERRIDE", CAP_MAC_OVERRIDE},
      {"CAP_MAC_ADMIN", CAP_MAC_ADMIN},
      {"CAP_SYSLOG", CAP_SYSLOG},
      {"CAP_WAKE_ALARM", CAP_WAKE_ALARM},
      {"CAP_BLOCK_SUSPEND", CAP_BLOCK_SUSPEND},
      {"CAP_AUDIT_READ", CAP_AUDIT_READ},
#ifdef CAP_PERFMON
      {"CAP_PERFMON", CAP_PERFMON},
#else
      {"CAP_PERFMON", 38},
#endif
#ifdef CAP_BPF
      {"CAP_BPF", CAP_BPF},
#else
      {"CAP_BPF", 39},
#endif
#ifdef CAP_CHECKPOINT_RESTORE
      {"CAP_CHECKPOINT_RESTORE", CAP_CHECKPOINT_RESTORE},
#else
      {"CAP_CHECKPOINT_RESTORE", 40},
#endif
  };
  for (const auto& [n, cap] : kCaps) {
    if (name == n) return cap;
  }
  return -1;
}

int RlimitFromName(const std::string& name) {
  static const std::pair<const char*, int> kLimits[] = {
      {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_STACK", RLIMIT_STACK},
      {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_NPROC", RLIMIT_NPROC},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
      {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME},
  };
  for (const auto& [n, res] : kLimits) {
    if (name == n) return res;
  }
  return -1;
}

absl::StatusOr<Spec> ParseSpec(const std::string& json_text, const std::string& bundle) {
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    ErrorSax sax;
    json::sax_parse(json_text, &sax);
    if (sax.error.empty()) sax.error = "parse error";
    return Invalid("", absl::StrCat("not valid JSON: ", sax.error));
  }
  if (!doc.is_object()) return Invalid("", "must be a JSON object");

  Spec spec;
  const json* version = Get(doc, "ociVersion");
  if (version == nullptr) return Invalid("ociVersion", "required");
  RETURN_IF_ERROR(AsString(*version, "ociVersion", &spec.oci_version));
  if (spec.oci_version.empty()) return Invalid("ociVersion", "must not be empty");

  RETURN_IF_ERROR(ParseRoot(doc, bundle, &spec.root));

  ASSIGN_OR_RETURN(const json* process, OptObject(doc, "process", ""));
  if (process != nullptr) {
    Process p;
    RETURN_IF_ERROR(ParseProcess(*process, &p));
    spec.process = std::move(p);
  }

  RETURN_IF_ERROR(OptString(doc, "hostname", "", &spec.hostname));
  RETURN_IF_ERROR(OptString(doc, "domainname", "", &spec.domainname));
  RETURN_IF_ERROR(ParseMounts(doc, bundle, &spec.mounts));
  RETURN_IF_ERROR(ParseHooks(doc, &spec.hooks));
  RETURN_IF_ERROR(OptStringMap(doc, "annotations", "", &spec.annotations));
  RETURN_IF_ERROR(ParseLinux(doc, bundle, &spec.linux));
  RETURN_IF_ERROR(Validate(spec));
  return spec;
}

absl::StatusOr<Process> ParseProcessJson(const std::string& json_text) {
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return absl::InvalidArgumentError("process: not a valid JSON object");
  Process p;
  RETURN_IF_ERROR(ParseProcess(doc, &p));
  return p;
}

absl::StatusOr<Resources> ParseResourcesJson(const std::string& text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return absl::InvalidArgumentError("linux.resources: not a valid JSON object");
  Resources r;
  RETURN_IF_ERROR(ParseResources(doc, &r));
  return r;
}

absl::StatusOr<Spec> LoadSpec(const std::string& bundle) {
  std::string path = absl::StrCat(bundle.empty() ? "." : bundle, "/config.json");
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseSpec(text, bundle);
}

json DefaultSpec(bool rootless, uid_t uid, gid_t gid) {
  const json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  json spec = {
      {"ociVersion", "1.0.2"},
      {"process",
       {
           {"terminal", true},
           {"user", {{"uid", 0}, {"gid", 0}}},
           {"args", {"sh"}},
           {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
           {"cwd", "/"},
           {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
           {"rlimits", json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
           {"noNewPrivileges", true},
       }},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "ocirun"},
      {"mounts",
       json::array({
           {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
           {{"destination", "/dev"},
            {"type", "tmpfs"},
            {"source", "tmpfs"},
            {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
           {{"destination", "/dev/pts"},
            {"type", "devpts"},
            {"source", "devpts"},
            {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
           {{"destination", "/dev/shm"},
            {"type", "tmpfs"},
            {"source", "shm"},
            {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
           {{"destination", "/dev/mqueue"},
            {"type", "mqueue"},
            {"source", "mqueue"},
            {"options", {"nosuid", "noexec", "nodev"}}},
           {{"destination", "/sys"},
            {"type", "sysfs"},
            {"source", "sysfs"},
            {"options", {"nosuid", "noexec", "nodev", "ro"}}},
           {{"destination", "/sys/fs/cgroup"},
            {"type", "cgroup"},
            {"source", "cgroup"},
            {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}},
       })},
      {"linux",
       {
           {"resources",
            {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}}},
           {"namespaces", json::array({{{"type", "pid"}},
                                       {{"type", "network"}},
                                       {{"type", "ipc"}},
                                       {{"type", "uts"}},
                                       {{"type", "mount"}},
                                       {{"type", "cgroup"}}})},
           {"maskedPaths",
            {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
             "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
             "/proc/scsi"}},
           {"readonlyPaths",
            {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
       }},
  };
  if (!rootless) return spec;

  // runc's specconv.ToRootless().
  json& linux = spec["linux"];
  json namespaces = json::array();
  for (const json& ns : linux["namespaces"]) {
    if (ns["type"] != "network" && ns["type"] != "user") namespaces.push_back(ns);
  }
  namespaces.push_back({{"type", "user"}});
  linux["namespaces"] = std::move(namespaces);
  linux["uidMappings"] = json::array({{{"containerID", 0}, {"hostID", uid}, {"size", 1}}});
  linux["gidMappings"] = json::array({{{"containerID", 0}, {"hostID", gid}, {"size", 1}}});
  json mounts = json::array();
  for (json m : spec["mounts"]) {
    if (m["destination"] == "/sys") {
      mounts.push_back({{"destination", "/sys"},
                        {"type", "none"},
                        {"source", "/sys"},
                        {"options", {"rbind", "nosuid", "noexec", "nodev", "ro"}}});
      continue;
    }
    if (m.contains("options")) {
      json options = json::array();
      for (const json& o : m["options"]) {
        const std::string s = o.get<std::string>();
        if (!absl::StartsWith(s, "gid=") && !absl::StartsWith(s, "uid=")) options.push_back(o);
      }
      m["options"] = std::move(options);
    }
    mounts.push_back(std::move(m));
  }
  spec["mounts"] = std::move(mounts);
  linux.erase("resources");
  return spec;
}

}  // namespace skiff::runtime
