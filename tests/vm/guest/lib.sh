# Shell helpers the VM lab's checks run inside the guest (busybox-free
# Debian userland; sourced from the 9p share).
set -eu

die() {
        echo "FAIL: $*" >&2
        exit 1
}

# wait_for SECONDS CMD...: polls CMD until it succeeds; TCG speed varies
# with host load, so callers pass generous deadlines.
wait_for() {
        local end=$(($(date +%s) + $1))
        shift
        until "$@" 2>/dev/null; do
                [ "$(date +%s)" -lt "$end" ] || return 1
                sleep 0.1
        done
}

# mk_lxc NAME: a privileged busybox LXC container whose device cgroup is
# deny-by-default, so that LXC attaches its own cgroup v2 program (or writes
# devices.deny on v1) and devpass has to compose with it.
mk_lxc() {
        local n=$1 r=/var/lib/lxc/$1/rootfs
        mkdir -p "$r"/bin "$r"/dev "$r"/proc "$r"/sys "$r"/tmp "$r"/run/udev "$r"/etc
        cp /bin/busybox "$r/bin/busybox"
        ln -sf busybox "$r/bin/sh"
        printf '#!/bin/sh\nwhile :; do /bin/busybox sleep 3600; done\n' >"$r/bin/init"
        chmod 755 "$r/bin/init"
        cat >"/var/lib/lxc/$n/config" <<CFG
lxc.uts.name = $n
lxc.rootfs.path = dir:$r
lxc.net.0.type = empty
lxc.apparmor.profile = unconfined
lxc.autodev = 1
lxc.mount.auto = proc:mixed sys:ro cgroup:mixed
lxc.init.cmd = /bin/init
lxc.cgroup2.devices.deny = a
lxc.cgroup2.devices.allow = c 1:3 rwm
lxc.cgroup2.devices.allow = c 1:5 rwm
lxc.cgroup2.devices.allow = c 1:8 rwm
lxc.cgroup2.devices.allow = c 1:9 rwm
lxc.cgroup2.devices.allow = c 5:0 rwm
lxc.cgroup2.devices.allow = c 5:2 rwm
lxc.cgroup2.devices.allow = c 136:* rwm
lxc.cgroup2.devices.allow = c *:* m
lxc.cgroup2.devices.allow = b *:* m
CFG
        if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
                sed -i 's/^lxc\.cgroup2\./lxc.cgroup./' "/var/lib/lxc/$n/config"
        fi
}

lxc_pid() { lxc-info -pH -n "$1"; }

# in_ctr PID CMD...: runs CMD in the namespaces of PID *and* in its device
# cgroup (see in-ctr.sh).
in_ctr() { /bin/sh /mnt/share/guest/in-ctr.sh "$@"; }

# usb_dev SERIAL: sysfs dir of the USB device QEMU made with serial=SERIAL.
usb_dev() {
        local d
        for d in /sys/bus/usb/devices/*; do
                [ "$(cat "$d/serial" 2>/dev/null)" = "$1" ] && echo "$d" && return 0
        done
        return 1
}

# usb_nodes SERIAL [SUBSYSTEM]: /dev paths of the device's nodes.
usb_nodes() {
        local d
        d=$(usb_dev "$1") || return 1
        find "$d/" -name uevent -path '*' | while read -r u; do
                local name sub
                name=$(sed -n 's/^DEVNAME=//p' "$u")
                [ -n "$name" ] || continue
                sub=$(basename "$(readlink -f "$(dirname "$u")/subsystem")")
                [ -z "${2:-}" ] || [ "$sub" = "$2" ] || continue
                echo "/dev/$name"
        done
}

# mk_nspawn NAME [NSPAWN-ARGS...]: a busybox systemd-nspawn machine
# registered with machined, on the unified hierarchy (nspawn would mount a
# legacy name=systemd one for a payload it does not recognise as systemd).
mk_nspawn() {
        local n=$1 r=/var/lib/machines/$1
        shift
        mkdir -p "$r"/bin "$r"/dev "$r"/proc "$r"/sys "$r"/tmp "$r"/run "$r"/etc "$r"/usr/lib
        cp /bin/busybox "$r/bin/busybox"
        ln -sf busybox "$r/bin/sh"
        printf '#!/bin/sh\nwhile :; do /bin/busybox sleep 3600; done\n' >"$r/bin/init"
        chmod 755 "$r/bin/init"
        printf 'ID=busybox\nNAME=busybox\n' >"$r/usr/lib/os-release"
        cp "$r/usr/lib/os-release" "$r/etc/os-release"
        systemd-run -q --unit="dpvm-$n" --setenv=SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 \
                systemd-nspawn -q -D "$r" -M "$n" --register=yes "$@" /bin/init
        wait_for 60 eval "[ -n \"\$(machinectl show $n -p Leader --value)\" ]"
}

machine_pid() { machinectl show "$1" -p Leader --value; }

# oci_start ENGINE NAME [RUN-ARGS...]: a busybox container of docker or
# podman (network none) from a local image: no registry is reachable from
# the guest.
oci_start() {
        local e=$1 n=$2 r
        shift 2
        if [ "$e" = docker ]; then
                systemctl start docker.service || die "dockerd did not start"
        fi
        if ! "$e" image inspect dpvm/busybox >/dev/null 2>&1; then
                r=$(mktemp -d)
                mkdir -p "$r"/bin "$r"/dev "$r"/proc "$r"/sys "$r"/tmp "$r"/etc
                cp /bin/busybox "$r/bin/busybox"
                ln -sf busybox "$r/bin/sh"
                printf '#!/bin/sh\nwhile :; do /bin/busybox sleep 3600; done\n' >"$r/bin/init"
                chmod 755 "$r/bin/init"
                tar -C "$r" -c . | "$e" import - dpvm/busybox >/dev/null
                rm -rf "$r"
        fi
        "$e" rm -f "$n" >/dev/null 2>&1 || true
        # the guest kernel has AppArmor but the image no apparmor_parser,
        # without which dockerd refuses to load its default profile
        "$e" run -d --name "$n" --network none --security-opt apparmor=unconfined \
                "$@" dpvm/busybox /bin/init >/dev/null
        wait_for 60 eval "[ \"\$($e inspect -f '{{.State.Pid}}' $n)\" -gt 0 ]"
}

oci_pid() { "$1" inspect -f '{{.State.Pid}}' "$2"; }

# sysfs_chain TYPE MAJ:MIN: the node's device and each parent up to its
# USB device, one block each in umockdev's letters: "P: PATH" (below
# /sys), "E: KEY" (its uevent's keys) and "A: NAME" (its attribute files,
# and those one directory down).
sysfs_chain() {
        local d
        d=$(readlink -f "/sys/dev/$1/$2")
        while [ "$d" != /sys ] && [ "$d" != / ]; do
                # class directories (input/, tty/) are no devices
                if [ -f "$d/uevent" ]; then
                        echo "P: ${d#/sys}"
                        sed 's/=.*//; s/^/E: /' "$d/uevent"
                        echo "E: SUBSYSTEM"
                        find "$d/" -mindepth 1 -maxdepth 2 -type f -printf 'A: %P\n' 2>/dev/null || true
                        grep -qx 'DEVTYPE=usb_device' "$d/uevent" && return 0
                fi
                d=$(dirname "$d")
        done
}
