#include "manager/images/image_config.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "manager/images/json_util.h"

namespace skiff::manager {

using json_util::json;

namespace {

absl::Status ParseContainerConfig(const json& j, ContainerConfig* c) {
  const std::string p = "config";
  RETURN_IF_ERROR(json_util::GetString(j, "User", p, &c->user));
  RETURN_IF_ERROR(json_util::GetKeySet(j, "ExposedPorts", p, &c->exposed_ports));
  std::sort(c->exposed_ports.begin(), c->exposed_ports.end());
  RETURN_IF_ERROR(json_util::GetStringList(j, "Env", p, &c->env));
  RETURN_IF_ERROR(json_util::GetStringList(j, "Entrypoint", p, &c->entrypoint));
  RETURN_IF_ERROR(json_util::GetStringList(j, "Cmd", p, &c->cmd));
  RETURN_IF_ERROR(json_util::GetKeySet(j, "Volumes", p, &c->volumes));
  std::sort(c->volumes.begin(), c->volumes.end());
  RETURN_IF_ERROR(json_util::GetString(j, "WorkingDir", p, &c->working_dir));
  RETURN_IF_ERROR(json_util::GetStringMap(j, "Labels", p, &c->labels));
  RETURN_IF_ERROR(json_util::GetString(j, "StopSignal", p, &c->stop_signal));
  return absl::OkStatus();
}

absl::StatusOr<ImageConfig> Parse(absl::string_view text) {
  ASSIGN_OR_RETURN(json j, json_util::Parse(text, "document"));
  RETURN_IF_ERROR(json_util::RequireObject(j, ""));
  ImageConfig ic;
  RETURN_IF_ERROR(json_util::GetString(j, "created", "", &ic.created));
  RETURN_IF_ERROR(json_util::GetString(j, "author", "", &ic.author));
  RETURN_IF_ERROR(json_util::GetString(j, "architecture", "", &ic.architecture, true));
  RETURN_IF_ERROR(json_util::GetString(j, "os", "", &ic.os, true));
  RETURN_IF_ERROR(json_util::GetString(j, "variant", "", &ic.variant));
  ASSIGN_OR_RETURN(const json* config, json_util::GetObject(j, "config", ""));
  if (config != nullptr) RETURN_IF_ERROR(ParseContainerConfig(*config, &ic.config));

  ASSIGN_OR_RETURN(const json* rootfs, json_util::GetObject(j, "rootfs", "", true));
  RETURN_IF_ERROR(json_util::GetString(*rootfs, "type", "rootfs", &ic.rootfs_type, true));
  if (ic.rootfs_type != "layers") {
    return absl::InvalidArgumentError(
        absl::StrCat("field `rootfs.type`: want \"layers\", got \"", ic.rootfs_type, "\""));
  }
  ASSIGN_OR_RETURN(const json* diff_ids, json_util::GetArray(*rootfs, "diff_ids", "rootfs", true));
  for (size_t i = 0; i < diff_ids->size(); ++i) {
    const json& e = (*diff_ids)[i];
    std::string field = json_util::At("rootfs.diff_ids", i);
    if (!e.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("field `", field, "`: want a string"));
    }
    absl::StatusOr<Digest> d = Digest::Parse(e.get<std::string>());
    if (!d.ok()) return Annotate(d.status(), absl::StrCat("field `", field, "`"));
    ic.diff_ids.push_back(*std::move(d));
  }

  ASSIGN_OR_RETURN(const json* history, json_util::GetArray(j, "history", ""));
  if (history != nullptr) {
    for (size_t i = 0; i < history->size(); ++i) {
      const json& h = (*history)[i];
      std::string p = json_util::At("history", i);
      RETURN_IF_ERROR(json_util::RequireObject(h, p));
      HistoryEntry e;
      RETURN_IF_ERROR(json_util::GetString(h, "created", p, &e.created));
      RETURN_IF_ERROR(json_util::GetString(h, "created_by", p, &e.created_by));
      RETURN_IF_ERROR(json_util::GetString(h, "author", p, &e.author));
      RETURN_IF_ERROR(json_util::GetString(h, "comment", p, &e.comment));
      RETURN_IF_ERROR(json_util::GetBool(h, "empty_layer", p, &e.empty_layer));
      ic.history.push_back(std::move(e));
    }
  }
  return ic;
}

}  // namespace

absl::StatusOr<ImageConfig> ParseImageConfig(absl::string_view text) {
  absl::StatusOr<ImageConfig> ic = Parse(text);
  if (!ic.ok()) return Annotate(ic.status(), "image config");
  return ic;
}

}  // namespace skiff::manager
