#!/usr/bin/env bash
# The main job: build and install Skiff, start skiffd (unless one already
# answers on /run/skiff/skiffd.sock), load the busybox image the project
# builds from Debian's busybox-static, and run a container from it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh
bazel build //tests/images:busybox_tar
SKIFF=/usr/local/bin/skiff

if ! "$SKIFF" version >/dev/null 2>&1; then
  mkdir -p /var/log
  echo "+ skiffd (log: /var/log/skiffd.log)"
  nohup /usr/local/bin/skiffd >>/var/log/skiffd.log 2>&1 &
  for _ in $(seq 1 100); do
    "$SKIFF" version >/dev/null 2>&1 && break
    sleep 0.1
  done
  "$SKIFF" version >/dev/null || { tail -20 /var/log/skiffd.log; exit 1; }
fi

echo "+ skiff load -i bazel-bin/tests/images/busybox.tar"
"$SKIFF" load -i bazel-bin/tests/images/busybox.tar
echo "+ skiff run --rm busybox echo hello"
"$SKIFF" run --rm busybox echo hello
echo
echo "skiffd keeps running; try: skiff run -it --rm busybox sh   (stop it with: pkill skiffd)"
