#!/bin/bash
# Grants of containers that are gone (SECURITY.md, "Stopped containers"):
# a user-namespaced container's node lives on a host tmpfs, owned by the
# container's mapped root, bind-mounted in; when the container dies the
# mount goes with it but the host node stays. `list` must say that the
# container stopped, and the next pass of the agent must remove the host
# node along with the grant.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root

agent_setup
NODES=$AGENT_DIR/nodes
AGENT_TEST_PATHS+=(--test-path "node-dir=$NODES")
dpt_cleanup_add sh -c "umount '$NODES' 2>/dev/null || true"
img=$(dpt_tmpdir)/disk.img
head -c 1048576 /dev/zero >"$img"
LOOP=$(loop_add "$img")

dpt_ctr_start --userns --v1-deny
CTR=$DPT_PID
ctl attach "pid:$CTR" "$LOOP" --path /dev/xdisk >/dev/null || fail "attach"
in_ctr "$CTR" test -b /dev/xdisk || fail "no node inside"
host_nodes() { ls "$NODES" 2>/dev/null | grep -c "^$CTR-" || true; }
[[ $(host_nodes) == 1 ]] || fail "expected one host-side node, found $(host_nodes)"
ctl list --json | grep -q '"container_running": true' || fail "list: running"

"$DPT_HARNESS" stop "$CTR"
ctl list --json | grep -q '"container_running": false' ||
        fail "list does not say the container stopped: $(ctl list --json)"
ctl list | grep -q "container stopped" || fail "human list does not say so"
[[ $(host_nodes) == 1 ]] || fail "host node vanished by itself?"

agent_start
dpt_wait_for 5000 sh -c "[ -z \"\$(ls -A '$AGENT_DIR/state/grants')\" ]" ||
        fail "grant of a stopped container kept: $(ls "$AGENT_DIR/state/grants")"
[[ $(host_nodes) == 0 ]] || fail "host node of the stopped container left: $(ls "$NODES")"
ctl list | grep -q "no grants" || fail "list after cleanup: $(ctl list)"
echo "stale-nodes: host node and grant removed once the container was gone"

# A privileged LXC container without a /dev tmpfs (lxc.autodev = 0): the
# node devpass makes lands in the rootfs on the host's disk and outlives
# the container unless devpass removes it.
agent_kill
LXC=dps-$$-$RANDOM
dpt_lxc_create "$LXC"
LXCPATH=$(lxc-config lxc.lxcpath 2>/dev/null || echo /var/lib/lxc)
echo "lxc.autodev = 0" >>"$LXCPATH/$LXC/config"
dpt_lxc_start "$LXC"
ctl attach "lxc:$LXC" "$LOOP" --path /dev/xkeep >/dev/null || fail "attach to $LXC"
ondisk=$LXCPATH/$LXC/rootfs/dev/xkeep
[[ -b $ondisk ]] || fail "node not on the rootfs ($ondisk)"
ctl list --json | grep -q "\"backing\"" && fail "list leaks the ledger's backing field"
grep -rq "\"backing\": \"$ondisk\"" "$AGENT_DIR/state/grants" ||
        fail "ledger does not record where the node outlives the container"
lxc-stop -k -n "$LXC"
[[ -b $ondisk ]] || fail "node vanished by itself"
# a node the container left in its place is not ours: swap it and see it kept
agent_start
dpt_wait_for 5000 sh -c "[ -z \"\$(ls -A '$AGENT_DIR/state/grants')\" ]" ||
        fail "grant of the stopped $LXC kept"
[[ ! -e $ondisk ]] || fail "node left in the stopped container's rootfs: $ondisk"
grep -q "left on the host by the stopped lxc:$LXC" "$AGENT_LOG" || fail "no log line for the removal"
echo "stale-nodes: node in a stopped LXC rootfs (autodev = 0) removed"

# The same, but the container replaced devpass's node with one of its own
# before it stopped: that one is not devpass's and stays.
agent_kill
lxc-start -n "$LXC" -d
dpt_wait_for 10000 sh -c "lxc-info -pH -n '$LXC' | grep -q ." || fail "restart $LXC"
ctl attach "lxc:$LXC" "$LOOP" --path /dev/xkeep >/dev/null || fail "attach again"
lxc-attach -n "$LXC" -- sh -c "rm /dev/xkeep && mknod /dev/xkeep b 7 ${LOOP#/dev/loop}" ||
        fail "swap inside"
lxc-stop -k -n "$LXC"
agent_start
dpt_wait_for 5000 sh -c "[ -z \"\$(ls -A '$AGENT_DIR/state/grants')\" ]" ||
        fail "grant of the stopped $LXC kept (swap)"
[[ -b $ondisk ]] || fail "devpass removed a node it did not make"
rm -f "$ondisk"
echo "stale-nodes: a node the container made in its place is left alone"
