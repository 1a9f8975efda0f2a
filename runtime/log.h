#pragma once
// ocirun's diagnostics. Errors always reach stderr; with --log they are also
// appended to that file, as text or, with --log-format json, as runc's JSON
// lines ({"level":"error","msg":"...","time":"..."}), which containerd and
// conmon read to explain a failed create.

#include <string>

#include "absl/strings/string_view.h"

namespace skiff::runtime {

void LogSetup(const std::string& path, bool json, bool debug);
void LogError(absl::string_view msg);
void LogWarning(absl::string_view msg);
void LogDebug(absl::string_view msg);

}  // namespace skiff::runtime
