#include "runtime/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/state.h"

namespace skiff::runtime {

namespace {
int g_fd = -1;
bool g_json = false;
bool g_debug = false;

void Emit(const char* level, absl::string_view msg, bool to_stderr) {
  if (to_stderr) {
    std::string line = absl::StrCat("ocirun: ", std::string(level) == "error" ? "" : level,
                                    std::string(level) == "error" ? "" : ": ", msg, "\n");
    (void)!write(2, line.data(), line.size());
  }
  if (g_fd < 0) return;
  std::string out;
  if (g_json) {
    out = nlohmann::json{{"level", level}, {"msg", std::string(msg)}, {"time", NowRfc3339()}}
              .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += "\n";
  } else {
    out = absl::StrCat("time=\"", NowRfc3339(), "\" level=", level, " msg=\"", absl::CHexEscape(msg), "\"\n");
  }
  (void)!write(g_fd, out.data(), out.size());
}
}  // namespace

void LogSetup(const std::string& path, bool json, bool debug) {
  g_json = json;
  g_debug = debug;
  if (!path.empty()) g_fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

void LogError(absl::string_view msg) { Emit("error", msg, true); }
void LogWarning(absl::string_view msg) { Emit("warning", msg, true); }
void LogDebug(absl::string_view msg) {
  if (g_debug) Emit("debug", msg, g_fd < 0);
}

}  // namespace skiff::runtime
