#!/bin/bash
# A local user poses as a running LXC container (SECURITY.md, "Runtime
# answers"). LXC containers are found through the abstract unix socket
# "@LXCPATH/NAME/command" of their monitor, which has no owner and no
# permissions: uid 12345 binds it for a container that does not run and
# answers liblxc "RUNNING, init pid = <my process>", a process in a user and
# mount namespace of its own with a tmpfs /dev. Then, as root would with a
# pid in the host's own namespaces, pid:$$ is given on the command line.
# Expected: refused offline, through the agent's policy glob and on the CLI;
# no grant recorded, no node made inside the attacker's /dev or the host's.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root
dpt_require_cmd lxc-info setpriv unshare losetup
HOSTILE=$BUILD_DIR/tests/privileged/dpt-hostile
EVIL=12345
LXCPATH=$(lxc-config lxc.lxcpath 2>/dev/null || echo /var/lib/lxc)
NAME=dph-ml-$$-$RANDOM

agent_setup
chmod 0755 "$AGENT_DIR"
img=$(dpt_tmpdir)/disk.img
head -c 1048576 /dev/urandom >"$img"
LOOP=$(loop_add "$img")
BASE=${LOOP#/dev/}

# The attacker's "container": its own user and mount namespace, a tmpfs
# /dev, a process that waits.
ATT=$(dpt_tmpdir)
chmod 0777 "$ATT"
setpriv --reuid=$EVIL --regid=$EVIL --clear-groups \
        unshare -Urm sh -c "mount -t tmpfs none /dev && echo \$\$ >$ATT/pid && exec sleep 600" &
ATT_SH=$!
dpt_cleanup_add kill -9 "$ATT_SH"
dpt_wait_for 5000 test -s "$ATT/pid" || dpt_fail "attacker process did not start"
APID=$(cat "$ATT/pid")
[[ -d /proc/$APID/root/dev ]] || dpt_fail "no attacker /dev"

# The forged monitor, as the same unprivileged user.
"$HOSTILE" fake-lxc-monitor "$LXCPATH/$NAME/command" $EVIL "$APID" >"$ATT/mon" 2>&1 &
MON=$!
dpt_cleanup_add kill -9 "$MON"
dpt_wait_for 5000 grep -q ready "$ATT/mon" || dpt_fail "fake monitor: $(cat "$ATT/mon")"
grep -q "@$LXCPATH/$NAME/command" /proc/net/unix || dpt_fail "socket not bound"

no_node_anywhere() {
        [[ ! -e /proc/$APID/root/dev/$BASE ]] || fail "node made in the attacker's /dev"
        [[ ! -e /dev/dph-evil-$$ ]] || fail "node made in the host's /dev"
        [[ -z "$(ls -A "$AGENT_DIR/state/grants" 2>/dev/null)" ]] ||
                fail "a grant was recorded: $(ls "$AGENT_DIR/state/grants")"
}

# 1. offline: devpassctl resolves and acts itself
if out=$(ctl attach "lxc:$NAME" "$LOOP" 2>&1); then
        fail "offline attach to a forged LXC container succeeded: $out"
fi
echo "$out" | grep -q "authentication" || fail "offline refusal does not say why: $out"
no_node_anywhere
echo "offline attach lxc:$NAME: refused ($out)"

# 2. through the agent: a policy glob that the forged name matches
cat >"$AGENT_DIR/policy/50-ml.policy" <<POL
[Match]
Class=block
Name=$BASE
[Target]
Container=lxc:dph-ml-*
POL
agent_start
ctl reload >/dev/null
sleep 1.5 # several --rescan-ms periods and a reconcile of the loop device
no_node_anywhere
ctl list --json | grep -q "$NAME" && fail "agent lists a grant for $NAME"
if out=$(ctl attach "lxc:$NAME" "$LOOP" 2>&1); then
        fail "attach through the agent succeeded: $out"
fi
echo "$out" | grep -q "authentication" || fail "agent refusal does not say why: $out"
no_node_anywhere
echo "agent policy lxc:dph-ml-* and attach lxc:$NAME: refused ($out)"

# 3. root names a host process on the command line: cgroups are root's
# business, but the host's own /dev never gets a node
agent_kill
if out=$(ctl attach "pid:$$" "$LOOP" --path "/dev/dph-evil-$$" 2>&1); then
        rm -f "/dev/dph-evil-$$"
        fail "attach into the host's own /dev succeeded: $out"
fi
echo "$out" | grep -q "host itself" || fail "pid:\$\$ refusal does not say why: $out"
no_node_anywhere
# a mount namespace of its own but the host's root: still the host's tree
if out=$(ctl attach "pid:$APID" "$LOOP" --path "/dph-evil-$$" 2>&1); then
        fail "attach into a process rooted at the host's / succeeded: $out"
fi
[[ ! -e /dph-evil-$$ ]] || { rm -f "/dph-evil-$$"; fail "node made at the host's /"; }
echo "pid:\$\$ and pid:<host-rooted>: refused ($out)"
echo "hostile-runtime: all attacks refused"
