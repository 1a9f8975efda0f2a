#pragma once
// Status helpers shared by every Skiff binary. Debian's Abseil (20220623) has
// absl::Status but no RETURN_IF_ERROR / ASSIGN_OR_RETURN; they live here once.

#include <cerrno>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#define SKIFF_CONCAT_INNER(a, b) a##b
#define SKIFF_CONCAT(a, b) SKIFF_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status skiff_status_ = (expr);           \
    if (!skiff_status_.ok()) return skiff_status_;   \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, F());` declares/assigns x or returns F()'s error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  SKIFF_ASSIGN_OR_RETURN_IMPL(SKIFF_CONCAT(skiff_sor_, __LINE__), lhs, expr)
#define SKIFF_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()

namespace skiff {

// An error in crun's style: "<what> `<target>`: <errno text>", with the
// absl code that matches errno (NotFound for ENOENT, ...).
absl::Status ErrnoError(int err, absl::string_view what, absl::string_view target = {});

// Same, reading errno.
inline absl::Status Errno(absl::string_view what, absl::string_view target = {}) {
  return ErrnoError(errno, what, target);
}

// Prefixes context to an error as it travels up: "creating cgroup: <msg>".
absl::Status Annotate(const absl::Status& s, absl::string_view context);

}  // namespace skiff
