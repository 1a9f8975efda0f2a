// logs: a container's recorded and (with -f) live output.

#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/commands/container_common.h"

namespace skiff::cli::container {

namespace v1 = ::skiff::v1;

namespace {

void SetTimestamp(google::protobuf::Timestamp* ts, absl::Time t) {
  int64_t secs = absl::ToUnixSeconds(t);
  ts->set_seconds(secs);
  ts->set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(secs)) / absl::Nanoseconds(1)));
}

}  // namespace

int Logs(Context& ctx, const std::vector<std::string>& args) {
  bool follow = false, timestamps = false, details = false;
  std::string tail = "all", since, until;
  FlagSet fs("skiff logs [OPTIONS] CONTAINER", "Fetch the logs of a container");
  fs.Bool("follow", 'f', &follow, "Follow log output");
  fs.String("tail", 'n', &tail, "Number of lines to show from the end of the logs");
  fs.String("since", 0, &since,
            "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\")");
  fs.String(
      "until", 0, &until,
      "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\")");
  fs.Bool("timestamps", 't', &timestamps, "Show timestamps");
  fs.Bool("details", 0, &details, "Show extra details provided to logs");
  int exit = 0;
  auto refs = Parse(ctx, fs, "logs", args, &exit, 1, 1);
  if (!refs) return exit;

  v1::LogsRequest req;
  req.set_id((*refs)[0]);
  req.set_follow(follow);
  if (tail != "all" && !tail.empty()) {
    int64_t n;
    if (!absl::SimpleAtoi(tail, &n) || n < 0) {
      return ctx.UsageError("logs",
                            absl::StrCat("invalid value for \"tail\": \"", tail,
                                         "\": expected a number of lines or \"all\""),
                            125);
    }
    req.set_tail(n);
  }
  absl::Time now = absl::Now();
  // mutable_since()/mutable_until() would set the field: only for a given flag.
  for (auto [name, text] : {std::pair{"since", &since}, std::pair{"until", &until}}) {
    if (text->empty()) continue;
    auto t = ParseTimestamp(*text, now);
    if (!t.ok()) {
      return ctx.UsageError(
          "logs", absl::StrCat("invalid value for \"", name, "\": ", t.status().message()), 125);
    }
    SetTimestamp(std::string(name) == "since" ? req.mutable_since() : req.mutable_until(), *t);
  }

  grpc::ClientContext c;
  auto stream = ctx.containers().Logs(&c, req);
  v1::LogsResponse resp;
  while (stream->Read(&resp)) {
    std::ostream& os = resp.frame().stream() == v1::STD_STREAM_STDERR ? ctx.err() : ctx.out();
    if (timestamps) {
      absl::Time t =
          absl::FromUnixSeconds(resp.time().seconds()) + absl::Nanoseconds(resp.time().nanos());
      // docker's RFC3339NanoFixed: always nine fraction digits.
      os << absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ ", t, absl::UTCTimeZone());
    }
    os << resp.frame().data();
    if (follow) os.flush();
  }
  ctx.out().flush();
  ctx.err().flush();
  grpc::Status s = stream->Finish();
  if (!s.ok()) return ctx.Fail(s);
  return 0;
}

}  // namespace skiff::cli::container
