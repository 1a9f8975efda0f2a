#pragma once
// From a container's configuration to its OCI runtime spec (config.json),
// with Docker's defaults: the capability set, masked and read-only /proc
// paths, the default seccomp profile, the standard devices and mounts
// (/proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys, cgroup), the
// container's /etc/hostname, /etc/hosts and /etc/resolv.conf bound in, and
// every flag of `skiff run` that changes the spec (resources, user, workdir,
// env, read-only, tmpfs, mounts, cap-add/drop, privileged, security-opt,
// hostname, sysctls, ulimits, devices, namespaces, network none|host).
//
// Errors are InvalidArgument naming the field and the bad value ("unknown
// capability: \"CAP_FOO\"", "--tmpfs: target must be absolute: run"), or
// UNIMPLEMENTED for what the API reserves but skiffd lacks yet (volume
// mounts, bridge and named networks without a network_namespace_path).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "manager/images/image_config.h"
#include "nlohmann/json.hpp"
#include "proto/skiff/v1/types.pb.h"

namespace skiff::manager {

// Docker's rules for merging the user's config over the image's: env
// appended (the user's win per key), an explicit entrypoint clears the
// image's cmd unless a cmd is also given, labels merged, empty fields take
// the image's value; PATH defaults when neither sets it.
skiff::v1::ContainerConfig MergeImageConfig(const skiff::v1::ContainerConfig& user,
                                            const ContainerConfig& image);

// The process's argv (entrypoint + cmd). InvalidArgument when empty ("no
// command specified").
absl::StatusOr<std::vector<std::string>> ProcessArgs(const skiff::v1::ContainerConfig& config);

struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
  std::string home = "/";
};

// "name", "uid", "name:group", "uid:gid" resolved against <rootfs>/etc/passwd
// and /etc/group (read without following links out of the rootfs). "" is
// root. A name missing from passwd is InvalidArgument ("unable to find user
// app: no matching entries in passwd file"); numeric ids need no entry.
absl::StatusOr<ResolvedUser> ResolveUser(const std::string& rootfs, const std::string& user,
                                         const std::vector<std::string>& group_add = {});

struct SpecInput {
  std::string id;
  // The effective config (MergeImageConfig) and the host config.
  skiff::v1::ContainerConfig config;
  skiff::v1::HostConfig host;
  // Absolute path of the mounted rootfs.
  std::string rootfs;
  // Files on the host bound to /etc/hostname, /etc/hosts, /etc/resolv.conf
  // ("" skips one).
  std::string hostname_file;
  std::string hosts_file;
  std::string resolv_conf_file;
  // The cgroup path for linux.cgroupsPath ("/skiff/<id>" by default).
  std::string cgroups_path;
  // A network namespace to join (an nsfs bind mount the caller prepared for
  // a bridge or named network). "" gives a new, empty one for "" and "none"
  // and the host's for "host"; other modes then are UNIMPLEMENTED.
  std::string network_namespace_path;
};

absl::StatusOr<nlohmann::json> BuildSpec(const SpecInput& in);

// The contents of the container's /etc/hostname, /etc/hosts and
// /etc/resolv.conf (the host's resolv.conf without loopback nameservers;
// with none left, no nameserver lines, as docker's
// --network none gives). `network_mode` "host" copies the host's files.
std::string HostnameFile(const std::string& hostname);
std::string HostsFile(const std::string& hostname, const std::string& network_mode);
absl::StatusOr<std::string> ResolvConfFile(const std::string& network_mode,
                                           const std::string& host_resolv_conf = "/etc/resolv.conf");

}  // namespace skiff::manager
