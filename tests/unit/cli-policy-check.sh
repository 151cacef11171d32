#!/bin/bash
# devpassctl policy check: the shipped examples pass (exit 0); a broken file
# fails with exit 1 and its FILE:LINE:COL diagnostic, and no rule of it is
# loaded; usage errors exit 2. No root needed.
set -euo pipefail
CTL=${1:?devpassctl}
EXAMPLES=${2:?examples dir}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$("$CTL" policy check "$EXAMPLES")
echo "$out" | grep -q "^policy OK: [1-9][0-9]* rules\?$" || { echo "FAIL: examples: $out"; exit 1; }

cp "$EXAMPLES"/*.policy "$tmp/"
printf '[Match]\nClass=usb\nVendor=zz12\n[Target]\nContainer=lxc:x\n' >"$tmp/55-broken.policy"
set +e
err=$("$CTL" policy check "$tmp" 2>&1 >/dev/null); rc=$?
set -e
[ $rc -eq 1 ] || { echo "FAIL: broken policy exit $rc"; exit 1; }
echo "$err" | grep -q "55-broken.policy:3:8: error: .*Vendor" || { echo "FAIL: diagnostic: $err"; exit 1; }
[ "$(echo "$err" | wc -l)" -eq 1 ] || { echo "FAIL: more than the one error: $err"; exit 1; }

# the JSON form for scripts
"$CTL" policy check --json "$EXAMPLES" | grep -q '"rules"' || { echo "FAIL: --json"; exit 1; }
set +e
"$CTL" policy 2>/dev/null; [ $? -eq 2 ] || { echo "FAIL: usage exit"; exit 1; }
"$CTL" policy frobnicate 2>/dev/null; [ $? -eq 2 ] || { echo "FAIL: unknown subverb exit"; exit 1; }
set -e
echo "cli-policy-check: all checks passed"
