# Shared by the benchmarks that drive daemons (skiff_bench.sh, pull_bench.sh).
# Source it after setting BENCH (the script's name, for messages) and SELF
# (the script's resolved path):
#
#   SELF=$(readlink -f "$0"); BENCH=pull_bench
#   source "$(dirname "$SELF")/lib.sh"

die() { echo "$BENCH: $*" >&2; exit 1; }
# The script's header comment, from its second line to `set -uo`.
usage() { sed -n '2,/^set -uo/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; }

# Re-executes the script in a private mount namespace (once), with the empty
# cgroup2 mount of a hybrid host out of the way, so the engines' mounts
# never reach the host's table. Call with the script's arguments.
enter_private_mount_ns() {
  if [[ ${SKIFF_BENCH_INNER:-} != 1 ]]; then
    exec unshare -m --propagation private env SKIFF_BENCH_INNER=1 bash "$SELF" "$@"
  fi
  umount /sys/fs/cgroup/unified 2>/dev/null
  return 0
}

# Lazily unmounts everything at or below DIR, deepest first.
unmount_under() {
  local dir m
  dir=$(readlink -f "$1" 2>/dev/null) || return 0
  for m in $(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r -u); do
    umount -l "$m" 2>/dev/null || echo "$BENCH: cleanup: umount $m failed" >&2
  done
  return 0
}

# SIGTERM to a child of this shell, SIGKILL after 10 s, reaped.
stop_child() {
  local pid=$1 i st=
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 100; i++)); do
    st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
    [[ -z $st || $st == Z ]] && break
    sleep 0.1
  done
  [[ -z $st || $st == Z ]] || { echo "$BENCH: cleanup: pid $pid ignored SIGTERM for 10 s, killing" >&2; kill -9 "$pid" 2>/dev/null; }
  wait "$pid" 2>/dev/null
  return 0
}

wait_for() {  # wait_for SECONDS COMMAND...
  local deadline=$(($(date +%s) + $1)); shift
  until "$@" >/dev/null 2>&1; do
    (($(date +%s) < deadline)) || return 1
    sleep 0.1
  done
}

# One redrawn status line on a terminal; nothing in a log.
progress() { [[ -t 2 ]] && printf '\r  %-50s\r' "$1" >&2; return 0; }

# The median of the numbers on stdin ("n/a" for none).
median() { sort -n | awk '{v[NR] = $1} END {if (NR == 0) {print "n/a"; exit} print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# A / B as "1.23x" ("n/a" when either is missing).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "n/a" || b == "n/a" || b <= 0) print "n/a"; else printf "%.2fx", a / b}'; }
