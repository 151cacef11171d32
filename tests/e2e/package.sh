#!/bin/bash
# SPDX-License-Identifier: MIT
# The Debian package: scripts/package.sh builds devpass_<version>_amd64.deb
# (reusing the build dir of the previous run), lintian finds no error, the
# file list is the expected one, and the package installs, enables the
# unit, runs the installed agent, stops it on removal and purges its
# state. Installation happens in a private mount namespace whose /usr,
# /etc and /var are overlays and /run a fresh tmpfs, so the host's own
# files and package database are never touched.
set -euo pipefail
SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC_DIR/tests/harness/lib.sh"
: "${BUILD_DIR:?BUILD_DIR must point at the build tree}"

dpt_require_root
dpt_require_cmd dpkg-buildpackage dh lintian unshare
out=$BUILD_DIR/package
version=$(sed -n 's/^project(devpass VERSION \([0-9.]*\).*/\1/p' "$SRC_DIR/CMakeLists.txt")
arch=$(dpkg --print-architecture)
deb=$out/devpass_${version}_${arch}.deb

t0=$(date +%s)
"$SRC_DIR/scripts/package.sh" --reuse "$out" >"$out.log" 2>&1 ||
        { tail -n 40 "$out.log" >&2; dpt_fail "package.sh failed"; }
[[ -f $deb ]] || dpt_fail "no $deb"
dpt_log "package built in $(($(date +%s) - t0)) s: $deb"

# lintian: errors fail the test, warnings are listed
lint=$(lintian "$deb" 2>/dev/null || true)
[[ -z $lint ]] || printf 'lintian: %s\n' "$lint" >&2
if grep -q '^E:' <<<"$lint"; then dpt_fail "lintian reports errors"; fi

# the file list (directories left out)
want=(
        ./etc/devpass/policy.d/
        ./lib/systemd/system/devpassd.service
        ./usr/bin/devpassctl
        ./usr/sbin/devpassd
        "./usr/libexec/devpass/devpassctl-local"
        "./usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/devpass/devpass-net.so"
        "./usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/devpass/devpass-systemd.so"
        ./usr/lib/devpass/policy.d/
        ./usr/share/bash-completion/completions/devpassctl
        ./usr/share/bash-completion/completions/devpassd
        ./usr/share/doc/devpass/README.md
        ./usr/share/doc/devpass/FORMAT.md
        ./usr/share/doc/devpass/copyright
        ./usr/share/man/man1/devpassctl.1.gz
        ./usr/share/man/man5/devpass.policy.5.gz
        ./usr/share/man/man8/devpassd.8.gz
)
for f in "$SRC_DIR"/policy/examples/*.policy; do
        want+=("./usr/share/doc/devpass/examples/${f##*/}")
done
[[ -f $SRC_DIR/data/catalog/devpass.catalog ]] &&
        want+=(./usr/lib/systemd/catalog/devpass.catalog)
list=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in "${want[@]}"; do
        grep -qxF "$f" <<<"$list" || dpt_fail "package lacks $f"
done
dpkg-deb -f "$deb" Depends | grep -q libjson-c || dpt_fail "no shared-library Depends"
# devpass-systemd.so's, though devpassd itself does not link libsystemd
dpkg-deb -f "$deb" Depends | grep -q libsystemd0 || dpt_fail "no libsystemd0 in Depends"
# the DRA plugin (gRPC, protobuf-c) is a package of its own
! grep -q kubelet-plugin <<<"$list" || dpt_fail "devpass ships the kubelet plugin"
! dpkg-deb -f "$deb" Depends | grep -q 'grpc\|protobuf' ||
        dpt_fail "devpass depends on gRPC: $(dpkg-deb -f "$deb" Depends)"
plugin=$out/devpass-kubelet-plugin_${version}_${arch}.deb
[[ -f $plugin ]] || dpt_fail "no $plugin"
# Not `| grep -q`: grep quitting early kills dpkg-deb with SIGPIPE, which
# pipefail reports as a failure of the whole pipeline.
plugin_list=$(dpkg-deb -c "$plugin" | awk '{print $6}')
grep -qx './usr/libexec/devpass/devpass-kubelet-plugin' <<<"$plugin_list" ||
        dpt_fail "$plugin lacks the plugin"
dpkg-deb -f "$plugin" Depends | grep -q "devpass (= $version)" ||
        dpt_fail "plugin Depends: $(dpkg-deb -f "$plugin" Depends)"
lint=$(lintian "$plugin" 2>/dev/null || true)
[[ -z $lint ]] || printf 'lintian (plugin): %s\n' "$lint" >&2
if grep -q '^E:' <<<"$lint"; then dpt_fail "lintian reports errors for the plugin"; fi

# install, run, remove, purge
work=$(dpt_tmpdir)
cat >"$work/inside.sh" <<'INNER'
set -euo pipefail
deb=$1 work=$2
for d in usr etc var; do
        mkdir -p "$work/$d.up" "$work/$d.wk"
        mount -t overlay overlay -o "lowerdir=/$d,upperdir=$work/$d.up,workdir=$work/$d.wk" "/$d"
done
mount -t tmpfs tmpfs /run
export DEBIAN_FRONTEND=noninteractive
# the man-db trigger rebuilds the whole index: nothing to test there
echo 'man-db man-db/auto-update boolean false' | debconf-set-selections
dpkg -i "$deb" >"$work/dpkg-i.log" 2>&1 || { cat "$work/dpkg-i.log"; exit 1; }
[ -L /etc/systemd/system/multi-user.target.wants/devpassd.service ] ||
        { echo "unit not enabled"; exit 1; }
grep -qx 'ExecStart=/usr/sbin/devpassd' /lib/systemd/system/devpassd.service ||
        { echo "unit does not run /usr/sbin/devpassd"; exit 1; }
# the installed agent with its default paths (this namespace's /run)
/usr/sbin/devpassd >"$work/agent.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
        devpassctl status >/dev/null 2>&1 && break
        sleep 0.1
done
devpassctl status >/dev/null || { cat "$work/agent.log"; echo "agent did not answer"; exit 1; }
devpassctl list | grep -qx 'no grants' || { echo "list failed"; exit 1; }
# a verb the client hands to the installed devpassctl-local
devpassctl policy check /usr/share/doc/devpass/examples >/dev/null ||
        { echo "policy check of the examples failed"; exit 1; }
dpkg -r devpass >"$work/dpkg-r.log" 2>&1 || { cat "$work/dpkg-r.log"; exit 1; }
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then echo "removal left the agent running"; kill -9 "$pid"; exit 1; fi
[ ! -e /usr/sbin/devpassd ] || { echo "devpassd still installed"; exit 1; }
[ -d /run/devpass ] || { echo "removal dropped the state (only purge may)"; exit 1; }
dpkg -P devpass >"$work/dpkg-p.log" 2>&1 || { cat "$work/dpkg-p.log"; exit 1; }
[ ! -e /run/devpass ] || { echo "purge left /run/devpass"; exit 1; }
[ ! -e /etc/devpass ] || { echo "purge left /etc/devpass"; exit 1; }
[ ! -e /etc/systemd/system/multi-user.target.wants/devpassd.service ] ||
        { echo "purge left the unit enabled"; exit 1; }
echo OK
INNER
res=$(unshare -m --propagation private bash "$work/inside.sh" "$deb" "$work" 2>&1) ||
        dpt_fail "install/remove/purge: $res"
[[ $res == *OK ]] || dpt_fail "install/remove/purge: $res"
dpt_log "install, agent, remove and purge OK ($(($(date +%s) - t0)) s in all)"
echo "PASS"
