#!/usr/bin/env bash
# podman 4.3 + conmon running containers through ocirun. Podman gets private
# everything through its own config files (CONTAINERS_CONF,
# CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF in a temp dir): storage
# and run roots, tmp dir, file events, cgroupfs, no network, and the runtime
# "ocirun" = a wrapper that logs its argv and execs the runtime under test.
# The busybox image is built from the host's /bin/busybox and `podman load`ed
# (no registry, no network). Containers go under a private cgroup parent.
# Everything the test makes is removed at the end.
#
# Usage: podman_test.sh [OCIRUN]   (or OCIRUN=/path in the environment)
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}
. "$(dirname "$0")/lib.sh"

SUITE=podman
CGP=/skifftest-podman   # --cgroup-parent: containers and conmon go below it

[ "$(id -u)" = 0 ] || skip_all $SUITE "needs root (rootful podman; the runtime runs real containers)"
for b in podman conmon script timeout; do
  command -v $b >/dev/null || skip_all $SUITE "$b is not installed (apt-get install podman conmon util-linux)"
done
[ -x /bin/busybox ] || skip_all $SUITE "/bin/busybox is missing (apt-get install busybox-static)"
RUNTIME=$(find_ocirun "${1:-}") || { log "FAIL: runtime under test not found"; exit 1; }

P=$(mktemp -d /tmp/skiff-podman.XXXXXX)
WRAP=$P/bin/ocirun
ARGV=$P/argv.log
# Host paths podman or the runtime create whatever the config says: removed
# at the end when this test created them.
HAD_VAR_LIB_CONTAINERS=0; [ -e /var/lib/containers ] && HAD_VAR_LIB_CONTAINERS=1
HAD_RUN_OCIRUN=0; [ -e /run/ocirun ] && HAD_RUN_OCIRUN=1

export CONTAINERS_CONF=$P/containers.conf
export CONTAINERS_STORAGE_CONF=$P/storage.conf
export CONTAINERS_REGISTRIES_CONF=$P/registries.conf
unset CONTAINER_HOST CONTAINER_CONNECTION XDG_RUNTIME_DIR

pm() { timeout 60 podman "$@"; }
# podman run/create flags for every container of this test. nofile/nproc are
# capped in containers.conf (podman's defaults, 1048576, exceed this host's
# hard limits and root lacks CAP_SYS_RESOURCE); --network none explicitly.
RUN_FLAGS=(--network none --cgroup-parent "$CGP")

cleanup() {
  if [ -f "$P/containers.conf" ]; then
    pm rm -a -f -t 0 >/dev/null 2>&1
    pm rmi -a -f >/dev/null 2>&1
  fi
  kill_matching "$P"    # conmon and anything else still running from $P
  # Runtime state podman could not delete (the runtime's default root).
  local id
  for id in $(grep -oE '[0-9a-f]{64}$' "$ARGV" 2>/dev/null | sort -u); do
    "$RUNTIME" delete --force "$id" >/dev/null 2>&1
    # Even when the runtime fails at that: its state dir under the default
    # root (ocirun's, or runc's for a baseline run) of an id only ours had.
    rm -rf "/run/ocirun/$id" "/run/runc/$id"
  done
  remove_cgroups "$CGP"
  unmount_under "$P"
  rm -rf "$P" "$_MSGFILE"
  if [ "$HAD_VAR_LIB_CONTAINERS" = 0 ]; then
    # podman load's blob-info cache ignores the storage config.
    rm -f /var/lib/containers/cache/blob-info-cache-v1.boltdb
    rmdir /var/lib/containers/cache /var/lib/containers 2>/dev/null
  fi
  # podman calls the runtime without --root: its default root.
  [ "$HAD_RUN_OCIRUN" = 0 ] && rmdir /run/ocirun 2>/dev/null
  return 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM

diagnose() {
  log "    --- last runtime calls (argv log; P=$P):"
  tail -n 6 "$ARGV" | sed -e "s|$P|\$P|g" -e 's/^/    /' >&2
}

# argv_has ID PATTERN: the runtime was called for ID with argv matching the
# extended regex PATTERN.
argv_has() { grep -E -- " $2" "$ARGV" | grep -qE -- "$1"; }

cid() { pm inspect -f '{{.Id}}' "$1" 2>/dev/null; }
status() { pm inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }
cpid() { pm inspect -f '{{.State.Pid}}' "$1" 2>/dev/null; }
cgroup_dir() {
  local rel
  rel=$(awk -F: -v c="$2" '$2 == c {print $3}' "/proc/$1/cgroup") || return 1
  [ -n "$rel" ] && echo "/sys/fs/cgroup/$2$rel"
}

# ---------------------------------------------------------------- setup

setup() {
  remove_cgroups "$CGP"   # leftovers of an interrupted earlier run
  make_wrapper "$P/bin" "$RUNTIME" "$ARGV"
  mkdir -p "$P/home"
  [ -n "${HOME:-}" ] || export HOME=$P/home
  build_image "$P/image.tar" "$P/imagework" || { log "building the image failed"; return 1; }
  cat > "$P/containers.conf" <<EOF
[containers]
log_driver = "k8s-file"
netns = "none"
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[network]
network_config_dir = "$P/net"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$P/events.log"
tmp_dir = "$P/tmp"
volume_path = "$P/volumes"
conmon_path = ["$(command -v conmon)"]
runtime = "ocirun"
runtime_supports_json = ["ocirun"]

[engine.runtimes]
ocirun = ["$WRAP"]
EOF
  cat > "$P/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$P/storage"
runroot = "$P/runroot"
EOF
  echo 'unqualified-search-registries = []' > "$P/registries.conf"
  local path
  path=$(pm info --format '{{.Host.OCIRuntime.Path}}' 2>&1) || { log "podman info failed: $path"; return 1; }
  [ "$path" = "$WRAP" ] || { log "podman's runtime is $path, not $WRAP"; return 1; }
  log "podman $(podman --version | awk '{print $3}'), conmon $(conmon --version | awk 'NR==1{print $3}'), runtime under test: $RUNTIME (through $WRAP)"
  pm load -q -i "$P/image.tar" >&2 || { log "podman load failed"; return 1; }
}

# ---------------------------------------------------------------- cases

# podman run --rm: output, and the runtime calls conmon and podman make.
case_run() {
  local out rc
  out=$(pm run --rm --name p1 "${RUN_FLAGS[@]}" "$IMAGE_REF" sh -c 'echo "hi pid=$$"' 2>&1); rc=$?
  log "    $out"
  expect_eq "exit code of podman run" "$rc" 0 || { diagnose; return 1; }
  expect_eq "output" "$out" "hi pid=1" || { diagnose; return 1; }
  grep -qE "^conmon --log-format=json --log [^ ]+/oci-log create --bundle [^ ]+ --pid-file [^ ]+/pidfile [0-9a-f]{64}$" "$ARGV" \
    || { fail "no conmon 'create' in the runtime's argv log"; diagnose; return 1; }
  grep -qE "^podman start [0-9a-f]{64}$" "$ARGV" || { fail "no podman 'start ID' in the argv log"; diagnose; return 1; }
  grep -qE "^podman delete --force [0-9a-f]{64}$" "$ARGV" || { fail "no podman 'delete --force ID' in the argv log"; diagnose; return 1; }
}

case_run_exit_code() {
  local out rc
  out=$(pm run --rm "${RUN_FLAGS[@]}" "$IMAGE_REF" sh -c 'exit 3' 2>&1); rc=$?
  expect_eq "exit code of podman run --rm ... exit 3" "$rc" 3 || { log "    $out"; diagnose; return 1; }
}

case_run_tty() {
  local out rc
  out=$(timeout 60 script -qec "podman run --rm -t ${RUN_FLAGS[*]} $IMAGE_REF sh -c 'tty; echo tty-ok; exit 2'" /dev/null </dev/null 2>&1); rc=$?
  out=$(printf '%s' "$out" | tr -d '\r\000')
  log "    $(printf '%s' "$out" | tr '\n' ' ')"
  expect_eq "exit code of podman run -t" "$rc" 2 || { diagnose; return 1; }
  expect_contains "tty output" "$out" "/dev/pts/0" || return 1
  expect_contains "output" "$out" "tty-ok" || return 1
  grep -qE "^conmon .* create --bundle .*--console-socket [^ ]+ [0-9a-f]{64}$" "$ARGV" \
    || { fail "no conmon 'create ... --console-socket' in the argv log"; diagnose; return 1; }
}

# A long-running container for exec/pause/update/stop/rm. busybox sleep as
# pid 1 ignores SIGTERM, so `stop` has to escalate to SIGKILL.
case_run_detached() {
  local out rc
  out=$(pm run -d --name s1 "${RUN_FLAGS[@]}" "$IMAGE_REF" sleep 1000 2>&1); rc=$?
  expect_eq "exit code of podman run -d" "$rc" 0 || { log "    $out"; diagnose; return 1; }
  expect_eq "status of s1" "$(status s1)" running || { diagnose; return 1; }
  # podman passes no --root: the state is in the runtime's default root.
  out=$("$RUNTIME" state "$(cid s1)" 2>&1) || { fail "'$RUNTIME state ID' (default root) failed: $out"; return 1; }
  expect_contains "runtime state of s1" "$out" '"status": "running"' || return 1
}

need_s1() { [ "$(status s1)" = running ] || { skip_case "s1 is not running (run -d failed)"; return 77; }; }

case_exec() {
  need_s1 || return
  local out rc
  out=$(pm exec s1 sh -c 'echo "exec sees init: $(tr "\0" " " < /proc/1/cmdline)"; exit 4' 2>&1); rc=$?
  log "    $out"
  expect_eq "exit code of podman exec" "$rc" 4 || { diagnose; return 1; }
  expect_contains "exec output" "$out" "exec sees init: sleep 1000" || return 1
  argv_has "$(cid s1)" "exec --pid-file [^ ]+/exec_pid --process [^ ]+ --detach $(cid s1)$" \
    || { fail "no conmon 'exec --pid-file ... --detach ID' in the argv log"; diagnose; return 1; }
}

case_exec_tty() {
  need_s1 || return
  local out rc
  out=$(timeout 60 script -qec "podman exec -t s1 sh -c 'tty; echo exec-tty-ok; exit 5'" /dev/null </dev/null 2>&1); rc=$?
  out=$(printf '%s' "$out" | tr -d '\r\000')
  log "    $(printf '%s' "$out" | tr '\n' ' ')"
  expect_eq "exit code of podman exec -t" "$rc" 5 || { diagnose; return 1; }
  expect_contains "exec -t output" "$out" "/dev/pts/" || return 1
  expect_contains "exec -t output" "$out" "exec-tty-ok" || return 1
  argv_has "$(cid s1)" "exec .*--detach --tty --console-socket [^ ]+ $(cid s1)$" \
    || { fail "no conmon 'exec ... --tty --console-socket S ID' in the argv log"; diagnose; return 1; }
}

case_pause_unpause() {
  need_s1 || return
  local out rc fz id
  id=$(cid s1)
  fz=$(cgroup_dir "$(cpid s1)" freezer) || { fail "no freezer cgroup for s1"; return 1; }
  out=$(pm pause s1 2>&1); rc=$?
  argv_has "$id" "pause $id$" || { fail "no 'pause ID' in the argv log"; return 1; }
  expect_eq "exit code of podman pause" "$rc" 0 || { log "    $out"; diagnose; return 1; }
  expect_eq "status after pause" "$(status s1)" paused || return 1
  expect_eq "$fz/freezer.state" "$(cat "$fz/freezer.state")" FROZEN || return 1
  out=$(pm unpause s1 2>&1); rc=$?
  argv_has "$id" "resume $id$" || { fail "no 'resume ID' in the argv log"; return 1; }
  expect_eq "exit code of podman unpause" "$rc" 0 || { log "    $out"; diagnose; return 1; }
  expect_eq "status after unpause" "$(status s1)" running || return 1
  expect_eq "$fz/freezer.state" "$(cat "$fz/freezer.state")" THAWED || return 1
}

# podman update -> runtime `update --resources=FILE ID`; checked in the cgroup.
case_update() {
  need_s1 || return
  pm update --help >/dev/null 2>&1 || { skip_case "this podman has no 'update' command"; return 77; }
  # A paused container would refuse the update.
  [ "$(status s1)" = paused ] && pm unpause s1 >/dev/null 2>&1
  local out rc id cpu
  id=$(cid s1)
  cpu=$(cgroup_dir "$(cpid s1)" cpu) || { fail "no cpu cgroup for s1"; return 1; }
  out=$(pm update --cpu-shares 512 s1 2>&1); rc=$?
  argv_has "$id" "update --resources=[^ ]+ $id$" || { fail "no 'update --resources=FILE ID' in the argv log"; return 1; }
  expect_eq "exit code of podman update" "$rc" 0 || { log "    $out"; diagnose; return 1; }
  expect_eq "$cpu/cpu.shares" "$(cat "$cpu/cpu.shares")" 512 || return 1
}

# podman stop -t 1: SIGTERM (ignored by pid 1), SIGKILL after 1 s.
case_stop() {
  need_s1 || return
  [ "$(status s1)" = paused ] && pm unpause s1 >/dev/null 2>&1
  local out rc id
  id=$(cid s1)
  out=$(pm stop -t 1 s1 2>&1); rc=$?
  expect_eq "exit code of podman stop" "$rc" 0 || { log "    $out"; diagnose; return 1; }
  argv_has "$id" "kill $id 15$" || { fail "no 'kill ID 15' in the argv log"; diagnose; return 1; }
  argv_has "$id" "kill $id 9$" || { fail "no 'kill ID 9' in the argv log"; diagnose; return 1; }
  expect_eq "status after stop" "$(status s1)" exited || return 1
  expect_eq "exit code of s1" "$(pm inspect -f '{{.State.ExitCode}}' s1)" 137 || return 1
}

case_rm() {
  [ -n "$(cid s1)" ] || { skip_case "no container s1"; return 77; }
  local out rc id
  id=$(cid s1)
  out=$(pm rm -f -t 0 s1 2>&1); rc=$?
  expect_eq "exit code of podman rm" "$rc" 0 || { log "    $out"; diagnose; return 1; }
  argv_has "$id" "delete --force $id$" || { fail "no 'delete --force ID' in the argv log"; diagnose; return 1; }
  [ -z "$(cid s1)" ] || { fail "s1 still exists after rm"; return 1; }
  "$RUNTIME" state "$id" >/dev/null 2>&1 && { fail "the runtime still knows $id after rm"; return 1; }
  [ ! -d "/sys/fs/cgroup/memory$CGP/libpod-$id" ] || { fail "cgroup $CGP/libpod-$id left after rm"; return 1; }
}

# podman's own default rlimits (nofile 1048576) are above this host's hard
# limit and root lacks CAP_SYS_RESOURCE: the runtime must refuse, and its
# message must reach the user through conmon and podman.
case_rlimit_error() {
  local want=1048576 out rc
  if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -ge $want ]; then
    skip_case "the hard nofile limit ($(ulimit -Hn)) allows $want"; return 77
  fi
  if [ $(( 0x$(awk '/^CapEff/ {print $2}' /proc/self/status) >> 24 & 1 )) = 1 ]; then
    skip_case "root has CAP_SYS_RESOURCE here: raising the limit would succeed"; return 77
  fi
  out=$(pm run --rm "${RUN_FLAGS[@]}" --ulimit nofile=$want:$want "$IMAGE_REF" true 2>&1); rc=$?
  log "    $out"
  [ "$rc" -ne 0 ] || { fail "podman run with nofile=$want succeeded"; return 1; }
  expect_contains "podman's error" "$out" "setrlimit RLIMIT_NOFILE" || { diagnose; return 1; }
  expect_contains "podman's error" "$out" "CAP_SYS_RESOURCE" || return 1
  [ -z "$(pm ps -a -q)" ] || { fail "a container is left after the failed run --rm: $(pm ps -a)"; return 1; }
}

# ---------------------------------------------------------------- main

if ! setup; then
  run_case setup fail "setup failed (see above)"
  finish $SUITE
  exit 1
fi
run_case run               case_run
run_case run_exit_code     case_run_exit_code
run_case run_tty           case_run_tty
run_case run_detached      case_run_detached
run_case exec              case_exec
run_case exec_tty          case_exec_tty
run_case pause_unpause     case_pause_unpause
run_case update            case_update
run_case stop              case_stop
run_case rm                case_rm
run_case rlimit_error      case_rlimit_error
finish $SUITE
