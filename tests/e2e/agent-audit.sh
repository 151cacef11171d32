#!/bin/bash
# The audit trail without journald: devpassd writes one JSON object per
# line on stderr for each grant, revoke, refusal and manual request, with
# the journal's field names. Real kernel: a policy grant and its revoke on
# unplug (loop devices), a manual attach and detach (requester uid and pid),
# a denied device, a non-root writer refused; the message catalog names
# every MESSAGE_ID the agent uses and journalctl accepts it.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root
dpt_require_cmd python3

agent_setup
chmod 0711 "$AGENT_DIR"
dpt_ctr_start --v1-deny
CTR=$DPT_PID
dir=$(dpt_tmpdir)
base=$((8192 + RANDOM % 1024 * 4))
for i in 1 2 3; do
        head -c $(((base + i) * 512)) /dev/zero >"$dir/img$i"
done
cat >"$AGENT_DIR/policy/40-deny.policy" <<POL
[Match]
Class=block
Attribute=size=$((base + 3))
[Grant]
Action=deny
POL
cat >"$AGENT_DIR/policy/50-grant.policy" <<POL
[Match]
Class=block
Attribute=size=$((base + 1))
[Target]
Container=pid:$CTR
POL
L1=$(loop_add "$dir/img1")
L2=$(loop_add "$dir/img2")
L3=$(loop_add "$dir/img3")
# journald may run where this test does: the JSON lines are asked for
DEVPASS_AUDIT=json agent_start --read-group 65534

dpt_wait_for 5000 in_ctr "$CTR" test -b "$L1" || fail "policy grant of $L1"
# the client itself, not a subshell, so that $! is the requester's pid
"$DEVPASSCTL" --socket "$AGENT_SOCK" attach "pid:$CTR" "$L2" >/dev/null &
p_attach=$!
wait "$p_attach" || fail "attach $L2"
"$DEVPASSCTL" --socket "$AGENT_SOCK" detach "pid:$CTR" "$L2" &
p_detach=$!
wait "$p_detach" || fail "detach $L2"
ctl attach "pid:$CTR" "$L3" >/dev/null 2>&1 && fail "denied $L3 was attached"
printf '{"method":"devpass.Attach","parameters":{"container":"pid:%s","device":"%s"}}\0' \
        "$CTR" "$L2" | "$BUILD_DIR/tests/e2e/dpt-ipc-raw" "$AGENT_SOCK" 65534 |
        grep -q PermissionDenied || fail "uid 65534 was not refused"
# a detached loop device has size 0: the rule no longer matches it
losetup -d "$L1"
dpt_wait_for 5000 grep -q "\"DEVPASS_RESULT\":\"no rule grants it any more\"" "$AGENT_LOG" ||
        fail "no revoke record for the unplug"

python3 - "$AGENT_LOG" "$SRC" "$CTR" "$L1" "$L2" "$L3" "$p_attach" "$p_detach" <<'PY'
import json, re, sys
log, src, ctr, l1, l2, l3, p_attach, p_detach = sys.argv[1:]
ids = dict(re.findall(r'\[DP_AUDIT_(\w+)\] = "([0-9a-f]{32})"',
                      open(src + "/agent/core/audit.c").read()))
assert set(ids) == {"GRANT", "REVOKE", "REFUSAL", "REQUEST"}, ids
kind = {v: k for k, v in ids.items()}
recs = []
for line in open(log, errors="replace"):
    if line.startswith("{"):
        r = json.loads(line)          # every such line is one whole object
        assert r["MESSAGE_ID"] in kind, r
        assert r["MESSAGE"], r
        r["kind"] = kind[r["MESSAGE_ID"]]
        recs.append(r)
def find(what, **want):
    for r in recs:
        if r["kind"] == what and all(
                (r.get(k) or "").endswith(v) if k == "DEVPASS_DEVICE" else r.get(k) == v
                for k, v in want.items()):
            return r
    sys.exit("no %s record with %s among:\n%s" % (what, want,
             "\n".join(json.dumps(r) for r in recs)))
c = "pid:" + ctr
name = lambda l: "/" + l.split("/")[-1]
g = find("GRANT", DEVPASS_CONTAINER=c, DEVPASS_DEVICE=name(l1),
         DEVPASS_RULE="50-grant.policy:1", DEVPASS_RESULT="ok")
assert g["DEVPASS_NODES"] == l1, g
assert "DEVPASS_REQUESTER_UID" not in g, g
find("REVOKE", DEVPASS_CONTAINER=c, DEVPASS_DEVICE=name(l1),
     DEVPASS_RULE="50-grant.policy:1", DEVPASS_RESULT="no rule grants it any more")
find("REQUEST", DEVPASS_REQUEST="attach", DEVPASS_RESULT="ok",
     DEVPASS_REQUESTER_UID="0", DEVPASS_REQUESTER_PID=p_attach)
m = find("GRANT", DEVPASS_CONTAINER=c, DEVPASS_DEVICE=name(l2),
         DEVPASS_RULE="manual", DEVPASS_REQUESTER_PID=p_attach)
assert m["DEVPASS_NODES"] == l2, m
find("REQUEST", DEVPASS_REQUEST="detach", DEVPASS_RESULT="ok",
     DEVPASS_REQUESTER_PID=p_detach)
find("REVOKE", DEVPASS_DEVICE=name(l2), DEVPASS_RULE="manual",
     DEVPASS_RESULT="manual detach", DEVPASS_REQUESTER_PID=p_detach)
d = find("REFUSAL", DEVPASS_REQUEST="attach", DEVPASS_DEVICE=name(l3),
         DEVPASS_REQUESTER_UID="0")
assert "40-deny.policy:1" in d["DEVPASS_RESULT"], d
find("REQUEST", DEVPASS_REQUEST="attach", DEVPASS_DEVICE=l3,
     DEVPASS_REQUESTER_UID="0")
find("REFUSAL", DEVPASS_REQUEST="devpass.Attach",
     DEVPASS_RESULT="permission denied", DEVPASS_REQUESTER_UID="65534")
print("audit: %d records, every kind checked" % len(recs))
PY

# the catalog: every MESSAGE_ID explained, and journalctl compiles it
for id in $(sed -n 's/.*\[DP_AUDIT_[A-Z]*\] = "\([0-9a-f]*\)".*/\1/p' "$SRC/agent/core/audit.c"); do
        grep -qx -- "-- $id" "$SRC/data/catalog/devpass.catalog" || fail "catalog lacks $id"
        grep -q "$id" "$SRC/man/devpassd.8.scd" || fail "devpassd(8) lacks $id"
done
if command -v journalctl >/dev/null; then
        root=$(dpt_tmpdir)
        mkdir -p "$root/usr/lib/systemd/catalog"
        cp "$SRC/data/catalog/devpass.catalog" "$root/usr/lib/systemd/catalog/"
        journalctl --root="$root" --update-catalog || fail "journalctl rejects the catalog"
        n=$(journalctl --root="$root" --list-catalog | grep -c devpass || true)
        [ "$n" = 4 ] || fail "journalctl lists $n devpass catalog entries, want 4"
fi
echo PASS
