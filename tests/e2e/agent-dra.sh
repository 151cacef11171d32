#!/bin/bash
# devpass as a DRA driver, against a protocol-exact fake kubelet and API
# server (dra-kubelet.py): devpassd exports a loop device into CDI by
# policy; devpass-kubelet-plugin registers, answers GetInfo, prepares a
# claim whose allocation names that device (twice, the same answer), writes
# the per-claim CDI spec with the device's node, fails a claim on a device
# that is not there with a reason, and unprepares (twice) by removing it.
# It publishes the node's ResourceSlice, updates it on unplug and re-plug
# (a claim on the unplugged device fails) and deletes it when it stops.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"

dpt_require_root
PLUGIN=$BUILD_DIR/agent/devpass-kubelet-plugin
[[ -x $PLUGIN ]] || { echo "SKIP: devpass-kubelet-plugin not built (no gRPC, protobuf-c or libcurl)" >&2; exit 77; }
/usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null ||
        { echo "SKIP: python3-grpcio / python3-grpc-tools missing" >&2; exit 77; }

agent_setup
loop_record_init
CDI=$AGENT_DIR/cdi
DISK=$AGENT_DIR/disk.img
truncate -s 1M "$DISK"
cat >"$AGENT_DIR/policy/50-cdi.policy" <<POL
[Match]
Class=block
Property=DEVPASS_LOOP_BACKING_FILE=$DISK
[Target]
Container=cdi
POL
# a disk on a PCI function (virtio here), if the machine has one: its slice
# entry must carry the function's slot and vendor, read from sysfs. Only a
# private CDI spec names it; nothing is granted.
PCIDISK= PCISLOT= PCIVENDOR=
for b in /sys/class/block/*; do
        [[ -e $b/partition ]] && continue
        p=$(readlink -f "$b/device" 2>/dev/null) || continue
        slot=$(grep -o '[0-9a-f]\{4\}:[0-9a-f]\{2\}:[0-9a-f]\{2\}\.[0-7]' <<<"$p" | tail -1) || continue
        [[ -n $slot && -r /sys/bus/pci/devices/$slot/vendor ]] || continue
        PCIDISK=${b##*/} PCISLOT=$slot PCIVENDOR=$(sed 's/^0x//' "/sys/bus/pci/devices/$slot/vendor")
        break
done
if [[ -n $PCIDISK ]]; then
        printf '\n[Match]\nClass=block\nName=%s\n[Target]\nContainer=cdi\n' "$PCIDISK" \
                >>"$AGENT_DIR/policy/50-cdi.policy"
fi
export EXPECT_PCI_SLOT=$PCISLOT EXPECT_PCI_VENDOR=$PCIVENDOR
agent_start --cdi-dir "$CDI"
LOOP=$(loop_high "$DISK")
dpt_wait_for 2000 test -s "$CDI/devpass.io-block.json" || fail "no CDI spec for $LOOP"

NAME=file$(printf '%s' "$DISK" | tr -c 'A-Za-z0-9_.:-' '_')
# the DRA device name: block-<CDI name> as a DNS label
DEV=$(printf 'block-%s' "$NAME" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9' '-' | tr -s '-' | sed 's/-$//')
[[ ${#DEV} -le 63 ]] || DEV= # long names carry a hash: the test keeps its short
[[ -n $DEV ]] || fail "work dir path too long for this test"
export CDI_DIR=$CDI EXPECT_DEVICE=$DEV EXPECT_PATH=$LOOP DISK
FAKE=("$HERE/dra-kubelet.py" "$HERE/../../agent/dra/proto")

# the plugin on its own, as a DaemonSet may run it
mkdir -p "$AGENT_DIR/k1" "$AGENT_DIR/k2"
KUBELET_DIR=$AGENT_DIR/k1 /usr/bin/python3 "${FAKE[@]}" "$AGENT_DIR/k1" \
        ${DPT_WRAP:-} "$PLUGIN" --driver devpass.io --cdi-dir "$CDI" --kube-token /nonexistent \
        --registry-dir "$AGENT_DIR/k1/plugins_registry" --plugin-dir "$AGENT_DIR/k1/plugins" ||
        fail "fake kubelet, devpass-kubelet-plugin alone"

# the fake kubelet plugged the disk back on a free loop device
LOOP=$(cat "$AGENT_DIR/k1/loop")
export EXPECT_PATH=$LOOP
dpt_wait_for 2000 grep -q "\"path\":\"$LOOP\"" "$CDI/devpass.io-block.json" || fail "no spec for $LOOP"

# and as devpassd's child: the same agent, restarted with --kubelet-plugin
# (its plugin stops with it: the fake kubelet checks the socket is gone)
agent_kill
KUBELET_DIR=$AGENT_DIR/k2 /usr/bin/python3 "${FAKE[@]}" "$AGENT_DIR/k2" \
        "$DEVPASSD" --policy-dir "$AGENT_DIR/policy" --state-dir "$AGENT_DIR/state" \
        --socket "$AGENT_SOCK" --cdi-dir "$CDI" --log-level info \
        --kubelet-plugin devpass.io --kubelet-dir "$AGENT_DIR/k2" ||
        fail "fake kubelet, devpassd --kubelet-plugin"
echo "ok: devpass-kubelet-plugin alone and under devpassd --kubelet-plugin"
