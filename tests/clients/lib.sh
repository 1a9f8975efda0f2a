# Shared helpers for the client tests (sourced by containerd_test.sh and
# podman_test.sh): a tiny case runner with pass/fail/skip and a JUnit XML
# report, the runtime wrapper that logs every call, the busybox image built
# locally (no registry, no network), and host cleanup helpers.
#
# A case is a shell function run in a subshell by run_case: it passes when it
# returns 0, fails otherwise (`fail MSG; return 1` says why), and is skipped
# when it returns 77 (`skip_case REASON; return 77`).

set -u

# ---------------------------------------------------------------- reporting

_CASES=()        # "name|status|seconds|message"
_CASE_MSG=""

log() { printf '%s\n' "$*" >&2; }

# run_case NAME FUNCTION [ARGS...]: runs one case, records the result.
run_case() {
  local name=$1; shift
  local t0 t1 rc status
  _CASE_MSG=""
  log "=== $name"
  t0=$(date +%s.%N)
  ( "$@" ) ; rc=$?
  # The case ran in a subshell: its fail/skip message comes back in a file.
  if [ -s "$_MSGFILE" ]; then _CASE_MSG=$(tr "\n|" "  " < "$_MSGFILE"); : > "$_MSGFILE"; fi
  t1=$(date +%s.%N)
  case $rc in
    0) status=PASS ;;
    77) status=SKIP ;;
    *) status=FAIL ;;
  esac
  log "--- $status $name ($(awk "BEGIN{printf \"%.2f\", $t1-$t0}")s)${_CASE_MSG:+: $_CASE_MSG}"
  _CASES+=("$name|$status|$(awk "BEGIN{printf \"%.3f\", $t1-$t0}")|$_CASE_MSG")
}

# fail MSG: records why the current case fails (returns 1: `fail MSG; return 1`
# or `... || { fail MSG; return 1; }`). skip_case REASON: returns 77 = skipped.
_MSGFILE=$(mktemp "${TEST_TMPDIR:-/tmp}/skiff-client-msg.XXXXXX")
fail() {
  log "    FAIL: $*"
  printf '%s' "$*" > "$_MSGFILE"
  return 1
}
skip_case() {
  log "    SKIP: $*"
  printf '%s' "$*" > "$_MSGFILE"
  return 77
}

_xml_escape() { tr -d '\000-\010\013\014\016-\037' | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }

# finish SUITE: prints the summary, writes $XML_OUTPUT_FILE (when Bazel asks
# for one) and exits 0 only if no case failed.
finish() {
  local suite=$1 c name status secs msg npass=0 nskip=0 nfail=0
  rm -f "$_MSGFILE"
  log ""
  log "==================== $suite summary"
  for c in "${_CASES[@]}"; do
    IFS='|' read -r name status secs msg <<<"$c"
    case $status in PASS) npass=$((npass+1));; SKIP) nskip=$((nskip+1));; FAIL) nfail=$((nfail+1));; esac
    log "$(printf '%-4s %-36s %s' "$status" "$name" "$msg")"
  done
  log "$suite: $npass passed, $nfail failed, $nskip skipped"
  if [ -n "${XML_OUTPUT_FILE:-}" ]; then
    {
      echo '<?xml version="1.0" encoding="UTF-8"?>'
      echo "<testsuites><testsuite name=\"$suite\" tests=\"${#_CASES[@]}\" failures=\"$nfail\" skipped=\"$nskip\">"
      for c in "${_CASES[@]}"; do
        IFS='|' read -r name status secs msg <<<"$c"
        msg=$(printf '%s' "$msg" | _xml_escape)
        printf '<testcase classname="%s" name="%s" time="%s">' "$suite" "$name" "$secs"
        case $status in
          FAIL) printf '<failure message="%s"/>' "$msg" ;;
          SKIP) printf '<skipped message="%s"/>' "$msg" ;;
        esac
        echo '</testcase>'
      done
      echo '</testsuite></testsuites>'
    } > "$XML_OUTPUT_FILE"
  fi
  [ "$nfail" -eq 0 ]
}

# skip_all SUITE REASON: the whole suite cannot run here; says so loudly
# (and in the XML report) and exits 0.
skip_all() {
  local suite=$1; shift
  log "SKIPPED: $suite: $*"
  _CASES=("all|SKIP|0|$*")
  finish "$suite"
  exit 0
}

# ---------------------------------------------------------------- the runtime

# find_ocirun [ARG]: absolute path of the runtime under test: $OCIRUN, else
# the runfile passed as the test's first argument.
find_ocirun() {
  local p=${OCIRUN:-${1:-}}
  [ -n "$p" ] || { log "no runtime: pass the runfile or set OCIRUN"; return 1; }
  p=$(readlink -f "$p") || return 1
  [ -x "$p" ] || { log "runtime not executable: $p"; return 1; }
  printf '%s\n' "$p"
}

# make_wrapper DIR RUNTIME ARGVLOG: writes DIR/ocirun, a wrapper that appends
# "<parent comm> <argv...>" to ARGVLOG and execs RUNTIME with the same argv.
# Named "ocirun" so that the clients' per-name tables (podman's
# runtime_supports_json) can name it.
make_wrapper() {
  local dir=$1 runtime=$2 argvlog=$3
  mkdir -p "$dir"
  cat > "$dir/ocirun" <<EOF
#!/bin/sh
# Logs the call, then becomes the runtime under test.
printf '%s %s\n' "\$(cat /proc/\$PPID/comm 2>/dev/null)" "\$*" >> '$argvlog'
exec '$runtime' "\$@"
EOF
  chmod 0755 "$dir/ocirun"
  : > "$argvlog"
}

# ---------------------------------------------------------------- the image

IMAGE_REF="localhost/skifftest/busybox:latest"

_goarch() {
  case $(uname -m) in
    x86_64) echo amd64 ;; aarch64) echo arm64 ;; armv7l|armv6l) echo arm ;;
    i?86) echo 386 ;; ppc64le) echo ppc64le ;; s390x) echo s390x ;; riscv64) echo riscv64 ;;
    *) uname -m ;;
  esac
}

# build_image OUT.tar WORKDIR: a single-layer docker-archive ("docker save"
# format; both `ctr images import` and `podman load` read it) holding a busybox
# rootfs made from the host's static /bin/busybox, tagged $IMAGE_REF.
build_image() {
  local out=$1 work=$2 rootfs layer_sha cfg_sha a
  rootfs=$work/rootfs
  rm -rf "$work"; mkdir -p "$rootfs"/{bin,etc,dev,proc,sys,tmp,root,run,var/tmp} "$work/img"
  chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
  cp /bin/busybox "$rootfs/bin/busybox" || return 1
  for a in $(/bin/busybox --list); do
    [ "$a" = busybox ] || ln -sf busybox "$rootfs/bin/$a"
  done
  ln -s bin "$rootfs/sbin"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
  : > "$rootfs/etc/hosts"; : > "$rootfs/etc/resolv.conf"; echo skifftest > "$rootfs/etc/hostname"
  tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 \
      -C "$rootfs" -cf "$work/layer.tar" . || return 1
  layer_sha=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  mkdir -p "$work/img/$layer_sha"
  mv "$work/layer.tar" "$work/img/$layer_sha/layer.tar"
  cat > "$work/img/config.json" <<EOF
{"architecture":"$(_goarch)","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"WorkingDir":"/"},
 "rootfs":{"type":"layers","diff_ids":["sha256:$layer_sha"]},
 "history":[{"created":"1970-01-01T00:00:00Z","created_by":"skiff tests/clients: busybox from the host"}]}
EOF
  cfg_sha=$(sha256sum "$work/img/config.json" | cut -d' ' -f1)
  mv "$work/img/config.json" "$work/img/$cfg_sha.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]\n' \
    "$cfg_sha" "$IMAGE_REF" "$layer_sha" > "$work/img/manifest.json"
  tar --numeric-owner --owner=0 --group=0 -C "$work/img" -cf "$out" . || return 1
  rm -rf "$work"
}

# ---------------------------------------------------------------- host cleanup

# unmount_under DIR: lazily unmounts every mount point at or below DIR,
# deepest first (containerd's rootfs overlays and shm, podman's storage).
unmount_under() {
  local dir m
  dir=$(readlink -f "$1" 2>/dev/null) || return 0
  # mountinfo field 5 is the mount point (octal escapes for spaces: none here).
  for m in $(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r -u); do
    umount -l "$m" 2>/dev/null || log "cleanup: umount $m failed"
  done
}

# pids_matching STRING: pids whose command line contains STRING (used with
# strings unique to this test run: its temp dir, its socket).
pids_matching() {
  local p
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -qF -- "$1" && echo "${p#/proc/}"
  done
  return 0
}

# kill_matching STRING: SIGKILLs pids_matching STRING (by pid).
kill_matching() {
  local p
  for p in $(pids_matching "$1"); do
    log "cleanup: killing leftover pid $p: $(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null)"
    kill -9 "$p" 2>/dev/null
  done
  return 0
}

# remove_cgroups REL: kills what is left in, and removes, the cgroup REL (a
# path relative to each hierarchy's root) in every v1 hierarchy and in the
# unified one, deepest first.
remove_cgroups() {
  local rel=$1 h d p
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    d=${h%/}/${rel#/}
    [ -d "$d" ] || continue
    for p in $(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null); do
      log "cleanup: killing pid $p left in cgroup $d"
      kill -9 "$p" 2>/dev/null
    done
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
    [ -d "$d" ] && { sleep 0.2; find "$d" -depth -type d -exec rmdir {} + 2>/dev/null; }
    [ -d "$d" ] && log "cleanup: could not remove cgroup $d"
  done
  return 0
}

# stop_child PID: SIGTERM to a child of this shell, SIGKILL after 10 s, reaped.
stop_child() {
  local pid=$1 i st
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 100); do
    st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
    [ -z "$st" ] || [ "$st" = Z ] && break
    sleep 0.1
  done
  [ -z "$st" ] || [ "$st" = Z ] || { log "cleanup: pid $pid ignored SIGTERM for 10 s, killing"; kill -9 "$pid" 2>/dev/null; }
  wait "$pid" 2>/dev/null
  return 0
}

# wait_for TIMEOUT_S COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_for() {
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# expect_eq WHAT GOT WANT
expect_eq() {
  [ "$2" = "$3" ] || { fail "$1: got '$2', want '$3'"; return 1; }
}

# expect_contains WHAT HAYSTACK NEEDLE
expect_contains() {
  case $2 in *"$3"*) return 0 ;; esac
  fail "$1: '$3' not in: $(printf '%s' "$2" | head -c 600)"
  return 1
}
