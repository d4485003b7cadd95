#!/usr/bin/env bash
# Keystroke echo latency in a terminal session, ferry beside OpenSSH, in one run on loopback:
# a byte to the remote `cat` (raw, no echo) and back, p50/p99 (bench/pty/echo_latency.py), the clients taken in turn
# byte by byte so that all of them see the same load: ferry over TLS, ferry --plaintext, ssh -tt (aes128-gcm).
#   bench/pty-latency.sh [--count N] [--rounds R] [--port-base P]
# Starts a throwaway sshd (temporary host key and client key, root allowed, key login only) on P+1 and ferry
# servers on P (TLS) and P+2 (plaintext) (FERRY_HOME in a temporary folder); stops them at the end. Needs
# openssh-server (apt-get install openssh-server) and python3. Run from the repository root (it uses ./ferry).
set -euo pipefail
count=1000
rounds=2
base=7120
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --port-base) base="$2"; shift 2 ;;
    *) echo "usage: $0 [--count N] [--rounds R] [--port-base P]" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/ferry-pty-bench.XXXXXX)"
sshd_pid="" ferry_pid="" plain_pid=""
cleanup() {
  [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null || true
  [ -n "$ferry_pid" ] && kill "$ferry_pid" 2>/dev/null || true
  [ -n "$plain_pid" ] && kill "$plain_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
sshd_bin="$(command -v sshd || echo /usr/sbin/sshd)"
[ -x "$sshd_bin" ] || { echo "bench: sshd is missing; apt-get install openssh-server" >&2; exit 1; }

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
PidFile $work/sshd.pid
CONF
mkdir -p /run/sshd
"$sshd_bin" -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
sshd_pid=$!

export FERRY_HOME="$work/ferry-home"
"$root/ferry" --version >/dev/null  # build once, before anything is timed
FERRY_NO_BUILD=1 "$root/ferry" serve --allow-exec --listen "127.0.0.1:$base" >"$work/ferry.log" 2>&1 &
ferry_pid=$!
for _ in $(seq 100); do
  grep -q "$base" "$work/ferry.log" 2>/dev/null && [ -f "$FERRY_HOME/key" ] && break
  sleep 0.1
done
FERRY_NO_BUILD=1 "$root/ferry" serve --allow-exec --plaintext --listen "127.0.0.1:$((base + 2))" >"$work/plain.log" 2>&1 &
plain_pid=$!
for _ in $(seq 100); do
  grep -q "$((base + 2))" "$work/plain.log" 2>/dev/null && break
  sleep 0.1
done

remote='stty raw -echo; exec cat'
ssh_cmd=(ssh -tt -q -p $((base + 1)) -i "$work/client_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
         -o Ciphers=aes128-gcm@openssh.com root@127.0.0.1 "$remote")
ferry_cmd=(env FERRY_NO_BUILD=1 "$root/ferry" exec -t "127.0.0.1:$base" -- "$remote")
plain_cmd=(env FERRY_NO_BUILD=1 "$root/ferry" exec -t --plaintext "127.0.0.1:$((base + 2))" -- "$remote")
echo "keystroke echo latency, $count bytes to each client per round, clients in turn ($(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg))"
for round in $(seq "$rounds"); do
  echo "round $round"
  python3 "$root/bench/pty/echo_latency.py" --count "$count" "ferry -t" -- "${ferry_cmd[@]}" ';;' \
    "ferry -t plain" -- "${plain_cmd[@]}" ';;' "ssh -tt" -- "${ssh_cmd[@]}"
done
