#!/bin/bash
# A rule is known by its content, not its line: on the real kernel, with a
# loop device granted through devpassd,
#  - a comment inserted at the top of the policy file revokes nothing (same
#    node inode and change time inside; `list` shows the new FILE:LINE);
#  - Mode=, Group= and Access= edits change the grant in place: chmod/chown
#    of the same inode, the cgroup v1 rule narrowed, no revoke;
#  - a Path= edit does need a new grant, and says so;
#  - a ledger record written before rule identities (source FILE:LINE only)
#    is adopted by a restarted agent, not revoked, and gets the identity.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root
dpt_require_cmd python3

agent_setup
dpt_ctr_start --v1-deny
CTR=$DPT_PID
CG=$("$DPT_HARNESS" info "$CTR" | sed -n 's/^cgroup_v1=//p')
S=$((10240 + RANDOM % 2048))
POL=$AGENT_DIR/policy/50-rid.policy
# write_policy [COMMENT-LINES] [GRANT-KEYS]: atomically, as an editor would
write_policy() {
        {
                printf '%b' "${1:-}"
                printf '[Match]\nClass=block\nAttribute=size=%s\n' "$S"
                printf '[Target]\nContainer=pid:%s\n' "$CTR"
                printf '[Grant]\n%b' "${2:-Mode=0660\n}"
        } >"$POL.tmp"
        mv "$POL.tmp" "$POL"
}
write_policy
agent_start

img=$(dpt_tmpdir)/rid.img
truncate -s $((S * 512)) "$img"
L=$(loop_add "$img")
M=${L#/dev/loop}
NODE=/proc/$CTR/root$L
dpt_wait_for 5000 test -b "$NODE" || fail "$L not granted"
ident() { stat -c '%i %.9Z' "$NODE"; }
attrs() { stat -c '%a %u:%g' "$NODE"; }
revokes() { grep -c "revoke /sys/.*/loop$M from" "$AGENT_LOG" || true; }
[ "$(attrs)" = "660 0:0" ] || fail "initial node: $(attrs)"
first=$(ident)
ctl list --json | grep -q '"source": "50-rid.policy:1"' || fail "list: FILE:LINE"

# 1. comments above the rule: nothing on the host changes
sleep 1.1 # so that any chmod or re-creation would show in the change time
write_policy '# a comment\n# and another\n\n'
dpt_wait_for 5000 sh -c "'$DEVPASSCTL' --socket '$AGENT_SOCK' list --json | grep -q '50-rid.policy:4'" ||
        fail "list does not show the rule's new line"
[ "$(ident)" = "$first" ] || fail "comment edit touched the node: $first -> $(ident)"
[ "$(revokes)" = 0 ] || fail "comment edit revoked the grant"

# 2. Mode=, Group=: the same inode, changed in place
write_policy '# a comment\n' 'Mode=0640\nGroup=6\n'
dpt_wait_for 5000 sh -c "[ \"\$(stat -c '%a %u:%g' $NODE)\" = '640 0:6' ]" ||
        fail "Mode=/Group= edit not applied: $(attrs)"
[ "$(stat -c %i "$NODE")" = "${first%% *}" ] || fail "Mode= edit made a new node"
[ "$(revokes)" = 0 ] || fail "Mode= edit revoked the grant"
grep -q "update /sys/.*/loop$M in pid:$CTR in place" "$AGENT_LOG" || fail "no in-place update logged"

# 3. Access=r: the cgroup v1 rule loses w, the node stays
grep -q "^b 7:$M rw" "$CG/devices.list" || fail "cgroup lacks rw before: $(cat "$CG/devices.list")"
write_policy '# a comment\n' 'Mode=0640\nGroup=6\nAccess=r\n'
dpt_wait_for 5000 grep -q "^b 7:$M r$" "$CG/devices.list" ||
        fail "Access=r not applied: $(grep "7:$M" "$CG/devices.list")"
[ "$(dpt_ctr_open "$CTR" "$L" r)" = OK ] || fail "read denied after Access=r"
[ "$(dpt_ctr_open "$CTR" "$L" w)" = EPERM ] || fail "write allowed after Access=r"
[ "$(stat -c %i "$NODE")" = "${first%% *}" ] || fail "Access= edit made a new node"
[ "$(revokes)" = 0 ] || fail "Access= edit revoked the grant"

# 4. a record from before rule identities is adopted by a restarted agent
agent_kill
rec=$(grep -l "\"device\"" "$AGENT_DIR"/state/grants/*.json)
grep -q '"rule"' "$rec" || fail "ledger record lacks the rule identity"
python3 - "$rec" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for g in doc["grants"]:
    g.pop("rule", None)
json.dump(doc, open(sys.argv[1], "w"))
PY
agent_start
dpt_wait_for 5000 grep -q '"rule"' "$rec" || fail "old record not given the rule identity"
[ "$(revokes)" = 0 ] || fail "old-format record was revoked"
write_policy '# a comment\n# more\n' 'Mode=0640\nGroup=6\nAccess=r\n'
dpt_wait_for 5000 sh -c "'$DEVPASSCTL' --socket '$AGENT_SOCK' list --json | grep -q '50-rid.policy:3'" ||
        fail "list does not follow the edit after adoption"
[ "$(revokes)" = 0 ] || fail "comment edit after adoption revoked the grant"
[ "$(stat -c %i "$NODE")" = "${first%% *}" ] || fail "the node changed after adoption"

# 5. Path= gives another node: a new grant, with the reason named
write_policy '' 'Path=/dev/rid0\n'
dpt_wait_for 5000 test -b "/proc/$CTR/root/dev/rid0" || fail "Path= edit not granted"
dpt_wait_for 5000 sh -c "! test -e $NODE" || fail "old node left after Path= edit"
grep -q "revoke /sys/.*/loop$M from pid:$CTR: rule 50-rid.policy:1 changed Path=" "$AGENT_LOG" ||
        fail "Path= change not named as the reason"
kill -0 "$AGENT_PID" || fail "devpassd died"
echo "service-rule-identity: all checks passed"
