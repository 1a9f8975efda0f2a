#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "runtime/cli/common.h"
#include "runtime/spec.h"

namespace skiff::runtime::cli {

int CmdSpec(const GlobalOptions& g, const Args& args) {
  ParsedFlags f;
  int rc;
  if (!ParseOrUsage("spec", "spec [--bundle path] [--rootless]",
                    "write a default config.json to the bundle",
                    {{"bundle", 'b', true, "directory to write config.json to (default: .)", "path"},
                     {"rootless", 0, false, "a spec for running without root"}},
                    args, &f, &rc))
    return rc;
  std::string path = absl::StrCat(f.Get("bundle", "."), "/config.json");
  std::string text =
      DefaultSpec(f.GetBool("rootless"), getuid(), getgid()).dump(8) + "\n";
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (!fd) {
    if (errno == EEXIST)
      return Fail(absl::AlreadyExistsError(
          absl::StrCat("File ", path, " exists. Remove it first")));
    return Fail(Errno("create", path));
  }
  if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return Fail(Errno("write", path));
  return 0;
}

}  // namespace skiff::runtime::cli
