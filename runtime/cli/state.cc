#include <cstdio>

#include "runtime/cli/common.h"
#include "runtime/state.h"

namespace skiff::runtime::cli {

int CmdState(const GlobalOptions& g, const Args& args) {
  ParsedFlags f;
  int rc;
  if (!ParseOrUsage("state", "state <container-id>", "print the container's state as JSON", {},
                    args, &f, &rc))
    return rc;
  std::string id;
  if (!OneId("state", f, &id, &rc)) return rc;
  StateDir dir(g.root, id);
  auto st = dir.Load();
  if (!st.ok()) return Fail(st.status());
  printf("%s\n", OciStateJson(*st, CurrentStatus(*st, dir)).dump(2).c_str());
  return 0;
}

}  // namespace skiff::runtime::cli
