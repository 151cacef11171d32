#!/bin/bash
# Installs everything devpass needs to build, test and run its demo on
# Debian 12. Idempotent; run as root.
set -euo pipefail

PKGS=(
        build-essential cmake pkg-config clang libclang-rt-14-dev clang-format
        libudev-dev libevdev-dev libdrm-dev libusb-1.0-0-dev
        libnl-3-dev libnl-route-3-dev libjson-c-dev
        libcmocka-dev umockdev libumockdev-dev libmicrohttpd-dev
        prometheus curl
        lxc lxc-dev lxc-templates busybox-static udev iproute2 util-linux
        valgrind kmod procps scdoc bash-completion
        dpkg-dev debhelper lintian libsystemd-dev
        docker.io podman runc lxd systemd-container uidmap
        libgrpc-dev libprotobuf-c-dev protobuf-c-compiler libcurl4-openssl-dev
        python3-grpcio python3-grpc-tools
        qemu-system-x86 mmdebstrap e2fsprogs python3
)

if [ "$(id -u)" -ne 0 ]; then
        echo "setup-deps.sh: must run as root (apt-get)" >&2
        exit 1
fi
missing=()
for p in "${PKGS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
                missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
