// MergeImageConfig and ProcessArgs: docker's rules (daemon/create.go merge)
// for what a container runs when the user's config and the image's meet.
#include <set>

#include "absl/strings/match.h"
#include "manager/containers/spec_builder.h"

namespace skiff::manager {
namespace {

constexpr char kDefaultPath[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string EnvKey(const std::string& entry) { return entry.substr(0, entry.find('=')); }

void AppendMissing(google::protobuf::RepeatedPtrField<std::string>* to,
                   const std::vector<std::string>& from) {
  std::set<std::string> have(to->begin(), to->end());
  for (const std::string& v : from) {
    if (have.insert(v).second) *to->Add() = v;
  }
}

}  // namespace

skiff::v1::ContainerConfig MergeImageConfig(const skiff::v1::ContainerConfig& user,
                                            const ContainerConfig& image) {
  skiff::v1::ContainerConfig out = user;
  if (out.user().empty()) out.set_user(image.user);
  if (out.working_dir().empty()) out.set_working_dir(image.working_dir);
  if (out.stop_signal().empty()) out.set_stop_signal(image.stop_signal);
  AppendMissing(out.mutable_exposed_ports(), image.exposed_ports);
  AppendMissing(out.mutable_volumes(), image.volumes);
  for (const auto& [k, v] : image.labels) out.mutable_labels()->insert({k, v});

  // The user's entries first, then the image's whose key the user did not set.
  std::set<std::string> keys;
  for (const std::string& e : out.env()) keys.insert(EnvKey(e));
  for (const std::string& e : image.env) {
    if (keys.insert(EnvKey(e)).second) out.add_env(e);
  }
  if (keys.count("PATH") == 0) out.add_env(kDefaultPath);

  // A non-empty entrypoint from the user replaces the image's entrypoint and
  // cmd together; `--entrypoint ""` clears the entrypoint but keeps the
  // image's cmd when the user gives none (docker's behaviour).
  if (out.entrypoint().values().empty()) {
    if (out.cmd().values().empty() && !image.cmd.empty()) {
      out.mutable_cmd()->mutable_values()->Assign(image.cmd.begin(), image.cmd.end());
    }
    if (!user.has_entrypoint() && !image.entrypoint.empty()) {
      out.mutable_entrypoint()->mutable_values()->Assign(image.entrypoint.begin(),
                                                         image.entrypoint.end());
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ProcessArgs(const skiff::v1::ContainerConfig& config) {
  std::vector<std::string> args(config.entrypoint().values().begin(),
                                config.entrypoint().values().end());
  args.insert(args.end(), config.cmd().values().begin(), config.cmd().values().end());
  if (args.empty()) {
    return absl::InvalidArgumentError(
        "no command specified: the image has no Entrypoint or Cmd; give a command after the image "
        "name");
  }
  if (args[0].empty()) return absl::InvalidArgumentError("the command must not be an empty string");
  return args;
}

}  // namespace skiff::manager
