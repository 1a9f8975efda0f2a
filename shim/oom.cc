#include "shim/oom.h"

#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace skiff::shim {

std::optional<std::string> OomFileFromProcCgroup(absl::string_view text, bool prefer_v2) {
  std::optional<std::string> v1, v2;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    // hierarchy-ID:controller-list:path
    size_t a = line.find(':');
    if (a == absl::string_view::npos) continue;
    size_t b = line.find(':', a + 1);
    if (b == absl::string_view::npos) continue;
    absl::string_view ctrls = line.substr(a + 1, b - a - 1);
    absl::string_view path = line.substr(b + 1);
    if (path.empty() || path[0] != '/') continue;
    std::string rel(path == "/" ? "" : path.substr(1));
    if (ctrls.empty() && line.substr(0, a) == "0") {
      v2 = rel.empty() ? "memory.events" : absl::StrCat(rel, "/memory.events");
      continue;
    }
    for (absl::string_view c : absl::StrSplit(ctrls, ',')) {
      if (c == "memory")
        v1 = rel.empty() ? "memory/memory.oom_control"
                         : absl::StrCat("memory/", rel, "/memory.oom_control");
    }
  }
  if (prefer_v2 && v2) return v2;
  if (v1) return v1;
  return v2;
}

std::optional<uint64_t> ParseOomKill(absl::string_view text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, "oom_kill ")) {
      uint64_t v;
      if (absl::SimpleAtoi(line, &v)) return v;
    }
  }
  return std::nullopt;
}

static std::optional<std::string> ReadFd(int fd) {
  char buf[512];
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n < 0) return std::nullopt;
  return std::string(buf, n);
}

OomCounter OomCounter::ForPid(pid_t pid, const std::string& root) {
  OomCounter c;
  std::string proc = absl::StrCat("/proc/", pid, "/cgroup");
  int pfd = open(proc.c_str(), O_RDONLY | O_CLOEXEC);
  if (pfd < 0) return c;
  char buf[4096];
  ssize_t n = read(pfd, buf, sizeof buf);
  close(pfd);
  if (n <= 0) return c;
  // Try v1 first (hybrid hosts keep memory in v1), then v2.
  for (bool v2 : {false, true}) {
    auto rel = OomFileFromProcCgroup(absl::string_view(buf, n), v2);
    if (!rel) continue;
    std::string path = absl::StrCat(root, "/", *rel);
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) continue;
    auto text = ReadFd(fd.get());
    if (!text || !ParseOomKill(*text)) continue;
    c.fd_ = std::move(fd);
    c.path_ = path;
    return c;
  }
  return c;
}

uint64_t OomCounter::Count() const {
  if (!fd_) return 0;
  auto text = ReadFd(fd_.get());
  if (!text) return 0;
  return ParseOomKill(*text).value_or(0);
}

}  // namespace skiff::shim
