#pragma once
// Pieces shared by the container verbs (cli/commands/container_*.cc): flag
// parsing with docker's usage errors, per-container loops, and the verbs'
// entry points that container_commands.cc registers.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/command.h"
#include "cli/flags.h"

namespace skiff::cli::container {

// Parses `args`; prints help (exit 0), a flag error ("unknown flag: --x" +
// "See 'skiff <cmd> --help'.", exit 125) or an argument-count error
// ("\"skiff <cmd>\" requires at least 1 argument.", exit 1) itself. Returns
// the positional arguments, or nullopt with `*exit` set.
std::optional<std::vector<std::string>> Parse(Context& ctx, FlagSet& fs, const std::string& cmd,
                                              const std::vector<std::string>& args, int* exit,
                                              size_t min_args, size_t max_args = SIZE_MAX,
                                              bool interspersed = true);

// Runs `op` on each reference: prints the reference on success (when
// `print_ok`), "Error response from daemon: ..." on failure; 1 if any failed.
int ForEach(Context& ctx, const std::vector<std::string>& refs,
            const std::function<grpc::Status(const std::string& ref)>& op, bool print_ok = true);

// The verbs.
int Run(Context& ctx, const std::vector<std::string>& args);
int Create(Context& ctx, const std::vector<std::string>& args);
int Start(Context& ctx, const std::vector<std::string>& args);
int Attach(Context& ctx, const std::vector<std::string>& args);
int Exec(Context& ctx, const std::vector<std::string>& args);
int Logs(Context& ctx, const std::vector<std::string>& args);
int Ps(Context& ctx, const std::vector<std::string>& args);
int Inspect(Context& ctx, const std::vector<std::string>& args);
int InspectContainer(Context& ctx, const std::vector<std::string>& args);

}  // namespace skiff::cli::container

namespace skiff::cli::container {

// docker's --since/--until values (timetypes.GetTimestamp): a Go duration
// before `now` ("10m", "1h30m"), a unix timestamp ("1700000000.5"), or an
// RFC 3339 date/time, with or without zone and seconds ("2024-01-02",
// "2024-01-02T15:04:05Z", "2024-01-02T15:04" in the local zone).
absl::StatusOr<absl::Time> ParseTimestamp(const std::string& text, absl::Time now,
                                          absl::TimeZone local = absl::LocalTimeZone());

}  // namespace skiff::cli::container
