#include "runtime/cli/common.h"
#include "runtime/container.h"

namespace skiff::runtime::cli {

int CmdStart(const GlobalOptions& g, const Args& args) {
  ParsedFlags f;
  int rc;
  if (!ParseOrUsage("start", "start <container-id>",
                    "run the user-defined process of a created container", {}, args, &f, &rc))
    return rc;
  std::string id;
  if (!OneId("start", f, &id, &rc)) return rc;
  absl::Status st = Start(g.root, id);
  if (!st.ok()) return Fail(st);
  return 0;
}

}  // namespace skiff::runtime::cli
