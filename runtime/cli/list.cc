
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "runtime/cli/common.h"
#include "runtime/state.h"

namespace skiff::runtime::cli {

namespace {
// The user's name from /etc/passwd, read directly: ocirun is linked
// statically, where glibc's NSS lookups would need its shared libraries.
std::string UserName(uid_t uid) {
  auto passwd = ReadFile("/etc/passwd");
  if (passwd.ok()) {
    std::string want = absl::StrCat(uid);
    for (absl::string_view line : absl::StrSplit(*passwd, '\n')) {
      std::vector<absl::string_view> f = absl::StrSplit(line, ':');
      if (f.size() >= 3 && f[2] == want) return std::string(f[0]);
    }
  }
  return absl::StrCat("#", uid);
}
}  // namespace

int CmdList(const GlobalOptions& g, const Args& args) {
  ParsedFlags f;
  int rc;
  if (!ParseOrUsage("list", "list [--format table|json] [-q]", "list the containers under --root",
                    {{"format", 'f', true, "table or json", "table|json"},
                     {"quiet", 'q', false, "print only the container ids"}},
                    args, &f, &rc))
    return rc;
  std::string format = f.Get("format", "table");
  if (format != "table" && format != "json")
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("list: invalid --format \"", format, "\": use table or json")));
  std::vector<std::vector<std::string>> rows;
  nlohmann::json arr = nlohmann::json::array();
  for (const std::string& id : ListIds(g.root)) {
    StateDir dir(g.root, id);
    auto st = dir.Load();
    if (!st.ok()) continue;
    Status s = CurrentStatus(*st, dir);
    if (f.GetBool("quiet")) {
      printf("%s\n", id.c_str());
      continue;
    }
    std::string owner = UserName(st->owner);
    pid_t pid = s == Status::kStopped ? 0 : st->pid;
    if (format == "json") {
      nlohmann::json j = OciStateJson(*st, s);
      j["owner"] = owner;
      arr.push_back(j);
    } else {
      rows.push_back({id, absl::StrCat(pid), StatusName(s), st->bundle, st->created, owner});
    }
  }
  if (f.GetBool("quiet")) return 0;
  if (format == "json") {
    printf("%s\n", arr.dump().c_str());
    return 0;
  }
  std::vector<std::string> head = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
  std::vector<size_t> w(head.size());
  for (size_t i = 0; i < head.size(); ++i) w[i] = head[i].size();
  for (auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
  auto print = [&](const std::vector<std::string>& r) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(w[i] - r[i].size() + 3, ' ');
    }
    printf("%s\n", line.c_str());
  };
  print(head);
  for (auto& r : rows) print(r);
  return 0;
}

}  // namespace skiff::runtime::cli
