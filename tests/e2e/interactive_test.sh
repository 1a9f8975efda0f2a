#!/bin/bash
# `skiff run -it`, attach, detach keys and exec -it on a real terminal
# (tests/helper/ptyrun): raw mode, resizes, exit codes, the terminal put
# back as it was.
. "$(dirname "$0")/lib.sh"

# pty SCRIPT ARGS...: runs `skiff -H ... ARGS` on a pty, driven by SCRIPT.
pty() {
  local script=$1; shift
  printf '%b' "$script" | "$PTYRUN" -- "$SKIFF" -H "unix://$E2E/skiffd.sock" "$@"
}

case_run_it_shell() {
  local out
  out=$(pty 'expect # \nsend echo $((6*7))\\n\nexpect 42\nresize 33 101\nsleep 300\nsend stty size\\n\nexpect 33 101\nsend exit 5\\n\nwait\n' run -it --rm busybox sh)
  local rc=$?
  expect_eq "exit code" "$rc" 5 || { log "$out"; return 1; }
  expect_contains "termios" "$out" "ptyrun: termios restored" || return 1
}

case_detach_and_attach() {
  local out
  out=$(pty 'expect # \nsend echo first\\n\nexpect first\nsend \\x10\\x11\nwait\n' run -it --name att busybox sh)
  expect_eq "detach exit code" "$?" 0 || { log "$out"; return 1; }
  expect_contains "termios after detach" "$out" "termios restored" || return 1
  expect_eq "still running" "$(sk inspect --format '{{.State.Running}}' att)" "true" || return 1
  out=$(pty 'sleep 300\nsend echo again\\n\nexpect again\nsend exit 9\\n\nwait\n' attach att)
  expect_eq "attach exit code" "$?" 9 || { log "$out"; return 1; }
  until_eq 10 exited sk inspect --format '{{.State.Status}}' att || { fail "not exited: $LAST"; return 1; }
  sk rm att >/dev/null
}

case_custom_detach_keys() {
  local out
  out=$(pty 'expect # \nsend \\x01x\nwait\n' run -it --detach-keys ctrl-a,x --name keys busybox sh)
  expect_eq "detach exit code" "$?" 0 || { log "$out"; return 1; }
  expect_eq "still running" "$(sk inspect --format '{{.State.Running}}' keys)" "true" || return 1
  sk rm -f keys >/dev/null
}

case_exec_it() {
  sk run -d --name host1 busybox sleep 1000 >/dev/null
  local out
  out=$(pty 'expect # \nsend tty\\n\nexpect /dev/pts/\nsend exit 3\\n\nwait\n' exec -it host1 sh)
  expect_eq "exec -it exit code" "$?" 3 || { log "$out"; return 1; }
  expect_contains "termios" "$out" "termios restored" || return 1
  sk rm -f host1 >/dev/null
}

start_daemon || exit 1
load_busybox || exit 1
for c in run_it_shell detach_and_attach custom_detach_keys exec_it; do
  run_case "$c" "case_$c"
done
finish interactive_test
