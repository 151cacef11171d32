#!/usr/bin/python3
"""Manual access to a VM lab guest for debugging a check.

  vmctl.py boot WORK SHARE [v2|hybrid]   boot and stay up until Ctrl-C
  vmctl.py sh WORK 'SCRIPT'              run SCRIPT in the guest
  vmctl.py qmp WORK COMMAND ['JSON']     send a QMP command
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import QGA, QMP  # noqa: E402
from vm import VM  # noqa: E402


def main():
    verb, work = sys.argv[1], sys.argv[2]
    if verb == "boot":
        image = os.popen(os.path.join(os.path.dirname(__file__), "build-image.sh")).read().strip()
        mode = sys.argv[4] if len(sys.argv) > 4 else "v2"
        vm = VM(image, work, sys.argv[3], mode, print)
        try:
            vm.start()
            vm.qga.close()
            vm.qmp.close()
            vm.qmp = None
            print("up", flush=True)
            while vm.proc.poll() is None:
                time.sleep(1)
        finally:
            vm.kill()
    elif verb == "sh":
        qga = QGA(os.path.join(work, "qga.sock"), 10)
        code, out, err = qga.sh(sys.argv[3], timeout=300)
        sys.stdout.write(out)
        sys.stderr.write(err)
        sys.exit(code)
    elif verb == "qmp":
        qmp = QMP(os.path.join(work, "qmp.sock"))
        args = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
        print(json.dumps(qmp.cmd(sys.argv[3], **args)))


main()
