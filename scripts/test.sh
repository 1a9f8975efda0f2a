#!/usr/bin/env bash
# Builds everything and runs every test (unit and integration), then prints
# one summary line "N passed, M failed, K skipped" counted over test cases.
# Exits non-zero when any test fails or anything fails to build.
set -uo pipefail
cd "$(dirname "$0")/.."

bazel build //... || { echo "0 passed, 1 failed"; exit 1; }
bazel test //... "$@"
rc=$?

# Count the test cases of the targets that just ran, from their XML reports.
passed=0 failed=0 skipped=0
for t in $(bazel query 'tests(//...) except attr(tags, "manual", tests(//...))' 2>/dev/null); do
  path=${t#//}; path=${path/://}
  xml="bazel-testlogs/$path/test.xml"
  [ -f "$xml" ] || { failed=$((failed + 1)); continue; }
  read -r total fails skips < <(python3 - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.iter("testcase")
t = f = s = 0
for c in cases:
    t += 1
    if c.find("failure") is not None or c.find("error") is not None:
        f += 1
    elif c.get("result") == "skipped" or c.find("skipped") is not None or c.get("status") == "notrun":
        s += 1
if t == 0:  # a target that crashed before writing cases
    f = 1 if root.get("failures", "0") != "0" or root.get("errors", "0") != "0" else 0
print(t, f, s)
PY
)
  passed=$((passed + total - fails - skips)); failed=$((failed + fails)); skipped=$((skipped + skips))
done
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
