#!/usr/bin/env bash
# Installs every Debian package Skiff needs to build, run and test.
# Idempotent: safe to run again; installs nothing that is already there.
set -euo pipefail

PACKAGES=(
  # build
  bazel-bootstrap g++ protobuf-compiler protobuf-compiler-grpc
  # libraries
  libabsl-dev libgrpc++-dev libprotobuf-dev libseccomp-dev libcap-dev
  libgoogle-glog-dev libgflags-dev libgtest-dev libgmock-dev nlohmann-json3-dev
  # skiffd: image and layer tars (gzip, zstd), sha256, metadata
  libarchive-dev libssl-dev libzstd-dev libsqlite3-dev
  # test and benchmark tools: a static busybox for test rootfs, the peer
  # runtimes the suites and benchmarks compare against
  busybox-static runc crun iproute2 util-linux time hyperfine
  # real clients driving ocirun (tests/clients): containerd with ctr and its
  # runc v2 shim; podman with conmon (rootful, --network none: no netavark,
  # slirp4netns or uidmap needed)
  containerd podman conmon
  # registry client (libcurl) and its tests: Debian's distribution 2.8
  # registry, openssl for test certificates, htpasswd for bcrypt users
  libcurl4-openssl-dev docker-registry openssl apache2-utils
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
