#!/bin/bash
# skiff load/save/images/tag/rmi/history/image inspect/image prune against a
# real skiffd, and the refusals: an image in use, a hostile layer.
. "$(dirname "$0")/lib.sh"

case_load_and_list() {
  local out; out=$(sk load -i "$BUSYBOX_TAR") || { fail "load"; return 1; }
  expect_contains "load output" "$out" "Loaded image: busybox:latest" || return 1
  local table; table=$(sk images)
  expect_contains "header" "$(echo "$table" | head -1)" "REPOSITORY" || return 1
  expect_contains "row" "$table" "busybox" || return 1
  expect_eq "images -q" "$(sk images -q | awk '{print length($0)}')" "12" || return 1
  expect_eq "format" "$(sk images --format '{{.Repository}}:{{.Tag}}')" "busybox:latest" || return 1
  local id; id=$(sk image inspect --format '{{.Id}}' busybox)
  [[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || { fail "image id '$id'"; return 1; }
  expect_eq "cmd" "$(sk image inspect --format '{{json .Config.Cmd}}' busybox)" '["sh"]' || return 1
  expect_contains "history" "$(sk history busybox)" "IMAGE" || return 1
  # Loaded from stdin too.
  out=$(sk load < "$BUSYBOX_TAR") || { fail "load from stdin"; return 1; }
  expect_contains "load stdin" "$out" "busybox:latest" || return 1
}

case_tag_save_rmi() {
  sk tag busybox mybox:1 || { fail "tag"; return 1; }
  expect_contains "tagged" "$(sk images --format '{{.Repository}}:{{.Tag}}')" "mybox:1" || return 1
  sk save -o "$E2E/saved.tar" mybox:1 || { fail "save"; return 1; }
  [ -s "$E2E/saved.tar" ] || { fail "empty archive"; return 1; }
  local out; out=$(sk rmi mybox:1) || { fail "rmi tag"; return 1; }
  expect_contains "untagged" "$out" "Untagged: mybox:1" || return 1
  out=$(sk load -i "$E2E/saved.tar") || { fail "load saved"; return 1; }
  expect_contains "round trip" "$out" "mybox:1" || return 1
  expect_eq "runs" "$(sk run --rm mybox:1 echo again)" "again" || return 1
  sk rmi mybox:1 >/dev/null
}

case_rmi_in_use_refused() {
  sk create --name user1 busybox true >/dev/null
  local err; err=$(sk rmi busybox 2>&1)
  expect_eq "rmi exit code" "$?" 1 || return 1
  expect_contains "message" "$err" "in use" || return 1
  expect_contains "still there" "$(sk images)" "busybox" || return 1
  sk rm user1 >/dev/null
}

case_hostile_layer_rejected() {
  local d="$E2E/evil"; mkdir -p "$d"
  echo pwned > "$d/evil"
  local target="skiff-escape-$$"
  (cd "$d" && tar -cPf layer.tar --transform "s,^evil,../../../../../../tmp/$target," evil)
  local sum; sum=$(sha256sum "$d/layer.tar" | cut -d' ' -f1)
  printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$sum" > "$d/config.json"
  printf '[{"Config":"config.json","RepoTags":["evil:latest"],"Layers":["layer.tar"]}]' > "$d/manifest.json"
  (cd "$d" && tar -cf ../evil.tar manifest.json config.json layer.tar)
  local err rc
  err=$( { sk load -i "$E2E/evil.tar" && sk run --rm evil:latest true; } 2>&1); rc=$?
  [ "$rc" -ne 0 ] || { fail "hostile image ran"; return 1; }
  expect_contains "names the entry" "$err" "$target" || return 1
  [ ! -e "/tmp/$target" ] || { rm -f "/tmp/$target"; fail "the layer wrote outside its root"; return 1; }
  sk rmi -f evil:latest >/dev/null 2>&1
  return 0
}

case_image_prune() {
  sk tag busybox extra:1
  sk load -i "$BUSYBOX_TAR" >/dev/null
  expect_contains "prune -a keeps nothing unused" "$(sk image prune -a -f)" "Total reclaimed space" || return 1
  expect_eq "images after prune -a" "$(sk images -q)" "" || return 1
  load_busybox
}

start_daemon || exit 1
for c in load_and_list tag_save_rmi rmi_in_use_refused hostile_layer_rejected image_prune; do
  run_case "$c" "case_$c"
done
finish images_test
