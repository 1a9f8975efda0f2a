#!/usr/bin/env bash
# Memory and start-up latency of skiff-shim next to conmon, on one bundle,
# with ocirun as the runtime of both.
#
# A benchmark, not a test: CI does not run it. Needs root. For each monitor
# (skiff-shim, and conmon when installed), N samples, the monitors taking
# turns sample by sample. One sample:
#   1. start the monitor on a fresh container; latency = from just before
#      the monitor is started to its handshake line on the sync pipe
#      (skiff-shim: "created <pid>" on --sync-fd; conmon: {"data": <pid>} on
#      _OCI_SYNCPIPE). Both include the daemonizing and `ocirun create`.
#   2. `ocirun start`; the container is idle (`sleep`);
#   3. after S seconds (-s, default 1): Rss and Pss of the monitor from
#      /proc/PID/smaps_rollup (steady), VmHWM from /proc/PID/status (peak);
#   4. the same for a container that first prints 1000 lines on stdout and
#      1000 on stderr and then idles ("after output");
#   5. `ocirun kill KILL`, the monitor exits, `ocirun delete --force`.
# Figures are medians over the N samples. Times come from bash's
# $EPOCHREALTIME (no fork per sample).
#
# Usage: bash tests/bench/shim_bench.sh [-n N] [-s SECONDS] [-k]
#   -n N   samples per monitor and scenario (default 10)
#   -s S   seconds between `start` and the memory reading (default 1)
#   -k     keep the temp dir (bundles, logs, raw samples)
# Binaries: $SHIM (default bazel-bin/shim/skiff-shim of this repo), $OCIRUN
# (bazel-bin/runtime/ocirun), $CONMON (/usr/bin/conmon).
set -uo pipefail

SELF=$(readlink -f "$0")
REPO=$(cd "$(dirname "$SELF")/../.." && pwd)
SHIM=${SHIM:-$REPO/bazel-bin/shim/skiff-shim}
OCIRUN=${OCIRUN:-$REPO/bazel-bin/runtime/ocirun}
CONMON=${CONMON:-/usr/bin/conmon}
N=10
SETTLE=1
KEEP=0
while getopts "n:s:k" opt; do
  case $opt in
    n) N=$OPTARG ;;
    s) SETTLE=$OPTARG ;;
    k) KEEP=1 ;;
    *) sed -n '2,/^set -uo/p' "$SELF" | sed 's/^# \{0,1\}//; /^set -uo/d'; exit 2 ;;
  esac
done

die() { echo "shim_bench: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root"
[[ -x $SHIM ]] || die "no skiff-shim at $SHIM (bazel build //shim:skiff-shim)"
[[ -x $OCIRUN ]] || die "no ocirun at $OCIRUN (bazel build //runtime:ocirun)"
[[ -x /bin/busybox ]] || die "needs /bin/busybox (busybox-static)"
MONITORS=(skiff-shim)
if [[ -x $CONMON ]]; then MONITORS+=(conmon); else echo "shim_bench: no conmon at $CONMON; measuring skiff-shim only" >&2; fi

busy=$(awk '{print $1}' /proc/loadavg)
if awk -v l="$busy" 'BEGIN { exit !(l > 0.5) }'; then
  echo "shim_bench: WARNING: load average $busy; figures from a busy machine are noisy" >&2
fi

TMP=$(mktemp -d /tmp/shim-bench.XXXXXX)
ROOT=$TMP/root
CURRENT_ID=
cleanup() {
  if [[ -n $CURRENT_ID ]]; then
    "$OCIRUN" --root "$ROOT" delete --force "$CURRENT_ID" </dev/null >/dev/null 2>&1
  fi
  if [[ -d $ROOT ]]; then
    for id in $("$OCIRUN" --root "$ROOT" list -q 2>/dev/null); do
      "$OCIRUN" --root "$ROOT" delete --force "$id" </dev/null >/dev/null 2>&1
    done
  fi
  exec 7>&- 2>/dev/null
  if ((KEEP)); then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# --- one bundle per scenario ------------------------------------------------
make_bundle() {  # DIR ARGS_JSON
  local dir=$1 args=$2
  mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/dev" "$dir/rootfs/sys" "$dir/rootfs/tmp"
  cp /bin/busybox "$dir/rootfs/bin/busybox"
  for a in sh sleep echo; do ln -sf busybox "$dir/rootfs/bin/$a"; done
  (cd "$dir" && "$OCIRUN" spec) || die "ocirun spec failed"
  python3 - "$dir/config.json" "$args" <<'EOF'
import json, sys
path, args = sys.argv[1], json.loads(sys.argv[2])
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = args
c["root"]["readonly"] = False
json.dump(c, open(path, "w"), indent=1)
EOF
}
make_bundle "$TMP/idle" '["/bin/sleep", "100000"]'
make_bundle "$TMP/chatty" '["/bin/sh", "-c", "i=0; while [ $i -lt 1000 ]; do echo stdout line $i; echo stderr line $i >&2; i=$((i+1)); done; exec sleep 100000"]'
mkdir -p "$ROOT"
mkfifo "$TMP/sync"
exec 7<>"$TMP/sync"  # both ends stay open here: no SIGPIPE, no blocking open

field() { awk -v k="$1:" '$1 == k { print $2 }' "$2" 2>/dev/null; }

# --- one sample: MONITOR SCENARIO INDEX -> "latency_us rss pss hwm" ---------
sample() {
  local mon=$1 scen=$2 i=$3
  local id=bench-$mon-$scen-$i dir=$TMP/run/$mon-$scen-$i pid t0 t1 line
  mkdir -p "$dir"
  CURRENT_ID=$id
  t0=$EPOCHREALTIME
  case $mon in
    skiff-shim)
      "$SHIM" --id "$id" --bundle "$TMP/$scen" --state-dir "$dir/state" --runtime "$OCIRUN" \
        --runtime-root "$ROOT" --sync-fd 3 3>"$TMP/sync" </dev/null >/dev/null 2>>"$TMP/errors" ||
        { echo "skiff-shim failed to start" >>"$TMP/errors"; return 1; }
      ;;
    conmon)
      mkdir -p "$dir/exits" "$dir/sock"
      _OCI_SYNCPIPE=3 "$CONMON" --api-version 1 -c "$id" -u "$id" -n "$id" -r "$OCIRUN" \
        -b "$TMP/$scen" -p "$dir/pidfile" --exit-dir "$dir/exits" --socket-dir-path "$dir/sock" \
        -l "k8s-file:$dir/ctr.log" --log-level warning --conmon-pidfile "$dir/conmon.pid" \
        --runtime-arg "--root=$ROOT" --runtime-arg --log-format=json \
        --runtime-arg --log "--runtime-arg=$dir/oci-log" \
        3>"$TMP/sync" </dev/null >/dev/null 2>>"$TMP/errors" ||
        { echo "conmon failed to start" >>"$TMP/errors"; return 1; }
      ;;
  esac
  read -r -t 30 line <&7 || { echo "$mon: no handshake" >>"$TMP/errors"; return 1; }
  t1=$EPOCHREALTIME
  case $line in
    created*|'{"data": '[0-9]*) ;;
    *) echo "$mon: create failed: $line" >>"$TMP/errors"; return 1 ;;
  esac
  if [[ $mon == skiff-shim ]]; then pid=$(<"$dir/state/shim.pid"); else pid=$(<"$dir/conmon.pid"); fi
  "$OCIRUN" --root "$ROOT" start "$id" </dev/null >/dev/null 2>>"$TMP/errors" || return 1
  sleep "$SETTLE"
  local rss pss hwm
  rss=$(field Rss "/proc/$pid/smaps_rollup")
  pss=$(field Pss "/proc/$pid/smaps_rollup")
  hwm=$(field VmHWM "/proc/$pid/status")
  "$OCIRUN" --root "$ROOT" kill "$id" KILL </dev/null >/dev/null 2>&1
  local k
  for ((k = 0; k < 500; k++)); do
    [[ -e /proc/$pid ]] && [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] || break
    sleep 0.01
  done
  if [[ -e /proc/$pid ]] && [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]; then
    echo "$mon $pid did not exit after its container; killing it" >>"$TMP/errors"
    kill -KILL "$pid" 2>/dev/null
  fi
  "$OCIRUN" --root "$ROOT" delete --force "$id" </dev/null >/dev/null 2>&1
  CURRENT_ID=
  echo "$(( ${t1/./} - ${t0/./} )) $rss $pss $hwm"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m }'; }

mkdir -p "$TMP/samples"
for scen in idle chatty; do
  # Warm-up: one untimed sample per monitor (page cache, binaries).
  for mon in "${MONITORS[@]}"; do sample "$mon" "$scen" warm >/dev/null; done
  for ((i = 1; i <= N; i++)); do
    for mon in "${MONITORS[@]}"; do
      s=$(sample "$mon" "$scen" "$i") || { echo "shim_bench: $mon sample $i failed:" >&2; cat "$TMP/errors" >&2; exit 1; }
      echo "$s" >>"$TMP/samples/$mon-$scen"
    done
  done
done

echo
echo "skiff-shim $("$SHIM" --version | awk '{print $2}') vs $( [[ -x $CONMON ]] && "$CONMON" --version | head -1 || echo 'no conmon'), runtime $OCIRUN"
echo "N=$N samples per cell, memory read ${SETTLE}s after start; medians"
echo
printf '%-11s | %-22s | %-9s | %-9s | %-9s | %-9s | %-9s\n' monitor "start-to-created ms" "peak RSS" "idle RSS" "idle PSS" "out RSS" "out PSS"
printf '%s\n' "------------|------------------------|-----------|-----------|-----------|-----------|----------"
for mon in "${MONITORS[@]}"; do
  f=$TMP/samples/$mon-idle g=$TMP/samples/$mon-chatty
  lat=$(awk '{print $1 / 1000}' "$f" | median)
  hwm=$(awk '{print $4}' "$f" | median)
  irss=$(awk '{print $2}' "$f" | median)
  ipss=$(awk '{print $3}' "$f" | median)
  orss=$(awk '{print $2}' "$g" | median)
  opss=$(awk '{print $3}' "$g" | median)
  printf '%-11s | %-22s | %-9s | %-9s | %-9s | %-9s | %-9s\n' "$mon" "$lat" "$hwm KB" "$irss KB" "$ipss KB" "$orss KB" "$opss KB"
done
