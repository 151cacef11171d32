#!/bin/bash
# devpassd policy life cycle and IPC robustness, on the real kernel:
# editing a policy file revokes and grants; a policy with an error changes
# nothing and `devpassctl reload` prints the error; explain and list go
# through the agent; malformed, oversized and unauthorised requests get an
# error reply and the agent keeps serving.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root
RAW=$BUILD_DIR/tests/e2e/dpt-ipc-raw

agent_setup
dpt_ctr_start --v1-deny
CTR=$DPT_PID
CG=$("$DPT_HARNESS" info "$CTR" | sed -n 's/^cgroup_v1=//p')
S1=$((4096 + RANDOM % 2048))
S2=$((S1 + 8))
write_policy() { # atomically, as an editor or a config manager would
        cat >"$AGENT_DIR/policy/.tmp" <<POL
[Match]
Class=block
Attribute=size=$1
[Target]
Container=pid:$CTR
POL
        mv "$AGENT_DIR/policy/.tmp" "$AGENT_DIR/policy/50-e2e.policy"
}
write_policy "$S1"
agent_start

img1=$(dpt_tmpdir)/a.img
img2=$(dpt_tmpdir)/b.img
head -c $((S1 * 512)) /dev/zero >"$img1"
head -c $((S2 * 512)) /dev/zero >"$img2"
L1=$(loop_add "$img1")
L2=$(loop_add "$img2")
m1=${L1#/dev/loop}
m2=${L2#/dev/loop}
dpt_wait_for 5000 in_ctr "$CTR" test -b "$L1" || fail "$L1 not granted"
in_ctr "$CTR" test -e "$L2" && fail "$L2 granted though no rule matches"

# explain through the agent names the rule and the container
ctl explain "$L1" --json | grep -q '"rule": "50-e2e.policy:1"' || fail "explain: rule"
ctl explain "$L1" --json | grep -q "\"pid:$CTR\"" || fail "explain: container"
ctl explain "$L2" --json | grep -q '"rule": null' || fail "explain: no rule for $L2"

# edit the policy: L1 out, L2 in
write_policy "$S2"
dpt_wait_for 5000 in_ctr "$CTR" test -b "$L2" || fail "$L2 not granted after edit"
dpt_wait_for 5000 sh -c "! '$DPT_HARNESS' exec $CTR test -e $L1" || fail "$L1 not revoked after edit"
grep -q "^b 7:$m1 " "$CG/devices.list" && fail "cgroup still allows $L1"
grep -q "^b 7:$m2 " "$CG/devices.list" || fail "cgroup does not allow $L2"

# a broken file: nothing changes, reload says why (FILE:LINE:COL)
printf '[Match]\nClass=gpu\nBogus=1\n[Target]\nContainer=pid:%s\n' "$CTR" \
        >"$AGENT_DIR/policy/60-bad.policy"
if out=$(ctl reload 2>&1); then fail "reload of a broken policy succeeded"; fi
echo "$out" | grep -q "60-bad.policy:3:1" || fail "reload error lacks FILE:LINE:COL: $out"
ctl status --json | grep -q '"policy_error": "' || fail "status lacks the policy error"
sleep 0.3 # give inotify's debounced reload its chance to do damage
in_ctr "$CTR" test -b "$L2" || fail "broken policy revoked a grant"
rm "$AGENT_DIR/policy/60-bad.policy"
ctl reload | grep -q "1 rules" || fail "reload after the fix"

# a manual grant of something no rule matches survives reconcile
ctl attach "pid:$CTR" "$L1" --path /dev/manual0 >/dev/null || fail "manual attach"
ctl reload >/dev/null
in_ctr "$CTR" test -b /dev/manual0 || fail "manual grant lost on reload"
ctl list --json | grep -q '"source": "manual"' || fail "list: manual source"
ctl detach "pid:$CTR" "$L1" || fail "manual detach"
in_ctr "$CTR" test -e /dev/manual0 && fail "manual node left after detach"

# CLI errors: one line, exit 1 (failure) or 2 (usage)
set +e
ctl attach "pid:$CTR" /dev/does-not-exist 2>"$AGENT_DIR/err"; rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$AGENT_DIR/err")" -eq 1 ] || fail "missing device: rc=$rc $(cat "$AGENT_DIR/err")"
ctl attach lxc:dpt-no-such-ctr "$L1" 2>/dev/null; [ $? -eq 1 ] || fail "unknown container"
ctl attach nosuchruntime:x "$L1" 2>/dev/null; [ $? -eq 1 ] || fail "unknown runtime"
ctl attach "pid:$CTR" "$L2" 2>/dev/null; [ $? -eq 1 ] || fail "double attach"
ctl attach 2>/dev/null; [ $? -eq 2 ] || fail "usage error"
ctl attach "pid:$CTR" "$L1" --bogus 2>/dev/null; [ $? -eq 2 ] || fail "unknown option"
# --path and --name obey the same rules as Path= and InterfaceName=
ctl attach "pid:$CTR" "$L1" --path /dev/x/ 2>/dev/null; [ $? -eq 2 ] || fail "--path with a trailing /"
ctl attach "pid:$CTR" "$L1" --path "$(printf '/dev/a\tb')" 2>/dev/null; [ $? -eq 2 ] || fail "--path with a tab"
ctl attach "pid:$CTR" "$L1" --name 'a:b' 2>/dev/null; [ $? -eq 2 ] || fail "--name with a colon"
set -e

# IPC abuse: the agent answers with an error and keeps serving
printf 'not json\0' | "$RAW" "$AGENT_SOCK" | grep -q InvalidMessage || fail "malformed request"
printf '{"method":"devpass.Nope"}\0' | "$RAW" "$AGENT_SOCK" | grep -q MethodNotFound || fail "unknown method"
printf '{"method":"devpass.Attach","parameters":{"container":5}}\0' | "$RAW" "$AGENT_SOCK" |
        grep -q InvalidParameter || fail "bad parameter type"
printf '{"method":"devpass.Attach","parameters":{"container":"pid:1","device":"/dev/null","path":"/dev/../etc/x"}}\0' |
        "$RAW" "$AGENT_SOCK" | grep -q InvalidParameter || fail "path with .."
head -c 70000 /dev/zero | tr '\0' 'a' | "$RAW" "$AGENT_SOCK" | grep -q MessageTooLarge ||
        fail "oversized request"
chmod 0755 "$AGENT_DIR" # let an unprivileged client reach the socket file
chmod 0666 "$AGENT_SOCK"
printf '{"method":"devpass.List"}\0' | "$RAW" "$AGENT_SOCK" 65534 | grep -q PermissionDenied ||
        fail "unauthorised client was served"
# a client inside a container's pid namespace that was handed the socket
# (here: nsenter into its pid namespace only) is refused, even as root
# (LeakSanitizer cannot run in a pid namespace whose /proc it cannot see)
out=$(ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 nsenter -t "$CTR" -p -- "$RAW" "$AGENT_SOCK" </dev/null 2>&1 || true)
echo "$out" | grep -q "other namespaces" ||
        fail "a client inside a container was served: $out"
# a client that connects and never sends does not block anyone
exec 9< <(sleep 3 | "$RAW" "$AGENT_SOCK" || true)
pids=()
for _ in $(seq 50); do
        (printf '{"method":"devpass.Status"}\0' | "$RAW" "$AGENT_SOCK" | grep -q '"version"') &
        pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent client was not served"; done
ctl status >/dev/null || fail "agent stopped serving"
kill -0 "$AGENT_PID" || fail "agent died"

# the NIC that carries the default route is refused without an explicit
# override — shown in a private network namespace with its own default
# route (documentation prefix, no traffic), never with the machine's NIC
NS=dpt-rt-$$
ip netns add "$NS"
dpt_cleanup_add ip netns del "$NS"
ip -n "$NS" link add dptrta$$ type veth peer name dptrtb$$
ip -n "$NS" addr add 192.0.2.1/30 dev dptrta$$
ip -n "$NS" link set dptrta$$ up
ip -n "$NS" route add default via 192.0.2.2 dev dptrta$$
set +e
out=$(ip netns exec "$NS" "$DEVPASSCTL" --socket /nonexistent --state-dir "$AGENT_DIR/state-rt" \
        attach "pid:$CTR" dptrta$$ 2>&1); rc=$?
set -e
[ $rc -eq 1 ] || fail "default-route NIC was moved (rc=$rc: $out)"
echo "$out" | grep -q "default route" || fail "unclear refusal: $out"
ip -n "$NS" link show dptrta$$ >/dev/null || fail "default-route NIC left its namespace"
echo "agent-policy: all checks passed"
