#include "common/status.h"

#include <cstring>

namespace skiff {

absl::Status ErrnoError(int err, absl::string_view what, absl::string_view target) {
  std::string msg(what);
  if (!target.empty()) absl::StrAppend(&msg, " `", target, "`");
  absl::StrAppend(&msg, ": ", strerror(err));
  return absl::ErrnoToStatus(err, msg).code() == absl::StatusCode::kOk
             ? absl::UnknownError(msg)
             : absl::Status(absl::ErrnoToStatus(err, "").code(), msg);
}

absl::Status Annotate(const absl::Status& s, absl::string_view context) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(context, ": ", s.message()));
}

}  // namespace skiff
