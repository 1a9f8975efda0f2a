#!/usr/bin/env bash
# Builds Skiff's four binaries and installs them into $PREFIX/bin
# (/usr/local/bin by default): ocirun, skiff-shim, skiffd, skiff. skiffd finds
# ocirun and skiff-shim beside itself.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}

bazel build //runtime:ocirun //shim:skiff-shim //manager/daemon:skiffd //cli:skiff
install -d "$PREFIX/bin"
for b in runtime/ocirun shim/skiff-shim manager/daemon/skiffd cli/skiff; do
  install -m 0755 "bazel-bin/$b" "$PREFIX/bin/$(basename "$b")"
done
echo "installed ocirun, skiff-shim, skiffd and skiff into $PREFIX/bin"
