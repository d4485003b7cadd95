#!/usr/bin/env python3
"""Holds N idle connections to an echo server with 4-byte little-endian framing (one echo on each, so the
server has really taken it on), and reports the server's resident memory per connection, read from
/proc/PID/status before and while they are held. Prints one JSON object.

    python3 hold_conns.py --port PORT --server-pid PID [--count 10000] [--hold 5]
"""
import argparse
import json
import resource
import socket
import struct
import sys
import time


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--server-pid", type=int, required=True)
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--hold", type=float, default=5)
    a = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < a.count + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, a.count + 64), hard))
    message = struct.pack("<I", 8) + b"keepaliv"
    before = rss(a.server_pid)
    sockets, failed = [], 0
    for _ in range(a.count):
        try:
            s = socket.create_connection((a.host, a.port), timeout=10)
            s.sendall(message)
            sockets.append(s)
        except OSError:
            failed += 1
    for s in sockets:  # every reply back: each connection has its server thread running
        got = 0
        while got < len(message):
            chunk = s.recv(len(message) - got)
            if not chunk:
                break
            got += len(chunk)
    peak = rss(a.server_pid)
    end = time.monotonic() + a.hold
    while time.monotonic() < end:
        time.sleep(0.5)
        peak = max(peak, rss(a.server_pid))
    for s in sockets:
        s.close()
    held = len(sockets)
    print(json.dumps({"established": held, "failed": failed, "serverRssBeforeBytes": before, "serverRssPeakBytes": peak,
                      "bytesPerConnection": round((peak - before) / held) if held else None}))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
