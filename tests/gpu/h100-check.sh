#!/bin/bash
# Real-hardware check (not part of CI): on a host with an NVIDIA GPU, proves
# that devpass hands a whole GPU to a running container and takes it away.
#
# A container is started with dp-testctr: new mount/pid namespaces, a
# private tmpfs /dev with only the basic nodes, its own cgroup2 cgroup with a
# deny-by-default device program like a runtime's, and the host's /usr and
# /lib* read-only so that nvidia-smi and python3 (torch) run inside.
#   1. before any grant nvidia-smi -L fails inside;
#   2. devpassd with a "Class=gpu Vendor=10de" policy for pid:PID grants the
#      GPU: nvidia-smi -L and a CUDA tensor sum succeed inside;
#   3. devpassctl detach: a node made inside again opens with EPERM (the
#      cgroup program, not a missing node, denies it: nvidia-smi as root
#      re-creates missing nodes) and nvidia-smi fails again;
#   4. devpassctl attach / detach once more, timed.
# Prints the grant and revoke latencies and a last line
# "GPU-CHECK: PASS …" or "GPU-CHECK: FAIL …".
#
# Usage: h100-check.sh [CARRY-DIR]   (or $DEVPASS_CARRY; default .carry in
# the repository root). CARRY-DIR holds bin/{devpassd,devpassctl,dp-testctr}
# and lib/ with the libraries they need (tests/gpu/make-carry.sh makes it).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CARRY=${1:-${DEVPASS_CARRY:-$ROOT/.carry}}
CARRY=$(cd "$CARRY" 2>/dev/null && pwd) || CARRY=${1:-${DEVPASS_CARRY:-$ROOT/.carry}}
FAILS=()

verdict() { # exit code, reasons...
        if [ "$1" = 0 ]; then
                echo "GPU-CHECK: PASS ${*:2}"
        else
                echo "GPU-CHECK: FAIL ${*:2}"
        fi
        exit "$1"
}
say() { printf '\n== %s\n' "$*"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
fail() { FAILS+=("$*"); echo "FAIL: $*"; }
ok() { echo "ok: $*"; }

# The carried programs run through the carried loader, so that neither the
# host's C library nor LD_LIBRARY_PATH leaks into what they start.
if [ -x "$CARRY/lib/ld-linux-x86-64.so.2" ]; then
        RUN=("$CARRY/lib/ld-linux-x86-64.so.2" --library-path "$CARRY/lib")
else
        RUN=(env "LD_LIBRARY_PATH=$CARRY/lib")
fi
DEVPASSD=("${RUN[@]}" "$CARRY/bin/devpassd")
CTL=("${RUN[@]}" "$CARRY/bin/devpassctl")
TESTCTR=("${RUN[@]}" "$CARRY/bin/dp-testctr")

[ "$(id -u)" = 0 ] || verdict 1 "must run as root"
for b in devpassd devpassctl dp-testctr; do
        [ -e "$CARRY/bin/$b" ] || verdict 1 "$CARRY/bin/$b missing (see tests/gpu/make-carry.sh)"
done

# An NVIDIA display-class PCI function bound to the nvidia driver.
SLOT=
for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/vendor" 2>/dev/null)" = 0x10de ] || continue
        case $(cat "$d/class" 2>/dev/null) in 0x03*) ;; *) continue ;; esac
        [ "$(basename "$(readlink "$d/driver" 2>/dev/null)")" = nvidia ] || continue
        SLOT=$(basename "$d")
        break
done
INFO=/proc/driver/nvidia/gpus/$SLOT/information
[ -n "$SLOT" ] && [ -r "$INFO" ] || verdict 1 "no NVIDIA GPU (no PCI display device bound to nvidia)"
MINOR=$(awk -F: '/^Device Minor/ {gsub(/[ \t]/, "", $2); print $2}' "$INFO")
CG2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
[ -n "$CG2" ] || verdict 1 "no cgroup2 mounted"

WORK=$(mktemp -d /tmp/dpth.XXXXXX)
CTR=dpth$$
PID=
AGENT=
TORCH_MNT=
cleanup() {
        [ -n "$AGENT" ] && kill "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
        [ -n "$PID" ] && "${CTL[@]}" --state-dir "$WORK/state" detach "pid:$PID" "pci:$SLOT" >/dev/null 2>&1
        "${TESTCTR[@]}" stop "$CTR" >/dev/null 2>&1
        if [ -n "$TORCH_MNT" ]; then
                mountpoint -q "$TORCH_MNT" && umount "$TORCH_MNT"
                rmdir "$TORCH_MNT"
        fi
        mountpoint -q "$WORK/bpf" && umount "$WORK/bpf"
        rm -rf "$WORK"
}
trap cleanup EXIT
# devpass pins its cgroup2 maps on bpffs: a private instance of our own.
mkdir "$WORK/bpf" && mount -t bpf bpf "$WORK/bpf" || verdict 1 "cannot mount bpffs"
DEVPASSD+=(--test-path "bpf-root=$WORK/bpf/devpass")
CTL+=(--test-path "bpf-root=$WORK/bpf/devpass")

say "Host"
uname -r
echo "GPU: $SLOT, Device Minor $MINOR, cgroup2 at $CG2"
grep -E '^ *[0-9]+ nvidia' /proc/devices
nvidia-smi -L 2>&1 | sed 's/^/host: /'
say "devpassctl devices (the GPU as devpass sees it)"
"${CTL[@]}" --state-dir "$WORK/state" devices --json >"$WORK/devices.json" 2>"$WORK/devices.err" ||
        fail "devpassctl devices: $(cat "$WORK/devices.err")"
if command -v python3 >/dev/null; then
        python3 - "$WORK/devices.json" <<'PY'
import json, sys
for d in json.load(open(sys.argv[1])):
    if d.get("class") == "gpu":
        props = {k: v for k, v in (d.get("properties") or {}).items() if k.startswith("NVIDIA_")}
        print(d["syspath"], d.get("vendor"), d.get("product"), d.get("driver"), d.get("pci"))
        print("  properties:", props)
        for n in d["nodes"]:
            print("  node %s %s %d:%d" % (n["path"], n["type"], n["major"], n["minor"]))
PY
else
        cat "$WORK/devices.json"
fi
for n in "/dev/nvidia$MINOR" /dev/nvidiactl /dev/nvidia-uvm; do
        grep -q "\"$n\"" "$WORK/devices.json" || fail "bundle lacks $n"
done

# torch may live outside /usr (a virtualenv under /opt): its site-packages
# is made visible inside through a temporary read-only bind mount below the
# host's /usr, which the container shares, and removed at the end.
TORCH_SITE=$(python3 -c 'import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))' 2>/dev/null)
TORCH_MNT=
PYPATH=$TORCH_SITE
case $TORCH_SITE in
"" | /usr/*) ;;
*)
        TORCH_MNT=/usr/local/lib/dpth-site-$$
        mkdir -p "$TORCH_MNT" && mount --bind "$TORCH_SITE" "$TORCH_MNT" &&
                mount -o remount,bind,ro "$TORCH_MNT" && PYPATH=$TORCH_MNT
        ;;
esac
echo "torch: ${TORCH_SITE:-not found on the host} (inside: ${PYPATH:-none})"

say "Container"
# dp-testctr keeps its state under /run/dp-test; a bare host may lack /run
# and busybox (the carried static one then fills the rootfs).
mkdir -p /run/dp-test
[ -x "$CARRY/bin/busybox" ] && export DPT_BUSYBOX=$CARRY/bin/busybox
OUT=$("${TESTCTR[@]}" start --name "$CTR" --v2-runtime-prog --share-usr 2>&1) ||
        verdict 1 "container start failed: $OUT"
PID=${OUT%% *}
echo "started $CTR, init pid $PID"
"${TESTCTR[@]}" info "$PID" | sed 's/^/  /'
ctr_exec() { timeout 180 "${TESTCTR[@]}" exec "$PID" -- "$@"; }
ctr_open() { "${TESTCTR[@]}" open "$PID" "$1" rw 2>&1 | head -n1; }
echo "/dev inside: $(ctr_exec ls /dev | tr '\n' ' ')"

say "Before the grant: nvidia-smi -L inside"
if OUT=$(ctr_exec nvidia-smi -L 2>&1); then
        echo "$OUT"
        fail "nvidia-smi works before any grant"
else
        echo "$OUT"
        ok "nvidia-smi fails before the grant"
fi

say "devpassd with a Class=gpu Vendor=10de policy for pid:$PID"
mkdir -p "$WORK/policy"
cat >"$WORK/policy/50-gpu.policy" <<POL
[Match]
Class=gpu
Vendor=10de

[Target]
Container=pid:$PID

[Grant]
Access=rw
POL
cat "$WORK/policy/50-gpu.policy"
T0=$(date +%s%N)
"${DEVPASSD[@]}" --policy-dir "$WORK/policy" --state-dir "$WORK/state" \
        --socket "$WORK/devpass.sock" --rescan-ms 100 --log-level info \
        2>"$WORK/devpassd.log" &
AGENT=$!
GRANTED=
for _ in $(seq 1000); do
        if [ -c "/proc/$PID/root/dev/nvidia$MINOR" ] && [ -c "/proc/$PID/root/dev/nvidiactl" ] &&
                [ -c "/proc/$PID/root/dev/nvidia-uvm" ]; then
                GRANTED=1
                break
        fi
        sleep 0.01
done
AGENT_MS=$(ms_since "$T0")
if [ -n "$GRANTED" ]; then
        ok "nodes inside after ${AGENT_MS} ms (agent start, enumeration, policy, grant)"
else
        fail "no GPU nodes inside after ${AGENT_MS} ms"
fi
echo "/dev inside: $(ctr_exec ls /dev | tr '\n' ' ')"
"${CTL[@]}" --socket "$WORK/devpass.sock" list 2>&1 | sed 's/^/  /'

say "After the grant: nvidia-smi -L and CUDA inside"
if OUT=$(ctr_exec nvidia-smi -L 2>&1); then
        echo "$OUT"
        ok "nvidia-smi -L inside"
else
        echo "$OUT"
        fail "nvidia-smi -L inside after the grant"
fi
T=$(date +%s%N)
if OUT=$(ctr_exec env "PYTHONPATH=$PYPATH" python3 -c "import torch; print(torch.ones(1000,device='cuda').sum().item())" 2>&1); then
        echo "$OUT" | tail -n 3
        if [ "$(echo "$OUT" | tail -n1)" = "1000.0" ]; then
                ok "CUDA tensor sum inside ($(ms_since "$T") ms)"
        else
                fail "CUDA sum printed '$(echo "$OUT" | tail -n1)'"
        fi
else
        echo "$OUT" | tail -n 5
        fail "python3/torch CUDA inside"
fi

say "Stopping devpassd (grants stay, recorded in the ledger)"
kill "$AGENT"
wait "$AGENT" 2>/dev/null
AGENT=
tail -n 20 "$WORK/devpassd.log" | sed 's/^/  log: /'

# Revoke with devpassctl, then prove the cgroup program denies the GPU: a
# node made inside from the host side (so that the program cannot refuse
# the mknod itself) opens with EPERM.
check_denied() { # label
        local n=/proc/$PID/root/dev/nvidia$MINOR r out
        if [ -e "$n" ]; then
                fail "$1: /dev/nvidia$MINOR still inside"
        else
                ok "$1: /dev/nvidia$MINOR removed"
        fi
        mknod "$n" c 195 "$MINOR" 2>/dev/null
        r=$(ctr_open "/dev/nvidia$MINOR")
        [ "$r" = EPERM ] && ok "$1: open /dev/nvidia$MINOR inside: EPERM" ||
                fail "$1: open /dev/nvidia$MINOR inside: $r, want EPERM"
        r=$(ctr_open /dev/null)
        [ "$r" = OK ] && ok "$1: /dev/null still opens" || fail "$1: /dev/null: $r"
        if out=$(ctr_exec nvidia-smi -L 2>&1); then
                fail "$1: nvidia-smi -L still works inside: $out"
        else
                ok "$1: nvidia-smi -L fails inside: $(echo "$out" | head -n1)"
        fi
        rm -f "$n"
}

say "devpassctl detach pid:$PID pci:$SLOT"
T=$(date +%s%N)
if OUT=$("${CTL[@]}" --state-dir "$WORK/state" detach "pid:$PID" "pci:$SLOT" 2>&1); then
        REVOKE_MS=$(ms_since "$T")
        ok "detached in ${REVOKE_MS} ms"
else
        REVOKE_MS=-
        fail "detach: $OUT"
fi
check_denied "after detach"

say "devpassctl attach / detach again (timed)"
T=$(date +%s%N)
if OUT=$("${CTL[@]}" --state-dir "$WORK/state" attach "pid:$PID" "pci:$SLOT" 2>&1); then
        ATTACH_MS=$(ms_since "$T")
        ok "attached in ${ATTACH_MS} ms"
else
        ATTACH_MS=-
        fail "attach: $OUT"
fi
if OUT=$(ctr_exec nvidia-smi -L 2>&1); then
        ok "nvidia-smi -L inside: $OUT"
else
        fail "nvidia-smi -L after attach: $OUT"
fi
T=$(date +%s%N)
if OUT=$("${CTL[@]}" --state-dir "$WORK/state" detach "pid:$PID" "pci:$SLOT" 2>&1); then
        REVOKE2_MS=$(ms_since "$T")
        ok "detached in ${REVOKE2_MS} ms"
else
        REVOKE2_MS=-
        fail "second detach: $OUT"
fi
check_denied "after second detach"

say "Latencies"
echo "policy grant (devpassd start to nodes inside): ${AGENT_MS} ms"
echo "devpassctl attach (whole command):            ${ATTACH_MS} ms"
echo "devpassctl detach (whole command):            ${REVOKE_MS} ms, ${REVOKE2_MS} ms"

SUMMARY="GPU $SLOT; grant ${AGENT_MS} ms (agent), attach ${ATTACH_MS} ms, revoke ${REVOKE_MS}/${REVOKE2_MS} ms"
if [ ${#FAILS[@]} = 0 ]; then
        verdict 0 "$SUMMARY; nvidia-smi+CUDA inside after grant, EPERM after revoke"
fi
verdict 1 "$SUMMARY; ${#FAILS[@]} failure(s): ${FAILS[*]}"
