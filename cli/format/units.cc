#include "cli/format/units.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace skiff::cli {

std::string HumanDuration(absl::Duration d) {
  int64_t seconds = absl::ToInt64Seconds(d);
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return absl::StrCat(seconds, " seconds");
  int64_t minutes = absl::ToInt64Minutes(d);
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return absl::StrCat(minutes, " minutes");
  // Hours round to nearest, as go-units does; the larger units truncate.
  double rounded = absl::ToDoubleHours(d) + 0.5;
  if (rounded >= 24.0 * 365 * 2) return absl::StrCat(absl::ToInt64Hours(d) / 24 / 365, " years");
  int64_t hours = static_cast<int64_t>(rounded);
  if (hours == 1) return "About an hour";
  if (hours < 48) return absl::StrCat(hours, " hours");
  if (hours < 24 * 7 * 2) return absl::StrCat(hours / 24, " days");
  if (hours < 24 * 30 * 2) return absl::StrCat(hours / 24 / 7, " weeks");
  if (hours < 24 * 365 * 2) return absl::StrCat(hours / 24 / 30, " months");
  return absl::StrCat(absl::ToInt64Hours(d) / 24 / 365, " years");
}

std::string HumanSizeWithPrecision(double bytes, int precision) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  constexpr int kLast = sizeof(kUnits) / sizeof(kUnits[0]) - 1;
  int i = 0;
  while (bytes >= 1000.0 && i < kLast) {
    bytes /= 1000.0;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, bytes);
  return absl::StrCat(buf, kUnits[i]);
}

std::string HumanSize(int64_t bytes) { return HumanSizeWithPrecision(static_cast<double>(bytes), 4); }

std::string ContainerStatusText(const std::string& status, int exit_code, absl::Time started_at,
                                absl::Time finished_at, absl::Time now) {
  auto unset = [](absl::Time t) { return t <= absl::UnixEpoch(); };
  if (status == "running") return absl::StrCat("Up ", HumanDuration(now - started_at));
  if (status == "paused") return absl::StrCat("Up ", HumanDuration(now - started_at), " (Paused)");
  if (status == "restarting") {
    return absl::StrCat("Restarting (", exit_code, ") ", HumanDuration(now - finished_at), " ago");
  }
  if (status == "removing") return "Removal In Progress";
  if (status == "dead") return "Dead";
  if (status == "created") return "Created";
  if (status == "exited") {
    if (unset(started_at)) return "Created";
    if (unset(finished_at)) return "";
    return absl::StrCat("Exited (", exit_code, ") ", HumanDuration(now - finished_at), " ago");
  }
  return status;
}

}  // namespace skiff::cli
