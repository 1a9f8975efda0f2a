#pragma once
// Plumbing shared by the verbs: flag parsing with --help, the one way an
// error is reported, and the container-id argument.

#include <string>

#include "absl/status/status.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/flags.h"

namespace skiff::runtime::cli {

// Parses `args`; on --help prints usage and sets *exit_code = 0; on a bad
// flag reports it and sets *exit_code = 1. Returns false when the command
// should stop. `stop_at_positional`: flags end at the first argument (exec:
// the command's own flags follow the container id).
bool ParseOrUsage(const char* verb, const char* usage_line, const char* description,
                  std::vector<FlagDef> defs, const Args& args, ParsedFlags* out, int* exit_code,
                  bool stop_at_positional = false);

// Logs the error (stderr and --log) and returns 1.
int Fail(const absl::Status& st);

// `path` made absolute against the current directory (for --pid-file,
// which is written after ocirun may have changed directory).
std::string AbsolutePath(const std::string& path);

// Requires exactly one positional argument, the container id.
bool OneId(const char* verb, const ParsedFlags& f, std::string* id, int* exit_code);

}  // namespace skiff::runtime::cli
