#include "runtime/cli/common.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "runtime/log.h"

namespace skiff::runtime::cli {

bool ParseOrUsage(const char* verb, const char* usage_line, const char* description,
                  std::vector<FlagDef> defs, const Args& args, ParsedFlags* out, int* exit_code,
                  bool stop_at_positional) {
  defs.push_back({"help", 'h', false, "show help"});
  FlagSet fs(defs);
  auto parsed = fs.Parse(args, stop_at_positional);
  if (!parsed.ok()) {
    LogError(absl::StrCat(verb, ": ", parsed.status().message(), " (see `ocirun ", verb,
                          " --help`)"));
    *exit_code = 1;
    return false;
  }
  if (parsed->GetBool("help")) {
    printf("NAME:\n   ocirun %s - %s\n\nUSAGE:\n   ocirun %s\n\nOPTIONS:\n%s", verb, description,
           usage_line, fs.Usage().c_str());
    *exit_code = 0;
    return false;
  }
  *out = std::move(*parsed);
  return true;
}

std::string AbsolutePath(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[4096];
  return getcwd(cwd, sizeof cwd) ? absl::StrCat(cwd, "/", path) : path;
}

int Fail(const absl::Status& st) {
  LogError(st.message());
  return 1;
}

bool OneId(const char* verb, const ParsedFlags& f, std::string* id, int* exit_code) {
  if (f.positional.size() != 1) {
    LogError(absl::StrCat(verb, ": requires exactly 1 argument, the container id (got ",
                          f.positional.size(), ")"));
    *exit_code = 1;
    return false;
  }
  *id = f.positional[0];
  return true;
}

}  // namespace skiff::runtime::cli
