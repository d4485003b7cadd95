#!/usr/bin/env python3
"""The course-style upload: the server reads the connection line by line and writes each line to a file.
Serves one upload, prints the bytes it wrote, and exits. Prints its port first.

    python3 upload_server.py --out PATH [--port 0]
"""
import argparse
import socket
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    with socket.create_server(("127.0.0.1", a.port)) as listener:
        print(listener.getsockname()[1], flush=True)
        conn, _ = listener.accept()
        written = 0
        with conn, conn.makefile("rb") as lines, open(a.out, "wb") as out:
            for line in lines:
                out.write(line)
                written += len(line)
        print(written, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
