#!/bin/bash
# skiff push/pull/run against Debian's docker-registry started here on
# 127.0.0.1 (plain HTTP, its own config and storage in the private dir):
# push, pull, up-to-date pull, run of a pulled image, run of a missing image.
# Skipped as a whole while skiffd lacks the Pull RPC (UNIMPLEMENTED).
. "$(dirname "$0")/lib.sh"

REGISTRY_BIN=/usr/bin/docker-registry
REG_DIR=""
REG=""      # 127.0.0.1:PORT

# free_port: a port on 127.0.0.1 nothing listens on.
free_port() {
  local p i
  for i in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

start_registry() {
  REG_DIR=$(mktemp -d /tmp/skiff-e2e-registry.XXXXXX)
  local port; port=$(free_port) || { log "no free port"; return 1; }
  REG="127.0.0.1:$port"
  cat > "$REG_DIR/config.yml" <<CONFIG
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REG_DIR/storage
  delete:
    enabled: true
http:
  addr: $REG
CONFIG
  "$REGISTRY_BIN" serve "$REG_DIR/config.yml" >"$REG_DIR/registry.log" 2>&1 &
  echo $! > "$REG_DIR/registry.pid"
  local i
  for i in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$(cat "$REG_DIR/registry.pid")" 2>/dev/null || break
    sleep 0.1
  done
  log "docker-registry did not come up on $REG; its log:"; cat "$REG_DIR/registry.log" >&2
  return 1
}

stop_registry() {
  [ -n "$REG_DIR" ] || return 0
  local pid; pid=$(cat "$REG_DIR/registry.pid" 2>/dev/null)
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$REG_DIR"
  REG_DIR=""
}
trap 'stop_registry; cleanup' EXIT

case_push() {
  sk tag busybox "$REG/test/busybox:1" || { fail "tag"; return 1; }
  local out; out=$(sk push "$REG/test/busybox:1" 2>&1) || { fail "push: $out"; return 1; }
  log "$out"
  expect_contains "push names the repository" "$out" \
    "The push refers to repository [$REG/test/busybox]" || return 1
  local last; last=$(printf '%s\n' "$out" | tail -1)
  [[ $last =~ ^1:\ digest:\ sha256:[0-9a-f]{64}\ size:\ [0-9]+$ ]] ||
    { fail "push's last line: '$last'"; return 1; }
  expect_eq "one digest line" "$(printf '%s\n' "$out" | grep -c ' digest: ')" 1 || return 1
}

# docker's tag then push into another repository of the same registry: the
# layer is mounted there, not uploaded again.
case_push_other_repository_mounts() {
  sk tag "$REG/test/busybox:1" "$REG/team/copy:1" || { fail "tag"; return 1; }
  local out; out=$(sk push "$REG/team/copy:1" 2>&1) || { fail "push: $out"; return 1; }
  log "$out"
  expect_contains "mounted" "$out" ": Mounted from test/busybox" || return 1
  case $out in *": Pushed"*) fail "a layer was uploaded again: $out"; return 1 ;; esac
  sk rmi "$REG/team/copy:1" >/dev/null || { fail "rmi copy"; return 1; }
}

case_pull_after_rmi() {
  sk rmi "$REG/test/busybox:1" >/dev/null || { fail "rmi"; return 1; }
  local out; out=$(sk pull "$REG/test/busybox:1" 2>&1) || { fail "pull: $out"; return 1; }
  log "$out"
  expect_contains "digest line" "$out" "Digest: sha256:" || return 1
  expect_contains "status line" "$out" "Status: Downloaded newer image for $REG/test/busybox:1" ||
    return 1
  expect_eq "last line" "$(printf '%s\n' "$out" | tail -1)" "$REG/test/busybox:1" || return 1
  # The pull unpacked the layer itself; its line ends as docker's does.
  expect_contains "pull complete" "$out" ": Pull complete" || return 1
  # Not a terminal: plain lines, no cursor movement.
  case $out in *$'\e['*) fail "ANSI escapes on a pipe: $out"; return 1 ;; esac
  expect_contains "listed" "$(sk images --format '{{.Repository}}:{{.Tag}}')" \
    "$REG/test/busybox:1" || return 1
}

case_run_pulled() {
  expect_eq "run" "$(sk run --rm "$REG/test/busybox:1" echo from-registry)" "from-registry"
}

case_pull_again_up_to_date() {
  local out; out=$(sk pull "$REG/test/busybox:1" 2>&1) || { fail "pull: $out"; return 1; }
  expect_contains "up to date" "$out" "Status: Image is up to date for $REG/test/busybox:1"
}

case_pull_on_a_terminal_redraws() {
  local out
  out=$(printf 'wait\n' | "$PTYRUN" -- "$SKIFF" -H "unix://$E2E/skiffd.sock" pull "$REG/test/busybox:1")
  log "$(printf '%s' "$out" | cat -v)"
  expect_contains "exit" "$out" "ptyrun: exit 0" || return 1
  expect_contains "cursor movement" "$out" $'\e[1A\e[2K' || return 1
  expect_contains "status" "$out" "Status: Image is up to date for $REG/test/busybox:1" || return 1
}

case_pull_quiet_and_unknown() {
  expect_eq "pull -q" "$(sk pull -q "$REG/test/busybox:1")" "$REG/test/busybox:1" || return 1
  local err; err=$(sk pull "$REG/test/busybox:nope" 2>&1)
  expect_eq "unknown tag exit code" "$?" 1 || return 1
  expect_contains "unknown tag" "$err" "Error response from daemon:" || return 1
}

case_run_missing_pulls() {
  sk tag busybox "$REG/test/other:2" && sk push -q "$REG/test/other:2" >/dev/null ||
    { fail "push other"; return 1; }
  sk rmi "$REG/test/other:2" >/dev/null || { fail "rmi other"; return 1; }
  local out err
  out=$(sk run --rm "$REG/test/other:2" echo pulled-and-ran 2>"$E2E/run.err")
  err=$(cat "$E2E/run.err")
  log "$err"
  expect_eq "run output" "$out" "pulled-and-ran" || return 1
  expect_contains "says it pulls" "$err" "Unable to find image '$REG/test/other:2' locally" ||
    return 1
  expect_contains "pull status on stderr" "$err" "Status: Downloaded newer image" || return 1
  # --pull never does not go to the registry.
  sk rmi "$REG/test/other:2" >/dev/null
  err=$(sk run --rm --pull never "$REG/test/other:2" true 2>&1)
  expect_eq "--pull never exit code" "$?" 125 || return 1
  expect_contains "--pull never" "$err" "no such image" || return 1
}

case_login_logout() {
  local out
  out=$(printf 'anything\n' | sk login -u someone --password-stdin "$REG" 2>&1) ||
    { fail "login: $out"; return 1; }
  expect_eq "login" "$out" "Login Succeeded" || return 1
  expect_eq "logout" "$(sk logout "$REG")" "Removing login credentials for $REG" || return 1
  expect_eq "logout again" "$(sk logout "$REG")" "Not logged in to $REG" || return 1
  out=$(sk login -u someone "$REG" </dev/null 2>&1)
  expect_eq "login without a terminal exit code" "$?" 1 || return 1
  expect_contains "no prompt without a terminal" "$out" "non TTY device" || return 1
}

[ -x "$REGISTRY_BIN" ] || skip_all registry_test "$REGISTRY_BIN not installed (apt-get install docker-registry)"
start_daemon || exit 1
load_busybox || { log "load busybox failed"; exit 1; }
probe=$(sk pull -q 127.0.0.1:1/skiff/probe:1 2>&1)
case $probe in
  *UNIMPLEMENTED*) skip_all registry_test "skiffd has no Pull RPC yet: $probe" ;;
esac
start_registry || exit 1
for c in push push_other_repository_mounts pull_after_rmi run_pulled pull_again_up_to_date pull_on_a_terminal_redraws \
  pull_quiet_and_unknown run_missing_pulls login_logout; do
  run_case "$c" "case_$c"
done
finish registry_test
