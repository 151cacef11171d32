#!/bin/bash
# CDI export end to end, with a real consumer: a policy exports loop
# devices over this test's backing files (Container=cdi); devpassd writes
# /var/run/cdi/devpass.io-block.json as they come and go, and Debian's
# Podman starts a container with `--device devpass.io/block=NAME` that
# reads the disk. After `losetup -d` the spec no longer lists the device
# and the same `podman run` fails naming it; a re-plug under another minor
# updates the node (no stale one); a policy that stops exporting removes
# the spec. Podman 4.3 reads only /etc/cdi and /var/run/cdi, so the agent
# writes the real /var/run/cdi; its record in the state dir makes it touch
# no spec file it did not write.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"

dpt_require_root
dpt_require_cmd podman runc busybox losetup

CDI_DIR=/var/run/cdi
SPEC=$CDI_DIR/devpass.io-block.json
[[ -e $SPEC ]] && dpt_fail "$SPEC exists already: another devpassd exports block devices here"

sfx=$(printf '%04x' $((RANDOM % 65536)))
agent_setup
loop_record_init
IMAGE=localhost/dpt-cdi-$sfx:latest

# a busybox image, imported: no registry is reachable
ROOT=$AGENT_DIR/rootfs
mkdir -p "$ROOT"/{bin,dev,proc,sys,tmp,etc}
cp "$(command -v busybox)" "$ROOT/bin/busybox"
for a in sh cat head stat ls; do ln -s busybox "$ROOT/bin/$a"; done
tar -C "$ROOT" -cf "$AGENT_DIR/rootfs.tar" .
podman import -q "$AGENT_DIR/rootfs.tar" "$IMAGE" >/dev/null
dpt_cleanup_add podman rmi -f "$IMAGE"

# the disk, with a marker a container must read back through the node
DISK=$AGENT_DIR/disk-$sfx.img
MARK="dpt-cdi-$sfx-marker"
truncate -s 1M "$DISK"
printf '%s' "$MARK" | dd of="$DISK" conv=notrunc status=none
truncate -s 1M "$AGENT_DIR/other.img"

cat >"$AGENT_DIR/policy/50-cdi.policy" <<POL
[Match]
Class=block
Property=DEVPASS_LOOP_BACKING_FILE=$AGENT_DIR/disk-*
[Target]
Container=cdi
[Grant]
Path=/dev/xdisk0
Mode=0640
POL
# the agent leaves its specs in place when it stops, as it leaves grants
dpt_cleanup_add rm -f "$SPEC"
agent_start --cdi-dir "$CDI_DIR"

# the CDI name is the backing file's path: the same across minors
NAME=file$(printf '%s' "$DISK" | tr -c 'A-Za-z0-9_.:-' '_')
ID=devpass.io/block=$NAME

prun() {
        podman run --rm --pull never --runtime runc --cgroup-manager cgroupfs \
                --network none --ulimit nofile=1024:20000 \
                --ulimit nproc=1024:32768 "$@"
}
spec_has() { grep -q "\"name\":\"$NAME\"" "$SPEC" 2>/dev/null; }
spec_minor() {
        python3 -c 'import json,sys
s = json.load(open(sys.argv[1]))
for d in s["devices"]:
    if d["name"] == sys.argv[2]:
        n = d["containerEdits"]["deviceNodes"]
        print(" ".join("%s:%d:%d" % (x["path"], x["major"], x["minor"]) for x in n))' "$SPEC" "$NAME"
}
spec_node_is() { [[ $(spec_minor) == "$1" ]]; }
minor_of() { printf '%d' "0x$(stat -c %T "$1")"; }

# 1. plug: the spec lists the device, Podman gives it to a new container
LOOP=$(loop_high "$DISK")
M1=$(minor_of "$LOOP")
dpt_wait_for 2000 spec_has || fail "$SPEC does not list $NAME after losetup"
dpt_wait_for 2000 spec_node_is "/dev/xdisk0:7:$M1" || fail "spec node is '$(spec_minor)', want /dev/xdisk0:7:$M1"
# Path= moved the node: hostPath names the host's, which needs 0.5.0
grep -q '"cdiVersion":"0.5.0"' "$SPEC" || fail "cdiVersion: $(head -3 "$SPEC")"
grep -q "\"hostPath\":\"$LOOP\"" "$SPEC" || fail "no hostPath $LOOP in $SPEC"
ctl --cdi-dir "$CDI_DIR" cdi list | grep -qx "$ID" || fail "cdi list: $(ctl --cdi-dir "$CDI_DIR" cdi list)"
ctl --cdi-dir "$CDI_DIR" cdi list --json | python3 -c 'import json,sys
a = json.load(sys.stdin)
assert any(d["id"] == sys.argv[1] and d["nodes"][0]["minor"] == int(sys.argv[2]) for d in a), a' "$ID" "$M1" ||
        fail "cdi list --json does not name $ID at minor $M1"
ctl explain "$LOOP" | grep -qx "cdi:        $ID" || fail "explain: $(ctl explain "$LOOP")"
out=$(prun --device "$ID" "$IMAGE" sh -c 'stat -c "%t:%T %a" /dev/xdisk0; head -c 19 /dev/xdisk0; echo') ||
        fail "podman run --device $ID: $out"
[[ $out == *"7:$(printf '%x' "$M1") 640"* ]] || fail "node inside: $out"
[[ $out == *"$MARK"* ]] || fail "the container did not read the disk: $out"
echo "ok: podman --device $ID reads $LOOP inside as /dev/xdisk0"

# 1b. the same device through the DRA plugin: a fake kubelet prepares a
# claim on it, Podman starts a container with the per-claim CDI device
PLUGIN=$BUILD_DIR/agent/devpass-kubelet-plugin
if [[ -x $PLUGIN ]] && /usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null; then
        cat >"$AGENT_DIR/claim-check" <<CHK
#!/bin/bash
out=\$(podman run --rm --pull never --runtime runc --cgroup-manager cgroupfs --network none \
        --ulimit nofile=1024:20000 --ulimit nproc=1024:32768 --device "\$1" "$IMAGE" head -c 19 /dev/xdisk0) &&
        [[ \$out == "$MARK" ]] || { echo "podman with \$1: \$out" >&2; exit 1; }
CHK
        chmod +x "$AGENT_DIR/claim-check"
        DEV=$(printf 'block-%s' "$NAME" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9' '-' | tr -s '-' | sed 's/-$//')
        mkdir -p "$AGENT_DIR/kubelet"
        CDI_DIR=$CDI_DIR EXPECT_DEVICE=$DEV EXPECT_PATH=/dev/xdisk0 HOST_LOOP=$LOOP DISK=$DISK \
                CLAIM_CHECK=$AGENT_DIR/claim-check KUBELET_DIR=$AGENT_DIR/kubelet \
                /usr/bin/python3 "$HERE/dra-kubelet.py" "$HERE/../../agent/dra/proto" "$AGENT_DIR/kubelet" \
                "$PLUGIN" --driver devpass.io --cdi-dir "$CDI_DIR" --kube-token /nonexistent \
                --registry-dir "$AGENT_DIR/kubelet/plugins_registry" \
                --plugin-dir "$AGENT_DIR/kubelet/plugins" >"$AGENT_DIR/dra.log" 2>&1 ||
                { cat "$AGENT_DIR/dra.log"; fail "DRA claim through Podman"; }
        grep -q "^ok: $AGENT_DIR/claim-check" "$AGENT_DIR/dra.log" || fail "the claim check did not run"
        # the fake kubelet unplugged the disk and plugged it back elsewhere
        LOOP=$(cat "$AGENT_DIR/kubelet/loop")
        M1=$(minor_of "$LOOP")
        dpt_wait_for 2000 spec_has || fail "the spec lost $NAME after the DRA round"
        echo "ok: podman --device devpass.io/claim=… (DRA, per-claim spec) reads the disk"
else
        echo "SKIP (part): no devpass-kubelet-plugin or python3-grpcio: DRA claim not tried" >&2
fi

# 2. unplug: the spec goes (it held only this device); podman says why
losetup -d "$LOOP"
dpt_wait_for 2000 bash -c "! grep -q '$NAME' '$SPEC' 2>/dev/null" ||
        fail "$SPEC still lists $NAME after losetup -d"
if out=$(prun --device "$ID" "$IMAGE" true 2>&1); then
        fail "podman run with an unplugged CDI device succeeded"
fi
[[ $out == *"unresolvable CDI devices"*"$ID"* ]] || fail "podman's error: $out"
ctl --cdi-dir "$CDI_DIR" cdi list | grep -q "$NAME" && fail "cdi list still lists $NAME"
echo "ok: after losetup -d the spec is gone and podman fails: ${out##*Error: }"

# 3. re-plug under another minor (the old one holds a file the policy does
# not export, so it is not chosen again)
losetup "$LOOP" "$AGENT_DIR/other.img"
LOOP2=$(loop_high "$DISK")
M2=$(minor_of "$LOOP2")
[[ $M2 != "$M1" ]] || fail "re-plug got the same minor $M1"
dpt_wait_for 2000 spec_has || fail "$SPEC does not list $NAME after the re-plug"
grep -q "\"hostPath\":\"$LOOP2\"" "$SPEC" || fail "after re-plug hostPath is not $LOOP2"
dpt_wait_for 2000 spec_node_is "/dev/xdisk0:7:$M2" || fail "after re-plug the spec node is '$(spec_minor)', want 7:$M2 (old minor $M1)"
out=$(prun --device "$ID" "$IMAGE" sh -c 'stat -c "%t:%T" /dev/xdisk0; head -c 19 /dev/xdisk0; echo') ||
        fail "podman run after re-plug: $out"
[[ $out == *"7:$(printf '%x' "$M2")"* && $out == *"$MARK"* ]] || fail "after re-plug, inside: $out"
echo "ok: re-plug as minor $M2 (was $M1): the spec follows, podman reads it"

# 4. a policy that exports nothing removes the spec, on reload
: >"$AGENT_DIR/policy/50-cdi.policy"
ctl reload >/dev/null || fail "reload"
dpt_wait_for 2000 test ! -e "$SPEC" || fail "$SPEC still there after the export left the policy"
echo "ok: the policy stopped exporting: $SPEC removed"
