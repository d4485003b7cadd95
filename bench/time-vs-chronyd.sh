#!/usr/bin/env bash
# Ferry's SNTP server against chronyd serving on the same machine, in the same run, on loopback:
# answers per second with 32 requests in flight and the spread of measured offsets (docs/performance.md).
# chronyd runs with -x (never touches the clock) from a throwaway config in a temp folder.
# Usage: bench/time-vs-chronyd.sh [SECONDS-PER-RUN] [ROUNDS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-5}"
rounds="${2:-3}"
chronyd="$(command -v chronyd || echo /usr/sbin/chronyd)"
[ -x "$chronyd" ] || { echo "chronyd is missing: apt-get install chrony (or tests/install-peers.sh)" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ferry_port="$(free_port)"; chrony_port="$(free_port)"
tmp="$(mktemp -d)"; chmod 777 "$tmp"
"$root/ferry" --version >/dev/null
cleanup() {
  [ -n "${ferry_pid:-}" ] && kill "$ferry_pid" 2>/dev/null || true
  [ -n "${chrony_pid:-}" ] && kill "$chrony_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
"$root/ferry" serve --plaintext --listen 127.0.0.1:0 --data "$tmp/ferry" --ntp "127.0.0.1:$ferry_port" >"$tmp/ferry.log" 2>&1 &
ferry_pid=$!
cat >"$tmp/chrony.conf" <<CONF
port $chrony_port
bindaddress 127.0.0.1
allow 127.0.0.1
local stratum 10
cmdport 0
pidfile $tmp/chronyd.pid
driftfile $tmp/drift
CONF
"$chronyd" -x -n -f "$tmp/chrony.conf" >"$tmp/chrony.log" 2>&1 &
chrony_pid=$!
for _ in $(seq 50); do grep -q "SNTP server listening" "$tmp/ferry.log" 2>/dev/null && break; sleep 0.2; done
for round in $(seq "$rounds"); do
  for which in ferry chronyd; do
    port=$ferry_port; [ "$which" = chronyd ] && port=$chrony_port
    printf '%s round %s: ' "$which" "$round"
    "$root/ferry" bench time "127.0.0.1:$port" --inflight 32 --duration "$seconds" --json
  done
done
