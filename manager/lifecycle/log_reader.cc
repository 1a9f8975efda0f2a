#include "manager/lifecycle/log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace skiff::manager {

absl::StatusOr<LogRecord> ParseLogLine(absl::string_view line) {
  // <time> <stream> <tag> <content>
  size_t a = line.find(' ');
  if (a == absl::string_view::npos) return absl::InvalidArgumentError("log line without fields");
  size_t b = line.find(' ', a + 1);
  if (b == absl::string_view::npos) return absl::InvalidArgumentError("log line without stream");
  size_t c = line.find(' ', b + 1);
  absl::string_view tag = c == absl::string_view::npos ? line.substr(b + 1) : line.substr(b + 1, c - b - 1);
  LogRecord r;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(line.substr(0, a)), &r.time, &err)) {
    return absl::InvalidArgumentError(absl::StrCat("log line with a bad time: ", err));
  }
  absl::string_view stream = line.substr(a + 1, b - a - 1);
  if (stream == "stderr") {
    r.is_stderr = true;
  } else if (stream != "stdout") {
    return absl::InvalidArgumentError(absl::StrCat("log line with unknown stream ", stream));
  }
  if (tag == "P") {
    r.partial = true;
  } else if (tag != "F") {
    return absl::InvalidArgumentError(absl::StrCat("log line with unknown tag ", tag));
  }
  if (c != absl::string_view::npos) r.content = std::string(line.substr(c + 1));
  return r;
}

namespace {

bool Wanted(const LogQuery& q, const LogRecord& r) {
  if (r.is_stderr ? !q.want_stderr : !q.want_stdout) return false;
  if (q.since && r.time < *q.since) return false;
  if (q.until && r.time >= *q.until) return false;
  return true;
}

// Splits complete lines out of `buf`, leaving an unterminated tail.
template <typename F>
void ForEachLine(std::string& buf, F&& f) {
  size_t start = 0;
  for (;;) {
    size_t nl = buf.find('\n', start);
    if (nl == std::string::npos) break;
    f(absl::string_view(buf).substr(start, nl - start));
    start = nl + 1;
  }
  buf.erase(0, start);
}

}  // namespace

absl::StatusOr<bool> LogFollower::ReadExisting(const LogQuery& q, const LogSink& sink) {
  std::vector<LogRecord> records;
  for (int i = max_files_ - 1; i >= 0; --i) {
    std::string p = i == 0 ? path_ : absl::StrCat(path_, ".", i);
    UniqueFd fd(open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) continue;
      return Errno("cannot open the container log", p);
    }
    std::string buf, data;
    char chunk[65536];
    off_t consumed = 0;
    for (;;) {
      ssize_t n = read(fd.get(), chunk, sizeof chunk);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Errno("cannot read the container log", p);
      }
      if (n == 0) break;
      buf.append(chunk, n);
      size_t before = buf.size();
      ForEachLine(buf, [&](absl::string_view line) {
        auto r = ParseLogLine(line);
        if (r.ok() && Wanted(q, *r)) records.push_back(std::move(*r));
      });
      consumed += before - buf.size();
    }
    if (i == 0) {
      struct stat st;
      if (fstat(fd.get(), &st) == 0) inode_ = st.st_ino;
      offset_ = consumed;  // an unterminated last line is read again by Follow
    }
  }
  size_t first = 0;
  if (q.tail >= 0) {
    // Count lines from the end: a full record ends a line of its stream.
    int64_t lines = 0;
    first = records.size();
    while (first > 0) {
      const LogRecord& r = records[first - 1];
      if (!r.partial) {
        if (lines == q.tail) break;
        ++lines;
      }
      --first;
    }
  }
  for (size_t i = first; i < records.size(); ++i) {
    if (!sink(records[i])) return false;
  }
  return true;
}

absl::Status LogFollower::Follow(const LogQuery& q, const LogSink& sink,
                                 const std::function<bool()>& keep_going, absl::Duration poll) {
  UniqueFd fd(open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.valid()) {
    struct stat st;
    if (fstat(fd.get(), &st) == 0 && st.st_ino == inode_) {
      lseek(fd.get(), offset_, SEEK_SET);
    } else {
      inode_ = fd.valid() && fstat(fd.get(), &st) == 0 ? st.st_ino : 0;
    }
  }
  std::string buf;
  char chunk[65536];
  for (;;) {
    bool more = keep_going();
    bool got_any = false;
    if (fd.valid()) {
      for (;;) {
        ssize_t n = read(fd.get(), chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got_any = true;
        buf.append(chunk, n);
        bool stop = false;
        ForEachLine(buf, [&](absl::string_view line) {
          if (stop) return;
          auto r = ParseLogLine(line);
          if (r.ok() && Wanted(q, *r) && !sink(*r)) stop = true;
        });
        if (stop) return absl::OkStatus();
      }
    }
    // Rotated: the file at path_ is a new one. What was left in the old one
    // has just been read to its end.
    struct stat st;
    if (stat(path_.c_str(), &st) == 0 && st.st_ino != inode_) {
      UniqueFd next(open(path_.c_str(), O_RDONLY | O_CLOEXEC));
      if (next.valid()) {
        fd = std::move(next);
        inode_ = st.st_ino;
        buf.clear();
        continue;
      }
    }
    if (!got_any && !more) return absl::OkStatus();
    if (!got_any) absl::SleepFor(poll);
  }
}

}  // namespace skiff::manager
