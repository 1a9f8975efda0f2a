#pragma once
// Reading a container's log as skiff-shim writes it (CRI format, rotated
// files log, log.1, ... oldest last; docs/skiff-shim.md) for `skiff logs`:
// the recorded output, filtered by stream, time and tail, then optionally
// following the file across rotations.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace skiff::manager {

struct LogRecord {
  absl::Time time;
  bool is_stderr = false;
  bool partial = false;  // content continues in the next record of its stream
  std::string content;   // without the newline of a full line
};

// One line of the file; InvalidArgument for a malformed one.
absl::StatusOr<LogRecord> ParseLogLine(absl::string_view line);

struct LogQuery {
  bool want_stdout = true;
  bool want_stderr = true;
  std::optional<absl::Time> since;
  std::optional<absl::Time> until;
  // Last N lines (a line: its partial records and the full one); -1 = all.
  int64_t tail = -1;
};

// Sink for records; returning false stops reading (the client went away).
using LogSink = std::function<bool(const LogRecord&)>;

class LogFollower {
 public:
  // `path` is the current log; rotated files are path.1 ... path.<max-1>.
  explicit LogFollower(std::string path, int max_files = 3)
      : path_(std::move(path)), max_files_(max_files) {}

  // Sends what is recorded now (all files, oldest first) through the query.
  // Malformed lines are skipped. Returns false if the sink stopped.
  absl::StatusOr<bool> ReadExisting(const LogQuery& q, const LogSink& sink);

  // After ReadExisting: sends records appended since, following rotations,
  // until `keep_going()` is false and the file has no more data (checked
  // every `poll`), or the sink stops.
  absl::Status Follow(const LogQuery& q, const LogSink& sink,
                      const std::function<bool()>& keep_going,
                      absl::Duration poll = absl::Milliseconds(100));

 private:
  std::string path_;
  int max_files_;
  // Where ReadExisting stopped in the current file.
  ino_t inode_ = 0;
  off_t offset_ = 0;
};

}  // namespace skiff::manager
