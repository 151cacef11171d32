#!/bin/bash
# valgrind memcheck beyond the unit suite: device discovery through the real
# libudev, libusb, libdrm and libevdev against umockdev fixtures;
# devpassctl-local's verbs that read the host and the policy; and the
# privileged suites that valgrind can run (as root, real kernel): cgroup v1
# rules, cgroup v2 programs and maps, both on harness containers, NIC
# restore, container resolution. Any error or definite leak fails.
# (devpassd, node creation and NIC moves cannot run under Debian 12's
# valgrind 3.19: it does not know openat2, open_tree, move_mount or
# pidfd_open and fails them with ENOSYS, and devpass fails closed.)
#   tests/valgrind-programs.sh BUILD-DIR
set -euo pipefail
B=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VG=(valgrind -q --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite --show-leak-kinds=definite
    --suppressions="$ROOT/tests/valgrind.supp")
for t in discovery enrich; do
        echo "-- memcheck: test-umockdev-$t"
        umockdev-wrapper "${VG[@]}" "$B/tests/umockdev/test-umockdev-$t" >/dev/null
done
CTL=("${VG[@]}" "$B/tools/devpassctl-local" --socket /nonexistent)
echo "-- memcheck: devpassctl-local devices / explain / policy check"
"${CTL[@]}" devices --json >/dev/null
"${CTL[@]}" explain /dev/null >/dev/null
"${CTL[@]}" policy check "$ROOT/policy/examples" >/dev/null
HC=$B/tests/harness/dp-testctr
P=$B/tests/privileged
for t in "$P/test-act-cgroup-v1" "$P/test-act-cgroup-v2" \
        "$P/test-act-cgroup-ctr $HC" "$P/test-act-net-restore" \
        "$P/test-container-priv harness $HC"; do
        echo "-- memcheck: ${t#"$B"/}"
        # shellcheck disable=SC2086 # a command and its arguments
        "${VG[@]}" $t >/dev/null
done
echo "memcheck: no errors, no definite leaks"
