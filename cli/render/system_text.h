#pragma once
// `skiff info`, `skiff version` and `skiff events` output in docker's layout,
// and the data their --format templates see.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "proto/skiff/v1/system.pb.h"

namespace skiff::cli {

// What the client knows about itself.
struct ClientVersion {
  std::string version;
  std::string api_version;
  std::string os = "linux";
  std::string arch;  // GOARCH
  std::string context = "default";
};
// This binary's: skiff's version and the host's architecture.
ClientVersion ThisClient();

// go-units BytesSize (binary, 4 significant digits): 25199607808 ->
// "23.47GiB", 0 -> "0B".
std::string BytesSize(int64_t bytes);

// "Client:\n Version: ...\n" as docker info's first section.
std::string InfoClientText(const ClientVersion& client);
// "Server:\n Containers: 5\n  Running: 2\n ..." down to the Skiff paths.
std::string InfoServerText(const skiff::v1::InfoResponse& info);
// Each failing readiness check as "WARNING: <problem>\n  fix: <fix>\n", then
// the daemon's free-form warnings; docker prints these on stderr.
std::string InfoWarningsText(const skiff::v1::InfoResponse& info);
// docker's info object for --format: the server fields at the top
// (ServerVersion, Containers, ...) plus ClientInfo, Checks and the Skiff paths.
nlohmann::json InfoJson(const ClientVersion& client, const skiff::v1::InfoResponse& info);

// "Client:\n Version: ...\n\nServer: Skiff Engine\n Engine:\n  Version: ..."
// `server` may be null (daemon unreachable): only the client section.
std::string VersionText(const ClientVersion& client, const skiff::v1::VersionResponse* server);
// {"Client": {...}, "Server": {...} or null}.
nlohmann::json VersionJson(const ClientVersion& client, const skiff::v1::VersionResponse* server);

// docker's events line: "2026-11-28T07:00:00.123456789Z container start <id>
// (image=busybox, name=web)\n", time in the local zone, attributes sorted.
std::string EventLine(const skiff::v1::Event& event);
// docker's events JSON (Type, Action, Actor{ID, Attributes}, scope, time,
// timeNano, and the legacy status/id/from).
nlohmann::json EventJson(const skiff::v1::Event& event);
// "container", "image", "daemon", ...
std::string EventTypeName(skiff::v1::Event::Type type);
// --since/--until values as docker takes them: a Go duration before now
// ("10m", "1h30m"), Unix seconds ("1700000000", "1700000000.5"), RFC 3339
// ("2026-11-28T07:00:00Z", with or without zone or seconds) or a date
// ("2026-11-28"), local zone when none. InvalidArgument otherwise.
absl::StatusOr<absl::Time> ParseTimestamp(const std::string& value, absl::Time now);

}  // namespace skiff::cli
