#!/bin/bash
# Runs every devpass benchmark (as root) and prints a summary table.
#   bench/run.sh [--quick] [--build-dir DIR]
# Each benchmark measures its baseline in the same run and prints PASS/MISS
# against the target. Everything created (LXC container, loop devices, veths,
# cgroups, dp-testctr containers, temp dirs) is removed, also on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
QUICK=
BUILD=build-bench
while [ $# -gt 0 ]; do
        case "$1" in
        --quick) QUICK=--quick ;;
        --build-dir) BUILD=$2; shift ;;
        *) echo "usage: $0 [--quick] [--build-dir DIR]" >&2; exit 2 ;;
        esac
        shift
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
cmake --build "$BUILD" -j"$(nproc)" --target devpassd devpassctl dp-testctr benchmarks >/dev/null || exit 1

B=$BUILD/bench
D=(--devpassd "$BUILD/agent/devpassd" --devpassctl "$BUILD/tools/devpassctl"
   --testctr "$BUILD/tests/harness/dp-testctr")
CTR=dpb-lxc-$$
LOG=$(mktemp /tmp/dpb-run.XXXXXX)
# loop indices of our own, away from what losetup -f hands out
LOOPA=$((900 + $$ % 90))
LOOPB=$((3000 + ($$ % 20) * 1000))

cleanup() {
        lxc-stop -k -n "$CTR" >/dev/null 2>&1
        lxc-destroy -n "$CTR" >/dev/null 2>&1
        rm -f "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "devpass benchmarks: $(nproc) cores, kernel $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC') ${QUICK:+(quick)}"
if lxc-create -n "$CTR" -t busybox >/dev/null 2>&1; then
        printf 'lxc.net.0.type = empty\nlxc.apparmor.profile = unconfined\n' >>"/var/lib/lxc/$CTR/config"
        lxc-start -n "$CTR" -d
        for _ in $(seq 100); do lxc-info -n "$CTR" -pH >/dev/null 2>&1 && break; sleep 0.1; done
else
        echo "cannot create an LXC container; LXC benchmarks skipped"
        CTR=
fi

run() {
        echo
        timeout 300 "$@" 2>&1 | tee -a "$LOG"
}
START=$(date +%s)
[ -n "$CTR" ] && run "$B/bench-hotplug" --ctr "$CTR" --devpassd "$BUILD/agent/devpassd" --loop "$LOOPA" $QUICK
run "$B/bench-userns" --testctr "$BUILD/tests/harness/dp-testctr" $QUICK
[ -n "$CTR" ] && run "$B/bench-agent" manual "${D[@]}" --ctr "$CTR" --loop "$((LOOPA + 1))" $QUICK
run "$B/bench-cg2" $QUICK
run "$B/bench-net" --testctr "$BUILD/tests/harness/dp-testctr" $QUICK
run "$B/bench-agent" storm "${D[@]}" --loop "$LOOPB" $QUICK
run "$B/bench-agent" cold "${D[@]}" --loop "$LOOPB" $QUICK
run bash bench/bench-cdi.sh --devpassd "$BUILD/agent/devpassd" --loop "$((LOOPA + 2))" $QUICK

echo
echo "Summary ($(( $(date +%s) - START )) s)"
printf '%-34s | %-48s | %-40s | %-7s | %-30s | %s\n' benchmark figure baseline ratio target verdict
grep '^RESULT ' "$LOG" | sed 's/^RESULT //' |
        awk -F' [|] ' '{printf "%-34s | %-48s | %-40s | %-7s | %-30s | %s\n", $1, $2, $3, $4, $5, $6}'
