#!/usr/bin/env bash
# containerd 1.6 + its runc v2 shim (io.containerd.runc.v2) running containers
# through ocirun: `ctr run --runc-binary WRAPPER`, where WRAPPER logs its argv
# and execs ocirun. The test starts a private containerd (temp root, state,
# socket; no CRI plugin), imports a busybox image it builds from the host's
# /bin/busybox (no registry, no network) and drives run/exec/tty/ps/pause/
# resume/kill/delete through ctr. Everything it makes is removed at the end.
#
# Usage: containerd_test.sh [OCIRUN]   (or OCIRUN=/path in the environment)
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}
. "$(dirname "$0")/lib.sh"

SUITE=containerd
NS=skifftest
CG_ROOT=/$NS   # ctr's default cgroupsPath is /<namespace>/<id>
IDS="r1 r2 d1 d2 e1"   # every container id the cases use

[ "$(id -u)" = 0 ] || skip_all $SUITE "needs root (containerd and the runtime run real containers)"
for b in containerd ctr containerd-shim-runc-v2 script timeout; do
  command -v $b >/dev/null || skip_all $SUITE "$b is not installed (apt-get install containerd util-linux)"
done
[ -x /bin/busybox ] || skip_all $SUITE "/bin/busybox is missing (apt-get install busybox-static)"
RUNTIME=$(find_ocirun "${1:-}") || { log "FAIL: runtime under test not found"; exit 1; }

T=$(mktemp -d /tmp/skiff-ctrd.XXXXXX)
SOCK=$T/c.sock
WRAP=$T/bin/ocirun
ARGV=$T/argv.log
CTRD_PID=
HAD_RUN_CONTAINERD=0; [ -d /run/containerd ] && HAD_RUN_CONTAINERD=1

c() { timeout 30 ctr -a "$SOCK" -n "$NS" "$@"; }
# ctr run with the runtime under test; the runtime's state goes to $T/runc.
RUN_FLAGS=(--runc-binary "$WRAP" --runc-root "$T/runc" --fifo-dir "$T/fifo")

cleanup() {
  local id
  if [ -n "$CTRD_PID" ] && kill -0 "$CTRD_PID" 2>/dev/null; then
    for id in $(c task ls -q 2>/dev/null); do
      c task kill -a -s SIGKILL "$id" >/dev/null 2>&1
      c task delete -f "$id" >/dev/null 2>&1
    done
    for id in $(c container ls -q 2>/dev/null); do c container rm "$id" >/dev/null 2>&1; done
    c images rm "$IMAGE_REF" >/dev/null 2>&1
    stop_child "$CTRD_PID"
  fi
  # Shims (and anything else) still tied to this containerd, by its socket.
  kill_matching "$SOCK"
  # The shims' sockets: /run/containerd/s/<sha256 of "$SOCK/<ns>/<id>">
  # whatever the config says; a killed shim leaves its socket behind.
  for id in $IDS; do
    rm -f "/run/containerd/s/$(printf '%s' "$SOCK/$NS/$id" | sha256sum | cut -c1-64)"
  done
  # Runtime state the shims could not delete.
  for id in $(ls "$T/runc/$NS" 2>/dev/null); do
    "$RUNTIME" --root "$T/runc/$NS" delete --force "$id" >/dev/null 2>&1
  done
  remove_cgroups "$CG_ROOT"
  unmount_under "$T"
  rm -rf "$T" "$_MSGFILE"
  # The shim keeps its sockets in /run/containerd/s whatever the config says.
  if [ "$HAD_RUN_CONTAINERD" = 0 ]; then
    rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Dumps what helps to debug a failing case.
diagnose() {
  log "    --- last runtime calls (argv log; T=$T):"
  tail -n 6 "$ARGV" | sed -e "s|$T|\$T|g" -e 's/^/    /' >&2
  log "    --- containerd warnings/errors (last 6):"
  grep -E 'level=(warning|error|fatal)' "$T/containerd.log" | tail -n 6 | sed -e "s|$T|\$T|g" -e 's/^/    /' >&2
}

# argv_has ID PATTERN: the runtime was called for ID with argv matching the
# extended regex PATTERN (after the global flags).
argv_has() { grep -E -- " $2" "$ARGV" | grep -qE -- " $1\b"; }

# task_status ID: RUNNING / PAUSED / STOPPED / CREATED ("" when absent).
task_status() { c task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $3}'; }
task_pid() { c task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $2}'; }

# cgroup_dir CONTROLLER PID: the v1 cgroup directory of PID.
cgroup_dir() {
  local rel
  rel=$(awk -F: -v c="$2" '$2 == c {print $3}' "/proc/$1/cgroup") || return 1
  [ -n "$rel" ] && echo "/sys/fs/cgroup/$2$rel"
}

# ---------------------------------------------------------------- setup

setup() {
  remove_cgroups "$CG_ROOT"   # leftovers of an interrupted earlier run
  make_wrapper "$T/bin" "$RUNTIME" "$ARGV"
  build_image "$T/image.tar" "$T/imagework" || { log "building the image failed"; return 1; }
  cat > "$T/config.toml" <<EOF
version = 2
root = "$T/root"
state = "$T/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[debug]
  address = ""
  level = "info"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$T/opt"
EOF
  containerd --config "$T/config.toml" > "$T/containerd.log" 2>&1 &
  CTRD_PID=$!
  if ! wait_for 20 c version; then
    log "containerd did not come up on $SOCK:"; tail -n 20 "$T/containerd.log" >&2
    return 1
  fi
  # overlayfs when this kernel/filesystem supports it, else native (copies).
  if c plugins ls 2>/dev/null | grep -E '^io\.containerd\.snapshotter\.v1 +overlayfs .* ok' >/dev/null; then
    export CONTAINERD_SNAPSHOTTER=overlayfs
  else
    export CONTAINERD_SNAPSHOTTER=native
  fi
  log "containerd $(containerd --version | awk '{print $3}') pid $CTRD_PID on $SOCK, snapshotter $CONTAINERD_SNAPSHOTTER"
  log "runtime under test: $RUNTIME (through $WRAP)"
  c images import "$T/image.tar" >&2 || { log "ctr images import failed"; return 1; }
}

# ---------------------------------------------------------------- cases

# ctr run (no tty): output, exit code, pid 1, and that the shim called our
# wrapper with the shim's create/start/delete sequence.
case_run() {
  local out rc
  out=$(c run --rm "${RUN_FLAGS[@]}" "$IMAGE_REF" r1 \
        sh -c 'echo "hello pid=$$"; exit 3' 2>&1); rc=$?
  log "    $out"
  expect_eq "exit code of ctr run" "$rc" 3 || { diagnose; return 1; }
  expect_contains "output" "$out" "hello pid=1" || { diagnose; return 1; }
  argv_has r1 "create --bundle [^ ]+ --pid-file [^ ]+/init.pid r1" || { fail "no 'create' of r1 in the runtime's argv log"; diagnose; return 1; }
  argv_has r1 "start r1" || { fail "no 'start r1' in the argv log"; return 1; }
  argv_has r1 "delete r1" || { fail "no 'delete r1' in the argv log"; return 1; }
  grep -q -- "--root $T/runc/$NS --log " "$ARGV" || { fail "the shim did not pass --root $T/runc/$NS --log ..."; return 1; }
  [ "$(task_status r1)" = "" ] || { fail "task r1 still listed after run --rm"; return 1; }
  [ ! -e "$T/runc/$NS/r1" ] || { fail "runtime state $T/runc/$NS/r1 left after delete"; return 1; }
}

# ctr run -t: needs a terminal on ctr's side (script(1) gives it one); the
# container gets a pty via the shim's console socket.
case_run_tty() {
  local out rc
  out=$(timeout 30 script -qec "ctr -a $SOCK -n $NS run --rm -t ${RUN_FLAGS[*]} $IMAGE_REF r2 sh -c 'tty; echo tty-ok; exit 4'" /dev/null </dev/null 2>&1); rc=$?
  out=$(printf '%s' "$out" | tr -d '\r\000')
  log "    $(printf '%s' "$out" | tr '\n' ' ')"
  expect_eq "exit code of ctr run -t" "$rc" 4 || { diagnose; return 1; }
  expect_contains "tty output" "$out" "/dev/pts/0" || { diagnose; return 1; }
  expect_contains "output" "$out" "tty-ok" || return 1
  argv_has r2 "create --bundle .*--console-socket [^ ]+ r2" || { fail "create of r2 without --console-socket"; diagnose; return 1; }
}

# ctr run -d: a long-running container for the exec/ps/pause/kill cases. Its
# init traps SIGTERM and exits 7.
case_run_detached() {
  local out rc st
  out=$(c run -d "${RUN_FLAGS[@]}" "$IMAGE_REF" d1 \
        sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done' 2>&1); rc=$?
  expect_eq "exit code of ctr run -d" "$rc" 0 || { log "    $out"; diagnose; return 1; }
  st=$(task_status d1)
  expect_eq "task d1 status" "$st" RUNNING || { diagnose; return 1; }
  argv_has d1 "start d1" || { fail "no 'start d1' in the argv log"; return 1; }
  [ -e "$T/runc/$NS/d1" ] || { fail "no runtime state at $T/runc/$NS/d1"; return 1; }
}

need_d1() { [ "$(task_status d1)" = RUNNING ] || { skip_case "task d1 is not running (run -d failed)"; return 77; }; }

case_exec() {
  need_d1 || return
  local out rc
  out=$(c task exec --fifo-dir "$T/fifo" --exec-id x1 d1 \
        sh -c 'echo "exec sees init: $(cat /proc/1/cmdline | tr "\0" " ")"; exit 5' 2>&1); rc=$?
  log "    $out"
  expect_eq "exit code of ctr task exec" "$rc" 5 || { diagnose; return 1; }
  expect_contains "exec output" "$out" "exec sees init: sh -c trap" || return 1
  argv_has d1 "exec --process [^ ]+ --detach --pid-file [^ ]+/x1.pid d1" || { fail "no 'exec --process ... d1' in the argv log"; diagnose; return 1; }
}

case_exec_tty() {
  need_d1 || return
  local out rc
  out=$(timeout 30 script -qec "ctr -a $SOCK -n $NS task exec --fifo-dir $T/fifo -t --exec-id x2 d1 sh -c 'tty; echo exec-tty-ok; exit 6'" /dev/null </dev/null 2>&1); rc=$?
  out=$(printf '%s' "$out" | tr -d '\r\000')
  log "    $(printf '%s' "$out" | tr '\n' ' ')"
  expect_eq "exit code of ctr task exec -t" "$rc" 6 || { diagnose; return 1; }
  expect_contains "exec -t output" "$out" "/dev/pts/" || return 1
  expect_contains "exec -t output" "$out" "exec-tty-ok" || return 1
  argv_has d1 "exec --process [^ ]+ --console-socket [^ ]+ --detach --pid-file [^ ]+/x2.pid d1" || { fail "no 'exec ... --console-socket ... d1' in the argv log"; diagnose; return 1; }
}

# ctr task ps -> runtime `ps --format json`: lists init and a detached exec.
case_ps() {
  need_d1 || return
  local out rc init bg
  c task exec -d --fifo-dir "$T/fifo" --exec-id bg1 d1 sleep 1000 >/dev/null 2>&1 \
    || { fail "ctr task exec -d failed"; return 1; }
  init=$(task_pid d1)
  out=$(c task ps d1 2>&1); rc=$?
  log "    $(printf '%s' "$out" | tr '\n' ' ')"
  argv_has d1 "ps --format json d1" || { fail "no 'ps --format json d1' in the argv log"; return 1; }
  expect_eq "exit code of ctr task ps" "$rc" 0 || { diagnose; return 1; }
  printf '%s\n' "$out" | awk '{print $1}' | grep -qx "$init" || { fail "init pid $init not in ctr task ps"; return 1; }
  # The shim wrote the exec's pid (from the runtime's --pid-file) and names
  # the exec id next to it.
  bg=$(cat "$T/state/io.containerd.runtime.v2.task/$NS/d1/bg1.pid" 2>/dev/null)
  [ -n "$bg" ] || { fail "no pid file for exec bg1"; return 1; }
  printf '%s\n' "$out" | grep -E "^$bg\b" | grep -q "ExecID:bg1" \
    || { fail "the exec'd pid $bg (bg1) is not in ctr task ps"; return 1; }
}

case_pause_resume() {
  need_d1 || return
  local out rc pid fz
  pid=$(task_pid d1)
  fz=$(cgroup_dir "$pid" freezer) || { fail "no freezer cgroup for pid $pid"; return 1; }
  out=$(c task pause d1 2>&1); rc=$?
  argv_has d1 "pause d1" || { fail "no 'pause d1' in the argv log"; return 1; }
  expect_eq "exit code of ctr task pause" "$rc" 0 || { log "    $out"; diagnose; return 1; }
  expect_eq "status after pause" "$(task_status d1)" PAUSED || return 1
  expect_eq "$fz/freezer.state" "$(cat "$fz/freezer.state")" FROZEN || return 1
  out=$(c task resume d1 2>&1); rc=$?
  argv_has d1 "resume d1" || { fail "no 'resume d1' in the argv log"; return 1; }
  expect_eq "exit code of ctr task resume" "$rc" 0 || { log "    $out"; diagnose; return 1; }
  expect_eq "status after resume" "$(task_status d1)" RUNNING || return 1
  expect_eq "$fz/freezer.state" "$(cat "$fz/freezer.state")" THAWED || return 1
}

# ctr task kill -s SIGTERM -> runtime `kill d1 15`; the trap exits 7, which
# `ctr task delete` reports.
case_kill_signal() {
  need_d1 || return
  local out rc
  # A paused task cannot take the signal: make sure it runs.
  [ "$(task_status d1)" = PAUSED ] && c task resume d1 >/dev/null 2>&1
  out=$(c task kill -s SIGTERM d1 2>&1); rc=$?
  expect_eq "exit code of ctr task kill" "$rc" 0 || { log "    $out"; diagnose; return 1; }
  argv_has d1 "kill d1 15" || { fail "no 'kill d1 15' in the argv log"; return 1; }
  wait_for 10 sh -c "ctr -a $SOCK -n $NS task ls | grep -qE '^d1 .*STOPPED'" \
    || { fail "d1 not STOPPED 10 s after SIGTERM (status $(task_status d1))"; diagnose; return 1; }
  out=$(c task delete d1 2>&1); rc=$?
  log "    $out"
  expect_eq "exit code of ctr task delete" "$rc" 0 || { diagnose; return 1; }
  expect_contains "ctr task delete" "$out" "exit code 7" || return 1
  argv_has d1 "delete d1" || { fail "no 'delete d1' in the argv log"; return 1; }
  [ ! -e "$T/runc/$NS/d1" ] || { fail "runtime state $T/runc/$NS/d1 left after delete"; return 1; }
}

# ctr task kill --all -> runtime `kill --all d2 9`: init and exec'd processes die.
case_kill_all() {
  local out rc pid bgpid
  c run -d "${RUN_FLAGS[@]}" "$IMAGE_REF" d2 sleep 1000 >/dev/null 2>&1 || { fail "ctr run -d d2 failed"; diagnose; return 1; }
  c task exec -d --fifo-dir "$T/fifo" --exec-id bg2 d2 sleep 999 >/dev/null 2>&1 || { fail "ctr task exec -d failed"; diagnose; return 1; }
  pid=$(task_pid d2)
  bgpid=$(pgrep -f -P "$(ps -o ppid= -p "$pid" | tr -d ' ')" 'sleep 999' | head -1)
  out=$(c task kill --all -s SIGKILL d2 2>&1); rc=$?
  expect_eq "exit code of ctr task kill --all" "$rc" 0 || { log "    $out"; diagnose; return 1; }
  argv_has d2 "kill --all d2 9" || { fail "no 'kill --all d2 9' in the argv log"; diagnose; return 1; }
  wait_for 10 sh -c "ctr -a $SOCK -n $NS task ls | grep -qE '^d2 .*STOPPED'" \
    || { fail "d2 not STOPPED after kill --all (status $(task_status d2))"; diagnose; return 1; }
  if [ -n "$bgpid" ] && kill -0 "$bgpid" 2>/dev/null; then
    fail "exec'd process $bgpid survived kill --all"; return 1
  fi
  out=$(c task delete d2 2>&1)
  expect_contains "ctr task delete" "$out" "exit code 137" || return 1
}

# ctr container rm: the record, the bundle, the runtime state and the
# container's cgroup are gone.
case_container_rm() {
  local id out
  for id in d1 d2; do
    [ -n "$(task_status $id)" ] && c task delete -f $id >/dev/null 2>&1
    out=$(c container rm $id 2>&1) || { fail "ctr container rm $id: $out"; return 1; }
    c container ls -q | grep -qx $id && { fail "container $id still listed"; return 1; }
    [ ! -e "$T/state/io.containerd.runtime.v2.task/$NS/$id" ] || { fail "bundle of $id left"; return 1; }
    [ ! -e "$T/runc/$NS/$id" ] || { fail "runtime state of $id left"; return 1; }
    [ ! -d "/sys/fs/cgroup/memory$CG_ROOT/$id" ] || { fail "cgroup /sys/fs/cgroup/memory$CG_ROOT/$id left"; return 1; }
  done
}

# An error from the runtime reaches the user through the shim's JSON log.
case_create_error() {
  local out rc
  out=$(c run --rm "${RUN_FLAGS[@]}" "$IMAGE_REF" e1 /no/such/program 2>&1); rc=$?
  log "    $out"
  [ "$rc" -ne 0 ] || { fail "ctr run of a missing program succeeded"; return 1; }
  expect_contains "ctr's error" "$out" "/no/such/program" || return 1
  c container rm e1 >/dev/null 2>&1
  [ ! -e "$T/runc/$NS/e1" ] || { fail "runtime state of the failed e1 left"; return 1; }
}

# ---------------------------------------------------------------- main

if ! setup; then
  diagnose
  run_case setup fail "setup failed (see above)"
  finish $SUITE
  exit 1
fi
run_case run               case_run
run_case run_tty           case_run_tty
run_case run_detached      case_run_detached
run_case exec              case_exec
run_case exec_tty          case_exec_tty
run_case ps                case_ps
run_case pause_resume      case_pause_resume
run_case kill_signal       case_kill_signal
run_case kill_all          case_kill_all
run_case container_rm      case_container_rm
run_case create_error      case_create_error
finish $SUITE
