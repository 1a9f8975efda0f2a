#pragma once
// The container log: the CRI log format (what kubelet reads and containerd
// and conmon's k8s-file write), one record per line:
//
//   <time> <stream> <tag> <content>\n
//   2026-11-28T06:04:05.123456789Z stdout F hello world
//   2026-11-28T06:04:05.123456789Z stderr P a line without its newline yet
//
// - time: RFC 3339 in UTC with nine fraction digits (rfc3339.h), taken when
//   the record is written;
// - stream: "stdout" or "stderr" (a tty's output is stdout);
// - tag: "F" for a full line (its '\n' is not stored), "P" for a partial one:
//   the content continues in the stream's next record. A line longer than
//   kMaxLineBytes is cut into P records of kMaxLineBytes and a last F record;
//   bytes that end without a newline (the stream closed, or Flush()) become a
//   P record. Readers join P records with the next record of the same stream.
// - content: the bytes as the process wrote them, '\r' included.
//
// A partial line waits in the writer for its newline; the writer's owner
// decides when to give up waiting (Flush(); the shim does after 1 s, so a
// prompt shows in the log).
//
// Rotation by size: a record that would take the file past max_size (and is
// not the first in the file) first rotates: PATH.(N-2) -> PATH.(N-1), ...,
// PATH -> PATH.1, a new empty PATH. Records are never split across files and
// the renames happen between two writes, so no line is lost or torn. max_files
// counts PATH itself (default 3: PATH, PATH.1, PATH.2); max_size 0 disables.
//
//   ASSIGN_OR_RETURN(auto log, LogWriter::Open({.path = "/run/c/ctr.log"}));
//   log->Write(LogStream::kStdout, "partial ");
//   log->Write(LogStream::kStdout, "line\n");   // one F record "partial line"
//   log->Flush();

#include <time.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/unique_fd.h"

namespace skiff::shim {

enum class LogStream { kStdout = 0, kStderr = 1 };

inline constexpr size_t kMaxLineBytes = 16 * 1024;

struct LogOptions {
  std::string path;
  uint64_t max_size = 10 * 1024 * 1024;
  int max_files = 3;
};

class LogWriter {
 public:
  // Opens (appends to) path; a file that exists counts toward max_size.
  // max_files must be at least 2 when max_size is set.
  static absl::StatusOr<std::unique_ptr<LogWriter>> Open(const LogOptions& opts);

  // Splits data into records. Full lines are written at once; the rest waits
  // for its newline (or for kMaxLineBytes, or Flush()).
  void Write(LogStream stream, absl::string_view data);
  // Writes a stream's pending bytes as a P record.
  void Flush(LogStream stream);
  void Flush() {
    Flush(LogStream::kStdout);
    Flush(LogStream::kStderr);
  }
  // Whether the stream has bytes waiting for their newline.
  bool has_pending(LogStream stream) const { return !pending_[static_cast<int>(stream)].empty(); }

  // Opens PATH again (appending, creating it if missing) for the next
  // records: after an external rotator renamed the file, the writer goes on
  // in a new one. Pending partial lines stay pending. On failure the old file
  // stays in use and the error is returned.
  absl::Status Reopen();

  // The first write or rotation error, if any (the writer keeps going: a
  // later write may succeed once there is space again).
  const absl::Status& error() const { return error_; }
  uint64_t size() const { return size_; }

  // For tests: the clock used for record times.
  void set_clock(std::function<struct timespec()> clock) { clock_ = std::move(clock); }

 private:
  LogWriter(LogOptions opts, UniqueFd fd, uint64_t size)
      : opts_(std::move(opts)), fd_(std::move(fd)), size_(size) {}
  void AddRecord(LogStream s, bool partial, absl::string_view content);
  void Commit();  // writes out_
  void Rotate();
  void SetError(const absl::Status& st);

  LogOptions opts_;
  UniqueFd fd_;
  uint64_t size_;
  std::string pending_[2];  // bytes of an unfinished line, per stream
  std::string out_;         // records not yet written
  std::string stamp_;       // the time of the records being built
  absl::Status error_;
  std::function<struct timespec()> clock_;
};

}  // namespace skiff::shim
