#include "runtime/cli/common.h"
#include "runtime/container.h"

namespace skiff::runtime::cli {

std::vector<FlagDef> CreateFlags();
absl::StatusOr<CreateOptions> CreateOptionsFrom(const GlobalOptions& g, const ParsedFlags& f,
                                                const std::string& id);

int CmdRun(const GlobalOptions& g, const Args& args) {
  std::vector<FlagDef> defs = CreateFlags();
  defs.push_back({"detach", 'd', false, "detach from the container's process"});
  ParsedFlags f;
  int rc;
  if (!ParseOrUsage("run", "run [command options] <container-id>",
                    "create and start a container; wait for it and exit with its status", defs,
                    args, &f, &rc))
    return rc;
  std::string id;
  if (!OneId("run", f, &id, &rc)) return rc;
  auto opts = CreateOptionsFrom(g, f, id);
  if (!opts.ok()) return Fail(opts.status());
  auto r = Create(*opts, f.GetBool("detach") ? CreateMode::kRunDetached : CreateMode::kRun);
  if (!r.ok()) return Fail(r.status());
  return *r;
}

}  // namespace skiff::runtime::cli
