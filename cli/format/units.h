#pragma once
// How docker prints sizes and times in tables (github.com/docker/go-units).

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace skiff::cli {

// go-units HumanDuration: "Less than a second", "1 second", "5 seconds",
// "About a minute", "5 minutes", "About an hour", "3 hours", "2 days",
// "3 weeks", "4 months", "2 years".
std::string HumanDuration(absl::Duration d);
// go-units HumanSize (decimal, 4 significant digits, trailing zeros kept as
// docker prints them): 0 -> "0B", 1234 -> "1.234kB", 4400000 -> "4.4MB".
std::string HumanSize(int64_t bytes);
// "Up 5 minutes", "Up 5 minutes (Paused)", "Exited (0) 3 seconds ago",
// "Created", "Restarting (1) 2 seconds ago", "Removal In Progress", "Dead".
std::string ContainerStatusText(const std::string& status, int exit_code, absl::Time started_at,
                                absl::Time finished_at, absl::Time now);

}  // namespace skiff::cli
