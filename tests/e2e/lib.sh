# End-to-end helpers: a real skiffd on a private socket, root and state dir,
# driven through the real `skiff` CLI. Sourced by the *_test.sh files, which
# get the binaries as arguments:
#
#   $1 skiffd  $2 skiff  $3 skiff-shim  $4 ocirun  $5 busybox.tar  $6 ptyrun
#
# Reporting (run_case, fail, skip_case, finish, expect_eq, wait_for, ...)
# comes from tests/clients/lib.sh.

set -u
_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../clients/lib.sh
. "$_here/../clients/lib.sh"

SKIFFD=$(readlink -f "$1"); SKIFF=$(readlink -f "$2"); SHIM=$(readlink -f "$3")
OCIRUN=$(readlink -f "$4"); BUSYBOX_TAR=$(readlink -f "$5"); PTYRUN=$(readlink -f "$6")

E2E=""          # the private dir: root/, state/, daemon.log, daemon.pid

# start_daemon: starts skiffd on E2E (made on first use) and waits until it
# answers. Extra arguments go to skiffd.
start_daemon() {
  if [ -z "$E2E" ]; then E2E=$(mktemp -d /tmp/skiff-e2e.XXXXXX); fi
  "$SKIFFD" --root "$E2E/root" --state "$E2E/state" --socket "$E2E/skiffd.sock" \
    --runtime "$OCIRUN" --shim "$SHIM" "$@" >>"$E2E/daemon.log" 2>&1 &
  # Cases run in subshells: the pid lives in a file, not a variable.
  local pid=$!
  echo "$pid" > "$E2E/daemon.pid"
  local i
  for i in $(seq 1 100); do
    if sk version >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  log "skiffd did not come up; its log:"; cat "$E2E/daemon.log" >&2
  return 1
}

# stop_daemon [SIGNAL]: SIGTERM by default; KILL for a crash.
stop_daemon() {
  local sig=${1:-TERM} pid i
  pid=$(cat "$E2E/daemon.pid" 2>/dev/null) || return 0
  kill "-$sig" "$pid" 2>/dev/null
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  rm -f "$E2E/daemon.pid"
}

sk() { "$SKIFF" -H "unix://$E2E/skiffd.sock" "$@"; }

# load_busybox: the image every test runs (busybox:latest).
load_busybox() { sk load -i "$BUSYBOX_TAR" >/dev/null; }

# cleanup: removes every container of the private daemon, stops it, kills
# the shims and containers it left (found by the private state dir in their
# command line), unmounts and removes the private dir.
cleanup() {
  [ -n "$E2E" ] || return 0
  if [ -s "$E2E/daemon.pid" ]; then
    local ids
    ids=$(sk ps -aq --no-trunc 2>/dev/null)
    [ -n "$ids" ] && sk rm -f $ids >/dev/null 2>&1
    stop_daemon TERM
  fi
  local pid
  for pid in $(pids_matching "$E2E/state"); do kill -9 "$pid" 2>/dev/null; done
  local id
  for id in $(ls "$E2E/state/containers" 2>/dev/null); do
    "$OCIRUN" --root "$E2E/state/ocirun" delete --force "$id" >/dev/null 2>&1
  done
  unmount_under "$E2E"
  rm -rf "$E2E"
  E2E=""
}
trap cleanup EXIT

# until_eq SECS WANT CMD...: runs CMD until it prints WANT (true) or SECS
# pass (false; the last output is in $LAST).
LAST=""
until_eq() {
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 )) want=$2; shift 2
  while :; do
    LAST=$("$@" 2>&1)
    [ "$LAST" = "$want" ] && return 0
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
