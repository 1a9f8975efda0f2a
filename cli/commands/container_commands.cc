// The container verbs' registration, and the small lifecycle verbs: stop,
// kill, restart, rm, wait, pause, unpause, rename, top, port, prune, stats.

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/commands/container_common.h"
#include "cli/format/tabwriter.h"
#include "cli/format/template.h"
#include "cli/format/units.h"
#include "cli/render/image_json.h"

namespace skiff::cli {
namespace container {
namespace {

namespace v1 = ::skiff::v1;

int Stop(Context& ctx, const std::vector<std::string>& args) {
  int64_t time = 0;
  std::string signal;
  FlagSet fs("skiff stop [OPTIONS] CONTAINER [CONTAINER...]",
             "Stop one or more running containers");
  fs.Int("time", 't', &time, "Seconds to wait before killing the container");
  fs.String("signal", 's', &signal, "Signal to send to the container");
  int exit = 0;
  auto refs = Parse(ctx, fs, "stop", args, &exit, 1);
  if (!refs) return exit;
  bool timed = fs.Changed("time");
  return ForEach(ctx, *refs, [&](const std::string& ref) {
    grpc::ClientContext c;
    v1::StopContainerRequest req;
    req.set_id(ref);
    if (timed) req.set_timeout_seconds(static_cast<int32_t>(time));
    req.set_signal(signal);
    v1::StopContainerResponse resp;
    return ctx.containers().Stop(&c, req, &resp);
  });
}

int Kill(Context& ctx, const std::vector<std::string>& args) {
  std::string signal;
  FlagSet fs("skiff kill [OPTIONS] CONTAINER [CONTAINER...]",
             "Kill one or more running containers");
  fs.String("signal", 's', &signal, "Signal to send to the container");
  int exit = 0;
  auto refs = Parse(ctx, fs, "kill", args, &exit, 1);
  if (!refs) return exit;
  return ForEach(ctx, *refs, [&](const std::string& ref) {
    grpc::ClientContext c;
    v1::KillContainerRequest req;
    req.set_id(ref);
    req.set_signal(signal);
    v1::KillContainerResponse resp;
    return ctx.containers().Kill(&c, req, &resp);
  });
}

int Restart(Context& ctx, const std::vector<std::string>& args) {
  int64_t time = 0;
  std::string signal;
  FlagSet fs("skiff restart [OPTIONS] CONTAINER [CONTAINER...]", "Restart one or more containers");
  fs.Int("time", 't', &time, "Seconds to wait before killing the container");
  fs.String("signal", 's', &signal, "Signal to send to the container");
  int exit = 0;
  auto refs = Parse(ctx, fs, "restart", args, &exit, 1);
  if (!refs) return exit;
  bool timed = fs.Changed("time");
  return ForEach(ctx, *refs, [&](const std::string& ref) {
    grpc::ClientContext c;
    v1::RestartContainerRequest req;
    req.set_id(ref);
    if (timed) req.set_timeout_seconds(static_cast<int32_t>(time));
    req.set_signal(signal);
    v1::RestartContainerResponse resp;
    return ctx.containers().Restart(&c, req, &resp);
  });
}

int Rm(Context& ctx, const std::vector<std::string>& args) {
  bool force = false, volumes = false, link = false;
  FlagSet fs("skiff rm [OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers");
  fs.Bool("force", 'f', &force, "Force the removal of a running container (uses SIGKILL)");
  fs.Bool("volumes", 'v', &volumes, "Remove anonymous volumes associated with the container");
  fs.Bool("link", 'l', &link, "Remove the specified link");
  int exit = 0;
  auto refs = Parse(ctx, fs, "rm", args, &exit, 1);
  if (!refs) return exit;
  if (link) {
    ctx.err() << "Error response from daemon: links are not supported by skiff\n";
    return 1;
  }
  return ForEach(ctx, *refs, [&](const std::string& ref) {
    grpc::ClientContext c;
    v1::RemoveContainerRequest req;
    req.set_id(ref);
    req.set_force(force);
    req.set_remove_volumes(volumes);
    v1::RemoveContainerResponse resp;
    return ctx.containers().Remove(&c, req, &resp);
  });
}

int Wait(Context& ctx, const std::vector<std::string>& args) {
  FlagSet fs("skiff wait CONTAINER [CONTAINER...]",
             "Block until one or more containers stop, then print their exit codes");
  int exit = 0;
  auto refs = Parse(ctx, fs, "wait", args, &exit, 1);
  if (!refs) return exit;
  int rc = 0;
  for (const std::string& ref : *refs) {
    grpc::ClientContext c;
    v1::WaitContainerRequest req;
    req.set_id(ref);
    req.set_condition(v1::WaitContainerRequest::CONDITION_NOT_RUNNING);
    auto stream = ctx.containers().Wait(&c, req);
    v1::WaitContainerResponse resp;
    bool printed = false;
    while (stream->Read(&resp)) {
      if (resp.has_exit()) {
        ctx.out() << resp.exit().exit_code() << "\n";
        ctx.out().flush();
        printed = true;
      }
    }
    grpc::Status s = stream->Finish();
    if (!s.ok()) {
      rc = ctx.Fail(s);
    } else if (!printed) {
      rc = ctx.Fail(grpc::Status(grpc::StatusCode::INTERNAL,
                                 "wait for " + ref + " ended without an exit status"));
    }
  }
  return rc;
}

template <typename Req, typename Resp,
          grpc::Status (v1::ContainerService::Stub::*Call)(grpc::ClientContext*, const Req&, Resp*)>
int Simple(Context& ctx, const std::vector<std::string>& args, const char* cmd,
           const char* summary) {
  FlagSet fs(absl::StrCat("skiff ", cmd, " CONTAINER [CONTAINER...]"), summary);
  int exit = 0;
  auto refs = Parse(ctx, fs, cmd, args, &exit, 1);
  if (!refs) return exit;
  return ForEach(ctx, *refs, [&](const std::string& ref) {
    grpc::ClientContext c;
    Req req;
    req.set_id(ref);
    Resp resp;
    return (ctx.containers().*Call)(&c, req, &resp);
  });
}

int Pause(Context& ctx, const std::vector<std::string>& args) {
  return Simple<v1::PauseContainerRequest, v1::PauseContainerResponse,
                &v1::ContainerService::Stub::Pause>(
      ctx, args, "pause", "Pause all processes within one or more containers");
}

int Unpause(Context& ctx, const std::vector<std::string>& args) {
  return Simple<v1::UnpauseContainerRequest, v1::UnpauseContainerResponse,
                &v1::ContainerService::Stub::Unpause>(
      ctx, args, "unpause", "Unpause all processes within one or more containers");
}

int Rename(Context& ctx, const std::vector<std::string>& args) {
  FlagSet fs("skiff rename CONTAINER NEW_NAME", "Rename a container");
  int exit = 0;
  auto pos = Parse(ctx, fs, "rename", args, &exit, 2, 2);
  if (!pos) return exit;
  std::string new_name = (*pos)[1];
  if (!new_name.empty() && new_name[0] == '/') new_name.erase(0, 1);
  if (new_name.empty()) {
    ctx.err() << "Error: new name cannot be blank\n";
    return 1;
  }
  grpc::ClientContext c;
  v1::RenameContainerRequest req;
  req.set_id((*pos)[0]);
  req.set_new_name(new_name);
  v1::RenameContainerResponse resp;
  grpc::Status s = ctx.containers().Rename(&c, req, &resp);
  return s.ok() ? 0 : ctx.Fail(s);
}

int Top(Context& ctx, const std::vector<std::string>& args) {
  FlagSet fs("skiff top CONTAINER [ps OPTIONS]", "Display the running processes of a container");
  int exit = 0;
  auto pos = Parse(ctx, fs, "top", args, &exit, 1, SIZE_MAX, /*interspersed=*/false);
  if (!pos) return exit;
  grpc::ClientContext c;
  v1::TopRequest req;
  req.set_id((*pos)[0]);
  req.set_ps_args(absl::StrJoin(pos->begin() + 1, pos->end(), " "));
  v1::TopResponse resp;
  grpc::Status s = ctx.containers().Top(&c, req, &resp);
  if (!s.ok()) return ctx.Fail(s);
  TabWriter tw(/*min_width=*/20);
  tw.Write(absl::StrJoin(resp.titles(), "\t") + "\n");
  for (const auto& row : resp.processes()) tw.Write(absl::StrJoin(row.fields(), "\t") + "\n");
  ctx.out() << tw.Flush();
  ctx.out().flush();
  return 0;
}

int Port(Context& ctx, const std::vector<std::string>& args) {
  FlagSet fs("skiff port CONTAINER [PRIVATE_PORT[/PROTO]]",
             "List port mappings or a specific mapping for the container");
  int exit = 0;
  auto pos = Parse(ctx, fs, "port", args, &exit, 1, 2);
  if (!pos) return exit;
  grpc::ClientContext c;
  v1::InspectContainerRequest req;
  req.set_id((*pos)[0]);
  v1::InspectContainerResponse resp;
  grpc::Status s = ctx.containers().Inspect(&c, req, &resp);
  if (!s.ok()) return ctx.Fail(s);
  // No port is ever published until skiff has container networking.
  if (pos->size() == 2) {
    std::string port = (*pos)[1];
    if (port.find('/') == std::string::npos) port += "/tcp";
    ctx.err() << "Error: No public port '" << port << "' published for " << (*pos)[0] << "\n";
    return 1;
  }
  return 0;
}

int Prune(Context& ctx, const std::vector<std::string>& args) {
  bool force = false;
  std::vector<std::string> filters;
  FlagSet fs("skiff container prune [OPTIONS]", "Remove all stopped containers");
  fs.Bool("force", 'f', &force, "Do not prompt for confirmation");
  fs.StringList("filter", 0, &filters, "Provide filter values (e.g. \"until=<timestamp>\")");
  int exit = 0;
  if (!Parse(ctx, fs, "container prune", args, &exit, 0, 0)) return exit;
  v1::PruneContainersRequest req;
  for (const auto& f : filters) {
    size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0) {
      return ctx.UsageError("container prune",
                            absl::StrCat("invalid argument \"", f,
                                         "\" for \"--filter\" flag: bad format of filter "
                                         "(expected name=value)"),
                            125);
    }
    auto* filter = req.add_filters();
    filter->set_key(f.substr(0, eq));
    filter->set_value(f.substr(eq + 1));
  }
  if (!force) {
    ctx.out() << "WARNING! This will remove all stopped containers.\n"
                 "Are you sure you want to continue? [y/N] ";
    ctx.out().flush();
    std::string answer;
    std::getline(std::cin, answer);
    answer = std::string(absl::StripAsciiWhitespace(answer));
    if (answer != "y" && answer != "Y" && answer != "yes" && answer != "Yes") return 0;
  }
  grpc::ClientContext c;
  v1::PruneContainersResponse resp;
  grpc::Status s = ctx.containers().Prune(&c, req, &resp);
  if (!s.ok()) return ctx.Fail(s);
  if (!resp.deleted_ids().empty()) {
    ctx.out() << "Deleted Containers:\n";
    for (const auto& id : resp.deleted_ids()) ctx.out() << id << "\n";
    ctx.out() << "\n";
  }
  ctx.out() << "Total reclaimed space: " << HumanSize(static_cast<int64_t>(resp.space_reclaimed()))
            << "\n";
  ctx.out().flush();
  return 0;
}

// go-units BytesSize: binary units, "%.4g".
std::string BytesSize(double size) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  size_t i = 0;
  while (size >= 1024.0 && i + 1 < std::size(kUnits)) {
    size /= 1024.0;
    ++i;
  }
  char buf[64];
  snprintf(buf, sizeof buf, "%.4g%s", size, kUnits[i]);
  return buf;
}

nlohmann::json StatsRow(const v1::ContainerStats& cur, const v1::ContainerStats* prev,
                        bool no_trunc) {
  double cpu = 0;
  if (prev != nullptr && cur.system_cpu_usage_ns() > prev->system_cpu_usage_ns() &&
      cur.cpu_usage_ns() >= prev->cpu_usage_ns()) {
    double cpu_delta = static_cast<double>(cur.cpu_usage_ns() - prev->cpu_usage_ns());
    double sys_delta = static_cast<double>(cur.system_cpu_usage_ns() - prev->system_cpu_usage_ns());
    cpu = cpu_delta / sys_delta * std::max(1u, cur.online_cpus()) * 100.0;
  }
  double mem_pct = cur.memory_limit() > 0 ? static_cast<double>(cur.memory_usage()) /
                                                static_cast<double>(cur.memory_limit()) * 100.0
                                          : 0;
  auto io = [](uint64_t a, uint64_t b) {
    return HumanSizeWithPrecision(static_cast<double>(a), 3) + " / " +
           HumanSizeWithPrecision(static_cast<double>(b), 3);
  };
  char cpu_text[32], mem_text[32];
  snprintf(cpu_text, sizeof cpu_text, "%.2f%%", cpu);
  snprintf(mem_text, sizeof mem_text, "%.2f%%", mem_pct);
  nlohmann::json j;
  j["ID"] = no_trunc ? cur.id() : TruncateId(cur.id());
  j["Container"] = j["ID"];
  j["Name"] = cur.name();
  j["CPUPerc"] = cpu_text;
  j["MemUsage"] = BytesSize(static_cast<double>(cur.memory_usage())) + " / " +
                  BytesSize(static_cast<double>(cur.memory_limit()));
  j["MemPerc"] = mem_text;
  j["NetIO"] = io(cur.net_rx_bytes(), cur.net_tx_bytes());
  j["BlockIO"] = io(cur.block_read_bytes(), cur.block_write_bytes());
  j["PIDs"] = std::to_string(cur.pids());
  return j;
}

int Stats(Context& ctx, const std::vector<std::string>& args) {
  bool all = false, no_stream = false, no_trunc = false;
  std::string format;
  FlagSet fs("skiff stats [OPTIONS] [CONTAINER...]",
             "Display a live stream of container(s) resource usage statistics");
  fs.Bool("all", 'a', &all, "Show all containers (default shows just running)");
  fs.Bool("no-stream", 0, &no_stream, "Disable streaming stats and only pull the first result");
  fs.Bool("no-trunc", 0, &no_trunc, "Do not truncate output");
  fs.String("format", 0, &format, "Format output using a custom template");
  int exit = 0;
  auto refs = Parse(ctx, fs, "stats", args, &exit, 0);
  if (!refs) return exit;
  const std::string default_table =
      "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t"
      "{{.PIDs}}";
  auto tmpl = Template::Parse(format.empty() ? "table " + default_table : format, default_table);
  if (!tmpl.ok()) {
    ctx.err() << tmpl.status().message() << "\n";
    return 1;
  }
  static const std::map<std::string, std::string> kHeaders = {
      {"ID", "CONTAINER ID"}, {"Container", "CONTAINER"},        {"Name", "NAME"},
      {"CPUPerc", "CPU %"},   {"MemUsage", "MEM USAGE / LIMIT"}, {"MemPerc", "MEM %"},
      {"NetIO", "NET I/O"},   {"BlockIO", "BLOCK I/O"},          {"PIDs", "PIDS"}};

  grpc::ClientContext c;
  v1::StatsRequest req;
  for (const auto& r : *refs) req.add_ids(r);
  req.set_all(all);
  // CPU % needs two samples, so even --no-stream reads a second one.
  req.set_stream(true);
  auto stream = ctx.containers().Stats(&c, req);
  std::map<std::string, v1::ContainerStats> previous;
  v1::StatsResponse resp;
  int samples = 0;
  while (stream->Read(&resp)) {
    ++samples;
    if (no_stream && samples == 1 && resp.stats_size() > 0) {
      for (const auto& s : resp.stats()) previous[s.id()] = s;
      continue;
    }
    TabWriter tw(/*min_width=*/10);
    std::string out;
    if (tmpl->IsTable()) tw.Write(tmpl->Header(kHeaders) + "\n");
    for (const auto& s : resp.stats()) {
      auto it = previous.find(s.id());
      auto line =
          tmpl->Execute(StatsRow(s, it == previous.end() ? nullptr : &it->second, no_trunc));
      if (!line.ok()) {
        ctx.err() << line.status().message() << "\n";
        c.TryCancel();
        (void)stream->Finish();
        return 1;
      }
      if (tmpl->IsTable()) {
        tw.Write(*line + "\n");
      } else {
        absl::StrAppend(&out, *line, "\n");
      }
      previous[s.id()] = s;
    }
    // Redraw in place, as docker does on a terminal.
    if (!no_stream && ctx.stdout_is_tty()) ctx.out() << "\033[2J\033[H";
    ctx.out() << (tmpl->IsTable() ? tw.Flush() : out);
    ctx.out().flush();
    if (no_stream) {
      c.TryCancel();
      break;
    }
  }
  grpc::Status s = stream->Finish();
  if (!s.ok() && !(no_stream && s.error_code() == grpc::StatusCode::CANCELLED)) {
    return ctx.Fail(s);
  }
  return 0;
}

}  // namespace
}  // namespace container

void AddContainerCommands(std::vector<Command>& commands) {
  using namespace container;  // NOLINT: the verbs' entry points
  struct Verb {
    const char* name;
    const char* summary;
    int (*run)(Context&, const std::vector<std::string>&);
  };
  static const Verb kVerbs[] = {
      {"attach", "Attach local standard input, output, and error streams to a running container",
       Attach},
      {"create", "Create a new container", Create},
      {"exec", "Execute a command in a running container", Exec},
      {"kill", "Kill one or more running containers", Kill},
      {"logs", "Fetch the logs of a container", Logs},
      {"pause", "Pause all processes within one or more containers", Pause},
      {"port", "List port mappings or a specific mapping for the container", Port},
      {"rename", "Rename a container", Rename},
      {"restart", "Restart one or more containers", Restart},
      {"rm", "Remove one or more containers", Rm},
      {"run", "Create and run a new container from an image", Run},
      {"start", "Start one or more stopped containers", Start},
      {"stats", "Display a live stream of container(s) resource usage statistics", Stats},
      {"stop", "Stop one or more running containers", Stop},
      {"top", "Display the running processes of a container", Top},
      {"unpause", "Unpause all processes within one or more containers", Unpause},
      {"wait", "Block until one or more containers stop, then print their exit codes", Wait},
  };
  for (const Verb& v : kVerbs) {
    commands.push_back({v.name, v.summary, v.run});
    commands.push_back({std::string("container ") + v.name, v.summary, v.run});
  }
  commands.push_back({"ps", "List containers", Ps});
  for (const char* alias : {"container ls", "container ps", "container list"}) {
    commands.push_back({alias, "List containers", Ps});
  }
  commands.push_back({"container remove", "Remove one or more containers", Rm});
  commands.push_back({"container prune", "Remove all stopped containers", Prune});
  commands.push_back({"inspect", "Return low-level information on Skiff objects", Inspect});
  commands.push_back({"container inspect", "Display detailed information on one or more containers",
                      InspectContainer});
}

}  // namespace skiff::cli
