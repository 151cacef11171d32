#!/bin/bash
# A NIC comes back from a container only if it is the NIC devpass moved in
# (DESIGN.md §5): root inside a user-namespaced container hides the real
# veth in a netns of its own and leaves a decoy in its place —
#  (a) a decoy with the granted name and the original MAC,
#  (b) a decoy with the ifindex and MAC of an unrelated host link (the
#      bystander), which devpass once "restored" instead of the NIC —
# and detach must move nothing, change no host link, fail with a clear
# message and leave the grant listed as lost. (c) A veth in a container
# whose init is SIGKILLed comes back with its name, MAC and MTU (the agent
# holds the netns), where it used to die with the netns.
# The attacker is container root: nsenter into the container's user and
# network namespaces, with the host's iproute2.
set -euo pipefail
# DPN_ONLY=a|b|c runs one part (to show each attack against other builds)
want() { [ -z "${DPN_ONLY:-}" ] || [ "$DPN_ONLY" = "$1" ]; }
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root
dpt_require_cmd ip nsenter unshare

N=dpn$(printf '%03x' $((RANDOM % 4096)))
agent_setup
agent_start

# as_root_inside PID CMD...: CMD as root of the container's user namespace,
# in its netns
as_root_inside() {
        local pid=$1
        shift
        nsenter -t "$pid" -U -n -- "$@"
}
link_line() { ip -o link show dev "$1" 2>/dev/null | sed 's/\\.*//'; }
mac_of() { cat "/sys/class/net/$1/address"; }
host_has_mac() { ip -o link show | grep -qi "link/ether $1 "; }

# A bystander: an unrelated host link (not granted), with its own MTU,
# MAC and state, which must never change.
dpt_veth_add "${N}ba" "${N}bb"
dpt_cleanup_add ip link del "${N}bb" # also if a bug renamed the bystander
ip link set dev "${N}ba" address 02:d0:0b:00:00:01 mtu 1380 ||
        fail "bystander setup"
BYSTANDER=$(link_line "${N}ba")
BIDX=$(cat "/sys/class/net/${N}ba/ifindex")
BMAC=$(mac_of "${N}ba")

dpt_ctr_start --userns
P=$DPT_PID

# A netns of the container's own, hidden from devpass, held by a sleeper
# that container root starts.
HIDE_DIR=$(dpt_tmpdir)
HIDE_PID=$HIDE_DIR/hide.pid
# written by container root (uid 100000 on the host)
chmod 0711 "$HIDE_DIR" && : >"$HIDE_PID" && chmod 0666 "$HIDE_PID"
as_root_inside "$P" unshare -n sh -c "echo \$\$ >$HIDE_PID; exec sleep 600" \
        </dev/null >/dev/null 2>&1 &
dpt_wait_for 5000 test -s "$HIDE_PID" || fail "hidden netns not made"
HIDE=$(cat "$HIDE_PID")
dpt_cleanup_add kill -KILL "$HIDE"

# attach_veth NAME PEER INSIDE: a veth end with MTU 1450, up, granted
attach_veth() {
        dpt_veth_add "$1" "$2"
        ip link set dev "$1" mtu 1450 up || fail "setup $1"
        ctl attach "pid:$P" "$1" --name "$3" >/dev/null || fail "attach $1"
        as_root_inside "$P" ip link show "$3" >/dev/null ||
                fail "$1 not inside as $3"
}

# expect_lost NAME INSIDE DECOY_MAC: detach fails, nothing came back
expect_lost() {
        local err out
        if err=$(ctl detach "pid:$P" "$1" 2>&1); then
                fail "detach of a substituted $1 succeeded"
        fi
        echo "detach $1: $err"
        [ "$(link_line "${N}ba")" = "$BYSTANDER" ] ||
                fail "bystander changed: $(link_line "${N}ba") (was $BYSTANDER)"
        grep -q "lost" <<<"$err" || fail "detach message does not say lost: $err"
        ip link show "$1" >/dev/null 2>&1 && fail "a link named $1 is on the host"
        host_has_mac "$3" && [ "$3" != "$BMAC" ] &&
                fail "the decoy ($3) was moved to the host"
        as_root_inside "$P" ip link show "$2" | grep -qi "$3" ||
                fail "the decoy $2 is no longer inside"
        out=$(ctl list --json)
        python3 - "$1" "$out" <<'PY' || fail "grant of $1 not listed as lost: $out"
import json, sys
name, out = sys.argv[1], json.loads(sys.argv[2])
g = [x for x in out if x["device"].endswith("/" + name)]
assert len(g) == 1 and g[0]["state"] == "lost" and g[0]["lost"], g
PY
        grep -q "NIC $1 granted to pid:$P is lost" "$AGENT_LOG" ||
                fail "no warning about $1 in the log"
}

# ---- (a) decoy with the granted name and the original MAC ----
if want a; then
attach_veth "${N}a" "${N}p" lan0
MAC_A=$(as_root_inside "$P" ip -o link show lan0 |
        sed -n 's/.*link\/ether \([^ ]*\).*/\1/p')
[ -n "$MAC_A" ] || fail "no MAC for lan0"
as_root_inside "$P" ip link set lan0 netns "$HIDE" || fail "hiding lan0"
as_root_inside "$P" ip link add lan0 address "$MAC_A" mtu 1450 type veth \
        peer name lan0p || fail "decoy lan0"
expect_lost "${N}a" lan0 "$MAC_A"
echo "ok (a): decoy with the original name and MAC left inside, grant lost"
fi

# ---- (b) decoy at the bystander's ifindex, with its MAC ----
if want b; then
attach_veth "${N}c" "${N}q" lan1
as_root_inside "$P" ip link set lan1 netns "$HIDE" || fail "hiding lan1"
as_root_inside "$P" ip link add lan1 index "$BIDX" address "$BMAC" type veth \
        peer name lan1p || fail "decoy lan1 at index $BIDX"
as_root_inside "$P" ip -o link show lan1 | grep -q "^$BIDX: " ||
        fail "decoy not at ifindex $BIDX"
expect_lost "${N}c" lan1 "$BMAC"
echo "ok (b): decoy at the bystander's ifindex/MAC; bystander unchanged"
fi

# a lost grant stays lost across events (a reload reconciles everything)
if [ -z "${DPN_ONLY:-}" ]; then
        ctl reload >/dev/null 2>&1 || true
        [ "$(ctl list --json | grep -c '"state": "lost"')" = 2 ] ||
                fail "lost grants not kept"
fi

# ---- (c) the container's init dies: the veth comes back ----
want c || exit 0
dpt_ctr_start
P2=$DPT_PID
dpt_veth_add "${N}e" "${N}r"
ip link set dev "${N}e" address 02:d0:0e:00:00:05 mtu 1420 up ||
        fail "setup ${N}e"
ctl attach "pid:$P2" "${N}e" --name eth5 >/dev/null || fail "attach ${N}e"
ip link show "${N}e" >/dev/null 2>&1 && fail "${N}e still on the host"
# the container changes it
in_ctr "$P2" ip link set dev eth5 mtu 1300 || fail "mtu inside"
in_ctr "$P2" ip link set dev eth5 address 02:d0:0e:00:00:99 ||
        fail "address inside"
t0=$(now_ms)
kill -KILL "$P2"
dpt_wait_for 5000 ip link show "${N}e" ||
        fail "${N}e did not come back after the container's init was killed"
echo "veth back after SIGKILL of init in $(($(now_ms) - t0)) ms"
[ "$(mac_of "${N}e")" = 02:d0:0e:00:00:05 ] || fail "${N}e MAC not restored"
[ "$(cat "/sys/class/net/${N}e/mtu")" = 1420 ] || fail "${N}e MTU not restored"
ip -o link show "${N}e" | grep -q "[<,]UP[,>]" || fail "${N}e not up again"
ip link show "${N}r" >/dev/null || fail "peer ${N}r gone"
dpt_wait_for 3000 sh -c "! $DEVPASSCTL --socket $AGENT_SOCK list --json | grep -q '${N}e'" ||
        fail "grant of ${N}e still listed"
[ "$(link_line "${N}ba")" = "$BYSTANDER" ] || fail "bystander changed"
echo "ok (c): veth back with name, MAC and MTU after the container died"
