# Helpers for the devpassd end-to-end tests (sourced after harness/lib.sh).
# Each test gets a private policy dir, state dir and socket, so it never
# touches a system devpassd.

: "${BUILD_DIR:?BUILD_DIR must point at the build tree}"
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
# echoes the node, detached at exit.
loop_add() {
        local dev
        dev=$(losetup -f --show "$1") || dpt_fail "losetup -f $1"
        # the test may have detached it already
        dpt_cleanup_add sh -c "losetup -d $dev 2>/dev/null || true"
        echo "$dev"
}
