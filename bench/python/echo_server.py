#!/usr/bin/env python3
"""The course-style design: socketserver.ThreadingTCPServer, one thread per connection, each message
framed by a 4-byte little-endian length. Prints the port it listens on, then serves until killed.

    python3 echo_server.py [--port 0]
"""
import argparse
import socketserver
import struct
import sys

MAX_MESSAGE = 16 * 1024 * 1024


def recv_exact(sock, n):
    parts = []
    while n:
        chunk = sock.recv(n)
        if not chunk:
            return None
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            self.serve(self.request)
        except OSError:
            pass  # the peer reset the connection: that is how load clients hang up

    def serve(self, sock):
        while True:
            prefix = recv_exact(sock, 4)
            if prefix is None:
                return
            (length,) = struct.unpack("<I", prefix)
            if length > MAX_MESSAGE:
                return
            body = recv_exact(sock, length) if length else b""
            if body is None:
                return
            sock.sendall(prefix + body)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with Server(("127.0.0.1", args.port), EchoHandler) as server:
        print(server.server_address[1], flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
