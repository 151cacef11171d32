#!/bin/bash
# Racing lifetimes against devpassd, on the real kernel. Loop devices of the
# policy's size come and go 1,000 times (a sliding window, so minors are
# reused and new ones appear) while a process inside the container reads a
# device granted by the same policy in a tight loop: it must never see
# EPERM. At the end the container's /dev and its cgroup's devices.list hold
# exactly the loop devices still present. Then another manager rewrites the
# cgroup behind devpassd's back (denies the granted device, as a
# `systemctl daemon-reload` would) and deletes the node: devpassd must put
# both back within 6 s and log "re-applied".
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/hardening-lib.sh"
dpt_require_cmd losetup
ROUNDS=${DPT_STORM_ROUNDS:-1000}

agent_setup
hl_ctr_start --v1-deny --share-usr
ROOTFS=$("$DPT_HARNESS" info "$CTR" | sed -n 's/^rootfs=//p')
hl_require_cg
cp "$HOSTILE" "$ROOTFS/tmp/dpt-hostile"

hl_block_policy storm
agent_start

# every loop device this test attached, detached at exit whatever happens
LOOPS_FILE=$AGENT_DIR/loops
: >"$LOOPS_FILE"
detach_all() { while read -r l; do losetup -d "$l" 2>/dev/null || true; done <"$LOOPS_FILE"; }
dpt_cleanup_add detach_all

attach() {
        local l
        l=$(losetup -f --show "$img") || fail "losetup -f"
        echo "$l" >>"$LOOPS_FILE"
        echo "$l"
}

KEEP=$(attach)
dpt_wait_for 2000 in_ctr "$CTR" test -b "$KEEP" || fail "$KEEP not granted"

# ---- a reader inside while devices churn ----
in_ctr "$CTR" /tmp/dpt-hostile open-loop "$KEEP" 600 >"$AGENT_DIR/reader.out" 2>&1 &
READER=$!
dpt_cleanup_add kill_reader
kill_reader() { kill "$READER" 2>/dev/null || true; }
sleep 0.5
t0=$(now_ms)
window=()
for ((i = 0; i < ROUNDS; i++)); do
        window+=("$(attach)")
        if [ ${#window[@]} -gt 3 ]; then
                losetup -d "${window[0]}"
                window=("${window[@]:1}")
        fi
done
echo "$ROUNDS attach/detach rounds in $(( $(now_ms) - t0 )) ms"

present() {
        { echo "${KEEP#/dev/loop}"; for l in "${window[@]}"; do echo "${l#/dev/loop}"; done; } | sort -n | tr '\n' ' '
}
inside() {
        in_ctr "$CTR" sh -c 'for f in /dev/loop*; do [ -b "$f" ] && echo "${f#/dev/loop}"; done' |
                sort -n | tr '\n' ' '
}
allowed() { sed -n 's/^b 7:\([0-9]*\) .*/\1/p' "$CG/devices.list" | sort -n | tr '\n' ' '; }
converged() { [ "$(inside)" = "$(present)" ] && [ "$(allowed)" = "$(present)" ]; }

want=$(present)
dpt_wait_for 20000 converged ||
        fail "not converged: present [$want] inside [$(inside)] cgroup [$(allowed)]"
echo "converged: loop minors [$want] inside and in devices.list, nothing else"

# Stop the reader now: its count must show no EPERM at all.
in_ctr "$CTR" killall dpt-hostile >/dev/null 2>&1 || fail "cannot stop the reader inside"
wait "$READER" || true
cat "$AGENT_DIR/reader.out"
counts=$(sed -n 's/^opens=\([0-9]*\) eperm=\([0-9]*\) other=\([0-9]*\)/\1 \2 \3/p' "$AGENT_DIR/reader.out")
read -r opens eperm other <<<"$counts" || true
[ -n "${opens:-}" ] || fail "the reader inside printed no counts"
[ "$opens" -gt 100 ] || fail "the reader inside opened $KEEP only $opens times"
[ "$eperm" = 0 ] || fail "the reader inside saw EPERM $eperm times while other devices churned"
[ "$other" = 0 ] || fail "the reader inside saw $other other open errors"

# ---- another manager drops the rule and the node ----
m=${KEEP#/dev/loop}
before=$(grep -c 're-applied' "$AGENT_LOG" || true)
echo "b 7:$m rwm" >"$CG/devices.deny"
in_ctr "$CTR" rm -f "$KEEP"
[ "$(dpt_ctr_open "$CTR" "$KEEP" r)" != OK ] || fail "the rewrite did not take"
t0=$(now_ms)
dpt_wait_for 6000 sh -c "grep -q '^b 7:$m ' '$CG/devices.list'" ||
        fail "devpassd did not re-apply the cgroup rule within 6 s"
dpt_wait_for 6000 in_ctr "$CTR" test -b "$KEEP" ||
        fail "devpassd did not re-create the node within 6 s"
echo "re-applied after $(( $(now_ms) - t0 )) ms"
[ "$(dpt_ctr_open "$CTR" "$KEEP" r)" = OK ] || fail "$KEEP does not open after the repair"
dpt_wait_for 2000 sh -c "[ \$(grep -c 're-applied' '$AGENT_LOG') -gt $before ]" ||
        fail "devpassd did not log re-applied"
grep 're-applied' "$AGENT_LOG" | tail -n 1
kill -0 "$AGENT_PID" || fail "devpassd died"
echo "storm-lifetimes: all checks passed"
