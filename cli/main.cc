// skiff: the docker-like client of skiffd. Parses the global flags, finds the
// command (a verb, or a management command such as "image ls") and runs it.

#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/command.h"
#include "cli/commands/registry_commands.h"
#include "cli/flags.h"

namespace skiff::cli {
namespace {

constexpr char kVersion[] = "0.1.0";
constexpr char kDefaultHost[] = "unix:///run/skiff/skiffd.sock";

std::string ManagementSummary(const std::string& group) {
  static const std::map<std::string, std::string> kKnown = {
      {"builder", "Manage builds"},
      {"container", "Manage containers"},
      {"image", "Manage images"},
      {"network", "Manage networks"},
      {"system", "Manage Skiff"},
      {"volume", "Manage volumes"},
      {"compose", "Define and run multi-container applications"}};
  auto it = kKnown.find(group);
  return it != kKnown.end() ? it->second : "Manage " + group + "s";
}

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

std::string TopHelp(const std::vector<Command>& commands, const FlagSet& globals) {
  std::set<std::string> groups;
  std::map<std::string, std::string> verbs;
  for (const Command& c : commands) {
    size_t space = c.name.find(' ');
    if (space != std::string::npos) {
      groups.insert(c.name.substr(0, space));
    } else {
      verbs.emplace(c.name, c.summary);
    }
  }
  std::string out =
      "\nUsage:  skiff [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n";
  if (!groups.empty()) {
    out += "\nManagement Commands:\n";
    for (const auto& g : groups) out += "  " + Pad(g, 12) + ManagementSummary(g) + "\n";
  }
  out += "\nCommands:\n";
  for (const auto& [name, summary] : verbs) out += "  " + Pad(name, 12) + summary + "\n";
  std::string flags = globals.Help();
  size_t options = flags.find("Options:\n");
  if (options != std::string::npos) out += "\nGlobal " + flags.substr(options);
  out += "\nRun 'skiff COMMAND --help' for more information on a command.\n";
  return out;
}

std::string GroupHelp(const std::vector<Command>& commands, const std::string& group) {
  std::map<std::string, std::string> subs;
  for (const Command& c : commands) {
    if (absl::StartsWith(c.name, group + " "))
      subs.emplace(c.name.substr(group.size() + 1), c.summary);
  }
  std::string out = absl::StrCat("\nUsage:  skiff ", group, " COMMAND\n\n",
                                 ManagementSummary(group), "\n\nCommands:\n");
  for (const auto& [name, summary] : subs) out += "  " + Pad(name, 12) + summary + "\n";
  out +=
      absl::StrCat("\nRun 'skiff ", group, " COMMAND --help' for more information on a command.\n");
  return out;
}

int Main(int argc, char** argv) {
  std::vector<Command> commands;
  AddContainerCommands(commands);
  AddImageCommands(commands);
  AddSystemCommands(commands);
  AddRegistryCommands(commands);

  std::string host, log_level, config;
  bool debug = false, version = false;
  FlagSet globals("skiff [OPTIONS] COMMAND", "A self-sufficient runtime for containers");
  globals.String("host", 'H', &host, "Daemon socket to connect to (unix:///path)");
  globals.Bool("debug", 'D', &debug, "Enable debug mode");
  globals.String("log-level", 'l', &log_level,
                 "Set the logging level (\"debug\", \"info\", \"warn\", \"error\", \"fatal\")");
  globals.String("config", 0, &config, "Location of client config files");
  globals.Bool("version", 'v', &version, "Print version information and quit");
  std::vector<std::string> args(argv + 1, argv + argc);
  auto rest = globals.Parse(args, /*interspersed=*/false);
  if (!rest.ok()) {
    std::cerr << rest.status().message() << "\nSee 'skiff --help'.\n";
    return 125;
  }
  if (version) {
    std::cout << "Skiff version " << kVersion << "\n";
    return 0;
  }
  if (globals.help_requested() || rest->empty() || (*rest)[0] == "help") {
    std::cout << TopHelp(commands, globals);
    return 0;
  }
  if (debug) setenv("GRPC_VERBOSITY", "INFO", 0);
  if (host.empty()) {
    const char* env = getenv("SKIFF_HOST");
    host = env != nullptr && *env != '\0' ? env : kDefaultHost;
  }
  if (absl::StartsWith(host, "tcp://")) host = host.substr(6);

  std::map<std::string, const Command*> by_name;
  for (const Command& c : commands) by_name.emplace(c.name, &c);
  const std::string& first = (*rest)[0];
  const Command* command = nullptr;
  size_t consumed = 1;
  if (rest->size() >= 2) {
    auto it = by_name.find(first + " " + (*rest)[1]);
    if (it != by_name.end()) {
      command = it->second;
      consumed = 2;
    }
  }
  if (command == nullptr) {
    bool is_group = false;
    for (const Command& c : commands) is_group = is_group || absl::StartsWith(c.name, first + " ");
    if (is_group) {
      if (rest->size() == 1 || (*rest)[1] == "--help" || (*rest)[1] == "-h" ||
          (*rest)[1] == "help") {
        std::cout << GroupHelp(commands, first);
        return 0;
      }
      std::cerr << "skiff: '" << first << " " << (*rest)[1] << "' is not a skiff command.\n"
                << "See 'skiff " << first << " --help'\n";
      return 1;
    }
    auto it = by_name.find(first);
    if (it == by_name.end()) {
      std::cerr << "skiff: '" << first << "' is not a skiff command.\nSee 'skiff --help'\n";
      return 1;
    }
    command = it->second;
  }

  Context ctx(host, std::cout, std::cerr);
  std::vector<std::string> command_args(rest->begin() + consumed, rest->end());
  int rc = command->run(ctx, command_args);
  std::cout.flush();
  std::cerr.flush();
  return rc;
}

}  // namespace
}  // namespace skiff::cli

int main(int argc, char** argv) { return skiff::cli::Main(argc, argv); }
