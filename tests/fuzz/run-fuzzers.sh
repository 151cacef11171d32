#!/bin/bash
# Runs every built fuzz-* binary in BUILD_DIR for SECONDS each, starting from
# a scratch copy of its seed corpus (tests/fuzz/corpus/<name without fuzz->)
# so that new inputs do not land in the source tree. Exits non-zero when any
# target crashes, leaks or times out; crash inputs are kept in
# BUILD_DIR/fuzz-artifacts/.
set -u

if [ $# -ne 2 ]; then
        echo "usage: $0 BUILD_DIR SECONDS" >&2
        exit 2
fi
build=$(cd "$1" && pwd) || exit 2
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/dpt-fuzz.XXXXXX) || exit 1
trap 'rm -rf -- "$work"' EXIT
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"

mapfile -t bins < <(find "$build" -type f -name 'fuzz-*' -perm -u+x | sort)
if [ ${#bins[@]} -eq 0 ]; then
        echo "no fuzz-* binaries in $build (configure with CC=clang -DDEVPASS_FUZZ=ON)" >&2
        exit 1
fi

failed=0
for bin in "${bins[@]}"; do
        name=$(basename "$bin")
        corpus="$work/${name#fuzz-}"
        mkdir -p "$corpus"
        if [ -d "$here/corpus/${name#fuzz-}" ]; then
                cp -r "$here/corpus/${name#fuzz-}/." "$corpus/"
        fi
        echo "== $name: ${seconds}s"
        if ! "$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
                -artifact_prefix="$artifacts/$name-" "$corpus" \
                >"$work/$name.log" 2>&1; then
                echo "FAIL: $name" >&2
                tail -n 40 "$work/$name.log" >&2
                failed=1
        else
                grep -E '^(Done|#[0-9]+ +DONE)' "$work/$name.log" | tail -n 1
        fi
done
exit $failed
