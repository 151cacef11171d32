#!/bin/bash
# devpassd hotplug of simulated USB, input and GPU devices (umockdev) into
# a real container: a harness container whose v1 device cgroup denies by
# default is started first, on the real kernel; then agent-driver, under
# umockdev-wrapper, builds the testbed, starts devpassd and plugs the
# fixtures in and out (see agent-driver.c for the cases). It runs twice:
# with the agent on the "kernel" uevent source and on the "udev" one.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
dpt_require_root
dpt_require_cmd umockdev-wrapper findmnt
: "${BUILD_DIR:?BUILD_DIR must point at the build tree}"
DRIVER=${AGENT_DRIVER:-$BUILD_DIR/tests/umockdev/agent-driver}
for f in "$DRIVER" "$BUILD_DIR/agent/devpassd" "$BUILD_DIR/tools/devpassctl"; do
        [[ -x "$f" ]] || dpt_fail "$f is not built"
done

# The preload hides all of /sys, cgroupfs included: the agent reaches the
# real hierarchies through symlinks outside /sys.
v1=$(findmnt -rn -t cgroup -o TARGET,FS-OPTIONS |
        awk '$2 ~ /(^|,)devices(,|$)/ { print $1; exit }')
v2=$(findmnt -rn -t cgroup2 -o TARGET | head -n 1)
if [[ -z "$v1" ]]; then
        echo "SKIP: no cgroup v1 devices hierarchy (the harness container's" \
                "default-deny cgroup needs it)" >&2
        exit 77
fi

dpt_ctr_start --v1-deny
CTR=$DPT_PID
work=$(dpt_tmpdir)
ln -s "$v1" "$work/cgv1"
v2arg=()
if [[ -n "$v2" ]]; then
        ln -s "$v2" "$work/cgv2"
        v2arg=(--cgroup-v2 "$work/cgv2")
fi

rc=0
for src in kernel udev; do
        mkdir "$work/$src"
        umockdev-wrapper "$DRIVER" --source "$src" --ctr "$CTR" \
                --work "$work/$src" --fixtures "$HERE/fixtures" \
                --devpassd "$BUILD_DIR/agent/devpassd" \
                --devpassctl "$BUILD_DIR/tools/devpassctl" \
                --harness "$(dpt_harness)" \
                --cgroup-v1 "$work/cgv1" "${v2arg[@]}" || rc=$?
        # 77 from the driver means the preload was not in effect
        [[ $rc -ne 77 ]] || exit 77
done
[[ $rc -eq 0 ]] || dpt_fail "agent-driver reported failures"
echo "agent-hotplug (umockdev): all checks passed"
