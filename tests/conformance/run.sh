#!/bin/bash
# Runs the OCI runtime-spec conformance suite against one runtime.
#
#   tests/conformance/run.sh --runtime ocirun|runc|crun [--no-ledger] [gtest flags...]
#
#   --runtime NAME   ocirun (bazel-bin/runtime/ocirun, built here), runc
#                    (/usr/sbin/runc) or crun (/usr/bin/crun); or a path to
#                    any binary with runc's command line.
#   --no-ledger      also run the cases ledger.txt skips for this runtime
#                    (to check whether an entry is still needed).
#   anything else    passed to the gtest binary (--gtest_filter=..., ...).
#
# Needs root. Builds with bazel first (it waits for the output lock when
# another build runs). Exit status: the suite's; 2 when the runtime cannot
# run containers here at all.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# With the cgroup2 mount gone (see "hybrid cgroups" below), crun takes the
# tmpfs directory under it for the unified hierarchy: it makes
# /sys/fs/cgroup/unified/<cgroupsPath> there, with a plain file cgroup.procs
# its delete cannot rmdir, on the host's tmpfs. This removes that litter for
# the names matching the globs, and only it (files named cgroup.procs, then
# empty directories, on the tmpfs); call it where the cgroup2 tree is unmounted.
clean_shadowed_unified() {  # clean_shadowed_unified GLOB...
  local u=/sys/fs/cgroup/unified glob d
  [ "$(stat -fc %T "$u" 2>/dev/null)" = tmpfs ] || return 0
  for glob in "$@"; do
    [ -n "$glob" ] || continue
    for d in "$u"/$glob; do
      if [ -d "$d" ] && [ ! -L "$d" ] && [ "$(stat -fc %T "$d")" = tmpfs ] && ! mountpoint -q "$d"; then
        find "$d" -xdev -depth \( -type f -name cgroup.procs -delete \) -o \( -type d -empty -delete \)
        [ ! -e "$d" ] || echo "run.sh: left $d: it holds more than a runtime's cgroup.procs" >&2
      fi
    done
  done
}

# Inner mode, already inside `unshare -m`: run.sh --without-unified GLOB CMD...
# unmounts the cgroup2 tree, runs CMD, then cleans up after it: GLOB (ids
# made outside the suite) and skiff-it-<CMD's pid>-*, the suite's ids and
# cgroupsPaths (tests/rootfs/bundle.h names them so).
if [ "${1:-}" = --without-unified ]; then
  glob=$2
  shift 2
  umount /sys/fs/cgroup/unified
  pidfile=$(mktemp /tmp/conformance-pid.XXXXXX)
  trap ':' INT TERM  # clean up however CMD ends
  set +e
  bash -c 'echo $$ >"$0" && exec "$@"' "$pidfile" "$@"
  status=$?
  pid=$(cat "$pidfile")
  rm -f "$pidfile"
  clean_shadowed_unified "$glob" ${pid:+"skiff-it-$pid-*"}
  exit $status
fi
runtime=ocirun
no_ledger=
gtest_args=()

while [ $# -gt 0 ]; do
  case "$1" in
    --runtime) runtime=${2:?--runtime needs a value}; shift 2 ;;
    --runtime=*) runtime=${1#--runtime=}; shift ;;
    --no-ledger) no_ledger=1; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) gtest_args+=("$1"); shift ;;
  esac
done

case "$runtime" in
  ocirun) binary="$root/bazel-bin/runtime/ocirun"; name=ocirun ;;
  runc) binary=/usr/sbin/runc; name=runc ;;
  crun) binary=/usr/bin/crun; name=crun ;;
  /*) binary=$runtime; name=$(basename "$runtime") ;;
  *) echo "run.sh: unknown runtime '$runtime' (ocirun, runc, crun or an absolute path)" >&2; exit 2 ;;
esac

if [ "$(id -u)" != 0 ]; then
  echo "run.sh: the conformance suite needs root (namespaces, mounts, cgroups)" >&2
  exit 2
fi

cd "$root"
bazel build //runtime:ocirun //tests/helper:ocitest //tests/conformance:conformance_test

if [ ! -x "$binary" ]; then
  echo "run.sh: $name not found at $binary" >&2
  exit 2
fi

export OCIRUN=$binary
export OCITEST=$root/bazel-bin/tests/helper/ocitest
export CONFORMANCE_LEDGER=$here/ledger.txt
export CONFORMANCE_RUNTIME=$name
if [ -n "$no_ledger" ]; then export CONFORMANCE_IGNORE_LEDGER=1; fi
suite=$root/bazel-bin/tests/conformance/conformance_test

echo "run.sh: runtime $name: $binary ($("$binary" --version 2>/dev/null | head -n1))"

# crun 1.8 refuses a hybrid cgroup layout (v1 controllers plus a v2 hierarchy
# at /sys/fs/cgroup/unified). In a private mount namespace without that v2
# mount it sees plain cgroup v1 and works; the suite runs in the same
# namespace, so what it creates (mounts, cgroups) is seen the same way.
private_ns=
if [ "$name" = crun ] && mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
  echo "run.sh: hybrid cgroups: running crun in a private mount namespace without /sys/fs/cgroup/unified"
  private_ns=1
fi
# wrapped GLOB CMD...: runs CMD where crun must run (GLOB: the ids of the
# containers CMD makes itself, outside the suite's naming).
wrapped() {
  local glob=$1
  shift
  if [ -n "$private_ns" ]; then
    unshare -m --propagation private bash "$here/run.sh" --without-unified "$glob" "$@"
  else
    "$@"
  fi
}

if [ "$name" = crun ]; then
  # Preflight: can crun run a container here at all?
  tmp=$(mktemp -d /tmp/conformance-crun.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/bundle/rootfs/bin"
  cp /bin/busybox "$tmp/bundle/rootfs/bin/busybox"
  ln -s busybox "$tmp/bundle/rootfs/bin/sh"
  ln -s busybox "$tmp/bundle/rootfs/bin/true"
  (cd "$tmp/bundle" && "$binary" spec)
  sed -i -e 's/"terminal": true/"terminal": false/' -e 's/"sh"$/"true"/' "$tmp/bundle/config.json"
  if ! out=$(wrapped "conformance-preflight-$$" "$binary" --root "$tmp/state" run \
      --bundle "$tmp/bundle" "conformance-preflight-$$" 2>&1 </dev/null); then
    echo "run.sh: crun cannot run containers on this host, even in a private mount namespace" >&2
    echo "run.sh: crun said: $out" >&2
    exit 2
  fi
fi

set +e
wrapped "" "$suite" "${gtest_args[@]}"
status=$?
set -e
echo "run.sh: $name: suite exit status $status"
exit $status
