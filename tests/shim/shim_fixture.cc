#include "tests/shim/shim_fixture.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace skiff::itest {

std::string ShimPath() {
  const char* v = getenv("SKIFF_SHIM");
  if (v && *v) return v;
  const char* srcdir = getenv("TEST_SRCDIR");
  return std::string(srcdir ? srcdir : ".") + "/skiff/shim/skiff-shim";
}

std::vector<LogRecord> ParseCriLog(const std::string& text) {
  std::vector<LogRecord> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      ADD_FAILURE() << "log does not end with a newline: `" << text.substr(pos) << "`";
      break;
    }
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    size_t a = line.find(' '), b = line.find(' ', a + 1), c = line.find(' ', b + 1);
    if (a != 30 || b == std::string::npos || c == std::string::npos) {
      ADD_FAILURE() << "bad log line: `" << line << "`";
      continue;
    }
    LogRecord r{line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1, c - b - 1),
                line.substr(c + 1)};
    const std::string& t = r.time;  // 2026-11-28T06:04:05.123456789Z
    bool time_ok = t.size() == 30 && t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' &&
                   t[16] == ':' && t[19] == '.' && t[29] == 'Z';
    if (!time_ok || (r.stream != "stdout" && r.stream != "stderr") ||
        (r.tag != "F" && r.tag != "P")) {
      ADD_FAILURE() << "bad log line: `" << line << "`";
      continue;
    }
    out.push_back(r);
  }
  return out;
}

std::vector<std::string> StreamLines(const std::vector<LogRecord>& records,
                                     const std::string& stream) {
  std::vector<std::string> lines;
  std::string cur;
  bool open = false;
  for (const auto& r : records) {
    if (r.stream != stream) continue;
    cur += r.content;
    open = true;
    if (r.tag == "F") {
      lines.push_back(cur);
      cur.clear();
      open = false;
    }
  }
  if (open) lines.push_back(cur + "<partial>");
  return lines;
}

std::vector<std::pair<pid_t, char>> ChildrenOf(pid_t parent) {
  std::vector<std::pair<pid_t, char>> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (struct dirent* e = readdir(d)) {
    pid_t pid = atoi(e->d_name);
    if (pid <= 0) continue;
    std::string stat = ReadFileOr("/proc/" + std::string(e->d_name) + "/stat");
    size_t rp = stat.rfind(')');
    if (rp == std::string::npos || rp + 4 > stat.size()) continue;
    char state = stat[rp + 2];
    pid_t ppid = atoi(stat.c_str() + rp + 4);
    if (ppid == parent) out.emplace_back(pid, state);
  }
  closedir(d);
  return out;
}

std::vector<pid_t> ShimsFor(const std::string& state_dir) {
  std::vector<pid_t> out;
  std::string needle = std::string("--state-dir") + '\0' + state_dir + '\0';
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (struct dirent* e = readdir(d)) {
    pid_t pid = atoi(e->d_name);
    if (pid <= 0) continue;
    std::string cmd = ReadFileOr("/proc/" + std::string(e->d_name) + "/cmdline");
    if (cmd.find(needle) != std::string::npos && ProcessAlive(pid)) out.push_back(pid);
  }
  closedir(d);
  return out;
}

void ShimTest::SetUp() {
  RuntimeTest::SetUp();
  if (IsSkipped()) return;
  if (access(ShimPath().c_str(), X_OK) != 0)
    GTEST_SKIP() << "skiff-shim not found: " << ShimPath() << " (set SKIFF_SHIM)";
}

void ShimTest::TearDown() {
  for (pid_t p : shims_) {
    if (!WaitShimGone(p, milliseconds(10000))) {
      ADD_FAILURE() << "skiff-shim " << p << " still running at the end of the test; killing it";
      kill(p, SIGKILL);
      WaitShimGone(p, milliseconds(2000));
    }
  }
  shims_.clear();
  for (const std::string& dir : state_dirs_) {
    // A shim that failed its create exits just after its handshake.
    WaitFor([&] { return ShimsFor(dir).empty(); }, milliseconds(5000));
    for (pid_t p : ShimsFor(dir)) {
      ADD_FAILURE() << "skiff-shim " << p << " of " << dir << " still running; killing it";
      kill(p, SIGKILL);
    }
  }
  state_dirs_.clear();
  dirs_.clear();
}

std::string ShimTest::TempPath(const std::string& name) {
  dirs_.push_back(std::make_unique<TempDir>("skiff-shim"));
  return *dirs_.back() / name;
}

shim::Options ShimTest::Opts(const std::string& id) {
  shim::Options o;
  o.id = id;
  o.state_dir = TempPath("state");
  state_dirs_.push_back(o.state_dir);
  o.runtime.binary = rt().binary();
  o.runtime.root = rt().root();
  // Defaults inside the state dir, as the shim would pick them.
  o.log_path = o.state_dir + "/container.log";
  o.exit_file = o.state_dir + "/exit";
  o.attach_socket = o.state_dir + "/attach.sock";
  o.control_socket = o.state_dir + "/control.sock";
  o.shim_log = o.state_dir + "/shim.log";
  return o;
}

absl::StatusOr<shim::Launched> ShimTest::Launch(Bundle& b, const shim::Options& opts) {
  b.Write();
  shim::Options o = opts;
  o.bundle = b.dir();
  auto l = shim::LaunchShim(ShimPath(), o, absl::Seconds(30));
  if (l.ok()) shims_.push_back(l->shim_pid);
  return l;
}

shim::Launched ShimTest::LaunchAndStart(Bundle& b, const shim::Options& o, Container& c) {
  auto l = Launch(b, o);
  EXPECT_TRUE(l.ok()) << l.status() << "\nshim.log:\n" << ReadFileOr(o.shim_log);
  if (!l.ok()) return {};
  RunResult r = c.Start();
  EXPECT_TRUE(r.ok()) << r.Describe();
  return *l;
}

std::optional<json> ShimTest::WaitExit(const std::string& path, milliseconds timeout) {
  if (!WaitFor([&] { return PathExists(path); }, timeout)) return std::nullopt;
  try {
    return json::parse(ReadFileOr(path));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "exit file " << path << " is not JSON: " << e.what();
    return std::nullopt;
  }
}

bool ShimTest::WaitShimGone(pid_t shim, milliseconds timeout) {
  return WaitFor([&] { return !ProcessAlive(shim); }, timeout);
}

std::string ShimTest::WriteProcess(Bundle& b, const std::string& dir, const std::string& name,
                                   const std::vector<std::string>& args, bool terminal) {
  json p = b.config()["process"];
  p["args"] = args;
  p["terminal"] = terminal;
  std::string path = dir + "/" + name;
  WriteFile(path, p.dump());
  return path;
}

}  // namespace skiff::itest
