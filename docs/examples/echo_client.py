#!/usr/bin/env python3
"""A Ferry echo client written only from docs/protocol.md and docs/security.md:
TLS 1.3 with a pinned certificate fingerprint, hello, the shared-key handshake, then one echo request.

usage: echo_client.py HOST PORT MESSAGE --key-file PATH (--fingerprint SHA256:HEX | --plaintext)
"""
import argparse, base64, hashlib, hmac, json, os, socket, ssl, struct, sys

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

def expect(sock, wanted):
    header, body = recv_frame(sock)
    if header["type"] == "error":
        sys.exit(f"error {header['code']}: {header['message']}")
    if header["type"] != wanted:
        sys.exit(f"expected {wanted}, got {header}")
    return header, body

def proof(key, label, server_nonce, client_nonce, binding):
    return hmac.new(key, label + server_nonce + client_nonce + binding, hashlib.sha256).digest()

args = argparse.ArgumentParser()
args.add_argument("host"); args.add_argument("port", type=int); args.add_argument("message")
args.add_argument("--key-file", required=True)
args.add_argument("--fingerprint"); args.add_argument("--plaintext", action="store_true")
opts = args.parse_args()
key = base64.b64decode(open(opts.key_file).read().strip())

sock = socket.create_connection((opts.host, opts.port))
binding = b""
if not opts.plaintext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # self-signed by design: the fingerprint is checked below, before any data
    sock = context.wrap_socket(sock, server_hostname=opts.host)
    binding = hashlib.sha256(sock.getpeercert(binary_form=True)).digest()
    if "SHA256:" + binding.hex() != (opts.fingerprint or "").lower().replace("sha256:", "SHA256:"):
        sys.exit(f"certificate SHA256:{binding.hex()} is not the expected {opts.fingerprint}")

with sock:
    send_frame(sock, {"type": "hello", "id": 1, "version": 1, "client": "echo_client.py"})
    hello, _ = expect(sock, "hello")
    if "key" in hello.get("auth", []):
        send_frame(sock, {"type": "auth.key.start", "id": 2})
        challenge, _ = expect(sock, "auth.key.challenge")
        server_nonce, client_nonce = base64.b64decode(challenge["nonce"]), os.urandom(32)
        mine = proof(key, b"ferry key v1 client proof\0", server_nonce, client_nonce, binding)
        send_frame(sock, {"type": "auth.key.proof", "id": 3,
                          "nonce": base64.b64encode(client_nonce).decode(), "proof": base64.b64encode(mine).decode()})
        ok, _ = expect(sock, "auth.ok")
        theirs = proof(key, b"ferry key v1 server proof\0", server_nonce, client_nonce, binding)
        if not hmac.compare_digest(theirs, base64.b64decode(ok["proof"])):
            sys.exit("the server could not prove it holds the key")
    send_frame(sock, {"type": "echo", "id": 4, "upper": True}, opts.message.encode("utf-8"))
    reply, body = expect(sock, "echo")
    print(body.decode("utf-8"))
