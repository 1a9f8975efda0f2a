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
// go-units HumanSize (decimal units, 4 significant digits, %g-style so
// trailing zeros drop): 0 -> "0B", 1234 -> "1.234kB", 4400000 -> "4.4MB".
std::string HumanSize(int64_t bytes);
// go-units HumanSizeWithPrecision: "%.<precision>g" of the size in decimal
// units (B kB MB GB TB PB EB ZB YB). docker ps and docker images print sizes
// with precision 3: 1234 -> "1.23kB", 187654321 -> "188MB".
std::string HumanSizeWithPrecision(double bytes, int precision);
// moby's container State.String(), from docker's status names:
// running "Up 5 minutes", paused "Up 5 minutes (Paused)", restarting
// "Restarting (1) 2 seconds ago", removing "Removal In Progress", dead
// "Dead", created "Created", exited "Exited (0) 3 seconds ago" ("Created" if
// it never started). A time at or before the Unix epoch counts as unset
// (a zero protobuf Timestamp). An unknown status is returned unchanged.
std::string ContainerStatusText(const std::string& status, int exit_code, absl::Time started_at,
                                absl::Time finished_at, absl::Time now);

}  // namespace skiff::cli
