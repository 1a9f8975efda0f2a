#include "manager/metadata/records.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace skiff::manager {
namespace {

constexpr std::pair<ContainerState, absl::string_view> kStateNames[] = {
    {ContainerState::kCreated, "created"},       {ContainerState::kRunning, "running"},
    {ContainerState::kPaused, "paused"},         {ContainerState::kRestarting, "restarting"},
    {ContainerState::kRemoving, "removing"},     {ContainerState::kExited, "exited"},
    {ContainerState::kDead, "dead"},
};

}  // namespace

absl::string_view ContainerStateName(ContainerState state) {
  for (const auto& [s, name] : kStateNames) {
    if (s == state) return name;
  }
  return "unknown";
}

absl::StatusOr<ContainerState> ParseContainerState(absl::string_view name) {
  for (const auto& [s, n] : kStateNames) {
    if (n == name) return s;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown container state \"", name,
      "\" (expected created, running, paused, restarting, removing, exited or dead)"));
}

}  // namespace skiff::manager
