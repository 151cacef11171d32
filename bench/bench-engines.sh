#!/bin/bash
# devpass against each real engine's own tool, in the same run, medians:
#   LXD    devpassctl attach+detach (no agent, via the agent) vs
#          `lxc config device add`+`remove` of a unix-block     target ≤ 0.5×
#   LXC    devpassctl attach+detach (no agent) vs `lxc-device add`+`del`
#                                                              target ≤ 1.0×
#          the same via the agent                              target ≤ 0.5×
#   Docker, Podman (no API service): devpassctl attach via the agent,
#          and detach, next to `devpassctl status` alone      target ≤ 5 ms
# Every figure is a whole program run, as a user types it (fork+exec of the
# client included on both sides).
#   bench/bench-engines.sh [--quick] [--build-dir DIR] [-n REPS]
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=build
N=30
while [ $# -gt 0 ]; do
        case "$1" in
        --quick) N=8 ;;
        --build-dir) BUILD=$2; shift ;;
        -n) N=$2; shift ;;
        *) echo "usage: $0 [--quick] [--build-dir DIR] [-n REPS]" >&2; exit 2 ;;
        esac
        shift
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
export BUILD_DIR=$ROOT/$BUILD DPT_HARNESS=$ROOT/$BUILD/tests/harness/dp-testctr
source "$ROOT/tests/harness/lib.sh"
source "$ROOT/tests/e2e/agent-lib.sh"
source "$ROOT/tests/harness/engines.sh"
[ -x "$DEVPASSD" ] || { echo "build $BUILD first" >&2; exit 1; }

# interleaved BASE_FN DEV_FN ARGS...: runs the baseline and devpass in
# turn, N times each, so that both meet the same load on a shared machine;
# echoes both medians (ms).
interleaved() {
        local base=$1 dev=$2 i t0 t1 t2
        shift 2
        local b=() d=()
        for ((i = 0; i < N; i++)); do
                t0=${EPOCHREALTIME/[.,]/}
                "$base" "$@" >/dev/null 2>&1 || { echo "failed: $base" >&2; return 1; }
                t1=${EPOCHREALTIME/[.,]/}
                "$dev" "$@" >/dev/null 2>&1 || { echo "failed: $dev" >&2; return 1; }
                t2=${EPOCHREALTIME/[.,]/}
                b+=($((t1 - t0)))
                d+=($((t2 - t1)))
        done
        echo "$(printf '%s\n' "${b[@]}" | _median) $(printf '%s\n' "${d[@]}" | _median)"
}
_median() { sort -n | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "%.2f\n", m/1e3}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN {print (v <= t) ? "PASS" : "MISS"}'; }
RESULTS=()
result() { RESULTS+=("$*"); echo "RESULT $*"; }

pair_ctl() { ctl attach "$1" "$2" && ctl detach "$1" "$2"; }
# the same argument order as the baselines: NAME DEVICE
pair_ctl_lxd() { pair_ctl "lxd:$1" "$2"; }
pair_ctl_lxc() { pair_ctl "lxc:$1" "$2"; }
pair_lxd() {
        lxc config device add "$1" dpb unix-block source="$2" path=/dev/dpb-disk &&
                lxc config device remove "$1" dpb
}
pair_lxc() { lxc-device -n "$1" add "$2" && lxc-device -n "$1" del "$2"; }

echo "bench-engines: $(nproc) cores, kernel $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC'), $N reps"
agent_setup
# the state dir on a tmpfs, as /run is on a real host (on ext4 each ledger
# rename costs a block allocation: about 1.5 ms)
mount -t tmpfs -o mode=0700,size=16m dpb-state "$AGENT_DIR/state" || exit 1
dpt_cleanup_add umount -l "$AGENT_DIR/state"
LOOP=$(dpt_loop_add)
sfx=$(printf '%04x' $((RANDOM % 65536)))

# ---- LXD ----
if dpkg-query -W lxd >/dev/null 2>&1; then
        eng_lxd_start >/dev/null
        L=dpb-lx$sfx
        eng_lxd_launch "$L" -c security.privileged=true
        read -r base off < <(interleaved pair_lxd pair_ctl_lxd "$L" "$LOOP")
        agent_start --rescan-ms 1000
        read -r base2 via < <(interleaved pair_lxd pair_ctl_lxd "$L" "$LOOP")
        agent_kill
        result "LXD attach+detach, no agent: $off ms vs lxc config device add+remove $base ms = $(ratio "$off" "$base")x (target <= 0.5x) | $(verdict "$(ratio "$off" "$base")" 0.5)"
        result "LXD attach+detach, via the agent: $via ms vs $base2 ms = $(ratio "$via" "$base2")x (target <= 0.5x) | $(verdict "$(ratio "$via" "$base2")" 0.5)"
fi

# ---- LXC ----
C=dpb-lxc$sfx
dpt_lxc_create "$C" >/dev/null
dpt_lxc_start "$C"
read -r base off < <(interleaved pair_lxc pair_ctl_lxc "$C" "$LOOP")
agent_start --rescan-ms 1000
read -r base2 via < <(interleaved pair_lxc pair_ctl_lxc "$C" "$LOOP")
agent_kill
result "LXC attach+detach, no agent: $off ms vs lxc-device add+del $base ms = $(ratio "$off" "$base")x (target <= 1.0x) | $(verdict "$(ratio "$off" "$base")" 1.0)"
result "LXC attach+detach, via the agent: $via ms vs $base2 ms = $(ratio "$via" "$base2")x (target <= 0.5x) | $(verdict "$(ratio "$via" "$base2")" 0.5)"

# ---- Docker and Podman, via the agent ----
engines=()
if dpkg-query -W docker.io >/dev/null 2>&1; then
        eng_docker_start >/dev/null
        eng_docker_run "dpb-dk$sfx"
        engines+=("docker:dpb-dk$sfx")
fi
if dpkg-query -W podman >/dev/null 2>&1; then
        eng_podman_setup
        eng_podman_run "dpb-pm$sfx"
        engines+=("podman:dpb-pm$sfx")
fi
agent_start --rescan-ms 1000
for e in "${engines[@]}"; do
        # status, attach and detach in turn, so that all three meet the same
        # load on a shared machine
        st=() at=() de=()
        for ((i = 0; i < N; i++)); do
                t0=${EPOCHREALTIME/[.,]/}
                ctl status >/dev/null || exit 1
                t1=${EPOCHREALTIME/[.,]/}
                ctl attach "$e" "$LOOP" >/dev/null || exit 1
                t2=${EPOCHREALTIME/[.,]/}
                ctl detach "$e" "$LOOP" >/dev/null || exit 1
                t3=${EPOCHREALTIME/[.,]/}
                st+=($((t1 - t0)))
                at+=($((t2 - t1)))
                de+=($((t3 - t2)))
        done
        s=$(printf '%s\n' "${st[@]}" | _median)
        a=$(printf '%s\n' "${at[@]}" | _median)
        d=$(printf '%s\n' "${de[@]}" | _median)
        result "${e%%:*} attach via the agent: $a ms (detach $d ms; status alone $s ms) (target <= 5 ms) | $(verdict "$a" 5)"
done
agent_kill
echo
echo "summary:"
printf '  %s\n' "${RESULTS[@]}"
