#pragma once
// Flag parsing as the image, registry and system commands share it (the
// container commands have their own, with argument counts:
// container_common.h).

#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/flags.h"

namespace skiff::cli {

// Parses `args`; on --help prints it. Returns -1 to go on (the positional
// arguments in `pos`), else the exit code: 0 after --help, 125 for a bad flag.
int ParseFlags(Context& ctx, FlagSet& fs, const std::string& cmd,
               const std::vector<std::string>& args, std::vector<std::string>* pos);

// "\"skiff tag\" requires exactly 2 arguments." as cobra says it; exit 1.
int ArgCountError(Context& ctx, const std::string& cmd, const std::string& requirement);

}  // namespace skiff::cli
