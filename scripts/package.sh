#!/bin/bash
# Builds the Debian package from this tree (committed or not):
#   scripts/package.sh [--reuse] [OUTDIR]
# leaves OUTDIR/devpass_<version>_<arch>.deb and
# devpass-kubelet-plugin_<version>_<arch>.deb (default OUTDIR: build-deb).
# The tree is copied to OUTDIR/src first, since dpkg-buildpackage writes its
# results next to the source dir. --reuse keeps the previous build dir
# there, so that only what changed is compiled again.
set -euo pipefail

reuse=0
if [ "${1:-}" = --reuse ]; then
        reuse=1
        shift
fi
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/build-deb}" && cd "${1:-$root/build-deb}" && pwd)

for tool in dpkg-buildpackage dh; do
        command -v "$tool" >/dev/null || {
                echo "package.sh: $tool missing (apt-get install dpkg-dev debhelper)" >&2
                exit 1
        }
done

src=$out/src
if [ $reuse = 0 ]; then
        rm -rf "$src"
fi
mkdir -p "$src"
# files gone from the tree must not linger in the copy
find "$src" -mindepth 1 -path "$src/obj-*" -prune -o -path "$src/debian/.debhelper" -prune \
        -o -type f -print0 | xargs -0r rm -f
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
        tar --null -T - -cf -) | tar -C "$src" -xf -

rm -f "$out"/devpass_*.deb "$out"/devpass_*.buildinfo "$out"/devpass_*.changes \
        "$out"/devpass-dbgsym_*.deb "$out"/devpass-kubelet-plugin*_*.deb
flags=(-b -us -uc)
[ $reuse = 1 ] && flags+=(--no-pre-clean)
(cd "$src" && nice dpkg-buildpackage "${flags[@]}" -j"${DEVPASS_JOBS:-2}")
ls "$out"/devpass_*.deb
