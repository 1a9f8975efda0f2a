// ocirun update [--resources FILE|-] [resource flags] <id>: changes the
// cgroup limits of a created, running or paused container (runc update).
#include "runtime/cli/update.h"

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status.h"
#include "runtime/cgroups/cgroups.h"
#include "runtime/cli/common.h"
#include "runtime/log.h"
#include "runtime/state.h"

namespace skiff::runtime::cli {

namespace {

// Flag name -> help; all take a value.
struct ResourceFlag {
  const char* name;
  const char* help;
};

constexpr ResourceFlag kResourceFlags[] = {
    {"blkio-weight", "block IO weight, 10 to 1000"},
    {"cpu-period", "CPU CFS period in microseconds"},
    {"cpu-quota", "CPU CFS quota in microseconds per period (-1: none)"},
    {"cpu-share", "CPU shares (relative weight)"},
    {"cpu-shares", "the same as --cpu-share"},
    {"cpu-rt-period", "CPU realtime period in microseconds"},
    {"cpu-rt-runtime", "CPU realtime runtime in microseconds per period"},
    {"cpuset-cpus", "CPUs to use (0-3, 0,1)"},
    {"cpuset-mems", "memory nodes to use (0-3, 0,1)"},
    {"kernel-memory", "kernel memory limit (deprecated, ignored with a warning)"},
    {"kernel-memory-tcp", "kernel TCP buffer memory limit"},
    {"memory", "memory limit, e.g. 64m (-1: unlimited)"},
    {"memory-reservation", "memory soft limit, e.g. 32m"},
    {"memory-swap", "memory plus swap limit, e.g. 128m (-1: unlimited swap)"},
    {"pids-limit", "maximum number of pids (-1: unlimited)"},
    {"l3-cache-schema", "Intel RDT L3 cache schema (not supported)"},
    {"mem-bw-schema", "Intel RDT memory bandwidth schema (not supported)"},
};

absl::Status BadValue(const std::string& flag, const std::string& value, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("update: invalid value \"", value, "\" for --", flag, ": ", why));
}

template <typename T>
absl::Status ParseInt(const ParsedFlags& f, const std::string& flag, std::optional<T>* out) {
  if (!f.Has(flag)) return absl::OkStatus();
  std::string v = f.Get(flag);
  T n;
  if (!absl::SimpleAtoi(v, &n)) {
    return BadValue(flag, v, std::is_unsigned_v<T> ? "not an unsigned integer" : "not an integer");
  }
  *out = n;
  return absl::OkStatus();
}

absl::Status ParseSize(const ParsedFlags& f, const std::string& flag, std::optional<int64_t>* out) {
  if (!f.Has(flag)) return absl::OkStatus();
  std::string v = f.Get(flag);
  absl::StatusOr<int64_t> n = ParseMemorySize(v);
  if (!n.ok()) return BadValue(flag, v, n.status().message());
  *out = *n;
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadAllStdin() {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("read resources from", "stdin");
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

absl::StatusOr<int64_t> ParseMemorySize(const std::string& s) {
  if (s == "-1") return -1;
  absl::string_view rest = s;
  size_t i = 0;
  while (i < rest.size() && (absl::ascii_isdigit(rest[i]) || rest[i] == '.')) ++i;
  absl::string_view num = rest.substr(0, i), unit = rest.substr(i);
  if (!unit.empty() && unit[0] == ' ') unit.remove_prefix(1);
  double value;
  if (num.empty() || !absl::SimpleAtod(num, &value) || !std::isfinite(value)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid size: '", s, "'"));
  }
  double mult = 1;
  if (!unit.empty()) {
    const char u = absl::ascii_tolower(unit[0]);
    const std::string units = "kmgtp";
    size_t pos = units.find(u);
    if (pos != std::string::npos) {
      mult = std::pow(1024.0, static_cast<double>(pos + 1));
      unit.remove_prefix(1);
      if (!unit.empty() && absl::ascii_tolower(unit[0]) == 'i') unit.remove_prefix(1);
    }
    if (!unit.empty() && absl::ascii_tolower(unit[0]) == 'b') unit.remove_prefix(1);
    if (!unit.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("invalid size: '", s, "'"));
    }
  }
  double bytes = value * mult;
  if (bytes >= 9.2233720368547758e18) {
    return absl::InvalidArgumentError(absl::StrCat("size '", s, "' is too large"));
  }
  return static_cast<int64_t>(bytes);
}

std::vector<FlagDef> UpdateFlagDefs() {
  std::vector<FlagDef> defs = {
      {"resources", 'r', true,
       "path to a file with the resources (OCI LinuxResources JSON) to apply; - for stdin",
       "path"}};
  for (const ResourceFlag& rf : kResourceFlags) defs.push_back({rf.name, 0, true, rf.help});
  return defs;
}

bool HasResourceFlags(const ParsedFlags& f) {
  for (const ResourceFlag& rf : kResourceFlags) {
    if (f.Has(rf.name)) return true;
  }
  return false;
}

absl::StatusOr<Resources> ResourcesFromUpdateFlags(const ParsedFlags& f) {
  for (const char* rdt : {"l3-cache-schema", "mem-bw-schema"}) {
    if (f.Has(rdt)) {
      return absl::InvalidArgumentError(
          absl::StrCat("update: --", rdt, ": Intel RDT is not supported by ocirun"));
    }
  }
  Resources r;
  MemoryResources m;
  RETURN_IF_ERROR(ParseSize(f, "memory", &m.limit));
  RETURN_IF_ERROR(ParseSize(f, "memory-reservation", &m.reservation));
  RETURN_IF_ERROR(ParseSize(f, "memory-swap", &m.swap));
  RETURN_IF_ERROR(ParseSize(f, "kernel-memory", &m.kernel));
  RETURN_IF_ERROR(ParseSize(f, "kernel-memory-tcp", &m.kernel_tcp));
  if (m.limit || m.reservation || m.swap || m.kernel || m.kernel_tcp) r.memory = m;

  CpuResources c;
  RETURN_IF_ERROR(ParseInt(f, "cpu-period", &c.period));
  RETURN_IF_ERROR(ParseInt(f, "cpu-quota", &c.quota));
  RETURN_IF_ERROR(ParseInt(f, "cpu-share", &c.shares));
  RETURN_IF_ERROR(ParseInt(f, "cpu-shares", &c.shares));
  RETURN_IF_ERROR(ParseInt(f, "cpu-rt-period", &c.realtime_period));
  RETURN_IF_ERROR(ParseInt(f, "cpu-rt-runtime", &c.realtime_runtime));
  c.cpus = f.Get("cpuset-cpus");
  c.mems = f.Get("cpuset-mems");
  if (c.period || c.quota || c.shares || c.realtime_period || c.realtime_runtime ||
      !c.cpus.empty() || !c.mems.empty()) {
    r.cpu = c;
  }

  RETURN_IF_ERROR(ParseInt(f, "pids-limit", &r.pids_limit));

  std::optional<uint32_t> weight;
  RETURN_IF_ERROR(ParseInt(f, "blkio-weight", &weight));
  if (weight.value_or(0) != 0) {
    if (*weight < 10 || *weight > 1000) {
      return BadValue("blkio-weight", f.Get("blkio-weight"), "must be between 10 and 1000");
    }
    r.block_io.emplace();
    r.block_io->weight = static_cast<uint16_t>(*weight);
  }
  return r;
}

int CmdUpdate(const GlobalOptions& g, const Args& args) {
  ParsedFlags f;
  int rc;
  if (!ParseOrUsage("update", "update [--resources FILE|-] [resource flags] <container-id>",
                    "update container resource constraints (only the values given change)",
                    UpdateFlagDefs(), args, &f, &rc))
    return rc;
  std::string id;
  if (!OneId("update", f, &id, &rc)) return rc;
  if (f.Has("resources") && HasResourceFlags(f)) {
    return Fail(absl::InvalidArgumentError(
        "update: --resources cannot be combined with the other resource flags"));
  }
  Resources r;
  if (f.Has("resources")) {
    const std::string file = f.Get("resources");
    absl::StatusOr<std::string> text = file == "-" ? ReadAllStdin() : ReadFile(file);
    if (!text.ok()) return Fail(text.status());
    absl::StatusOr<Resources> parsed = ParseResourcesJson(*text);
    if (!parsed.ok()) {
      return Fail(Annotate(parsed.status(),
                           absl::StrCat("update: --resources ", file == "-" ? "(stdin)" : file)));
    }
    r = std::move(*parsed);
  } else {
    absl::StatusOr<Resources> parsed = ResourcesFromUpdateFlags(f);
    if (!parsed.ok()) return Fail(parsed.status());
    r = std::move(*parsed);
  }
  if (!r.devices.empty()) {
    // runc keeps the device rules of create; so do we (the runtime's own
    // default rules are not in this list, applying it could lock the
    // container out of /dev/null).
    LogWarning("update: linux.resources.devices cannot be changed by update; ignoring");
    r.devices.clear();
  }

  StateDir dir(g.root, id);
  absl::StatusOr<ContainerState> st = dir.Load();
  if (!st.ok()) return Fail(st.status());
  if (CurrentStatus(*st, dir) == Status::kStopped) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat("cannot update container `", id, "`: it is stopped")));
  }
  std::unique_ptr<Cgroup> cg = Cgroup::Open(st->cgroup_path, st->id);
  if (!cg) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat("cannot update container `", id, "`: its cgroup cannot be found")));
  }
  std::vector<std::string> warnings;
  absl::Status s = cg->Update(r, &warnings);
  for (const std::string& w : warnings) LogWarning(w);
  if (!s.ok()) return Fail(Annotate(s, absl::StrCat("updating container `", id, "`")));
  return 0;
}

}  // namespace skiff::runtime::cli
