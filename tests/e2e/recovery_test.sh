#!/bin/bash
# skiffd killed with SIGKILL and started again: containers kept running and
# are attachable, exits that happened meanwhile are recorded, logs are kept,
# restart policies apply at start, nothing half-made is left.
. "$(dirname "$0")/lib.sh"

case_kill9_recovery() {
  sk run -d --name survivor busybox sh -c 'echo before; sleep 1000' >/dev/null || { fail "run"; return 1; }
  sk run -d --name quitter busybox sh -c 'sleep 2; echo bye; exit 3' >/dev/null
  sk run -d --name phoenix --restart always busybox sleep 1000 >/dev/null
  local pid; pid=$(sk inspect --format '{{.State.Pid}}' survivor)
  stop_daemon KILL
  sleep 3
  kill -0 "$pid" 2>/dev/null || { fail "the container died with the daemon"; return 1; }
  start_daemon || { fail "restart"; return 1; }
  expect_eq "survivor running" "$(sk inspect --format '{{.State.Running}} {{.State.Pid}}' survivor)" "true $pid" || return 1
  expect_eq "quitter exit" "$(sk inspect --format '{{.State.Status}} {{.State.ExitCode}}' quitter)" "exited 3" || return 1
  expect_eq "quitter logs" "$(sk logs quitter)" "bye" || return 1
  expect_eq "survivor logs" "$(sk logs survivor)" "before" || return 1
  expect_eq "exec after restart" "$(sk exec survivor echo ok)" "ok" || return 1
  expect_eq "phoenix still up" "$(sk inspect --format '{{.State.Running}}' phoenix)" "true" || return 1
  sk stop -t 0 survivor >/dev/null || { fail "stop after restart"; return 1; }
  expect_eq "stop recorded" "$(sk inspect --format '{{.State.Status}}' survivor)" "exited" || return 1
  sk rm -f survivor quitter phoenix >/dev/null
}

case_restart_policy_at_daemon_start() {
  sk run -d --name comeback --restart unless-stopped busybox sleep 1000 >/dev/null
  sk run -d --name staydown --restart unless-stopped busybox sleep 1000 >/dev/null
  sk stop -t 0 staydown >/dev/null
  local pid; pid=$(sk inspect --format '{{.State.Pid}}' comeback)
  stop_daemon KILL
  kill -9 "$pid"   # the container dies while the daemon is down
  sleep 1
  start_daemon || { fail "restart"; return 1; }
  until_eq 10 true sk inspect --format '{{.State.Running}}' comeback || { fail "comeback not restarted: $LAST"; return 1; }
  expect_eq "staydown" "$(sk inspect --format '{{.State.Status}}' staydown)" "exited" || return 1
  sk rm -f comeback staydown >/dev/null
}

case_nothing_half_made() {
  # Leftovers a crash could leave: a bundle dir and a snapshot without a
  # record. They are swept at start and never shown.
  local fake=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  stop_daemon KILL
  mkdir -p "$E2E/state/containers/$fake/rootfs" "$E2E/root/containers/$fake"
  start_daemon || { fail "restart"; return 1; }
  [ ! -e "$E2E/state/containers/$fake" ] || { grep -v "^I" "$E2E/daemon.log" >&2; fail "orphan bundle dir kept"; return 1; }
  [ ! -e "$E2E/root/containers/$fake" ] || { fail "orphan log dir kept"; return 1; }
  expect_eq "ps -a" "$(sk ps -aq)" "" || return 1
}

case_sigterm_keeps_containers() {
  sk run -d --name calm busybox sleep 1000 >/dev/null
  local pid; pid=$(sk inspect --format '{{.State.Pid}}' calm)
  stop_daemon TERM
  kill -0 "$pid" 2>/dev/null || { fail "SIGTERM of skiffd stopped the container"; return 1; }
  start_daemon || return 1
  expect_eq "calm" "$(sk inspect --format '{{.State.Running}}' calm)" "true" || return 1
  sk rm -f calm >/dev/null
}

case_info_and_skiff_host() {
  local out; out=$(SKIFF_HOST="unix://$E2E/skiffd.sock" "$SKIFF" info)
  expect_contains "info" "$out" "Storage Driver: overlay" || return 1
  expect_contains "info root" "$out" "$E2E/root" || return 1
  expect_eq "info format" "$(sk info --format '{{.Containers}}')" "0" || return 1
}

case_native_snapshotter() {
  # The copying snapshotter, for hosts without overlayfs.
  stop_daemon TERM
  start_daemon --snapshotter native || { fail "start with --snapshotter native"; return 1; }
  expect_eq "run" "$(sk run --rm busybox sh -c 'echo copy > /x; cat /x')" "copy" || return 1
  expect_contains "driver" "$(sk info)" "Storage Driver: copy" || return 1
  stop_daemon TERM
  start_daemon || return 1
}

start_daemon || exit 1
load_busybox || exit 1
for c in kill9_recovery restart_policy_at_daemon_start nothing_half_made sigterm_keeps_containers \
         info_and_skiff_host native_snapshotter; do
  run_case "$c" "case_$c"
done
finish recovery_test
