#!/bin/bash
# Sets up, builds and runs the whole devpass test suite, as CI does:
#   1. -Wall -Wextra -Werror build, every ctest suite (unit, umockdev,
#      privileged, e2e) — the privileged and e2e suites need root;
#   2. the VM lab (tests/vm): the Debian package, installed in a real
#      systemd guest with real USB, input, DRM and NIC drivers, pure
#      cgroup v2 and hybrid;
#   3. valgrind memcheck over the unit suite, discovery under umockdev and
#      devpassctl-local's read-only verbs;
#   4. the same tests again under AddressSanitizer + UBSan;
#   5. each libFuzzer target for a bounded time (clang).
# Usage: scripts/test.sh [--quick]   (--quick: step 1 only)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=$(nproc)
FUZZ_SECONDS=${FUZZ_SECONDS:-30}

bash scripts/setup-deps.sh

step() { printf '\n==== %s ====\n' "$*"; }

step "build (gcc, -Werror)"
cmake -S . -B build-ci -DDEVPASS_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-ci -j"$JOBS"
# The benchmarks are not tests, but they must keep building.
cmake --build build-ci -j"$JOBS" --target benchmarks

step "clang-format check"
if [ -z "${SKIP_FORMAT:-}" ] && command -v clang-format >/dev/null; then
        git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror
fi

step "tests"
# Suites that touch the kernel share namespaces, cgroups and uevents with
# each other, so they run one at a time. A suite that fails is run once
# more (ctest prints both runs): the kernel-level suites race real uevents
# and real daemons, and a second failure is what fails CI.
ctest --test-dir build-ci --output-on-failure -L unit -j"$JOBS"
ctest --test-dir build-ci --output-on-failure -LE unit -j1 --repeat until-pass:2
[ "${1:-}" = "--quick" ] && exit 0

step "VM lab (tests/vm: Debian 12 guest under QEMU, systemd, cgroup v2 and hybrid)"
# Alone: TCG keeps every core busy. Exit 77 only when QEMU cannot start.
# The guest installs the Debian package (built by the e2e-package test; built
# here if that test did not leave one), so it checks what users install.
deb=$(ls build-ci/package/devpass_*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
        scripts/package.sh --reuse build-ci/package >build-ci/package.log 2>&1 ||
                { tail -n 40 build-ci/package.log; exit 1; }
        deb=$(ls build-ci/package/devpass_*.deb | head -1)
fi
rc=0
python3 tests/vm/run-vm.py --deb "$deb" build-ci || rc=$?
if [ "$rc" = 77 ]; then
        echo "VM lab skipped (see the reason above)"
elif [ "$rc" != 0 ]; then
        exit "$rc"
fi

step "valgrind memcheck (unit, discovery, devpassctl-local, privileged suites it can run)"
ctest --test-dir build-ci --output-on-failure -L unit -T memcheck -j"$JOBS"
bash tests/valgrind-programs.sh build-ci

step "ASan + UBSan"
cmake -S . -B build-asan -DDEVPASS_SANITIZE=ON -DDEVPASS_WERROR=ON \
        -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$JOBS"
export ASAN_OPTIONS=detect_leaks=1:verify_asan_link_order=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$ROOT/tests/lsan.supp:print_suppressions=0
ctest --test-dir build-asan --output-on-failure -L unit -j"$JOBS"
ctest --test-dir build-asan --output-on-failure -LE unit -j1 --repeat until-pass:2
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

step "fuzz (${FUZZ_SECONDS}s per target)"
CC=clang cmake -S . -B build-fuzz -DDEVPASS_FUZZ=ON -DDEVPASS_TESTS=ON \
        -DCMAKE_BUILD_TYPE=Debug >/dev/null
targets=$(cd tests/fuzz && ls fuzz-*.c | sed 's/\.c$//')
# shellcheck disable=SC2086
cmake --build build-fuzz -j"$JOBS" --target $targets
bash tests/fuzz/run-fuzzers.sh "$ROOT/build-fuzz" "$FUZZ_SECONDS"

step "all suites passed"
