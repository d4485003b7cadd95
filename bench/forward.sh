#!/usr/bin/env bash
# Tunnels on loopback (issue 16), `ferry forward -L` beside `ssh -L` (aes128-gcm) and the target reached directly,
# in one run:
#  - throughput: one TCP stream, iperf3 against an iperf3 server on 127.0.0.1:P+2; ferry listens on P+3, ssh on P+4;
#    both directions (client → server, and -R: server → client), alternating twice;
#  - 100 concurrent echo connections: bench/node/load_client.js (100 connections, one 32-byte message in flight on
#    each) against bench/node/echo_server.js on P+5; ferry listens on P+6, ssh on P+7; aggregate messages/s, p50, p99,
#    alternating twice.
#   bench/forward.sh [--seconds N] [--port-base P] [--plaintext] [--only iperf|echo]
# Starts a throwaway sshd (temporary host and client keys, key login only) on P+1 and a ferry server on P
# (FERRY_HOME in a temporary folder, --allow-forward); stops everything at the end. Needs openssh-server, iperf3 and
# python3. Run from the repository root (it uses ./ferry).
set -euo pipefail
seconds=10
base=7130
plaintext=()
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --port-base) base="$2"; shift 2 ;;
    --plaintext) plaintext=(--plaintext); shift ;;
    --only) only="$2"; shift 2 ;;
    *) echo "usage: $0 [--seconds N] [--port-base P] [--plaintext] [--only iperf|echo]" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/ferry-forward-bench.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
sshd_bin="$(command -v sshd || echo /usr/sbin/sshd)"
[ -x "$sshd_bin" ] || { echo "bench: sshd is missing; apt-get install openssh-server" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "bench: iperf3 is missing; apt-get install iperf3" >&2; exit 1; }
command -v node >/dev/null || { echo "bench: node is missing; apt-get install nodejs" >&2; exit 1; }

wait_port() {
  for _ in $(seq 200); do
    # Listening, checked without connecting: a probe through a tunnel would reach iperf3 and upset its next test.
    [ -n "$(ss -Hltn "sport = :$1")" ] && return 0
    sleep 0.05
  done
  echo "bench: nothing listens on $1" >&2; exit 1
}

ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/client_key"
cp "$work/client_key.pub" "$work/authorized_keys"
cat > "$work/sshd_config" <<CONF
Port $((base + 1))
ListenAddress 127.0.0.1
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
PidFile $work/sshd.pid
CONF
mkdir -p /run/sshd
"$sshd_bin" -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
pids+=($!)

iperf3 -s -p $((base + 2)) >/dev/null 2>&1 &
pids+=($!)
node "$root/bench/node/echo_server.js" $((base + 5)) >/dev/null 2>&1 &
pids+=($!)

export FERRY_HOME="$work/ferry-home"
"$root/ferry" --version >/dev/null  # build once, before anything is timed
FERRY_NO_BUILD=1 "$root/ferry" serve "${plaintext[@]}" --allow-forward --listen "127.0.0.1:$base" >"$work/ferry.log" 2>&1 &
pids+=($!)
wait_port "$base"
wait_port $((base + 1))
wait_port $((base + 2))
wait_port $((base + 5))
FERRY_NO_BUILD=1 "$root/ferry" forward "127.0.0.1:$base" "${plaintext[@]}" -L "$((base + 3)):127.0.0.1:$((base + 2))" \
    -L "$((base + 6)):127.0.0.1:$((base + 5))" >"$work/forward.log" 2>&1 &
pids+=($!)
ssh -N -q -p $((base + 1)) -i "$work/client_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o Ciphers=aes128-gcm@openssh.com -o ExitOnForwardFailure=yes -L "$((base + 4)):127.0.0.1:$((base + 2))" \
    -L "$((base + 7)):127.0.0.1:$((base + 5))" root@127.0.0.1 &
pids+=($!)
for port in 3 4 6 7; do wait_port $((base + port)); done

run() { # label port [-R]
  local label="$1" port="$2"; shift 2
  iperf3 -c 127.0.0.1 -p "$port" -t "$seconds" -O 1 -J "$@" > "$work/run.json"
  python3 - "$label" "$work/run.json" "$*" <<'PY'
import json, sys
label, path, flags = sys.argv[1], sys.argv[2], sys.argv[3]
doc = json.load(open(path))
if "error" in doc:
    sys.exit(f"bench: {label}: iperf3: {doc['error']}")
end = doc["end"]
gbit = end["sum_received"]["bits_per_second"] / 1e9
cpu = end.get("cpu_utilization_percent", {})
way = "server → client" if "-R" in flags else "client → server"
print(f"| {label} | {way} | {gbit:.2f} Gbit/s | {gbit * 1e9 / 8 / 2**20:.0f} MiB/s |")
PY
}

echo_run() { # label port
  node "$root/bench/node/load_client.js" --port "$2" --connections 100 --size 32 --duration "$seconds" --warmup 1 > "$work/echo.json"
  python3 - "$1" "$work/echo.json" <<'PY'
import json, sys
label, path = sys.argv[1], sys.argv[2]
doc = json.load(open(path))
print(f"| {label} | {doc['messagesPerSecond']:,} | {doc['p50Micros'] / 1000:.2f} ms | {doc['p99Micros'] / 1000:.2f} ms | {doc['errors']} |")
PY
}

if [ "$only" != echo ]; then
  echo "one TCP stream through a tunnel, iperf3 -t $seconds ($(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "| path | direction | throughput | |"
  echo "|---|---|---|---|"
  for round in 1 2; do
    for way in "" "-R"; do
      run "direct" $((base + 2)) $way
      run "ferry forward -L${plaintext:+ (plaintext)}" $((base + 3)) $way
      run "ssh -L (aes128-gcm)" $((base + 4)) $way
    done
  done
fi
if [ "$only" != iperf ]; then
  echo "100 concurrent echo connections through a tunnel, 32-byte messages, one in flight each, $seconds s ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "| path | messages/s | p50 | p99 | errors |"
  echo "|---|---:|---:|---:|---:|"
  for round in 1 2; do
    echo_run "direct" $((base + 5))
    echo_run "ferry forward -L${plaintext:+ (plaintext)}" $((base + 6))
    echo_run "ssh -L (aes128-gcm)" $((base + 7))
  done
fi
