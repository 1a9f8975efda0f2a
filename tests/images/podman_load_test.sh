#!/usr/bin/env bash
# `podman load -i busybox.tar` accepts the image mkimage writes: it is listed
# as docker.io/library/busybox:latest with Cmd [sh] and no entrypoint.
# podman runs on private --root/--runroot/--tmpdir dirs with the vfs driver,
# so the host's images are never touched. Prints SKIPPED and passes when
# podman is not installed or this is not root.
#
# Usage: podman_load_test.sh BUSYBOX_TAR
set -u
TAR=$(readlink -f "${1:?usage: podman_load_test.sh BUSYBOX_TAR}")
PODMAN=${PODMAN:-/usr/bin/podman}

[[ -x $PODMAN ]] || { echo "SKIPPED: $PODMAN is not installed (apt-get install podman)"; exit 0; }
[[ $(id -u) == 0 ]] || { echo "SKIPPED: podman load with private storage needs root (uid $(id -u))"; exit 0; }
[[ -s $TAR ]] || { echo "FAIL: no image tar at $TAR"; exit 1; }

# podman wants a short runroot: /tmp, not Bazel's TEST_TMPDIR.
P=$(mktemp -d /tmp/skiff-pload.XXXXXX)
HAD_CACHE=0; [[ -e /var/lib/containers/cache/blob-info-cache-v1.boltdb ]] && HAD_CACHE=1
HAD_VLC=0; [[ -e /var/lib/containers ]] && HAD_VLC=1
pm() {
  TMPDIR=$P/tmp timeout 120 "$PODMAN" --root "$P/root" --runroot "$P/run" --tmpdir "$P/libpod" \
    --storage-driver vfs --events-backend none --cgroup-manager cgroupfs "$@"
}
cleanup() {
  pm rmi -a -f >/dev/null 2>&1
  rm -rf "$P"
  # podman load's blob-info cache ignores --root.
  ((HAD_CACHE)) || rm -f /var/lib/containers/cache/blob-info-cache-v1.boltdb
  ((HAD_VLC)) || rmdir /var/lib/containers/cache /var/lib/containers 2>/dev/null
  return 0
}
trap cleanup EXIT
mkdir -p "$P/tmp"

FAILS=0
check() {  # check WHAT GOT WANT
  if [[ $2 == "$3" ]]; then echo "ok   $1: $2"; else echo "FAIL $1: got '$2', want '$3'"; FAILS=$((FAILS + 1)); fi
}

out=$(pm load -i "$TAR" 2>&1); rc=$?
check "podman load exit code" "$rc" 0
[[ $rc == 0 ]] || { echo "$out"; exit 1; }
check "podman load output names the image" "$(grep -o 'docker.io/library/busybox:latest' <<<"$out" | head -1)" \
  docker.io/library/busybox:latest
check "podman images" "$(pm images --format '{{.Repository}}:{{.Tag}}' 2>&1)" docker.io/library/busybox:latest
check "Cmd" "$(pm image inspect --format '{{.Config.Cmd}}' busybox 2>&1)" "[sh]"
check "Entrypoint" "$(pm image inspect --format '{{.Config.Entrypoint}}' busybox 2>&1)" "[]"
check "Os/Architecture" "$(pm image inspect --format '{{.Os}}/{{.Architecture}}' busybox 2>&1)" \
  "linux/$(dpkg --print-architecture 2>/dev/null || echo amd64)"
((FAILS == 0)) || { echo "$FAILS check(s) failed"; exit 1; }
echo PASS
