#!/bin/bash
# skiff run/create/start/stop/kill/restart/rm/pause/rename/exec/top/logs/
# inspect/ps/wait/prune against a real skiffd: what the CLI prints, its exit
# codes, and what the container sees.
. "$(dirname "$0")/lib.sh"

case_run_rm_echo() {
  local out; out=$(sk run --rm busybox echo hello) || { fail "run exited $?"; return 1; }
  expect_eq "output" "$out" "hello" || return 1
  expect_eq "ps -a after --rm" "$(sk ps -aq)" "" || return 1
}

case_exit_codes() {
  sk run --rm busybox sh -c 'exit 7'; expect_eq "exit code" "$?" 7 || return 1
  local err
  err=$(sk run --rm busybox nope-not-here 2>&1); expect_eq "not found" "$?" 127 || return 1
  expect_contains "not found message" "$err" "nope-not-here" || return 1
  sk run --rm busybox /etc/passwd 2>/dev/null; expect_eq "not executable" "$?" 126 || return 1
  "$SKIFF" -H "unix://$E2E/nonexistent.sock" run --rm busybox true 2>/dev/null
  expect_eq "no daemon" "$?" 125 || return 1
  sk run --rm no-such-image true 2>/dev/null; expect_eq "no image" "$?" 125 || return 1
  sk run --rm --cap-add NOT_A_CAP busybox true 2>/dev/null; expect_eq "bad cap" "$?" 125 || return 1
}

case_detached_lifecycle() {
  local id err; id=$(sk run -d --name web busybox sleep 1000) || { fail "run -d"; return 1; }
  [[ $id =~ ^[0-9a-f]{64}$ ]] || { fail "run -d printed '$id'"; return 1; }
  expect_contains "ps" "$(sk ps)" "web" || return 1
  expect_eq "running" "$(sk inspect --format '{{.State.Running}}' web)" "true" || return 1
  expect_eq "by prefix" "$(sk inspect --format '{{.Name}}' "${id:0:8}")" "/web" || return 1
  expect_eq "exec" "$(sk exec web echo hi)" "hi" || return 1
  sk exec web sh -c 'exit 4'; expect_eq "exec exit code" "$?" 4 || return 1
  expect_eq "exec env/user/workdir" "$(sk exec -e A=b -u 1000 -w /tmp web sh -c 'echo $A $(id -u) $(pwd)')" "b 1000 /tmp" || return 1
  expect_contains "top" "$(sk top web)" "sleep 1000" || return 1
  expect_eq "stats" "$(sk stats --no-stream --format '{{.Name}} {{.PIDs}}' web)" "web 1" || return 1
  sk pause web >/dev/null || { fail "pause"; return 1; }
  expect_contains "paused status" "$(sk ps --format '{{.Status}}')" "(Paused)" || return 1
  sk unpause web >/dev/null || { fail "unpause"; return 1; }
  # PID 1 ignores SIGTERM: stop waits the timeout, then SIGKILL.
  sk stop -t 1 web >/dev/null || { fail "stop"; return 1; }
  expect_eq "exit code after stop" "$(sk inspect --format '{{.State.ExitCode}}' web)" "137" || return 1
  expect_eq "status" "$(sk inspect --format '{{.State.Status}}' web)" "exited" || return 1
  sk start web >/dev/null || { fail "start again"; return 1; }
  expect_eq "running again" "$(sk inspect --format '{{.State.Running}}' web)" "true" || return 1
  sk rename web web2 || { fail "rename"; return 1; }
  expect_eq "renamed" "$(sk inspect --format '{{.Name}}' "$id")" "/web2" || return 1
  err=$(sk restart -t 0 web2 2>&1) || { fail "restart: $err"; return 1; }
  err=$(sk kill web2 2>&1) || { fail "kill: $err"; return 1; }
  until_eq 10 exited sk inspect --format '{{.State.Status}}' web2 || { fail "kill did not stop it: $LAST"; return 1; }
  sk rm web2 >/dev/null || { fail "rm"; return 1; }
  sk inspect web2 >/dev/null 2>&1 && { fail "inspect after rm succeeded"; return 1; }
  return 0
}

case_rm_running_refused() {
  sk run -d --name busy busybox sleep 1000 >/dev/null
  local err; err=$(sk rm busy 2>&1); expect_eq "rm running" "$?" 1 || return 1
  expect_contains "message" "$err" "force" || return 1
  sk rm -f busy >/dev/null || { fail "rm -f"; return 1; }
  expect_eq "gone" "$(sk ps -aq --filter name=busy)" "" || return 1
}

case_logs() {
  sk run --name logger busybox sh -c 'echo out1; echo err1 >&2; sleep 0.2; echo out2' >/dev/null 2>&1
  expect_eq "stdout" "$(sk logs logger 2>/dev/null)" "$(printf 'out1\nout2')" || return 1
  expect_eq "stderr" "$(sk logs logger 2>&1 >/dev/null)" "err1" || return 1
  expect_eq "tail" "$(sk logs --tail 1 logger 2>&1)" "out2" || return 1
  local ts; ts=$(sk logs -t --tail 1 logger 2>&1)
  [[ $ts =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ out2$ ]] || { fail "logs -t: '$ts'"; return 1; }
  sk run -d --name follower busybox sh -c 'for i in 1 2 3; do echo $i; sleep 0.3; done' >/dev/null
  expect_eq "logs -f" "$(timeout 20 "$SKIFF" -H "unix://$E2E/skiffd.sock" logs -f follower)" "$(printf '1\n2\n3')" || return 1
  sk rm -f logger follower >/dev/null
}

case_stdin_pipe() {
  expect_eq "run -i" "$(printf 'piped\n' | sk run -i --rm busybox cat)" "piped" || return 1
}

case_config_flags() {
  local out
  out=$(sk run --rm -e FOO=bar -u 1000:1000 -w /tmp -h box1 --label a=b busybox sh -c 'echo $FOO $(id -u):$(id -g) $(pwd) $(hostname)')
  expect_eq "env/user/workdir/hostname" "$out" "bar 1000:1000 /tmp box1" || return 1
  printf 'X=1\n# comment\nY=two\n' > "$E2E/env"
  expect_eq "--env-file" "$(sk run --rm --env-file "$E2E/env" busybox sh -c 'echo $X $Y')" "1 two" || return 1
  sk run --rm --read-only busybox touch /x 2>/dev/null && { fail "--read-only allowed a write"; return 1; }
  expect_eq "--tmpfs" "$(sk run --rm --read-only --tmpfs /scratch busybox sh -c 'touch /scratch/x && echo ok')" "ok" || return 1
  expect_eq "--entrypoint" "$(sk run --rm --entrypoint echo busybox hi there)" "hi there" || return 1
  out=$(sk run --rm --cap-drop ALL busybox grep CapEff /proc/self/status)
  expect_contains "--cap-drop ALL" "$out" "0000000000000000" || return 1
  out=$(sk run --rm --network none busybox ls /sys/class/net)
  expect_eq "--network none" "$out" "lo" || return 1
  out=$(sk run --rm --network host busybox ls /sys/class/net | sort | tr '\n' ' ')
  expect_eq "--network host" "$out" "$(ls /sys/class/net | sort | tr '\n' ' ')" || return 1
  out=$(sk run --rm --memory 64m --pids-limit 50 busybox sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max')
  expect_eq "--memory/--pids-limit" "$(echo $out)" "67108864 50" || return 1
  expect_eq "label" "$(sk ps -a --filter label=a=b -q)" "" || return 1
}

case_ps_filters_and_format() {
  sk create --name c1 --label tier=db busybox true >/dev/null
  sk run --name c2 busybox sh -c 'exit 3'
  sk run -d --name c3 busybox sleep 1000 >/dev/null
  expect_eq "ps (running)" "$(sk ps --format '{{.Names}}')" "c3" || return 1
  expect_eq "ps -a order" "$(sk ps -a --format '{{.Names}}' | tr '\n' ' ')" "c3 c2 c1 " || return 1
  expect_eq "status=created" "$(sk ps -a --filter status=created --format '{{.Names}}')" "c1" || return 1
  expect_eq "exited=3" "$(sk ps -a --filter exited=3 --format '{{.Names}}')" "c2" || return 1
  expect_eq "label" "$(sk ps -a --filter label=tier=db --format '{{.Names}}')" "c1" || return 1
  expect_eq "-l" "$(sk ps -l --format '{{.Names}}')" "c3" || return 1
  expect_eq "-n 2" "$(sk ps -n 2 --format '{{.Names}}' | wc -l)" "2" || return 1
  expect_eq "-q width" "$(sk ps -q | awk '{print length($0)}')" "12" || return 1
  expect_eq "--no-trunc" "$(sk ps -q --no-trunc | awk '{print length($0)}')" "64" || return 1
  local table; table=$(sk ps -a)
  expect_contains "header" "$(echo "$table" | head -1)" "CONTAINER ID   IMAGE" || return 1
  expect_contains "exited status" "$table" "Exited (3)" || return 1
  expect_eq "wait" "$(sk wait c2)" "3" || return 1
  sk rm -f c3 >/dev/null
  local pruned; pruned=$(sk container prune -f)
  expect_contains "prune" "$pruned" "Total reclaimed space" || return 1
  expect_eq "after prune" "$(sk ps -aq)" "" || return 1
}

case_inspect_shape() {
  sk create --name shape busybox echo hi >/dev/null
  local j; j=$(sk inspect shape)
  local k
  for k in '"Id"' '"Created"' '"Path": "echo"' '"Args"' '"State"' '"Status": "created"' '"Image": "sha256:' '"Name": "/shape"' '"Config"' '"HostConfig"' '"Mounts"' '"NetworkSettings"' '"OOMKilled"' '"FinishedAt"'; do
    expect_contains "inspect $k" "$j" "$k" || return 1
  done
  expect_eq "json template" "$(sk inspect --format '{{json .Config.Cmd}}' shape)" '["echo","hi"]' || return 1
  # The files behind the container's /etc/hostname, /etc/hosts and
  # /etc/resolv.conf, as docker shows them: none before the first start.
  local id hn hosts resolv
  expect_eq "no files yet" "$(sk inspect --format '{{.HostnamePath}}|{{.HostsPath}}|{{.ResolvConfPath}}' shape)" "||" ||
    return 1
  sk start shape >/dev/null || { fail "start shape"; return 1; }
  id=$(sk inspect --format '{{.Id}}' shape)
  hn=$(sk inspect --format '{{.HostnamePath}}' shape)
  hosts=$(sk inspect --format '{{.HostsPath}}' shape)
  resolv=$(sk inspect --format '{{.ResolvConfPath}}' shape)
  expect_eq "hostname file" "$(cat "$hn" 2>&1)" "${id:0:12}" || return 1
  expect_contains "hosts file" "$(cat "$hosts" 2>&1)" "localhost" || return 1
  [[ -f $resolv ]] || { fail "ResolvConfPath '$resolv' is not a file"; return 1; }
  sk rm shape >/dev/null
  [[ ! -e $hn ]] || { fail "$hn outlives the container"; return 1; }
  # GraphDriver.Data names the container's own layer: what it writes is there.
  sk run --name gd busybox sh -c 'echo x > /marker' >/dev/null || { fail "run gd"; return 1; }
  if [[ $(sk inspect --format '{{.GraphDriver.Name}}' gd) == overlay ]]; then
    local upper; upper=$(sk inspect --format '{{.GraphDriver.Data.UpperDir}}' gd)
    expect_eq "marker in UpperDir" "$(cat "$upper/marker" 2>&1)" "x" || return 1
    expect_contains "LowerDir" "$(sk inspect --format '{{.GraphDriver.Data.LowerDir}}' gd)" "/" ||
      return 1
  fi
  sk rm gd >/dev/null
}

case_restart_policy() {
  sk run -d --name flaky --restart on-failure:2 busybox sh -c 'exit 1' >/dev/null
  until_eq 20 "2 exited" sk inspect --format '{{.RestartCount}} {{.State.Status}}' flaky ||
    { fail "on-failure:2: $LAST"; return 1; }
  sk run -d --name always --restart always busybox sh -c 'sleep 0.5' >/dev/null
  until_eq 20 yes sh -c "[ \$('$SKIFF' -H unix://$E2E/skiffd.sock inspect --format '{{.RestartCount}}' always) -ge 2 ] && echo yes" ||
    { fail "always did not restart"; return 1; }
  sk stop -t 1 always >/dev/null
  local n; n=$(sk inspect --format '{{.RestartCount}}' always)
  sleep 1.5
  expect_eq "stopped stays stopped" "$(sk inspect --format '{{.RestartCount}} {{.State.Status}}' always)" "$n exited" || return 1
  sk rm -f flaky always >/dev/null
}

case_events() {
  local since; since=$(date +%s)
  sk run --rm --name evt busybox true
  local ev; ev=$(sk events --since "$since" --until "$(( $(date +%s) + 1 ))" --filter container=evt)
  local a
  for a in create start die destroy; do
    expect_contains "event $a" "$ev" "container $a" || return 1
  done
}

start_daemon || exit 1
load_busybox || { log "load failed"; exit 1; }
for c in run_rm_echo exit_codes detached_lifecycle rm_running_refused logs stdin_pipe \
         config_flags ps_filters_and_format inspect_shape restart_policy events; do
  run_case "$c" "case_$c"
done
finish lifecycle_test
