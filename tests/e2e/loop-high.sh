#!/bin/bash
# Loop devices at high numbers of the test's own, for tests that unplug and
# re-plug: `losetup -f` in other tests on the same machine hands out the
# lowest free numbers, and a test that detaches "its" number at exit would
# otherwise pull away a device that got that number since.
#   loop-high.sh attach FILE RECORD   makes /dev/loopN (N in 600..999 unused),
#                                     attaches FILE, appends N to RECORD,
#                                     prints /dev/loopN
#   loop-high.sh cleanup RECORD       detaches and removes every N in RECORD
set -euo pipefail
case ${1:-} in
attach)
        for _ in $(seq 50); do
                n=$((600 + RANDOM % 400))
                [[ -e /sys/block/loop$n || -e /dev/loop$n ]] && continue
                echo "$n" >>"$3"
                losetup "/dev/loop$n" "$2" && { echo "/dev/loop$n"; exit 0; }
        done
        echo "loop-high.sh: no free loop number" >&2
        exit 1
        ;;
cleanup)
        [[ -f $2 ]] || exit 0
        while read -r n; do
                losetup -d "/dev/loop$n" 2>/dev/null || true
                /usr/bin/python3 -c 'import fcntl, os, sys
fcntl.ioctl(os.open("/dev/loop-control", os.O_RDWR), 0x4C81, int(sys.argv[1]))' "$n" 2>/dev/null || true
        done <"$2"
        ;;
*)
        echo "usage: loop-high.sh attach FILE RECORD | cleanup RECORD" >&2
        exit 2
        ;;
esac
