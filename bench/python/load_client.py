#!/usr/bin/env python3
"""Load client for any echo server with 4-byte little-endian length framing: N connections, one message in
flight on each, SIZE-byte messages, for DURATION seconds after a warm-up. One thread, epoll (selectors):
the fastest a pure-Python client gets. Prints one JSON object: messagesPerSecond, p50Micros, p99Micros.

    python3 load_client.py --port PORT [--connections 100] [--size 32] [--duration 10] [--warmup 1]
"""
import argparse
import json
import selectors
import socket
import struct
import sys
import time


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--connections", type=int, default=100)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--warmup", type=float, default=1)
    a = p.parse_args()

    message = struct.pack("<I", a.size) + bytes(range(256)) * (a.size // 256) + bytes(a.size % 256)
    frame_len = len(message)
    sel = selectors.DefaultSelector()
    state = {}
    for _ in range(a.connections):
        s = socket.create_connection((a.host, a.port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        state[s] = [0, time.perf_counter()]  # bytes of the reply received, send time
        sel.register(s, selectors.EVENT_READ)
        s.send(message)

    start = time.perf_counter()
    measure_from = start + a.warmup
    stop_at = measure_from + a.duration
    latencies = []
    count = 0
    errors = 0
    while True:
        now = time.perf_counter()
        if now >= stop_at:
            break
        for key, _ in sel.select(timeout=0.5):
            s = key.fileobj
            st = state[s]
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                errors += 1
                sel.unregister(s)
                continue
            if not data:
                errors += 1
                sel.unregister(s)
                continue
            st[0] += len(data)
            while st[0] >= frame_len:
                st[0] -= frame_len
                t = time.perf_counter()
                if t >= measure_from:
                    count += 1
                    latencies.append(t - st[1])
                st[1] = t
                s.send(message)
    elapsed = time.perf_counter() - max(measure_from, start)
    for s in state:
        s.close()
    latencies.sort()

    def pct(q):
        if not latencies:
            return 0.0
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e6, 1)

    print(json.dumps({
        "connections": a.connections, "size": a.size, "durationSeconds": round(elapsed, 3),
        "messages": count, "errors": errors, "messagesPerSecond": round(count / elapsed),
        "p50Micros": pct(0.50), "p99Micros": pct(0.99),
    }))
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
