#!/usr/bin/env python3
# A container runtime that has wedged: it listens on each unix socket given,
# accepts every connection, reads what comes and never answers. Each accepted
# connection is counted in COUNT_FILE (rewritten on every accept), and kept
# open until the peer goes away.
# Usage: runtime-hang.py COUNT_FILE SOCKET...
import os
import selectors
import socket
import sys

count_file, paths = sys.argv[1], sys.argv[2:]
sel = selectors.DefaultSelector()
for p in paths:
    try:
        os.unlink(p)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(p)
    s.listen(64)
    sel.register(s, selectors.EVENT_READ, "listen")
accepted = 0
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if key.data == "listen":
            c, _ = s.accept()
            sel.register(c, selectors.EVENT_READ, "conn")
            accepted += 1
            with open(count_file + ".tmp", "w") as f:
                f.write("%d\n" % accepted)
            os.replace(count_file + ".tmp", count_file)
        else:
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                s.close()
