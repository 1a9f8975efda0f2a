#!/usr/bin/env bash
# The main job for now: build ocirun, make a busybox bundle, run a container
# from it and show what it prints.
set -euo pipefail
cd "$(dirname "$0")/.."

bazel build //runtime:ocirun
OCIRUN=$PWD/bazel-bin/runtime/ocirun

work=$(mktemp -d /tmp/skiff-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for applet in $(/bin/busybox --list | grep -vx busybox); do
  ln -sf busybox "$work/bundle/rootfs/bin/$applet"
done
mkdir -p "$work/bundle/rootfs/etc"
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/bundle/rootfs/etc/passwd"
cd "$work/bundle"
"$OCIRUN" spec
# Not a terminal (so it also works from scripts), and a command that shows
# the container's view of the world.
python3 - <<'PY'
import json
c = json.load(open("config.json"))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c",
    "echo \"hello from $(hostname), I am pid $$ as $(id -un)\"; "
    "echo 'my root:'; ls /; echo 'my memory limit:'; cat /sys/fs/cgroup/memory/memory.limit_in_bytes"]
c["linux"].setdefault("resources", {})["memory"] = {"limit": 64 * 1024 * 1024}
json.dump(c, open("config.json", "w"), indent=2)
PY
echo "+ ocirun --root $work/state run demo"
"$OCIRUN" --root "$work/state" run demo
