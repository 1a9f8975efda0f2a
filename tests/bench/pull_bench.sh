#!/usr/bin/env bash
# `skiff pull` next to containerd's `ctr images pull` and `podman pull`, from
# one local registry (Debian's docker-registry on 127.0.0.1, plain HTTP).
#
# A benchmark, not a test: CI does not run it. Needs root. The image is made
# here: the busybox layer of //tests/images:busybox_tar plus L layers of
# MB MiB of random (incompressible) data each, every layer gzip-compressed,
# loaded into a seeding skiffd and pushed with `skiff push` to
# 127.0.0.1:PORT/bench/big:1. Then, N times, the engines taking turns:
#   cold   pull into empty local storage: the wall clock of the CLI's whole
#          invocation (resolve, fetch every blob, verify, unpack the layers
#          into the engine's snapshots / storage); median, mean, min, max in
#          ms, and each engine's median / skiff's
#   warm   the same pull again right after, the image now present
# Empty storage each time:
#   skiff   a fresh skiffd (default settings: 127.0.0.0/8 is plain HTTP) with
#           a new --root/--state/--socket in the temp dir;
#           `skiff -H unix://SOCK pull REF`.
#   ctr     a fresh private containerd (own root, state, socket; minimal
#           config, no CRI), overlayfs snapshotter when it works here;
#           `ctr -a SOCK -n skiffbench images pull --plain-http REF` (ctr
#           unpacks by default).
#   podman  new storage dirs in the temp dir: `podman --root R --runroot RR
#           --tmpdir T pull --tls-verify=false REF`; `podman rmi` and the dirs
#           removed after.
# Daemon start-up is not timed. Everything runs in a private mount namespace
# (as tests/bench/skiff_bench.sh) where this hybrid host's empty cgroup2 mount
# is unmounted. On exit everything the run made is removed: the registry,
# skiffd and containerd it started (by pid), podman's image and storage, any
# host dir podman or containerd created that was not there before, mounts,
# the temp dir.
#
# Usage: bash tests/bench/pull_bench.sh [-n N] [-l L] [-s MB] [-e LIST] [-k]
#   -n N     timed pulls per engine (default 5)
#   -l L     random-data layers (default 4)
#   -s MB    size of each random-data layer, MiB (default 10)
#   -e LIST  engines, comma-separated (default skiff,ctr,podman)
#   -k       keep the temp dir (logs, raw samples)
# Binaries: $SKIFFD (default bazel-bin/manager/daemon/skiffd), $SKIFF
# (bazel-bin/cli/skiff); the busybox tar: $IMAGE (default
# bazel-bin/tests/images/busybox.tar); the registry: $REGISTRY (default
# docker-registry).
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

SELF=$(readlink -f "$0")
REPO=$(cd "$(dirname "$SELF")/../.." && pwd)
BENCH=pull_bench
# shellcheck source=tests/bench/lib.sh
source "$REPO/tests/bench/lib.sh"

N=5
LAYERS=4
LAYER_MB=10
ENGINES="skiff ctr podman"
KEEP=0
while getopts "n:l:s:e:kh" opt; do
  case $opt in
    n) N=$OPTARG ;;
    l) LAYERS=$OPTARG ;;
    s) LAYER_MB=$OPTARG ;;
    e) ENGINES=${OPTARG//,/ } ;;
    k) KEEP=1 ;;
    h) usage; exit 0 ;;
    *) echo "usage: $0 [-n N] [-l L] [-s MB] [-e skiff,ctr,podman] [-k]" >&2; exit 2 ;;
  esac
done
[[ $N =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive number, got '$N'"
[[ $LAYERS =~ ^[0-9]+$ ]] || die "-l wants a number, got '$LAYERS'"
[[ $LAYER_MB =~ ^[1-9][0-9]*$ ]] || die "-s wants a positive number of MiB, got '$LAYER_MB'"
for e in $ENGINES; do
  [[ $e == skiff || $e == podman || $e == ctr ]] || die "-e: unknown engine '$e' (skiff, ctr, podman)"
done
[[ $(id -u) == 0 ]] || die "must run as root"
command -v unshare >/dev/null || die "unshare (util-linux) is missing"

# Everything below runs in a private mount namespace.
enter_private_mount_ns "$@"

IMAGE=$(readlink -f "${IMAGE:-$REPO/bazel-bin/tests/images/busybox.tar}")
[[ -s $IMAGE ]] || die "no image tar at $IMAGE (bazel build //tests/images:busybox_tar)"
SKIFFD=${SKIFFD:-$REPO/bazel-bin/manager/daemon/skiffd}
SKIFF=${SKIFF:-$REPO/bazel-bin/cli/skiff}
REGISTRY=${REGISTRY:-docker-registry}
# skiff seeds the registry, so it is needed whatever -e says.
[[ -x $SKIFFD ]] || die "no skiffd at $SKIFFD (bazel build //manager/daemon:skiffd)"
[[ -x $SKIFF ]] || die "no skiff at $SKIFF (bazel build //cli:skiff)"
command -v "$REGISTRY" >/dev/null || die "$REGISTRY is not installed (apt-get install docker-registry)"
command -v curl >/dev/null || die "curl is missing"
NS=skiffbench   # containerd namespace

declare -A SKIP
for e in $ENGINES; do
  case $e in
    podman) command -v podman >/dev/null || SKIP[podman]="podman is not installed (apt-get install podman)" ;;
    ctr)
      for b in containerd ctr; do
        command -v $b >/dev/null || SKIP[ctr]="$b is not installed (apt-get install containerd)"
      done
      ;;
  esac
done

W=$(mktemp -d /tmp/skiff-pull-bench.XXXXXX)
SKSOCK=$W/skiff/skiffd.sock
CSOCK=$W/ctrd/c.sock
REG_PID=
SKIFFD_PID=
CTRD_PID=
PODMAN_ROOT=
PODMAN_RUNROOT=
PODMAN_TMP=
REF=
# Host state podman and containerd may create whatever their flags say:
# removed at the end only when this run created it.
HAD_VAR_CONTAINERS=0; [[ -e /var/lib/containers ]] && HAD_VAR_CONTAINERS=1
HAD_PODMAN_CACHE=0; [[ -e /var/lib/containers/cache ]] && HAD_PODMAN_CACHE=1
HAD_RUN_CONTAINERS=0; [[ -e /run/containers ]] && HAD_RUN_CONTAINERS=1
HAD_RUN_LIBPOD=0; [[ -e /run/libpod ]] && HAD_RUN_LIBPOD=1
HAD_RUN_CONTAINERD=0; [[ -e /run/containerd ]] && HAD_RUN_CONTAINERD=1

sk() { timeout 300 "$SKIFF" -H "unix://$SKSOCK" "$@"; }
c() { timeout 300 ctr -a "$CSOCK" -n "$NS" "$@"; }
pm() { timeout 300 podman --root "$PODMAN_ROOT" --runroot "$PODMAN_RUNROOT" --tmpdir "$PODMAN_TMP" "$@"; }

# --- host helpers (the shared ones are in tests/bench/lib.sh) ------------------

# A TCP port on 127.0.0.1 nothing listens on.
free_port() {
  local p
  for p in $(shuf -i 20000-60000 -n 50); do
    [[ -z $(ss -Htln "sport = :$p" 2>/dev/null) ]] && { echo "$p"; return 0; }
  done
  return 1
}

# --- engines: start with empty storage, stop and remove it ------------------------

start_skiffd() {  # start_skiffd DIR
  mkdir -p "$1/root" "$1/state"
  SKSOCK=$1/skiffd.sock
  "$SKIFFD" --root "$1/root" --state "$1/state" --socket "$SKSOCK" </dev/null >>"$W/skiffd.log" 2>&1 &
  SKIFFD_PID=$!
  wait_for 20 sk version || { echo "skiffd did not answer on $SKSOCK: $(tail -3 "$W/skiffd.log" | tr '\n' ' ')"; return 1; }
}
stop_skiffd() {  # stop_skiffd DIR
  [[ -n $SKIFFD_PID ]] && stop_child "$SKIFFD_PID"
  SKIFFD_PID=
  unmount_under "$1"
  rm -rf "$1"
}

CTR_SNAP=
start_containerd() {  # start_containerd DIR
  mkdir -p "$1"
  CSOCK=$1/c.sock
  cat >"$1/config.toml" <<EOF
version = 2
root = "$1/root"
state = "$1/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CSOCK"
[ttrpc]
  address = "$CSOCK.ttrpc"
[debug]
  address = ""
  level = "warn"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$1/opt"
EOF
  containerd --config "$1/config.toml" </dev/null >>"$W/containerd.log" 2>&1 &
  CTRD_PID=$!
  wait_for 20 c version || { echo "containerd did not come up on $CSOCK: $(tail -3 "$W/containerd.log" | tr '\n' ' ')"; return 1; }
  # Chosen once, so every pull uses the same snapshotter.
  if [[ -z $CTR_SNAP ]]; then
    CTR_SNAP=native
    c plugins ls 2>/dev/null | grep -qE '^io\.containerd\.snapshotter\.v1 +overlayfs .* ok' && CTR_SNAP=overlayfs
  fi
  return 0
}
stop_containerd() {  # stop_containerd DIR
  if [[ -n $CTRD_PID ]]; then
    c images rm "$REF" >/dev/null 2>&1
    stop_child "$CTRD_PID"
  fi
  CTRD_PID=
  unmount_under "$1"
  rm -rf "$1"
}

# podman (as root) keeps its blob-info cache in /var/lib/containers/cache
# whatever --root says: a private dir is bind-mounted there (in this run's
# mount namespace only), so the host's cache is neither read nor written.
PODMAN_CACHE=/var/lib/containers/cache
start_podman() {  # start_podman DIR
  PODMAN_ROOT=$1/root PODMAN_RUNROOT=$1/run PODMAN_TMP=$1/tmp
  mkdir -p "$PODMAN_ROOT" "$PODMAN_RUNROOT" "$PODMAN_TMP" "$1/cache" "$PODMAN_CACHE" &&
    mount --bind "$1/cache" "$PODMAN_CACHE"
}
stop_podman() {  # stop_podman DIR
  [[ -n $PODMAN_ROOT ]] && pm rmi -f "$REF" >/dev/null 2>&1
  PODMAN_ROOT=
  unmount_under "$PODMAN_CACHE"
  unmount_under "$1"
  rm -rf "$1"
}

# --- cleanup -------------------------------------------------------------------

cleanup() {
  [[ -n $SKIFFD_PID ]] && stop_skiffd "$(dirname "$SKSOCK")"
  [[ -n $CTRD_PID ]] && stop_containerd "$(dirname "$CSOCK")"
  [[ -n $PODMAN_ROOT ]] && stop_podman "$(dirname "$PODMAN_ROOT")"
  [[ -n $REG_PID ]] && stop_child "$REG_PID"
  ((HAD_VAR_CONTAINERS)) || rm -rf /var/lib/containers
  ((HAD_PODMAN_CACHE)) || rmdir /var/lib/containers/cache 2>/dev/null
  ((HAD_RUN_CONTAINERS)) || rm -rf /run/containers
  ((HAD_RUN_LIBPOD)) || rm -rf /run/libpod
  ((HAD_RUN_CONTAINERD)) || rm -rf /run/containerd
  unmount_under "$W"
  if ((KEEP)); then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the registry ------------------------------------------------------------------

PORT=$(free_port) || die "no free TCP port found on 127.0.0.1"
HOST=127.0.0.1:$PORT
REF=$HOST/bench/big:1
mkdir -p "$W/registry"
cat >"$W/registry/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $W/registry/storage
  delete:
    enabled: true
http:
  addr: $HOST
EOF
"$REGISTRY" serve "$W/registry/config.yml" </dev/null >"$W/registry.log" 2>&1 &
REG_PID=$!
wait_for 20 curl -sf "http://$HOST/v2/" || die "the registry did not answer on $HOST: $(tail -3 "$W/registry.log" | tr '\n' ' ')"

# --- the image: busybox + LAYERS x LAYER_MB MiB of random data, gzip layers ----------

# A docker-archive tar by hand: layer tars, a config naming their diff_ids
# (sha256 of the uncompressed tar), manifest.json naming the gzip files.
make_image() {
  local d=$W/image i sum diff_ids="" layers=""
  mkdir -p "$d/src" "$d/out"
  tar -xf "$IMAGE" -C "$d/src" || return 1
  local bb
  bb=$(find "$d/src" -name layer.tar | head -1)
  [[ -n $bb ]] || { echo "no layer.tar in $IMAGE"; return 1; }
  cp "$bb" "$d/l0.tar"
  for ((i = 1; i <= LAYERS; i++)); do
    mkdir -p "$d/l$i/data"
    head -c "$((LAYER_MB * 1048576))" /dev/urandom >"$d/l$i/data/random$i.bin"
    tar -C "$d/l$i" -cf "$d/l$i.tar" data || return 1
    rm -rf "$d/l$i"
  done
  for ((i = 0; i <= LAYERS; i++)); do
    sum=$(sha256sum "$d/l$i.tar" | cut -d' ' -f1)
    gzip -n -6 -c "$d/l$i.tar" >"$d/out/l$i.tar.gz" || return 1
    rm -f "$d/l$i.tar"
    diff_ids+="${diff_ids:+,}\"sha256:$sum\""
    layers+="${layers:+,}\"l$i.tar.gz\""
  done
  printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
    "$diff_ids" >"$d/out/config.json"
  printf '[{"Config":"config.json","RepoTags":["bench/big:1"],"Layers":[%s]}]' "$layers" >"$d/out/manifest.json"
  (cd "$d/out" && tar -cf "$W/big.tar" manifest.json config.json ./*.tar.gz) || return 1
  rm -rf "$d"
}
make_image >"$W/image.err" 2>&1 || die "making the image failed: $(tail -2 "$W/image.err" | tr '\n' ' ')"

# Seed the registry with skiff itself.
start_skiffd "$W/seed" >"$W/seed.err" 2>&1 || die "$(cat "$W/seed.err")"
{ sk load -i "$W/big.tar" && sk tag bench/big:1 "$REF" && sk push "$REF"; } >"$W/seed.err" 2>&1 ||
  die "seeding the registry with skiff load/tag/push failed: $(tail -3 "$W/seed.err" | tr '\n' ' ')"
stop_skiffd "$W/seed"

# What the registry now serves: the manifest's layers and their sizes.
MANIFEST=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
  "http://$HOST/v2/bench/big/manifests/1") || die "the registry has no manifest for $REF after the push"
BLOB_INFO=$(printf '%s' "$MANIFEST" | python3 -c '
import json, sys
m = json.load(sys.stdin)
ls = m.get("layers", [])
types = sorted({l.get("mediaType", "?").rsplit(".", 1)[-1].rsplit("+", 1)[-1] for l in ls})
print("%d layers (%s), %.1f MB to fetch" % (len(ls), ",".join(types), sum(l.get("size", 0) for l in ls) / 1e6))
' 2>/dev/null) || BLOB_INFO="manifest of $(printf '%s' "$MANIFEST" | wc -c) bytes"

echo "pull_bench: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  host:     $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  registry: $REGISTRY $(dpkg-query -W -f '${Version}' docker-registry 2>/dev/null) on $HOST (plain HTTP), storage in $W/registry"
echo "  image:    $REF: busybox + $LAYERS x $LAYER_MB MiB random data, gzip; served: $BLOB_INFO"
echo "  N=$N timed pulls per engine (interleaved), each into empty storage, then one pull of the present image"
if awk -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN { exit !(l > 0.5) }'; then
  echo "  warning: load average above 0.5: other work on the machine skews the figures"
fi

# --- pulls -------------------------------------------------------------------------

pull_one() {  # pull_one ENGINE
  case $1 in
    skiff) sk pull "$REF" ;;
    ctr) c images pull --plain-http --snapshotter "$CTR_SNAP" "$REF" ;;
    podman) pm pull --tls-verify=false "$REF" ;;
  esac </dev/null >/dev/null 2>>"$W/$1.err"
}
# The image is really there, unpacked: a wrong pull must not look fast.
check_present() {  # check_present ENGINE
  case $1 in
    skiff) sk images 2>/dev/null | grep -qF "$HOST/bench/big" ;;
    ctr) c images check 2>/dev/null | grep -F "$REF" | grep -q 'complete' &&
         c snapshots --snapshotter "$CTR_SNAP" ls 2>/dev/null | grep -q Committed ;;
    podman) pm image exists "$REF" ;;
  esac
}

# Empty local storage for ENGINE in DIR, and its removal.
start_engine() {  # start_engine ENGINE DIR
  case $1 in skiff) start_skiffd "$2" ;; ctr) start_containerd "$2" ;; podman) start_podman "$2" ;; esac
}
stop_engine() {  # stop_engine ENGINE DIR
  case $1 in skiff) stop_skiffd "$2" ;; ctr) stop_containerd "$2" ;; podman) stop_podman "$2" ;; esac
}

declare -A VERSION
VERSION[skiff]="skiff $("$SKIFF" --version 2>/dev/null | head -1 | awk '{print $NF}' | tr -d ,)"
VERSION[ctr]="containerd $(containerd --version 2>/dev/null | awk '{print $3}')"
VERSION[podman]="podman $(podman --version 2>/dev/null | awk '{print $3}')"

mkdir -p "$W/samples"
RUNNERS=""
for e in $ENGINES; do
  if [[ -n ${SKIP[$e]:-} ]]; then echo "  $e: skipped: ${SKIP[$e]}"; else RUNNERS+="$e "; fi
done
for ((i = 1; i <= N; i++)); do
  for e in $RUNNERS; do
    progress "pull $i/$N: $e"
    d=$W/$e.$i
    start_engine "$e" "$d" >"$W/start.err" 2>&1 || { progress ""; die "$e: $(cat "$W/start.err")"; }
    t0=$EPOCHREALTIME
    pull_one "$e" || { progress ""; die "$e pull $i failed: $(tail -2 "$W/$e.err" | tr '\n' ' ')"; }
    t1=$EPOCHREALTIME
    check_present "$e" || { progress ""; die "$e pull $i reported success but the image is not there"; }
    pull_one "$e" || { progress ""; die "$e second pull $i failed: $(tail -2 "$W/$e.err" | tr '\n' ' ')"; }
    t2=$EPOCHREALTIME
    echo $((${t1/./} - ${t0/./})) >>"$W/samples/$e.cold"
    echo $((${t2/./} - ${t1/./})) >>"$W/samples/$e.warm"
    [[ $e == ctr && $i == 1 ]] && VERSION[ctr]+=", snapshotter $CTR_SNAP"
    [[ $e == podman && $i == 1 ]] && VERSION[podman]+=", storage $(pm info --format '{{.Store.GraphDriverName}}' 2>/dev/null)"
    stop_engine "$e" "$d"
  done
done
progress ""

echo "  engines:"
for e in $RUNNERS; do echo "    $e: ${VERSION[$e]}"; done

BASE=""
for e in skiff ctr podman; do [[ " $RUNNERS " == *" $e "* ]] && { BASE=$e; break; }; done

report() {  # report KIND TITLE
  local e f
  declare -A med
  echo
  echo "$2"
  printf '  %-8s %9s %9s %9s %9s   %s\n' engine median mean min max "median / $BASE"
  for e in $RUNNERS; do med[$e]=$(awk '{print $1 / 1000}' "$W/samples/$e.$1" | median); done
  for e in $RUNNERS; do
    f=$W/samples/$e.$1
    printf '  %-8s %9.1f %9.1f %9.1f %9.1f   %s\n' "$e" "${med[$e]}" \
      "$(awk '{s += $1} END {print s / NR / 1000}' "$f")" \
      "$(sort -n "$f" | head -1 | awk '{print $1 / 1000}')" \
      "$(sort -n "$f" | tail -1 | awk '{print $1 / 1000}')" \
      "$(ratio "${med[$e]}" "${med[$BASE]}")"
  done
}
report cold "pull into empty storage: $N pulls each, ms (the CLI's whole invocation, wall clock)"
report warm "pull again, image present: $N pulls each, ms"
