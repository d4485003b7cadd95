#!/usr/bin/env python3
"""A Ferry echo client written only from docs/protocol.md: hello, then one echo request.

usage: echo_client.py HOST PORT MESSAGE
"""
import json, socket, struct, sys

def send_frame(sock, header, body=b""):
    if body:
        header["size"] = len(body)
    data = json.dumps(header).encode("utf-8")
    sock.sendall(struct.pack("<i", len(data)) + data + body)

def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("server closed the connection")
        buf += chunk
    return buf

def recv_frame(sock):
    (length,) = struct.unpack("<i", recv_exact(sock, 4))
    header = json.loads(recv_exact(sock, length).decode("utf-8"))
    return header, recv_exact(sock, header.get("size", 0))

host, port, message = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode("utf-8")
with socket.create_connection((host, port)) as sock:
    send_frame(sock, {"type": "hello", "id": 1, "version": 1, "client": "echo_client.py"})
    hello, _ = recv_frame(sock)
    if hello["type"] == "error" or hello.get("auth"):
        sys.exit(f"handshake refused or needs auth: {hello}")
    send_frame(sock, {"type": "echo", "id": 2, "upper": True}, message)
    reply, body = recv_frame(sock)
    if reply["type"] == "error":
        sys.exit(f"error {reply['code']}: {reply['message']}")
    print(body.decode("utf-8"))
