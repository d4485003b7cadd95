#!/usr/bin/env python3
"""The course-style upload client: opens the file and sends it line by line (one sendall per line).
Prints one JSON object with the bytes sent and MB/s (from first byte to the server's close).

    python3 upload_client.py --port PORT --file PATH
"""
import argparse
import json
import socket
import sys
import time


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--file", required=True)
    a = p.parse_args()
    sent = 0
    start = time.perf_counter()
    with socket.create_connection((a.host, a.port)) as s, open(a.file, "rb") as f:
        for line in f:
            s.sendall(line)
            sent += len(line)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)  # the server closes once everything is written
    elapsed = time.perf_counter() - start
    print(json.dumps({"bytes": sent, "seconds": round(elapsed, 3), "megabytesPerSecond": round(sent / elapsed / 1e6, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
