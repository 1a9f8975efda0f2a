// ps (container ls): the container table.

#include <map>

#include "absl/strings/str_cat.h"
#include "cli/commands/container_common.h"
#include "cli/format/tabwriter.h"
#include "cli/format/template.h"
#include "cli/render/container_json.h"

namespace skiff::cli::container {

namespace v1 = ::skiff::v1;

namespace {

const std::map<std::string, std::string>& PsHeaders() {
  static const auto* headers =
      new std::map<std::string, std::string>{{"ID", "CONTAINER ID"},
                                             {"Image", "IMAGE"},
                                             {"Command", "COMMAND"},
                                             {"RunningFor", "CREATED"},
                                             {"CreatedAt", "CREATED AT"},
                                             {"Status", "STATUS"},
                                             {"Ports", "PORTS"},
                                             {"Names", "NAMES"},
                                             {"Size", "SIZE"},
                                             {"Labels", "LABELS"},
                                             {"Mounts", "MOUNTS"},
                                             {"Networks", "NETWORKS"},
                                             {"State", "STATE"},
                                             {"LocalVolumes", "LOCAL VOLUMES"}};
  return *headers;
}

}  // namespace

int Ps(Context& ctx, const std::vector<std::string>& args) {
  bool all = false, quiet = false, latest = false, no_trunc = false, size = false;
  int64_t last = -1;
  std::vector<std::string> filters;
  std::string format;
  FlagSet fs("skiff ps [OPTIONS]", "List containers");
  fs.Bool("all", 'a', &all, "Show all containers (default shows just running)");
  fs.Bool("quiet", 'q', &quiet, "Only display container IDs");
  fs.Int("last", 'n', &last, "Show n last created containers (includes all states)");
  fs.Bool("latest", 'l', &latest, "Show the latest created container (includes all states)");
  fs.Bool("no-trunc", 0, &no_trunc, "Don't truncate output");
  fs.Bool("size", 's', &size, "Display total file sizes");
  fs.StringList("filter", 'f', &filters, "Filter output based on conditions provided");
  fs.String("format", 0, &format, "Format output using a custom template");
  int exit = 0;
  if (!Parse(ctx, fs, "ps", args, &exit, 0, 0)) return exit;

  v1::ListContainersRequest req;
  req.set_all(all);
  if (latest) {
    req.set_limit(1);
  } else if (last > 0) {
    req.set_limit(static_cast<int32_t>(last));
  }
  for (const auto& f : filters) {
    size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0) {
      return ctx.UsageError(
          "ps",
          absl::StrCat("invalid argument \"", f,
                       "\" for \"-f, --filter\" flag: bad format of filter (expected name=value)"),
          125);
    }
    auto* filter = req.add_filters();
    filter->set_key(f.substr(0, eq));
    filter->set_value(f.substr(eq + 1));
  }
  std::string text = format;
  if (quiet) text = "{{.ID}}";
  if (text.empty()) {
    text =
        "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t"
        "{{.Names}}";
    if (size) text += "\t{{.Size}}";
  }
  // Sizes are slow to compute: only when shown.
  req.set_size(size || text.find(".Size") != std::string::npos);

  auto tmpl = Template::Parse(text,
                              "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t"
                              "{{.Status}}\t{{.Ports}}\t{{.Names}}");
  if (!tmpl.ok()) {
    ctx.err() << tmpl.status().message() << "\n";
    return 1;
  }

  grpc::ClientContext c;
  v1::ListContainersResponse resp;
  grpc::Status s = ctx.containers().List(&c, req, &resp);
  if (!s.ok()) return ctx.Fail(s);

  absl::Time now = absl::Now();
  PsRowOptions opts;
  opts.no_trunc = no_trunc;
  TabWriter tw(/*min_width=*/10);
  std::string out;
  if (tmpl->IsTable()) {
    std::string header = tmpl->Header(PsHeaders());
    while (!header.empty() && header.back() == '\n') header.pop_back();
    tw.Write(header + "\n");
  }
  for (const auto& summary : resp.containers()) {
    auto line = tmpl->Execute(ContainerPsRow(summary, opts, now));
    if (!line.ok()) {
      ctx.err() << line.status().message() << "\n";
      return 1;
    }
    if (tmpl->IsTable()) {
      tw.Write(*line + "\n");
    } else {
      absl::StrAppend(&out, *line, "\n");
    }
  }
  ctx.out() << (tmpl->IsTable() ? tw.Flush() : out);
  ctx.out().flush();
  return 0;
}

}  // namespace skiff::cli::container
