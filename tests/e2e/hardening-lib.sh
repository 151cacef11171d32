# Shared pieces of the storm-* and hardening-* tests (devpassd under
# adversarial conditions, root, real kernel). Sourced by them after they set
# HERE to their own directory.
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root
HOSTILE=$BUILD_DIR/tests/privileged/dpt-hostile

# hl_ctr_start [dp-testctr start options]: a harness container; sets CTR
# to its init pid and CG to its cgroup v1 devices directory (empty where
# there is none).
hl_ctr_start() {
        dpt_ctr_start "$@"
        CTR=$DPT_PID
        CG=$("$DPT_HARNESS" info "$CTR" | sed -n 's/^cgroup_v1=//p')
}

hl_require_cg() {
        [ -n "$CG" ] || { echo "SKIP: no cgroup v1 devices hierarchy"; exit 77; }
}

# hl_block_policy NAME: policy 50-NAME that grants block devices of a
# random size SZ (in sectors, so that no other device on the machine
# matches) to CTR, and an image file img of that size to attach.
hl_block_policy() {
        SZ=$((8192 + RANDOM % 4096))
        cat >"$AGENT_DIR/policy/50-$1.policy" <<POL
[Match]
Class=block
Attribute=size=$SZ
[Target]
Container=pid:$CTR
POL
        img=$(dpt_tmpdir)/img
        truncate -s $((SZ * 512)) "$img"
}
