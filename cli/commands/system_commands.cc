// info, version and events (and their `system ...` names), laid out as
// docker prints them.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/command.h"
#include "cli/commands/parse_flags.h"
#include "cli/flags.h"
#include "cli/format/template.h"
#include "cli/render/rows.h"
#include "cli/render/system_text.h"

namespace skiff::cli {
namespace {

namespace v1 = ::skiff::v1;

using Args = std::vector<std::string>;

int NoArgs(Context& ctx, const std::string& cmd) {
  return ctx.UsageError(cmd, absl::StrCat("\"skiff ", cmd, "\" accepts no arguments."), 1);
}

int PrintFormatted(Context& ctx, const std::string& format, const nlohmann::json& data) {
  absl::StatusOr<std::string> text = RenderOne(format, data);
  if (!text.ok()) {
    ctx.err() << text.status().message() << "\n";
    return 1;
  }
  ctx.out() << *text;
  ctx.out().flush();
  return 0;
}

// ---- info

int Info(Context& ctx, const Args& args, const std::string& cmd) {
  std::string format;
  FlagSet fs(absl::StrCat("skiff ", cmd, " [OPTIONS]"), "Display system-wide information");
  fs.String("format", 'f', &format,
            "Format output using a custom template ('json', or a Go template)");
  Args pos;
  if (int rc = ParseFlags(ctx, fs, cmd, args, &pos); rc >= 0) return rc;
  if (!pos.empty()) return NoArgs(ctx, cmd);

  const ClientVersion client = ThisClient();
  grpc::ClientContext cctx;
  v1::InfoResponse info;
  grpc::Status st = ctx.system().Info(&cctx, v1::InfoRequest(), &info);
  if (!format.empty()) {
    if (!st.ok()) return ctx.Fail(st);
    return PrintFormatted(ctx, format, InfoJson(client, info));
  }
  ctx.out() << InfoClientText(client) << "\n";
  if (!st.ok()) {
    ctx.out() << "Server:\n";
    ctx.out().flush();
    return ctx.Fail(st);
  }
  ctx.out() << InfoServerText(info) << "\n";
  ctx.out().flush();
  // docker prints its warnings on stderr, after the report.
  ctx.err() << InfoWarningsText(info);
  ctx.err().flush();
  return 0;
}

// ---- version

int Version(Context& ctx, const Args& args, const std::string& cmd) {
  std::string format;
  FlagSet fs(absl::StrCat("skiff ", cmd, " [OPTIONS]"), "Show the skiff version information");
  fs.String("format", 'f', &format,
            "Format output using a custom template ('json', or a Go template)");
  Args pos;
  if (int rc = ParseFlags(ctx, fs, cmd, args, &pos); rc >= 0) return rc;
  if (!pos.empty()) return NoArgs(ctx, cmd);

  const ClientVersion client = ThisClient();
  grpc::ClientContext cctx;
  cctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::VersionResponse server;
  grpc::Status st = ctx.system().Version(&cctx, v1::VersionRequest(), &server);
  const v1::VersionResponse* server_or_null = st.ok() ? &server : nullptr;
  int rc = format.empty() ? (ctx.out() << VersionText(client, server_or_null), 0)
                          : PrintFormatted(ctx, format, VersionJson(client, server_or_null));
  ctx.out().flush();
  if (!st.ok()) return ctx.Fail(st);
  return rc;
}

// ---- events

int Events(Context& ctx, const Args& args, const std::string& cmd) {
  std::string since, until, format;
  std::vector<std::string> filters;
  FlagSet fs(absl::StrCat("skiff ", cmd, " [OPTIONS]"), "Get real time events from the server");
  fs.StringList("filter", 'f', &filters, "Filter output based on conditions provided");
  fs.String("format", 0, &format,
            "Format output using a custom template ('json', or a Go template)");
  fs.String("since", 0, &since, "Show all events created since timestamp");
  fs.String("until", 0, &until, "Stream events until this timestamp");
  Args pos;
  if (int rc = ParseFlags(ctx, fs, cmd, args, &pos); rc >= 0) return rc;
  if (!pos.empty()) return NoArgs(ctx, cmd);

  v1::EventsRequest req;
  const absl::Time now = absl::Now();
  for (auto [value, field] :
       {std::pair{&since, req.mutable_since()}, std::pair{&until, req.mutable_until()}}) {
    if (value->empty()) continue;
    absl::StatusOr<absl::Time> t = ParseTimestamp(*value, now);
    if (!t.ok()) return ctx.UsageError(cmd, std::string(t.status().message()));
    field->set_seconds(absl::ToUnixSeconds(*t));
    field->set_nanos(static_cast<int32_t>((*t - absl::FromUnixSeconds(field->seconds())) /
                                          absl::Nanoseconds(1)));
  }
  for (const std::string& f : filters) {
    size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0) {
      return ctx.UsageError(cmd, absl::StrCat("invalid argument \"", f,
                                              "\" for \"-f, --filter\" flag: bad format of "
                                              "filter (expected name=value)"));
    }
    v1::Filter* filter = req.add_filters();
    filter->set_key(f.substr(0, eq));
    filter->set_value(f.substr(eq + 1));
  }

  // A bad template is reported before any event arrives.
  std::optional<Template> tmpl;
  if (!format.empty()) {
    absl::StatusOr<Template> parsed = Template::Parse(format);
    if (!parsed.ok()) {
      ctx.err() << parsed.status().message() << "\n";
      return 1;
    }
    tmpl.emplace(std::move(*parsed));
  }
  grpc::ClientContext cctx;
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader = ctx.system().Events(&cctx, req);
  v1::Event event;
  while (reader->Read(&event)) {
    if (!tmpl) {
      ctx.out() << EventLine(event);
    } else {
      absl::StatusOr<std::string> text = tmpl->Execute(EventJson(event));
      if (!text.ok()) {
        cctx.TryCancel();
        reader->Finish();
        ctx.err() << text.status().message() << "\n";
        return 1;
      }
      ctx.out() << *text << "\n";
    }
    ctx.out().flush();
  }
  grpc::Status st = reader->Finish();
  if (!st.ok()) return ctx.Fail(st);
  return 0;
}

}  // namespace

void AddSystemCommands(std::vector<Command>& commands) {
  commands.push_back({"info", "Display system-wide information",
                      [](Context& c, const Args& a) { return Info(c, a, "info"); }});
  commands.push_back({"system info", "Display system-wide information",
                      [](Context& c, const Args& a) { return Info(c, a, "system info"); }});
  commands.push_back({"version", "Show the skiff version information",
                      [](Context& c, const Args& a) { return Version(c, a, "version"); }});
  commands.push_back({"events", "Get real time events from the server",
                      [](Context& c, const Args& a) { return Events(c, a, "events"); }});
  commands.push_back({"system events", "Get real time events from the server",
                      [](Context& c, const Args& a) { return Events(c, a, "system events"); }});
}

}  // namespace skiff::cli
