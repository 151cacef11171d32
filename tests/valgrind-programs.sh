#!/bin/bash
# valgrind memcheck over whole programs, beyond the unit suite: device
# discovery through the real libudev, libusb, libdrm and libevdev against
# umockdev fixtures, and devpassctl-local's verbs that read the host and the
# policy. Any error or definite leak fails. (devpassd and the grant paths
# cannot run under Debian 12's valgrind 3.19: it does not know pidfd_open,
# openat2, open_tree or move_mount and fails them with ENOSYS.)
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
echo "memcheck: no errors, no definite leaks"
