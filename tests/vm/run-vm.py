#!/usr/bin/python3
"""The VM lab tier: proves devpass on a real systemd host with real drivers.

  run-vm.py BUILD_DIR [--deb PACKAGE] [--mode v2|hybrid|both] [--only CHECK,...]

Builds (or reuses) the guest image, puts the Debian package (--deb, what CI
tests) or else BUILD_DIR's `cmake --install` into a 9p share, which the
guest installs (`apt install`) before its checks, boots the guest once per cgroup mode with -snapshot, runs every check of
that mode inside the one boot, powers off.  QEMU is killed on any failure
or signal.  Exit 0: all passed, 1: a check failed, 77: QEMU cannot start.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import checks  # noqa: E402
from vm import VM, SkipVM  # noqa: E402


def log(msg):
    print("vm: " + msg, flush=True)


def make_share(build, share, stamp, deb):
    os.makedirs(share)
    if deb:
        # the package alone: nothing of the build tree reaches the guest
        shutil.copy(deb, os.path.join(share, "devpass.deb"))
    else:
        env = dict(os.environ, DESTDIR=os.path.join(share, "stage"))
        subprocess.run(["cmake", "--install", build], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    shutil.copytree(os.path.join(HERE, "guest"), os.path.join(share, "guest"))
    if stamp:
        shutil.copy(stamp, os.path.join(share, "vm-stamp"))


def prune_images(image):
    """Removes the cache's images of earlier recipes (hash-named siblings)."""
    cache = os.path.dirname(image)
    for name in os.listdir(cache):
        path = os.path.join(cache, name)
        if (path != image and len(name) == 16 and os.path.isdir(path) and
                all(c in "0123456789abcdef" for c in name)):
            shutil.rmtree(path, ignore_errors=True)


def run_mode(image, share, work, mode, only, bench):
    vm = VM(image, work, share, mode, log)
    results = []
    lab = None
    try:
        vm.start()
        lab = checks.Lab(vm, work, log)
        lab.setup()
        todo = checks.for_mode(mode)
        if bench:
            import benchvm
            todo = [t for t in todo if t[0] in (only or {"service"}) | {"service"}]
            todo.append(("bench", lambda lab: benchvm.check_bench(lab, bench)))
        for name, fn in todo:
            if only and name not in only and name not in ("service", "bench"):
                continue
            t0 = time.monotonic()
            try:
                note = fn(lab) or ""
                results.append((mode, name, "PASS", time.monotonic() - t0, note))
            except Exception as e:  # one check failing does not stop the rest
                detail = "".join(traceback.format_exception_only(type(e), e)).strip()
                results.append((mode, name, "FAIL", time.monotonic() - t0, detail))
                lab.dump_journal()
            log("%s %s/%s (%.1f s) %s" % (results[-1][2], mode, name,
                                          results[-1][3], results[-1][4]))
    finally:
        if lab:
            try:
                lab.teardown()
            except Exception as e:
                log("teardown: %s" % e)
        vm.stop()
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--deb", default="",
                    help="the devpass_*.deb to install in the guest instead of BUILD_DIR")
    ap.add_argument("--mode", default="both", choices=["v2", "hybrid", "both"])
    ap.add_argument("--only", default="")
    ap.add_argument("--bench", type=int, default=0,
                    help="instead of the checks: N keyboard plugs timed (bench/bench-vm.sh)")
    ap.add_argument("--stamp", default="", help="the vm-stamp program, for --bench")
    a = ap.parse_args()
    only = set(filter(None, a.only.split(",")))
    t0 = time.monotonic()

    def on_signal(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, on_signal)

    if not shutil.which("qemu-system-x86_64"):
        print("SKIP: qemu-system-x86_64 is not installed", flush=True)
        return 77
    image = subprocess.run([os.path.join(HERE, "build-image.sh")], check=True,
                           stdout=subprocess.PIPE, text=True).stdout.strip()
    log("image %s (%.0f s)" % (image, time.monotonic() - t0))
    prune_images(image)
    tmp = tempfile.mkdtemp(prefix="devpass-vm.")
    results = []
    try:
        share = os.path.join(tmp, "share")
        make_share(a.build, share, a.stamp, a.deb)
        modes = ["v2", "hybrid"] if a.mode == "both" else [a.mode]
        for mode in modes:
            work = os.path.join(tmp, mode)
            os.mkdir(work)
            try:
                results += run_mode(image, share, work, mode, only, a.bench)
            except SkipVM as e:
                print("SKIP: %s" % e, flush=True)
                return 77
            except Exception as e:
                results.append((mode, "boot", "FAIL", 0, str(e)))
                log("boot or setup failed: %s" % e)
                serial = os.path.join(work, "serial.log")
                if os.path.exists(serial):
                    with open(serial, errors="replace") as f:
                        sys.stdout.write(f.read()[-3000:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("\n%-7s %-22s %-5s %7s  %s" % ("mode", "check", "", "seconds", "note"))
    for mode, name, res, secs, note in results:
        print("%-7s %-22s %-5s %7.1f  %s" % (mode, name, res, secs, note.splitlines()[0] if note else ""))
    failed = [r for r in results if r[2] != "PASS"]
    print("vm tier: %d checks, %d failed, %.0f s wall"
          % (len(results), len(failed), time.monotonic() - t0), flush=True)
    return 1 if failed or not results else 0


sys.exit(main())
