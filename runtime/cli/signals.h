#pragma once
// Signal names and numbers as runc accepts them: "KILL", "SIGKILL", "kill",
// "9", "SIGRTMIN+3".

#include <string>

#include "absl/status/statusor.h"

namespace skiff::runtime::cli {

absl::StatusOr<int> ParseSignal(const std::string& s);

}  // namespace skiff::runtime::cli
