# shellcheck shell=bash disable=SC2034
# SPDX-License-Identifier: MIT
# Real container engines for the engine-*.sh end-to-end tests: Debian's
# docker.io, podman and lxd, started by hand (nothing starts by itself on
# the test machines), each with a busybox image imported locally (no image
# registry is reachable). Source after lib.sh:
#
#   eng_docker_start              # a private dockerd; sets ENG_DOCKER_SOCK
#   eng_docker run -d --name x "$ENG_IMAGE" sleep 1000
#
# Every daemon runs with its own state under a private directory, so tests
# that run at the same time, and any system daemon, never meet; it is
# stopped and its state removed at exit. Skips (77) only when the engine's
# package is absent.

if [[ -n "${DPT_ENGINES_LOADED:-}" ]]; then
        return 0
fi
DPT_ENGINES_LOADED=1

ENG_IMAGE=dpt-busybox:1
# Debian's client, not a newer one that may come first on PATH.
ENG_DOCKER_BIN=/usr/bin/docker

# eng_require_pkg PKG...: skip unless each Debian package is installed.
eng_require_pkg() {
        local p
        for p in "$@"; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
                        grep -q "install ok installed" ||
                        { echo "SKIP: package '$p' is not installed" >&2; exit 77; }
        done
}

# eng_rootfs_tar: echoes a tarball of a busybox-static rootfs (made once).
eng_rootfs_tar() {
        if [[ -z "${ENG_ROOTFS_TAR:-}" ]]; then
                local d a
                d=$(dpt_tmpdir) || exit 1
                mkdir -p "$d/rf/bin" "$d/rf/dev" "$d/rf/proc" "$d/rf/sys" \
                        "$d/rf/etc" "$d/rf/tmp" "$d/rf/run" || dpt_fail "mkdir rootfs"
                cp /bin/busybox "$d/rf/bin/busybox" || dpt_fail "no busybox-static"
                for a in $("$d/rf/bin/busybox" --list); do
                        [[ -e "$d/rf/bin/$a" ]] || ln -s busybox "$d/rf/bin/$a"
                done
                echo "root:x:0:0:root:/:/bin/sh" >"$d/rf/etc/passwd"
                echo "root:x:0:" >"$d/rf/etc/group"
                tar -C "$d/rf" -cf "$d/rootfs.tar" . || dpt_fail "tar rootfs"
                ENG_ROOTFS_TAR=$d/rootfs.tar
        fi
        echo "$ENG_ROOTFS_TAR"
}

# ---- Docker ----

# eng_docker_start [dockerd options]: a dockerd (and its containerd) on a
# private socket, data root and containerd namespace; never touches the
# host's firewall or forwarding. Points devpass at it (AGENT_TEST_PATHS).
eng_docker_start() {
        eng_require_pkg docker.io
        local d
        d=$(mktemp -d /tmp/dpt-dockerd.XXXXXX) || dpt_fail "mktemp"
        # a remapped root must be able to reach its data root below it
        chmod 0711 "$d"
        ENG_DOCKER_DIR=$d
        dpt_cleanup_add rm -rf -- "$d"
        dpt_cleanup_add _eng_docker_stop "$d"
        dockerd --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
                --data-root "$d/root" --exec-root "$d/exec" --pidfile "$d/pid" \
                -H "unix://$d/docker.sock" --containerd-namespace "dpt${d##*.}" \
                --containerd-plugins-namespace "dpt${d##*.}p" "$@" \
                >"$d/log" 2>&1 &
        echo $! >"$d/dockerd.pid"
        ENG_DOCKER_SOCK=$d/docker.sock
        AGENT_TEST_PATHS+=(--test-path "docker-socket=$ENG_DOCKER_SOCK")
        dpt_wait_for 30000 eng_docker version ||
                { tail -20 "$d/log" >&2; dpt_fail "dockerd did not come up"; }
        eng_docker import "$(eng_rootfs_tar)" "$ENG_IMAGE" >/dev/null ||
                dpt_fail "docker import"
}

eng_docker() { "$ENG_DOCKER_BIN" -H "unix://$ENG_DOCKER_SOCK" "$@"; }

# Removes the containers, then stops dockerd (which stops its containerd).
_eng_docker_stop() {
        local d=$1 pid ids
        ids=$("$ENG_DOCKER_BIN" -H "unix://$d/docker.sock" ps -aq 2>/dev/null) || true
        [[ -z "$ids" ]] || "$ENG_DOCKER_BIN" -H "unix://$d/docker.sock" rm -f $ids >/dev/null 2>&1
        pid=$(cat "$d/dockerd.pid" 2>/dev/null) || return 0
        kill -TERM "$pid" 2>/dev/null || return 0
        for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        # overlay mounts of containers that did not stop cleanly
        grep -o " $d/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do
                umount -l "$m" 2>/dev/null || true
        done || true
}

# eng_docker_run NAME [docker run options]: a detached busybox sleeper
# (dockerd's warning about forwarding, which is off on purpose, dropped).
eng_docker_run() {
        local name=$1 err
        shift
        err=$(eng_docker run -d --name "$name" "$@" "$ENG_IMAGE" /bin/sleep 100000 2>&1 >/dev/null) ||
                dpt_fail "docker run $name: $err"
}

# eng_remap_user: a system user with a subordinate id range for
# --userns-remap (Docker's "root" remap does nothing); sets ENG_REMAP_USER
# and ENG_REMAP_BASE. What it adds it removes at exit.
ENG_REMAP_USER=dptremap
ENG_REMAP_BASE=300000000
eng_remap_user() {
        local f
        if ! id "$ENG_REMAP_USER" >/dev/null 2>&1; then
                useradd -r -M -s /usr/sbin/nologin "$ENG_REMAP_USER" ||
                        dpt_fail "useradd $ENG_REMAP_USER"
                dpt_cleanup_add userdel "$ENG_REMAP_USER"
        fi
        for f in /etc/subuid /etc/subgid; do
                grep -q "^$ENG_REMAP_USER:" "$f" 2>/dev/null && continue
                echo "$ENG_REMAP_USER:$ENG_REMAP_BASE:65536" >>"$f"
                dpt_cleanup_add sed -i "/^$ENG_REMAP_USER:/d" "$f"
        done
}

# ---- Podman ----

# Podman is daemonless and keeps its own state (/var/lib/containers); the
# tests use it as installed, with names of their own. crun fails on this
# hybrid host ("cgroups in hybrid mode not supported", and setrlimit without
# CAP_SYS_RESOURCE), so runc with limits the host can grant.
ENG_PODMAN_RUN=(--runtime runc --ulimit nofile=1024:20000
        --ulimit nproc=1024:32768 --network none)

eng_podman_setup() {
        eng_require_pkg podman runc
        podman image exists "$ENG_IMAGE" 2>/dev/null ||
                podman import -q "$(eng_rootfs_tar)" "$ENG_IMAGE" >/dev/null ||
                dpt_fail "podman import"
}

# eng_podman_run NAME [podman run options]: a detached busybox sleeper.
eng_podman_run() {
        local name=$1
        shift
        dpt_cleanup_add podman rm -f -t 0 "$name"
        podman run -d --name "$name" "${ENG_PODMAN_RUN[@]}" "$@" "$ENG_IMAGE" \
                /bin/sleep 100000 >/dev/null || dpt_fail "podman run $name"
}

# ---- LXD ----

# eng_lxd_start: an LXD daemon with its own LXD_DIR (exported, for the
# client, which Debian also calls `lxc`), a dir storage pool and no network
# (no bridge, no dnsmasq), and a busybox image "dpt-busybox" made here.
# Points devpass at it (AGENT_TEST_PATHS).
eng_lxd_start() {
        eng_require_pkg lxd
        local d
        d=$(mktemp -d /tmp/dpt-lxd.XXXXXX) || dpt_fail "mktemp"
        # unprivileged containers' roots must reach their rootfs below it
        chmod 0711 "$d"
        export LXD_DIR=$d
        dpt_cleanup_add rm -rf -- "$d" "$d.log" "$d.pid"
        dpt_cleanup_add _eng_lxd_stop "$d"
        lxd --group root >"$d.log" 2>&1 &
        echo $! >"$d.pid"
        lxd waitready --timeout 60 || { tail -20 "$d.log" >&2; dpt_fail "lxd did not come up"; }
        printf '%s\n' "config: {}" "networks: []" "storage_pools:" \
                "- name: default" "  driver: dir" "profiles:" "- name: default" \
                "  devices:" "    root:" "      path: /" "      pool: default" \
                "      type: disk" | lxd init --preseed || dpt_fail "lxd init --preseed"
        AGENT_TEST_PATHS+=(--test-path "lxd-socket=$d/unix.socket")
        _eng_lxd_image "$d"
}

# An LXD image: metadata.yaml plus the busybox rootfs, whose init runs a
# sleeper and stops on LXD's SIGPWR.
_eng_lxd_image() {
        local d=$1 t
        t=$(dpt_tmpdir) || exit 1
        mkdir -p "$t/rf" && tar -C "$t/rf" -xf "$(eng_rootfs_tar)" || dpt_fail "untar rootfs"
        mkdir -p "$t/rf/sbin" && ln -sf ../bin/busybox "$t/rf/sbin/init"
        printf '%s\n' "::sysinit:/bin/mount -t tmpfs tmpfs /run" \
                "::respawn:/bin/sleep 100000" >"$t/rf/etc/inittab"
        printf '%s\n' "architecture: $(uname -m)" "creation_date: $(date +%s)" \
                "properties:" "  description: devpass test busybox" >"$t/metadata.yaml"
        tar -C "$t" -czf "$t/meta.tar.gz" metadata.yaml &&
                tar -C "$t/rf" -czf "$t/rootfs.tar.gz" . || dpt_fail "lxd image tarballs"
        lxc image import "$t/meta.tar.gz" "$t/rootfs.tar.gz" --alias dpt-busybox >/dev/null ||
                dpt_fail "lxc image import"
}

# eng_lxd_launch NAME [lxc launch options]
eng_lxd_launch() {
        lxc launch dpt-busybox "$@" >/dev/null 2>&1 || dpt_fail "lxc launch $*"
        dpt_wait_for 10000 sh -c "lxc info '$1' | grep -q '^PID: [1-9]'" ||
                dpt_fail "LXD container $1 has no init"
}

eng_lxd_pid() { lxc info "$1" | sed -n 's/^PID: //p'; }

_eng_lxd_stop() {
        local d=$1 pid n
        pid=$(cat "$d.pid" 2>/dev/null) || return 0
        for n in $(LXD_DIR=$d lxc list -c n --format csv 2>/dev/null); do
                LXD_DIR=$d lxc delete -f "$n" >/dev/null 2>&1
        done
        LXD_DIR=$d timeout 30 lxd shutdown >/dev/null 2>&1
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        grep -o " $d/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do
                umount -l "$m" 2>/dev/null || true
        done || true
}

# ---- checks shared by the engine tests ----

# eng_devices_list PID: the v1 devices.list of PID's cgroup, one line each.
eng_devices_list() {
        local cg
        cg=$(sed -n 's/^[0-9]*:devices://p' "/proc/$1/cgroup")
        [[ -n "$cg" ]] || dpt_fail "pid $1 has no v1 devices cgroup"
        sort "/sys/fs/cgroup/devices$cg/devices.list"
}

# eng_mknod_open PID TYPE MAJ MIN: makes a node inside PID's container (as
# the container would) and opens it there; echoes OK or the errno name.
eng_mknod_open() {
        local h pid=$1 t=$2 maj=$3 min=$4 p=/tmp/dpt-probe-$RANDOM
        h=$(dpt_harness) || exit 1
        "$h" exec "$pid" mknod "$p" "$t" "$maj" "$min" >/dev/null 2>&1 || true
        "$h" open "$pid" "$p" r || true
        "$h" exec "$pid" rm -f "$p" >/dev/null 2>&1 || true
}
