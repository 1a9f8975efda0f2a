#pragma once
// `ocirun events`'s parsing and output format, apart from the verb for tests.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace skiff::runtime::cli {

// The --interval value: a Go duration as runc takes it ("5s", "250ms",
// "1m30s", "1.5s"); it must be positive.
absl::StatusOr<absl::Duration> ParseInterval(const std::string& s);

// One event line as runc prints it, fields in its order:
// {"type":"stats","id":"abc","data":{...}}; without data for "oom".
std::string EventLine(const std::string& type, const std::string& id,
                      const nlohmann::json* data = nullptr);

}  // namespace skiff::runtime::cli
