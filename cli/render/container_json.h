#pragma once
// Containers as docker prints them: the `inspect` object, and the row of
// `ps` as its --format templates see it.
//
//   nlohmann::ordered_json j = ContainerInspectJson(resp.container());
//   nlohmann::json row = ContainerPsRow(summary, {.no_trunc = false}, absl::Now());
//   // row["Status"] == "Up 5 minutes", row["Command"] == "\"sleep 100\""

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "proto/skiff/v1/container.pb.h"

namespace skiff::cli {

// docker inspect's object in docker's key order: Id, Created, Path, Args,
// State, Image (the image id), ResolvConfPath, HostnamePath, HostsPath,
// LogPath, Name ("/web"), RestartCount, Driver, Platform, MountLabel,
// ProcessLabel, AppArmorProfile, ExecIDs, HostConfig, GraphDriver, Mounts,
// Config, NetworkSettings (and SizeRw / SizeRootFs when computed). Unset
// times are Go's zero time "0001-01-01T00:00:00Z"; Go's nil slices and maps
// are null.
nlohmann::ordered_json ContainerInspectJson(const skiff::v1::ContainerInfo& c);

struct PsRowOptions {
  // Full ids and commands.
  bool no_trunc = false;
  // For CreatedAt ("2026-11-28 07:00:00 +0000 UTC"); docker uses the local one.
  absl::TimeZone zone = absl::LocalTimeZone();
};

// The fields of docker ps's template data: Command (Go-quoted, cut to 20
// characters with "…" unless no_trunc), CreatedAt, ID (12 characters unless
// no_trunc), Image, Labels ("a=b,c=d", sorted), LocalVolumes, Mounts, Names,
// Networks, Ports, RunningFor ("5 minutes ago"), Size, State ("running"),
// Status ("Up 5 minutes").
nlohmann::json ContainerPsRow(const skiff::v1::ContainerSummary& c, const PsRowOptions& options,
                              absl::Time now);

// "created", "running", "paused", "restarting", "removing", "exited", "dead".
std::string ContainerStateName(skiff::v1::ContainerStatus status);

// Go's strconv.Quote for UTF-8 text: "\"sh -c 'x'\"", escapes \" \\ and
// control characters.
std::string GoQuote(absl::string_view s);

}  // namespace skiff::cli
