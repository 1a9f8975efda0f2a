#pragma once
// The flags of `skiff run` and `skiff create` (docker's names, shorthands and
// value syntax) and their mapping onto a CreateContainerRequest.
//
//   RunOptions opts;
//   FlagSet fs("skiff run [OPTIONS] IMAGE [COMMAND] [ARG...]", "...");
//   opts.Register(fs, /*run=*/true);
//   ASSIGN_OR_RETURN(auto args, fs.Parse(argv, /*interspersed=*/false));
//   ASSIGN_OR_RETURN(auto req, BuildCreateRequest(opts, fs, args));
//
// BuildCreateRequest validates what docker's CLI validates before calling the
// daemon (restart policy syntax, --rm with --restart, relative workdir,
// malformed -v/--mount/--ulimit/--device/--sysctl, an unknown --pull) and
// returns InvalidArgument with docker's wording; the daemon checks the rest
// (capability names, image presence, name syntax).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/flags.h"
#include "proto/skiff/v1/container.pb.h"

namespace skiff::cli {

struct RunOptions {
  // Client-side behaviour (detach, --rm's wait, attach).
  bool detach = false;
  bool interactive = false;
  bool tty = false;
  bool rm = false;
  std::string detach_keys;
  std::string pull = "missing";  // "always", "missing" or "never"
  bool quiet = false;             // no pull output
  std::string platform;

  std::string name;
  std::vector<std::string> env, env_files, labels;
  std::string user, workdir, entrypoint, hostname, domainname;
  int64_t memory = 0, memory_swap = 0, memory_reservation = 0;
  int64_t nano_cpus = 0, cpu_shares = 0;
  std::string cpuset_cpus, cpuset_mems;
  int64_t pids_limit = 0;
  bool read_only = false;
  std::vector<std::string> tmpfs, volumes, mounts;
  std::vector<std::string> cap_add, cap_drop, security_opt;
  bool privileged = false;
  std::string network;
  std::string restart;
  std::string stop_signal;
  int64_t stop_timeout = 0;
  std::vector<std::string> ulimits, devices, sysctls, expose, group_add, publish;
  int64_t shm_size = 0;
  bool init = false;
  int64_t oom_score_adj = 0;
  std::string ipc, pid, uts, runtime;

  // Registers every flag on `fs`; `run` adds run-only flags (-d,
  // --detach-keys).
  void Register(FlagSet& fs, bool run);
};

// `positional`: IMAGE [COMMAND] [ARG...]. `environ` looks up "-e NAME" and
// env-file entries without a value (the local environment's value; the
// variable is dropped when unset, as docker does).
absl::StatusOr<skiff::v1::CreateContainerRequest> BuildCreateRequest(
    const RunOptions& opts, const FlagSet& fs, const std::vector<std::string>& positional,
    const char* (*environ_lookup)(const char*) = nullptr);

// The environment of -e and --env-file (files first, then -e, later entries
// win), as run and exec use it.
absl::StatusOr<std::vector<std::string>> ExpandEnv(
    const std::vector<std::string>& env, const std::vector<std::string>& env_files,
    const char* (*environ_lookup)(const char*) = nullptr);

// docker --restart: "no", "always", "unless-stopped", "on-failure[:N]".
absl::StatusOr<skiff::v1::RestartPolicy> ParseRestartPolicy(const std::string& text);

}  // namespace skiff::cli
