#!/usr/bin/env bash
# `skiff run` next to `podman run` and containerd's `ctr run`, on one image:
# the busybox tar of //tests/images:busybox_tar.
#
# A benchmark, not a test: CI does not run it. Needs root. For every engine
# that is installed (skiff: built in this repo; podman; containerd + ctr):
#   run      N sequential `run --rm busybox true`, the engines taking turns
#            run by run (after one untimed warm-up run each); median, mean,
#            min, max in ms, and each engine's median / skiff's
#   idle     VmRSS of the daemon (skiffd, containerd) S seconds after start,
#            before anything is loaded into it
#   per-ctr  M containers running `sleep 3600` (started `run -d`, one engine
#            at a time, removed before the next): (daemon + every monitor)
#            / M, with VmRSS (what the task asks; counts shared libraries
#            once per process) and with Pss from smaps_rollup (shares them).
#            Monitors: skiff-shim, containerd-shim-runc-v2, conmon (podman
#            has no daemon: its figure is conmon alone).
#
# How each engine runs:
#   skiff   $SKIFFD --root/--state/--socket in a temp dir (skiff-shim and
#           ocirun first on its PATH), `skiff -H unix://SOCK load -i TAR`,
#           `skiff -H ... run --rm --network none busybox true`.
#   podman  its default config (storage in /var/lib/containers, crun or runc
#           as it picks: printed), plus the flags this host needs:
#           --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 (podman's
#           defaults exceed the hard limits here and root lacks
#           CAP_SYS_RESOURCE; 1024 is also containerd's default) and
#           --network none (no bridge on the host; ctr's containers have
#           only loopback too). `podman load -i TAR` first.
#   ctr     a private containerd (own --root/--state/socket, minimal config,
#           no CRI), runtime io.containerd.runc.v2 with runc,
#           `ctr images import TAR`,
#           `ctr run --rm docker.io/library/busybox:latest bench-rI true`.
# Everything runs in a private mount namespace where this hybrid host's empty
# cgroup2 mount (/sys/fs/cgroup/unified) is unmounted: crun refuses hybrid
# hosts otherwise, and all engines are measured under the same conditions.
# On exit everything the run made is removed: containers, the image in
# podman's store (and the store itself when this run created it), the
# daemons and monitors it started (by pid), mounts, cgroups, temp dirs.
#
# Usage: bash tests/bench/skiff_bench.sh [-n N] [-m M] [-s S] [-e LIST] [-k]
#   -n N     timed runs per engine (default 20)
#   -m M     sleeping containers for the per-container memory (default 100;
#            0 skips that part)
#   -s S     settle time before reading memory, seconds (default 2)
#   -e LIST  engines, comma-separated (default skiff,podman,ctr)
#   -k       keep the temp dir (daemon logs, raw samples)
# Binaries: $SKIFFD (default bazel-bin/manager/daemon/skiffd), $SKIFF
# (bazel-bin/cli/skiff), $SKIFF_SHIM (bazel-bin/shim/skiff-shim), $OCIRUN
# (bazel-bin/runtime/ocirun); $SKIFFD_FLAGS are added to skiffd's flags and
# $SKIFF_RUN_FLAGS (default --network none) to skiff run's. The image:
# $IMAGE (default bazel-bin/tests/images/busybox.tar).
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

SELF=$(readlink -f "$0")
REPO=$(cd "$(dirname "$SELF")/../.." && pwd)
BENCH=skiff_bench
# shellcheck source=tests/bench/lib.sh
source "$REPO/tests/bench/lib.sh"

N=20
M=100
SETTLE=2
ENGINES="skiff podman ctr"
KEEP=0
while getopts "n:m:s:e:kh" opt; do
  case $opt in
    n) N=$OPTARG ;;
    m) M=$OPTARG ;;
    s) SETTLE=$OPTARG ;;
    e) ENGINES=${OPTARG//,/ } ;;
    k) KEEP=1 ;;
    h) usage; exit 0 ;;
    *) echo "usage: $0 [-n N] [-m M] [-s S] [-e skiff,podman,ctr] [-k]" >&2; exit 2 ;;
  esac
done
[[ $N =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive number, got '$N'"
[[ $M =~ ^[0-9]+$ ]] || die "-m wants a number, got '$M'"
[[ $SETTLE =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "-s wants seconds, got '$SETTLE'"
for e in $ENGINES; do
  [[ $e == skiff || $e == podman || $e == ctr ]] || die "-e: unknown engine '$e' (skiff, podman, ctr)"
done
[[ $(id -u) == 0 ]] || die "must run as root"
command -v unshare >/dev/null || die "unshare (util-linux) is missing"

# Everything below runs in a private mount namespace.
enter_private_mount_ns "$@"

IMAGE=$(readlink -f "${IMAGE:-$REPO/bazel-bin/tests/images/busybox.tar}")
[[ -s $IMAGE ]] || die "no image tar at $IMAGE (bazel build //tests/images:busybox_tar)"
REF=docker.io/library/busybox:latest

SKIFFD=${SKIFFD:-$REPO/bazel-bin/manager/daemon/skiffd}
SKIFF=${SKIFF:-$REPO/bazel-bin/cli/skiff}
SKIFF_SHIM=${SKIFF_SHIM:-$REPO/bazel-bin/shim/skiff-shim}
OCIRUN=${OCIRUN:-$REPO/bazel-bin/runtime/ocirun}
read -r -a SKIFF_RUN_FLAGS <<<"${SKIFF_RUN_FLAGS---network none}"
read -r -a SKIFFD_EXTRA <<<"${SKIFFD_FLAGS:-}"
PODMAN_FLAGS=(--network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --label "skiffbench=$$")
NS=skiffbench   # containerd namespace; ctr's cgroups go under /$NS/<id>

# Engines that cannot run here are dropped with the reason.
declare -A SKIP
for e in $ENGINES; do
  case $e in
    skiff)
      missing=""
      for b in "$SKIFFD:manager/daemon:skiffd" "$SKIFF:cli:skiff" "$SKIFF_SHIM:shim:skiff-shim" "$OCIRUN:runtime:ocirun"; do
        IFS=: read -r path pkg name <<<"$b"
        [[ -x $path ]] || missing+=" $path (bazel build //$pkg:$name)"
      done
      [[ -z $missing ]] || SKIP[skiff]="missing$missing"
      ;;
    podman)
      for b in podman conmon; do
        command -v $b >/dev/null || SKIP[podman]="$b is not installed (apt-get install podman)"
      done
      ;;
    ctr)
      for b in containerd ctr containerd-shim-runc-v2 runc; do
        command -v $b >/dev/null || SKIP[ctr]="$b is not installed (apt-get install containerd runc)"
      done
      ;;
  esac
done

W=$(mktemp -d /tmp/skiff-bench.XXXXXX)
SKSOCK=$W/skiff/skiffd.sock
CSOCK=$W/ctrd/c.sock
SKIFFD_PID=
CTRD_PID=
PODMAN_LOADED=0
CTR_IDS=()
# Host state podman and containerd create whatever their config says: removed
# at the end only when this run created it.
HAD_PODMAN_STORE=0; [[ -e /var/lib/containers/storage ]] && HAD_PODMAN_STORE=1
HAD_RUN_CONTAINERS=0; [[ -e /run/containers ]] && HAD_RUN_CONTAINERS=1
HAD_RUN_LIBPOD=0; [[ -e /run/libpod ]] && HAD_RUN_LIBPOD=1
HAD_LIBPOD_CG=0; [[ -e /sys/fs/cgroup/memory/libpod_parent || -e /sys/fs/cgroup/libpod_parent ]] && HAD_LIBPOD_CG=1
# With the cgroup2 mount gone, crun writes its cgroup dirs (and a plain file
# cgroup.procs) into the tmpfs under it: files of this run, removed with rm.
UNIFIED_TMPFS=0; [[ $(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null) == tmpfs ]] && UNIFIED_TMPFS=1
HAD_UNIFIED_LIBPOD=0; [[ -e /sys/fs/cgroup/unified/libpod_parent ]] && HAD_UNIFIED_LIBPOD=1
HAD_RUN_CONTAINERD=0; [[ -e /run/containerd ]] && HAD_RUN_CONTAINERD=1
HAD_NS_CG=0; [[ -e /sys/fs/cgroup/memory/$NS || -e /sys/fs/cgroup/$NS ]] && HAD_NS_CG=1

sk() { timeout 60 "$SKIFF" -H "unix://$SKSOCK" "$@"; }
pm() { timeout 60 podman "$@"; }
c() { timeout 60 ctr -a "$CSOCK" -n "$NS" "$@"; }

# --- host helpers (as tests/clients/lib.sh) -------------------------------------

# Pids whose command line contains STRING (strings unique to this run only).
pids_matching() {
  local p
  for p in /proc/[0-9]*; do
    [[ ${p#/proc/} == "$$" || ${p#/proc/} == "$BASHPID" ]] && continue
    { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF -- "$1" && echo "${p#/proc/}"
  done
  return 0
}

# Pids whose root directory is below DIR: containers whose rootfs is ours.
pids_rooted_under() {
  local p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    [[ $r == "$1"/* ]] && echo "${p#/proc/}"
  done
  return 0
}

kill_pids() {  # kill_pids WHAT PID...
  local what=$1 p; shift
  for p in "$@"; do
    echo "skiff_bench: cleanup: killing leftover $what pid $p: $(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | cut -c1-120)" >&2
    kill -9 "$p" 2>/dev/null
  done
}

# The cgroup REL in every hierarchy: what is left in it is killed, then the
# directories are removed, deepest first.
remove_cgroups() {
  local rel=$1 h d p
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    d=${h%/}/${rel#/}
    [[ -d $d ]] || continue
    [[ $(stat -fc %T "$h") == cgroup* ]] || continue
    for p in $(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
    [[ -d $d ]] && { sleep 0.2; find "$d" -depth -type d -exec rmdir {} + 2>/dev/null; }
    [[ -d $d ]] && echo "skiff_bench: cleanup: could not remove cgroup $d" >&2
  done
  return 0
}

# --- cleanup -------------------------------------------------------------------

podman_ours() { pm ps -aq --no-trunc --filter "label=skiffbench=$$" 2>/dev/null; }

cleanup() {
  local ids id
  if [[ -n $SKIFFD_PID ]]; then
    ids=$(sk ps -aq 2>/dev/null)
    [[ -n $ids ]] && sk rm -f $ids >/dev/null 2>&1
    stop_child "$SKIFFD_PID"
    kill_pids skiff-shim $(pids_matching "$W/skiff")
  fi
  if [[ -n $CTRD_PID ]]; then
    for id in $(c task ls -q 2>/dev/null); do c task delete -f "$id" >/dev/null 2>&1; done
    for id in $(c container ls -q 2>/dev/null); do c container rm "$id" >/dev/null 2>&1; done
    c images rm "$REF" >/dev/null 2>&1
    stop_child "$CTRD_PID"
    kill_pids containerd-shim $(pids_matching "$CSOCK")
    # A killed shim leaves its socket: /run/containerd/s/<sha256 of SOCK/NS/ID>.
    if ((HAD_RUN_CONTAINERD)); then
      for id in "${CTR_IDS[@]}"; do
        rm -f "/run/containerd/s/$(printf '%s' "$CSOCK/$NS/$id" | sha256sum | cut -c1-64)"
      done
    else
      rm -rf /run/containerd
    fi
    ((HAD_NS_CG)) || remove_cgroups "/$NS"
  fi
  if ((PODMAN_LOADED)); then
    ids=$(podman_ours)
    [[ -n $ids ]] && pm rm -f -t 0 $ids >/dev/null 2>&1
    pm rmi -f "$REF" >/dev/null 2>&1
    if ((!HAD_PODMAN_STORE)); then
      unmount_under /var/lib/containers/storage
      unmount_under /run/containers
      rm -rf /var/lib/containers/storage
    fi
    ((HAD_RUN_CONTAINERS)) || rm -rf /run/containers
    ((HAD_RUN_LIBPOD)) || rm -rf /run/libpod
    ((HAD_LIBPOD_CG)) || remove_cgroups /libpod_parent
    ((UNIFIED_TMPFS && !HAD_UNIFIED_LIBPOD)) && rm -rf /sys/fs/cgroup/unified/libpod_parent
  fi
  # Containers whose engine could not remove them.
  kill_pids container $(pids_rooted_under "$W")
  unmount_under "$W"
  if ((KEEP)); then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- memory ---------------------------------------------------------------------

rss_kb() { awk '$1 == "VmRSS:" {print $2; f=1} END {if (!f) print 0}' "/proc/$1/status" 2>/dev/null || echo 0; }
pss_kb() { awk '$1 == "Pss:" {print $2; f=1} END {if (!f) print 0}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
sum_of() {  # sum_of FUNC PID...: FUNC over the pids, summed
  local f=$1 p s=0; shift
  for p in "$@"; do s=$((s + $($f "$p"))); done
  echo $s
}

# The monitors of this run's containers, per engine.
monitors() {
  local p exe
  case $1 in
    skiff)
      exe=$(readlink -f "$SKIFF_SHIM")
      for p in $(pids_matching "$W/skiff"); do
        [[ $(readlink "/proc/$p/exe" 2>/dev/null) == "$exe" ]] && echo "$p"
      done
      ;;
    ctr)
      for p in $(pids_matching "$CSOCK"); do
        [[ $(cat "/proc/$p/comm" 2>/dev/null) == containerd-shim* ]] && echo "$p"
      done
      ;;
    podman)
      local ids
      ids=$(podman_ours | tr '\n' '|')
      [[ -n $ids ]] || return 0
      for p in $(pgrep -x conmon); do
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qE -- "-c (${ids%|}) " && echo "$p"
      done
      ;;
  esac
}

# --- set up ---------------------------------------------------------------------

cgroup_mode() {
  if grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/1/mountinfo 2>/dev/null ||
     [[ -e /sys/fs/cgroup/memory ]]; then echo "hybrid/v1 (/sys/fs/cgroup/unified unmounted in this run's mount ns)"
  else echo "v2 (unified)"; fi
}
echo "skiff_bench: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  host:   $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  cgroup: $(cgroup_mode)"
echo "  image:  $IMAGE ($(du -k "$IMAGE" | cut -f1) KB), busybox-static $(dpkg-query -W -f '${Version}' busybox-static 2>/dev/null)"
echo "  N=$N timed runs per engine (interleaved), M=$M sleeping containers, settle ${SETTLE}s"
if awk -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN { exit !(l > 0.5) }'; then
  echo "  warning: load average above 0.5: other work on the machine skews the figures"
fi

declare -A IDLE
setup_skiff() {
  mkdir -p "$W/skiff/root" "$W/skiff/state" "$W/skiff/bin"
  ln -s "$(readlink -f "$SKIFF_SHIM")" "$W/skiff/bin/skiff-shim"
  ln -s "$(readlink -f "$OCIRUN")" "$W/skiff/bin/ocirun"
  PATH=$W/skiff/bin:$PATH "$SKIFFD" --root "$W/skiff/root" --state "$W/skiff/state" --socket "$SKSOCK" \
    "${SKIFFD_EXTRA[@]}" </dev/null >"$W/skiffd.log" 2>&1 &
  SKIFFD_PID=$!
  wait_for 20 sk version || { echo "skiffd did not answer on $SKSOCK: $(tail -3 "$W/skiffd.log" | tr '\n' ' ')"; return 1; }
  sleep "$SETTLE"
  IDLE[skiff]=$(rss_kb "$SKIFFD_PID")
  sk load -i "$IMAGE" >/dev/null 2>"$W/skiff.err" || { echo "skiff load failed: $(tail -1 "$W/skiff.err")"; return 1; }
  echo "    skiff   $("$SKIFF" --version 2>/dev/null | head -1), skiffd pid $SKIFFD_PID on $SKSOCK, runtime ocirun, run flags: ${SKIFF_RUN_FLAGS[*]}"
}

setup_podman() {
  local rt
  if ((HAD_PODMAN_STORE)) && pm image exists "$REF" 2>/dev/null; then
    echo "podman already has $REF: not replacing it (podman rmi it, or -e skiff,ctr)"
    return 1
  fi
  PODMAN_LOADED=1
  pm load -q -i "$IMAGE" >/dev/null 2>"$W/podman.err" || { echo "podman load failed: $(tail -1 "$W/podman.err")"; return 1; }
  rt=$(pm info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null)
  echo "    podman  $(podman --version | awk '{print $3}'), default config: runtime $rt ($($rt --version 2>/dev/null | head -1)), $(conmon --version | head -1), cgroups $(pm info --format '{{.Host.CgroupManager}}' 2>/dev/null), storage $(pm info --format '{{.Store.GraphDriverName}}' 2>/dev/null); flags: ${PODMAN_FLAGS[*]:0:6}"
}

setup_ctr() {
  local snap=native
  mkdir -p "$W/ctrd"
  cat >"$W/ctrd/config.toml" <<EOF
version = 2
root = "$W/ctrd/root"
state = "$W/ctrd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CSOCK"
[ttrpc]
  address = "$CSOCK.ttrpc"
[debug]
  address = ""
  level = "warn"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$W/ctrd/opt"
EOF
  containerd --config "$W/ctrd/config.toml" </dev/null >"$W/containerd.log" 2>&1 &
  CTRD_PID=$!
  wait_for 20 c version || { echo "containerd did not come up on $CSOCK: $(tail -3 "$W/containerd.log" | tr '\n' ' ')"; return 1; }
  sleep "$SETTLE"
  IDLE[ctr]=$(rss_kb "$CTRD_PID")
  c plugins ls 2>/dev/null | grep -qE '^io\.containerd\.snapshotter\.v1 +overlayfs .* ok' && snap=overlayfs
  export CONTAINERD_SNAPSHOTTER=$snap
  c images import "$IMAGE" >/dev/null 2>"$W/ctr.err" || { echo "ctr images import failed: $(tail -1 "$W/ctr.err")"; return 1; }
  echo "    ctr     containerd $(containerd --version | awk '{print $3}') pid $CTRD_PID on $CSOCK, io.containerd.runc.v2 + $(runc --version | head -1), snapshotter $snap"
}

echo "  engines:"
OK=""
for e in $ENGINES; do
  if [[ -n ${SKIP[$e]:-} ]]; then
    echo "    $e: skipped: ${SKIP[$e]}"
  elif setup_$e >"$W/setup.$e" 2>&1; then
    cat "$W/setup.$e"
    OK+="$e "
  else
    echo "    $e: skipped: $(tr '\n' ' ' <"$W/setup.$e")"
  fi
done
[[ -n $OK ]] || die "no engine can run here"

# --- run --rm busybox true ----------------------------------------------------

run_one() {  # run_one ENGINE INDEX: one `run --rm busybox true`
  case $1 in
    skiff) sk run --rm "${SKIFF_RUN_FLAGS[@]}" busybox true ;;
    podman) pm run --rm "${PODMAN_FLAGS[@]}" busybox true ;;
    ctr) CTR_IDS+=("bench-r$2"); c run --rm "$REF" "bench-r$2" true ;;
  esac </dev/null >/dev/null 2>>"$W/$1.err"
}

mkdir -p "$W/samples"
RUNNERS=""
for e in $OK; do
  if run_one "$e" warm; then RUNNERS+="$e "; else
    echo "  $e: cannot run the image: $(tail -1 "$W/$e.err"); dropped from the timings"
  fi
done
for ((i = 1; i <= N; i++)); do
  for e in $RUNNERS; do
    progress "run $i/$N: $e"
    t0=$EPOCHREALTIME
    run_one "$e" "$i" || { progress ""; die "$e run $i failed: $(tail -2 "$W/$e.err" | tr '\n' ' ')"; }
    t1=$EPOCHREALTIME
    echo $((${t1/./} - ${t0/./})) >>"$W/samples/$e.run"
  done
done
progress ""

BASE=""
for e in skiff ctr podman; do [[ " $RUNNERS " == *" $e "* ]] && { BASE=$e; break; }; done

echo
echo "run --rm busybox true: $N runs each, ms (the CLI's whole invocation, wall clock)"
printf '  %-8s %8s %8s %8s %8s   %s\n' engine median mean min max "median / $BASE"
declare -A MED
for e in $RUNNERS; do MED[$e]=$(awk '{print $1 / 1000}' "$W/samples/$e.run" | median); done
for e in $RUNNERS; do
  f=$W/samples/$e.run
  printf '  %-8s %8.1f %8.1f %8.1f %8.1f   %s\n' "$e" "${MED[$e]}" \
    "$(awk '{s += $1} END {print s / NR / 1000}' "$f")" \
    "$(sort -n "$f" | head -1 | awk '{print $1 / 1000}')" \
    "$(sort -n "$f" | tail -1 | awk '{print $1 / 1000}')" \
    "$(ratio "${MED[$e]}" "${MED[$BASE]}")"
done

# --- idle daemons ----------------------------------------------------------------

echo
echo "idle daemon VmRSS, ${SETTLE}s after start, nothing loaded yet"
for e in skiff ctr; do
  [[ -n ${IDLE[$e]:-} ]] || continue
  name=skiffd; [[ $e == ctr ]] && name=containerd
  printf '  %-11s %7s KB' "$name" "${IDLE[$e]}"
  [[ $e == ctr && -n ${IDLE[skiff]:-} ]] && printf '   containerd / skiffd = %s' "$(ratio "${IDLE[ctr]}" "${IDLE[skiff]}")"
  echo
done
[[ -n ${IDLE[skiff]:-}${IDLE[ctr]:-} ]] || echo "  (no daemon measured)"

# --- per-container memory ---------------------------------------------------------

((M > 0)) || exit 0
start_sleeper() {  # start_sleeper ENGINE INDEX
  case $1 in
    skiff) sk run -d "${SKIFF_RUN_FLAGS[@]}" --name "bench-m$2" busybox sleep 3600 ;;
    podman) pm run -d "${PODMAN_FLAGS[@]}" --name "bench-m$2-$$" busybox sleep 3600 ;;
    ctr) CTR_IDS+=("bench-m$2"); c run -d "$REF" "bench-m$2" sleep 3600 ;;
  esac </dev/null >/dev/null 2>>"$W/$1.err"
}
remove_sleepers() {  # remove_sleepers ENGINE
  local id ids
  case $1 in
    skiff)
      ids=$(sk ps -aq 2>/dev/null)
      [[ -z $ids ]] || sk rm -f $ids >/dev/null 2>>"$W/skiff.err"
      ;;
    podman)
      ids=$(podman_ours)
      [[ -z $ids ]] || pm rm -f -t 0 $ids >/dev/null 2>>"$W/podman.err"
      ;;
    ctr)
      for id in $(c task ls -q 2>/dev/null); do c task delete -f "$id" >/dev/null 2>>"$W/ctr.err"; done
      for id in $(c container ls -q 2>/dev/null); do c container rm "$id" >/dev/null 2>>"$W/ctr.err"; done
      ;;
  esac
}

declare -A DAEMON_RSS MON_N MON_RSS MON_PSS DAEMON_PSS STARTED
for e in $RUNNERS; do
  for ((i = 1; i <= M; i++)); do
    progress "sleepers: $e $i/$M"
    start_sleeper "$e" "$i" || { progress ""; echo "  $e: container $i of $M failed to start: $(tail -1 "$W/$e.err")"; break; }
  done
  progress ""
  started=$((i - 1))
  sleep "$SETTLE"
  mapfile -t mons < <(monitors "$e")
  dpid=; [[ $e == skiff ]] && dpid=$SKIFFD_PID; [[ $e == ctr ]] && dpid=$CTRD_PID
  DAEMON_RSS[$e]=0 DAEMON_PSS[$e]=0
  [[ -n $dpid ]] && DAEMON_RSS[$e]=$(rss_kb "$dpid") DAEMON_PSS[$e]=$(pss_kb "$dpid")
  MON_N[$e]=${#mons[@]}
  MON_RSS[$e]=$(sum_of rss_kb "${mons[@]}")
  MON_PSS[$e]=$(sum_of pss_kb "${mons[@]}")
  STARTED[$e]=$started
  ((started == M)) || echo "  $e: only $started of $M containers started"
  ((${#mons[@]} == started)) || echo "  $e: found ${#mons[@]} monitor processes for $started containers"
  remove_sleepers "$e"
done

echo
echo "memory per container: $M containers running sleep 3600, read ${SETTLE}s after the last start"
printf '  %-8s %9s %6s %11s %16s %16s   %s\n' engine "daemon KB" shims "shims KB" "(d+s)/M RSS KB" "(d+s)/M PSS KB" "RSS ratio / $BASE"
declare -A PER
for e in $RUNNERS; do
  n=${STARTED[$e]}
  PER[$e]=n/a
  ((n > 0)) && PER[$e]=$(awk -v d="${DAEMON_RSS[$e]}" -v s="${MON_RSS[$e]}" -v n="$n" 'BEGIN {printf "%.0f", (d + s) / n}')
done
for e in $RUNNERS; do
  n=${STARTED[$e]}
  ((n > 0)) || { printf '  %-8s no container started\n' "$e"; continue; }
  printf '  %-8s %9s %6s %11s %16s %16s   %s\n' "$e" "${DAEMON_RSS[$e]}" "${MON_N[$e]}" "${MON_RSS[$e]}" "${PER[$e]}" \
    "$(awk -v d="${DAEMON_PSS[$e]}" -v s="${MON_PSS[$e]}" -v n="$n" 'BEGIN {printf "%.0f", (d + s) / n}')" \
    "$(ratio "${PER[$e]}" "${PER[$BASE]:-n/a}")"
done
echo "  daemon: skiffd / containerd (podman has none); shims: skiff-shim / containerd-shim-runc-v2 / conmon"
