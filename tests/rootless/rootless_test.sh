#!/usr/bin/env bash
# Rootless ocirun: a non-root user (nobody) runs containers from a
# `spec --rootless` bundle, in a user namespace that maps only its own uid,
# with no cgroup (none is delegated to it) and no setuid helper.
set -uo pipefail

OCIRUN_SRC=${OCIRUN:-$TEST_SRCDIR/skiff/runtime/ocirun}
pass=0 fail=0
ok() { echo "PASS: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }
# A skip is reported, never silent: printed, and recorded as skipped in the
# XML report Bazel (and scripts/test.sh's count) reads.
skip() {
  echo "SKIPPED: $1"
  if [ -n "${XML_OUTPUT_FILE:-}" ]; then
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="rootless" tests="1" skipped="1"><testcase classname="rootless" name="all"><skipped message="%s"/></testcase></testsuite></testsuites>\n' "$1" > "$XML_OUTPUT_FILE"
  fi
  exit 0
}

[ "$(id -u)" = 0 ] || skip "needs root to drop to the nobody user"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
[ -x /bin/busybox ] || skip "busybox-static is not installed"
max=$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)
[ "$max" -gt 0 ] || skip "user namespaces are disabled (user.max_user_namespaces=0)"
if [ -r /proc/sys/kernel/unprivileged_userns_clone ] &&
   [ "$(cat /proc/sys/kernel/unprivileged_userns_clone)" = 0 ]; then
  skip "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)"
fi

work=$(mktemp -d /tmp/skiff-rootless.XXXXXX)
cleanup() {
  as_nobody "$work/ocirun" delete --force rl-a >/dev/null 2>&1
  as_nobody "$work/ocirun" delete --force rl-b >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
# The build output lives under root's 0700 cache: give nobody its own copy.
cp "$OCIRUN_SRC" "$work/ocirun"
chmod 755 "$work/ocirun"
mkdir -p "$work/bundle/rootfs/bin" "$work/run"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for a in sh id cat ls sleep hostname grep; do ln -s busybox "$work/bundle/rootfs/bin/$a"; done
chown -R nobody:nogroup "$work/bundle" "$work/run"

as_nobody() {
  setpriv --reuid=65534 --regid=65534 --clear-groups \
    env -i PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$work/run" "$@"
}

cd "$work/bundle"
if as_nobody "$work/ocirun" spec --rootless; then ok "spec --rootless as nobody"; else bad "spec --rootless"; fi
python3 - <<'PY'
import json
c = json.load(open("config.json"))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", "id -u; cat /proc/self/uid_map; hostname"]
json.dump(c, open("config.json", "w"))
PY
out=$(as_nobody "$work/ocirun" run rl-a 2>&1); rc=$?
echo "$out"
[ $rc = 0 ] && ok "run exits 0" || bad "run exited $rc"
echo "$out" | head -1 | grep -qx 0 && ok "root inside" || bad "uid inside is not 0"
echo "$out" | grep -Eq '^ +0 +65534 +1$' && ok "uid 0 maps to nobody (65534)" || bad "uid_map is not 0 65534 1"
[ ! -e /sys/fs/cgroup/memory/ocirun/rl-a ] && [ ! -e /sys/fs/cgroup/pids/ocirun/rl-a ] &&
  ok "no cgroup made without delegation" || bad "a cgroup was created"
[ -d "$work/run/ocirun" ] && ok "state under \$XDG_RUNTIME_DIR/ocirun" || bad "state root not under XDG_RUNTIME_DIR"

python3 - <<'PY'
import json
c = json.load(open("config.json"))
c["process"]["args"] = ["sleep", "30"]
json.dump(c, open("config.json", "w"))
PY
as_nobody "$work/ocirun" create rl-b && ok "create" || bad "create"
as_nobody "$work/ocirun" start rl-b && ok "start" || bad "start"
as_nobody "$work/ocirun" state rl-b | grep -q '"running"' && ok "state running" || bad "state not running"
out=$(as_nobody "$work/ocirun" exec rl-b id -u 2>&1)
[ "$out" = 0 ] && ok "exec into the rootless container" || bad "exec said: $out"
as_nobody "$work/ocirun" kill rl-b KILL && ok "kill" || bad "kill"
for i in $(seq 50); do
  as_nobody "$work/ocirun" state rl-b 2>/dev/null | grep -q '"stopped"' && break
  sleep 0.1
done
as_nobody "$work/ocirun" delete rl-b && ok "delete" || bad "delete"
[ ! -e "$work/run/ocirun/rl-b" ] && ok "state removed" || bad "state left behind"
[ -z "$(find "$work/ocirun" -perm -4000)" ] && ok "ocirun is not setuid" || bad "setuid bit"

echo "$pass passed, $fail failed"
if [ -n "${XML_OUTPUT_FILE:-}" ]; then
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo "<testsuites><testsuite name=\"rootless\" tests=\"$((pass + fail))\" failures=\"$fail\">"
    for i in $(seq "$pass"); do echo "<testcase classname=\"rootless\" name=\"check$i\"/>"; done
    for i in $(seq "$fail"); do echo "<testcase classname=\"rootless\" name=\"failed$i\"><failure message=\"see test.log\"/></testcase>"; done
    echo '</testsuite></testsuites>'
  } > "$XML_OUTPUT_FILE"
fi
[ "$fail" = 0 ]
