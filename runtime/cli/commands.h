#pragma once
// ocirun's verbs. Each lives in its own file (cli/<verb>.cc), parses its own
// flags and returns the process exit status; main.cc only dispatches.

#include <string>
#include <vector>

namespace skiff::runtime::cli {

struct GlobalOptions {
  std::string root = "/run/ocirun";
  std::string log;
  std::string log_format = "text";
  bool debug = false;
  bool systemd_cgroup = false;
};

using Args = std::vector<std::string>;

// `ocirun --version` and `features`' io.skiff.ocirun.version.
inline constexpr char kVersion[] = "0.1.0";

int CmdCreate(const GlobalOptions& g, const Args& args);
int CmdStart(const GlobalOptions& g, const Args& args);
int CmdRun(const GlobalOptions& g, const Args& args);
int CmdState(const GlobalOptions& g, const Args& args);
int CmdKill(const GlobalOptions& g, const Args& args);
int CmdDelete(const GlobalOptions& g, const Args& args);
int CmdList(const GlobalOptions& g, const Args& args);
int CmdSpec(const GlobalOptions& g, const Args& args);
int CmdExec(const GlobalOptions& g, const Args& args);
int CmdUpdate(const GlobalOptions& g, const Args& args);
int CmdPause(const GlobalOptions& g, const Args& args);
int CmdResume(const GlobalOptions& g, const Args& args);  // in pause.cc
int CmdPs(const GlobalOptions& g, const Args& args);
int CmdEvents(const GlobalOptions& g, const Args& args);
int CmdFeatures(const GlobalOptions& g, const Args& args);

}  // namespace skiff::runtime::cli
