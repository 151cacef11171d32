#!/bin/bash
# The cgroup v2 state devpass makes for a container (wrapper program,
# grants map, prog array, pinned under bpffs) lives as long as the
# container: on the real kernel, 100 containers with a runtime's v2 device
# program are started, granted a loop device through devpassd and stopped;
# afterwards the agent's pin dir holds what it held before (nothing piles
# up). Pins left for a cgroup that is gone before the agent starts (a crash,
# an older devpass) are swept at start-up. The pin root is a private bpffs.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root
dpt_require_cmd losetup
CYCLES=${DPT_CG2_CYCLES:-100}

agent_setup
# a probe container: is there a cgroup2 hierarchy a runtime program can use?
dpt_ctr_start --v2-runtime-prog 2>/dev/null || { echo "SKIP: no cgroup v2 device programs here"; exit 77; }
CG2=$("$DPT_HARNESS" info "$DPT_PID" | sed -n 's/^cgroup_v2=//p')
"$DPT_HARNESS" stop "$DPT_NAME"
[ -n "$CG2" ] || { echo "SKIP: no cgroup2 hierarchy"; exit 77; }

BPF=$AGENT_DIR/bpf
mkdir "$BPF"
mount -t bpf bpf "$BPF" || dpt_fail "mount bpffs"
dpt_cleanup_add umount -l "$BPF"
PINS=$BPF/devpass
AGENT_TEST_PATHS+=(--test-path "bpf-root=$PINS")
mkdir "$PINS"
# the pin dir of a cgroup that is gone: made, its id noted, removed
DEAD=$(dirname "$CG2")/dpt-cg2-dead-$$
mkdir "$DEAD"
mkdir "$PINS/cg-$(stat -c %i "$DEAD")"
rmdir "$DEAD"
pins() { find "$PINS" -mindepth 1 | wc -l; }

agent_start
[ "$(pins)" = 0 ] || fail "start-up did not sweep the pins of a dead cgroup: $(ls "$PINS")"
base=$(pins)

img=$(dpt_tmpdir)/lc.img
truncate -s 1M "$img"
L=$(loop_add "$img")
t0=$(now_ms)
for i in $(seq "$CYCLES"); do
        out=$("$DPT_HARNESS" start --v2-runtime-prog) || fail "cycle $i: start"
        read -r pid name <<<"$out"
        ctl attach "pid:$pid" "$L" >/dev/null || fail "cycle $i: attach"
        if [ "$i" = 1 ]; then
                # the grant is in force through devpass's wrapper and pins
                [ "$(dpt_ctr_open "$pid" "$L" r)" = OK ] || fail "granted $L does not open"
                [ "$(pins)" -gt "$base" ] || fail "a v2 grant made no pins"
        fi
        "$DPT_HARNESS" stop "$name" || fail "cycle $i: stop"
done
dpt_wait_for 10000 sh -c "[ \$(find '$PINS' -mindepth 1 | wc -l) = $base ]" ||
        fail "after $CYCLES containers the pin dir holds $(pins) entries, $base before"
dpt_wait_for 5000 sh -c "! '$DEVPASSCTL' --socket '$AGENT_SOCK' list | grep -q pid:" ||
        fail "grants of stopped containers left"
echo "$CYCLES start/attach/stop cycles in $(( $(now_ms) - t0 )) ms; pins $base -> $(pins)"
kill -0 "$AGENT_PID" || fail "devpassd died"
echo "service-cg2-lifecycle: all checks passed"
