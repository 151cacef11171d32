# Helpers for the devpassd end-to-end tests (sourced after harness/lib.sh).
# Each test gets a private policy dir, state dir and socket, so it never
# touches a system devpassd.

: "${BUILD_DIR:?BUILD_DIR must point at the build tree}"
_AGENT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# --test-path KEY=PATH options (devpass/config.h) that devpassd and
# devpassctl get: a test points them at fake host interfaces
AGENT_TEST_PATHS=()
DEVPASSD=$BUILD_DIR/agent/devpassd
DEVPASSCTL=$BUILD_DIR/tools/devpassctl

agent_setup() {
        AGENT_DIR=$(dpt_tmpdir)
        mkdir -p "$AGENT_DIR/policy" "$AGENT_DIR/state"
        AGENT_SOCK=$AGENT_DIR/devpass.sock
        AGENT_LOG=$AGENT_DIR/devpassd.log
}

agent_start() {
        "$DEVPASSD" --policy-dir "$AGENT_DIR/policy" --state-dir "$AGENT_DIR/state" \
                --socket "$AGENT_SOCK" --log-level debug --rescan-ms 200 \
                "${AGENT_TEST_PATHS[@]}" "$@" \
                >>"$AGENT_LOG" 2>&1 &
        AGENT_PID=$!
        dpt_cleanup_add agent_kill
        dpt_wait_for 5000 ctl status >/dev/null ||
                { cat "$AGENT_LOG"; echo "devpassd did not come up" >&2; return 1; }
}

agent_kill() {
        if [ -n "${AGENT_PID:-}" ]; then
                kill -TERM "$AGENT_PID" 2>/dev/null || true
                wait "$AGENT_PID" 2>/dev/null || true
                AGENT_PID=
        fi
}

ctl() {
        "$DEVPASSCTL" --socket "$AGENT_SOCK" --state-dir "$AGENT_DIR/state" \
                "${AGENT_TEST_PATHS[@]}" "$@"
}

# in_ctr PID CMD...: runs CMD in a harness container
in_ctr() { "$DPT_HARNESS" exec "$@"; }

fail() {
        echo "FAIL: $*" >&2
        echo "---- devpassd log (tail) ----" >&2
        tail -n 60 "$AGENT_LOG" >&2 || true
        exit 1
}

# Milliseconds since the epoch, for latency reports.
now_ms() { date +%s%3N; }

# Starts the agent without waiting for its socket (it may die on purpose).
agent_start_nowait() {
        "$DEVPASSD" --policy-dir "$AGENT_DIR/policy" --state-dir "$AGENT_DIR/state" \
                --socket "$AGENT_SOCK" --log-level debug --rescan-ms 200 \
                "${AGENT_TEST_PATHS[@]}" "$@" \
                >>"$AGENT_LOG" 2>&1 &
        AGENT_PID=$!
        dpt_cleanup_add agent_kill
}

# loop_add IMG: a loop device over IMG (its size is what policies match);
# echoes the node. At exit every loop device backed by IMG is detached, and
# no other: a number the test gave up (losetup -d) may be another test's by
# then, and detaching it by number would pull that test's disk away.
loop_add() {
        local dev
        dev=$(losetup -f --show "$1") || dpt_fail "losetup -f $1"
        dpt_cleanup_add sh -c "losetup -j '$1' -n -O NAME | xargs -r losetup -d 2>/dev/null || true"
        echo "$dev"
}

# loop_record_init: where loop_high records its numbers (call it directly,
# not in $(...), before loop_high); all are removed at exit.
loop_record_init() {
        LOOP_RECORD=$(mktemp /tmp/dpt-loops.XXXXXX) || dpt_fail "mktemp"
        export LOOP_RECORD
        dpt_cleanup_add rm -f "$LOOP_RECORD"
        dpt_cleanup_add bash "$_AGENT_LIB_DIR/loop-high.sh" cleanup "$LOOP_RECORD"
}

# loop_high IMG: like loop_add, at a high number of this test's own (see
# loop-high.sh), for tests that unplug and re-plug.
loop_high() {
        [[ -n ${LOOP_RECORD:-} ]] || dpt_fail "loop_high before loop_record_init"
        bash "$_AGENT_LIB_DIR/loop-high.sh" attach "$1" "$LOOP_RECORD" ||
                dpt_fail "loop-high.sh attach $1"
}
