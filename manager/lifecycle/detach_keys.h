#pragma once
// Docker's detach keys: "ctrl-p,ctrl-q" (the default), "ctrl-a,x", any of
// a-z, @, [, \, ], ^, _ after "ctrl-", or single characters. The scanner
// holds back input that could be the start of the sequence, and passes it
// on when the sequence breaks, so a lone ctrl-p still reaches the program.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace skiff::manager {

// "" means the default; "none" means no detach keys (an empty sequence).
absl::StatusOr<std::string> ParseDetachKeys(absl::string_view spec);

class DetachScanner {
 public:
  explicit DetachScanner(std::string keys) : keys_(std::move(keys)) {}
  // Appends to `out` what may go to the program; true when the sequence was
  // completed (what followed it in `in` is dropped).
  bool Feed(absl::string_view in, std::string* out);

 private:
  std::string keys_;
  size_t matched_ = 0;
};

}  // namespace skiff::manager
