// ResolveUser: docker's (runc libcontainer/user's) rules for "user[:group]"
// against the container's own /etc/passwd and /etc/group.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "manager/containers/spec_builder.h"

namespace skiff::manager {
namespace {

// runc refuses ids above INT32_MAX (they are -1 for many tools).
constexpr uint64_t kMaxId = 0x7fffffff;
// passwd/group files are small; a bigger one is hostile or broken.
constexpr off_t kMaxFileSize = 16 << 20;

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0, gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

// Reads <rootfs>/<rel> with every path component resolved inside the rootfs
// (RESOLVE_IN_ROOT: "..", absolute symlinks and magic links cannot leave
// it). A missing file is std::nullopt, as runc treats it (empty).
absl::StatusOr<std::optional<std::string>> ReadInRoot(const std::string& rootfs,
                                                      const std::string& rel) {
  UniqueFd root(open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return Errno("opening rootfs", rootfs);
  struct open_how how = {};
  // O_NONBLOCK: a FIFO planted at etc/passwd must not hang the daemon.
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const std::string shown = absl::StrCat(rootfs, "/", rel);
  int fd = static_cast<int>(syscall(SYS_openat2, root.get(), rel.c_str(), &how, sizeof how));
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return Errno("opening", shown);
  }
  UniqueFd file(fd);
  struct stat st;
  if (fstat(file.get(), &st) != 0) return Errno("stat", shown);
  if (!S_ISREG(st.st_mode))
    return absl::InvalidArgumentError(absl::StrCat("reading `", shown, "`: not a regular file"));
  if (st.st_size > kMaxFileSize)
    return absl::InvalidArgumentError(
        absl::StrCat("reading `", shown, "`: too large (", st.st_size, " bytes)"));
  std::string data;
  char buf[8192];
  for (;;) {
    ssize_t n = read(file.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("reading", shown);
    if (n == 0) break;
    data.append(buf, n);
    if (static_cast<off_t>(data.size()) > kMaxFileSize)
      return absl::InvalidArgumentError(absl::StrCat("reading `", shown, "`: too large"));
  }
  return std::optional<std::string>(std::move(data));
}

bool ParseId(absl::string_view s, uint32_t* out) {
  uint64_t v = 0;
  if (s.empty() || !absl::SimpleAtoi(s, &v) || v > kMaxId) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool IsNumeric(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Malformed lines are skipped, as libc and runc do.
std::vector<PasswdEntry> ParsePasswd(const std::string& text) {
  std::vector<PasswdEntry> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, ':');
    if (f.size() < 4) continue;
    PasswdEntry e;
    e.name = std::string(f[0]);
    if (!ParseId(f[2], &e.uid) || !ParseId(f[3], &e.gid)) continue;
    if (f.size() > 5) e.home = std::string(f[5]);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<GroupEntry> ParseGroup(const std::string& text) {
  std::vector<GroupEntry> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, ':');
    if (f.size() < 3) continue;
    GroupEntry e;
    e.name = std::string(f[0]);
    if (!ParseId(f[2], &e.gid)) continue;
    if (f.size() > 3) {
      for (absl::string_view m : absl::StrSplit(f[3], ',', absl::SkipEmpty()))
        e.members.emplace_back(m);
    }
    out.push_back(std::move(e));
  }
  return out;
}

absl::Status RangeError(absl::string_view what, absl::string_view value) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " ", value, ": uids and gids must be in range 0-", kMaxId));
}

const GroupEntry* FindGroup(const std::vector<GroupEntry>& groups, absl::string_view spec) {
  const bool numeric = IsNumeric(spec);
  for (const GroupEntry& g : groups) {
    if (g.name == spec) return &g;
    if (numeric && absl::StrCat(g.gid) == spec) return &g;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<ResolvedUser> ResolveUser(const std::string& rootfs, const std::string& user,
                                         const std::vector<std::string>& group_add) {
  std::optional<std::string> passwd_text, group_text;
  { ASSIGN_OR_RETURN(passwd_text, ReadInRoot(rootfs, "etc/passwd")); }
  { ASSIGN_OR_RETURN(group_text, ReadInRoot(rootfs, "etc/group")); }
  const std::vector<PasswdEntry> passwd = ParsePasswd(passwd_text.value_or(""));
  const std::vector<GroupEntry> groups = ParseGroup(group_text.value_or(""));

  const size_t colon = user.find(':');
  const bool group_given = colon != std::string::npos;
  const std::string group_part = group_given ? user.substr(colon + 1) : std::string();
  // "" and ":group" mean root.
  const std::string user_part =
      colon == 0 || user.empty() ? std::string(1, '0') : user.substr(0, colon);

  ResolvedUser out;
  const PasswdEntry* entry = nullptr;
  const bool numeric_user = IsNumeric(user_part);
  for (const PasswdEntry& e : passwd) {
    if (e.name == user_part || (numeric_user && absl::StrCat(e.uid) == user_part)) {
      entry = &e;
      break;
    }
  }
  if (entry != nullptr) {
    out.uid = entry->uid;
    out.gid = entry->gid;
    if (!entry->home.empty()) out.home = entry->home;
  } else if (numeric_user) {
    if (!ParseId(user_part, &out.uid)) return RangeError("user", user_part);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unable to find user ", user_part, ": no matching entries in passwd file"));
  }

  if (group_given && !group_part.empty()) {
    if (const GroupEntry* g = FindGroup(groups, group_part)) {
      out.gid = g->gid;
    } else if (IsNumeric(group_part)) {
      if (!ParseId(group_part, &out.gid)) return RangeError("group", group_part);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unable to find group ", group_part, ": no matching entries in group file"));
    }
  } else if (entry != nullptr) {
    // Without an explicit group, the user's memberships become the
    // supplementary groups.
    for (const GroupEntry& g : groups) {
      if (std::find(g.members.begin(), g.members.end(), entry->name) != g.members.end())
        out.additional_gids.push_back(g.gid);
    }
  }

  for (const std::string& extra : group_add) {
    uint32_t gid = 0;
    if (const GroupEntry* g = FindGroup(groups, extra)) {
      gid = g->gid;
    } else if (IsNumeric(extra)) {
      if (!ParseId(extra, &gid)) return RangeError("group", extra);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--group-add: unable to find group ", extra,
                                                     ": no matching entries in group file"));
    }
    if (std::find(out.additional_gids.begin(), out.additional_gids.end(), gid) ==
        out.additional_gids.end())
      out.additional_gids.push_back(gid);
  }
  return out;
}

}  // namespace skiff::manager
