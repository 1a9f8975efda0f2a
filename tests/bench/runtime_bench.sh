#!/usr/bin/env bash
# Start-up cost of ocirun next to runc and crun, on one busybox bundle.
#
# A benchmark, not a test: CI does not run it. Needs root. Measures, for
# every runtime that is installed:
#   run      N sequential `run` of /bin/true (unique id each, private --root)
#   cycle    N `create` + `start` + `delete --force` of /bin/true
#   exec     N sequential `exec ID /bin/true` into one running container
#            (its process: /bin/sleep), started and deleted outside the timing
#   rss      peak RSS of one `run` (GNU time's %M: the largest process of
#            the runtime's tree as wait4 reports it), median of 5
# Times are taken with bash's $EPOCHREALTIME (no fork per sample). Each of
# `run` and `cycle` is done in B batches (default 3), the runtimes taking
# turns batch by batch; a batch's figure is its wall time / N. `exec` too.
#
# Every batch runs in a private mount namespace where the empty cgroup2 tree
# of this hybrid host (/sys/fs/cgroup/unified) is unmounted: crun 1.8 refuses
# hybrid hosts otherwise, and all runtimes are measured under the same
# conditions. Everything is sequential (the machine has 2 cores). crun then
# writes its cgroups into the tmpfs directory under that mount point; each
# batch removes those of its own ids before its namespace goes away.
#
# Usage: bash tests/bench/runtime_bench.sh [-n N] [-b BATCHES]
#          [-r ocirun,runc,crun] [-s SPEC_RUNTIME] [-k]
#   -n N       containers per batch (default 50)
#   -b B       batches per measurement (default 3)
#   -r LIST    runtimes to measure (default: those installed)
#   -s NAME    runtime whose `spec` writes the shared config.json (default ocirun)
#   -k         keep the temp dir (bundle, state roots, raw samples)
# Binaries: $OCIRUN (default bazel-bin/runtime/ocirun of this repo),
# $RUNC (/usr/sbin/runc), $CRUN (/usr/bin/crun).
set -uo pipefail

SELF=$(readlink -f "$0")
REPO=$(cd "$(dirname "$SELF")/../.." && pwd)

# With the cgroup2 mount gone, crun takes the tmpfs directory under it for
# the unified hierarchy: it makes /sys/fs/cgroup/unified/<id> there, with a
# plain file cgroup.procs its delete cannot rmdir, on the host's tmpfs. This
# removes that litter for the ids matching the globs, and only it (files
# named cgroup.procs, then empty directories, on the tmpfs); call it where
# the cgroup2 tree is unmounted.
clean_shadowed_unified() {  # clean_shadowed_unified GLOB...
  local u=/sys/fs/cgroup/unified glob d
  [[ $(stat -fc %T "$u" 2>/dev/null) == tmpfs ]] || return 0
  for glob in "$@"; do
    [[ -n $glob ]] || continue
    for d in "$u"/$glob; do
      [[ -d $d && ! -L $d && $(stat -fc %T "$d") == tmpfs ]] && ! mountpoint -q "$d" || continue
      find "$d" -xdev -depth \( -type f -name cgroup.procs -delete \) -o \( -type d -empty -delete \)
      [[ ! -e $d ]] || echo "runtime_bench: left $d: it holds more than a runtime's cgroup.procs" >&2
    done
  done
}

# --- inner mode: one batch, already inside `unshare -m` --------------------
# runtime_bench.sh --batch MODE BIN ROOT BUNDLE PREFIX N OUT ERR
if [[ ${1:-} == --batch ]]; then
  mode=$2 bin=$3 root=$4 bundle=$5 prefix=$6 n=$7 out=$8 err=$9
  umount /sys/fs/cgroup/unified 2>/dev/null || true
  : >"$out"
  if [[ $mode == exec ]]; then
    # One running container (the sleep bundle next to BUNDLE) to exec into.
    target=$prefix-target
    "$bin" --root "$root" run --detach --bundle "$bundle-sleep" "$target" </dev/null >/dev/null 2>>"$err" ||
      { echo "run --detach $target failed" >>"$err"; exit 1; }
    trap '"$bin" --root "$root" delete --force "$target" </dev/null >/dev/null 2>&1
      clean_shadowed_unified "$prefix-*"' EXIT
  else
    trap 'clean_shadowed_unified "$prefix-*"' EXIT
  fi
  start=$EPOCHREALTIME
  for ((i = 1; i <= n; i++)); do
    id=$prefix-$i
    t0=$EPOCHREALTIME
    case $mode in
      run)
        "$bin" --root "$root" run --bundle "$bundle" "$id" </dev/null >/dev/null 2>>"$err" ||
          { echo "run $id failed" >>"$err"; exit 1; }
        ;;
      cycle)
        "$bin" --root "$root" create --bundle "$bundle" "$id" </dev/null >/dev/null 2>>"$err" ||
          { echo "create $id failed" >>"$err"; exit 1; }
        "$bin" --root "$root" start "$id" </dev/null >/dev/null 2>>"$err" ||
          { echo "start $id failed" >>"$err"; "$bin" --root "$root" delete --force "$id" \
              </dev/null >/dev/null 2>&1; exit 1; }
        "$bin" --root "$root" delete --force "$id" </dev/null >/dev/null 2>>"$err" ||
          { echo "delete $id failed" >>"$err"; exit 1; }
        ;;
      exec)
        "$bin" --root "$root" exec "$target" /bin/true </dev/null >/dev/null 2>>"$err" ||
          { echo "exec $target failed" >>"$err"; exit 1; }
        ;;
      rss)
        /usr/bin/time -f %M -a -o "$out" "$bin" --root "$root" run --bundle "$bundle" "$id" \
          </dev/null >/dev/null 2>>"$err" || { echo "run $id failed" >>"$err"; exit 1; }
        continue
        ;;
    esac
    t1=$EPOCHREALTIME
    echo $((${t1/./} - ${t0/./})) >>"$out"  # microseconds
  done
  end=$EPOCHREALTIME
  [[ $mode == rss ]] || echo "total $((${end/./} - ${start/./}))" >>"$out"
  exit 0
fi

# --- cleanup-only inner mode: delete leftovers of one state root ------------
if [[ ${1:-} == --cleanup ]]; then
  bin=$2 root=$3
  umount /sys/fs/cgroup/unified 2>/dev/null || true
  [[ -d $root ]] || exit 0
  for id in $("$bin" --root "$root" list -q 2>/dev/null); do
    "$bin" --root "$root" delete --force "$id" </dev/null >/dev/null 2>&1
  done
  exit 0
fi

# --- inner mode: what a killed batch left under the unmounted cgroup2 tree ---
# runtime_bench.sh --clean-shadowed PREFIX
if [[ ${1:-} == --clean-shadowed ]]; then
  umount /sys/fs/cgroup/unified 2>/dev/null || exit 0
  clean_shadowed_unified "$2-*"
  exit 0
fi

# --- driver ------------------------------------------------------------------
N=50
BATCHES=3
RUNTIMES=""
SPEC_FROM=ocirun
KEEP=0
while getopts "n:b:r:s:kh" opt; do
  case $opt in
    n) N=$OPTARG ;;
    b) BATCHES=$OPTARG ;;
    r) RUNTIMES=${OPTARG//,/ } ;;
    s) SPEC_FROM=$OPTARG ;;
    k) KEEP=1 ;;
    h) sed -n '2,/^set -uo/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [-n N] [-b BATCHES] [-r ocirun,runc,crun] [-s RUNTIME] [-k]" >&2; exit 2 ;;
  esac
done
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "runtime_bench: -n wants a positive number" >&2; exit 2; }
[[ $BATCHES =~ ^[1-9][0-9]*$ ]] || { echo "runtime_bench: -b wants a positive number" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "runtime_bench: must run as root" >&2; exit 1; }
[[ -x /bin/busybox ]] || { echo "runtime_bench: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }
command -v unshare >/dev/null || { echo "runtime_bench: unshare (util-linux) missing" >&2; exit 1; }

declare -A BIN=(
  [ocirun]=${OCIRUN:-$REPO/bazel-bin/runtime/ocirun}
  [runc]=${RUNC:-/usr/sbin/runc}
  [crun]=${CRUN:-/usr/bin/crun}
)
if [[ -z $RUNTIMES ]]; then
  for rt in ocirun runc crun; do [[ -x ${BIN[$rt]} ]] && RUNTIMES+="$rt "; done
fi
for rt in $RUNTIMES; do
  [[ -n ${BIN[$rt]:-} ]] || { echo "runtime_bench: unknown runtime $rt" >&2; exit 2; }
  [[ -x ${BIN[$rt]} ]] || {
    echo "runtime_bench: $rt not found at ${BIN[$rt]}" \
      "$([[ $rt == ocirun ]] && echo '(bazel build //runtime:ocirun)')" >&2
    exit 1
  }
done
[[ -n ${BIN[$SPEC_FROM]:-} && -x ${BIN[$SPEC_FROM]} ]] ||
  { echo "runtime_bench: -s $SPEC_FROM: no such runtime binary" >&2; exit 1; }

HAVE_TIME=0
[[ -x /usr/bin/time ]] && /usr/bin/time -f %M true >/dev/null 2>&1 && HAVE_TIME=1

WORK=$(mktemp -d /tmp/skiff-bench.XXXXXX)
PREFIX=skb$$
cleanup() {
  for rt in $RUNTIMES; do
    for root in "$WORK"/state-"$rt"-*; do
      [[ -d $root ]] && unshare -m --propagation private bash "$SELF" --cleanup "${BIN[$rt]}" "$root"
    done
  done
  # Anything a runtime left in cgroupfs under our id prefix.
  find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -name "$PREFIX-*" 2>/dev/null |
    sort -r | while read -r d; do
      rmdir "$d" 2>/dev/null || echo "runtime_bench: could not remove cgroup $d" >&2
    done
  # And in the tmpfs under the cgroup2 mount, which only a namespace without
  # that mount sees (each batch cleans its own; this is for killed ones).
  if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
    unshare -m --propagation private bash "$SELF" --clean-shadowed "$PREFIX"
  fi
  if ((KEEP)); then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The bundle: busybox-static with its applets, config from `<spec runtime> spec`.
BUNDLE=$WORK/bundle
mkdir -p "$BUNDLE/rootfs/bin" "$BUNDLE/rootfs/etc" "$BUNDLE/rootfs/tmp"
cp /bin/busybox "$BUNDLE/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do
  [[ $a == busybox ]] || ln -s busybox "$BUNDLE/rootfs/bin/$a"
done
echo "root:x:0:0:root:/root:/bin/sh" >"$BUNDLE/rootfs/etc/passwd"
echo "root:x:0:" >"$BUNDLE/rootfs/etc/group"
(cd "$BUNDLE" && "${BIN[$SPEC_FROM]}" spec) || { echo "runtime_bench: $SPEC_FROM spec failed" >&2; exit 1; }
# Every runtime's default spec has "terminal": true and "args": ["sh"].
sed -z -i -e 's/"terminal": *true/"terminal": false/' \
  -e 's|"args": *\[[^]]*\]|"args": ["/bin/true"]|' "$BUNDLE/config.json"
grep -q '"/bin/true"' "$BUNDLE/config.json" && grep -q '"terminal": *false' "$BUNDLE/config.json" ||
  { echo "runtime_bench: could not set args and terminal in config.json" >&2; exit 1; }
# The container `exec` goes into: same rootfs, args [/bin/sleep 3600].
mkdir -p "$BUNDLE-sleep"
sed -z -e 's|"args": *\[[^]]*\]|"args": ["/bin/sleep", "3600"]|' \
  -e "s|\"path\": *\"rootfs\"|\"path\": \"$BUNDLE/rootfs\"|" "$BUNDLE/config.json" >"$BUNDLE-sleep/config.json"
grep -q '"/bin/sleep"' "$BUNDLE-sleep/config.json" && grep -q "\"$BUNDLE/rootfs\"" "$BUNDLE-sleep/config.json" ||
  { echo "runtime_bench: could not write the sleep bundle's config.json" >&2; exit 1; }

# One batch of MODE for RT; prints nothing, leaves samples in $WORK.
batch() {  # batch RT MODE B COUNT
  local rt=$1 mode=$2 b=$3 count=$4
  local root=$WORK/state-$rt-$mode-$b
  local out=$WORK/$rt.$mode.$b err=$WORK/$rt.err
  unshare -m --propagation private bash "$SELF" --batch "$mode" "${BIN[$rt]}" "$root" \
    "$BUNDLE" "$PREFIX-${rt:0:1}$mode$b" "$count" "$out" "$err"
}

# Statistics over files of samples (one number per line; "total" lines skipped).
median() { grep -hv total "$@" | sort -n | awk '{a[NR]=$1} END {if (NR==0) exit; print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mean() { grep -hv total "$@" | awk '{s+=$1} END {if (NR) print s/NR}'; }
# Median over batches of (batch wall time / N), in ms.
batch_ms() {  # batch_ms RT MODE
  local f
  for f in "$WORK/$1.$2".*; do awk -v n="$N" '/total/ {print $2/n/1000}' "$f"; done |
    sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}

version() {
  case $1 in
    ocirun) "${BIN[$1]}" --version 2>/dev/null | head -1 | awk '{print $NF}' ;;
    *) "${BIN[$1]}" --version 2>/dev/null | head -1 | awk '{print $3}' ;;
  esac
}

cgroup_mode() {
  if [[ $(stat -fc %T /sys/fs/cgroup 2>/dev/null) == cgroup2fs ]]; then echo "v2 (unified)"
  elif grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/mounts; then echo "hybrid (v1 + empty cgroup2 at /sys/fs/cgroup/unified)"
  else echo "v1"; fi
}

echo "runtime_bench: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  host:    $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "  cgroups: $(cgroup_mode); measured with /sys/fs/cgroup/unified unmounted in a private mount ns"
echo "  bundle:  busybox-static $(dpkg-query -W -f '${Version}' busybox-static 2>/dev/null), config from \`$SPEC_FROM spec\`, args [/bin/true], terminal false"
echo "  N=$N per batch, $BATCHES batches, sequential"
((HAVE_TIME)) || echo "  /usr/bin/time (Debian package time) missing: no peak RSS"
# Other work on the machine (a build, say) skews everything: say so.
cpu_idle() { awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
read -r i0 t0 < <(cpu_idle); sleep 1; read -r i1 t1 < <(cpu_idle)
busy=$(awk -v i=$((i1 - i0)) -v t=$((t1 - t0)) 'BEGIN {printf "%d", t ? 100 * (t - i) / t : 0}')
((busy < 10)) || echo "  warning: the CPUs were ${busy}% busy before the run: other work skews the figures"

# A status line on a terminal only.
progress() { [[ -t 2 ]] && printf '\r  %-40s\r' "$1" >&2; return 0; }

# Warm-up (page cache, first-run costs); a runtime that cannot run the
# bundle is reported and dropped.
OK=""
for rt in $RUNTIMES; do
  if batch "$rt" run 0 2 && batch "$rt" cycle 0 1 && batch "$rt" exec 0 2; then
    OK+="$rt "
  else
    echo "  $rt $(version "$rt"): cannot run the bundle: $(grep -v '^\(run\|create\|start\|delete\|exec\) ' "$WORK/$rt.err" | head -1)" >&2
  fi
  rm -f "$WORK/$rt".*.0
done
[[ -n $OK ]] || { echo "runtime_bench: no runtime could run the bundle" >&2; exit 1; }

for ((b = 1; b <= BATCHES; b++)); do
  for mode in run cycle exec; do
    for rt in $OK; do
      progress "batch $b/$BATCHES: $mode $rt"
      batch "$rt" "$mode" "$b" "$N" || { progress ""; echo "runtime_bench: $rt $mode failed: $(tail -2 "$WORK/$rt.err" | tr '\n' ' ')" >&2; exit 1; }
    done
  done
done
if ((HAVE_TIME)); then
  for rt in $OK; do
    progress "peak RSS: $rt"
    batch "$rt" rss 1 5 || { progress ""; echo "runtime_bench: $rt rss failed" >&2; exit 1; }
  done
fi
progress ""

declare -A RUN CYC EXE RSS
echo
printf '%-8s %-10s %17s %23s %17s %9s\n' "" "" "run ms" "create+start+delete ms" "exec ms" "peak RSS"
printf '%-8s %-10s %8s %8s %11s %11s %8s %8s %9s\n' runtime version batch median batch median batch median KB
for rt in $OK; do
  RUN[$rt]=$(batch_ms "$rt" run)
  CYC[$rt]=$(batch_ms "$rt" cycle)
  EXE[$rt]=$(batch_ms "$rt" exec)
  RSS[$rt]=n/a
  ((HAVE_TIME)) && RSS[$rt]=$(median "$WORK/$rt".rss.1)
  printf '%-8s %-10s %8.1f %8.1f %11.1f %11.1f %8.1f %8.1f %9s\n' "$rt" "$(version "$rt")" \
    "${RUN[$rt]}" "$(median "$WORK/$rt".run.* | awk '{print $1/1000}')" \
    "${CYC[$rt]}" "$(median "$WORK/$rt".cycle.* | awk '{print $1/1000}')" \
    "${EXE[$rt]}" "$(median "$WORK/$rt".exec.* | awk '{print $1/1000}')" "${RSS[$rt]}"
done
echo "  batch = median over $BATCHES batches of (batch wall time / $N); median = over all $((BATCHES * N)) samples"
echo "  mean over all samples, ms:$(for rt in $OK; do printf ' %s %.1f / %.1f / %.1f;' "$rt" \
  "$(mean "$WORK/$rt".run.* | awk '{print $1/1000}')" "$(mean "$WORK/$rt".cycle.* | awk '{print $1/1000}')" \
  "$(mean "$WORK/$rt".exec.* | awk '{print $1/1000}')"; done) (run / create+start+delete / exec)"

if [[ " $OK " == *" ocirun "* ]]; then
  ratio() { [[ $1 == n/a || $2 == n/a ]] && { echo n/a; return; }; awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.1fx", a/b; else print "n/a"}'; }
  echo
  for rt in $OK; do
    [[ $rt == ocirun ]] && continue
    echo "  $rt/ocirun = run $(ratio "${RUN[$rt]}" "${RUN[ocirun]}"), create+start+delete $(ratio "${CYC[$rt]}" "${CYC[ocirun]}"), exec $(ratio "${EXE[$rt]}" "${EXE[ocirun]}"), peak RSS $(ratio "${RSS[$rt]}" "${RSS[ocirun]}")"
  done
fi
