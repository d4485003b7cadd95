#!/usr/bin/env bash
# Keystroke echo latency in a terminal session, ferry beside OpenSSH, in one run on loopback:
# a byte to the remote `cat` (raw, no echo) and back, p50/p99 (bench/pty/echo_latency.py).
#   bench/pty-latency.sh [--count N] [--port-base P]
# Starts a throwaway sshd (temporary host key and client key, root allowed, key login only) on P+1 and a ferry
# server on P (FERRY_HOME in a temporary folder); stops both at the end. Needs openssh-server (apt-get install
# openssh-server) and python3. Run from the repository root (it uses ./ferry).
set -euo pipefail
count=1000
base=7120
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count="$2"; shift 2 ;;
    --port-base) base="$2"; shift 2 ;;
    *) echo "usage: $0 [--count N] [--port-base P]" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/ferry-pty-bench.XXXXXX)"
sshd_pid="" ferry_pid=""
cleanup() {
  [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null || true
  [ -n "$ferry_pid" ] && kill "$ferry_pid" 2>/dev/null || true
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

remote='stty raw -echo; exec cat'
ssh_cmd=(ssh -tt -q -p $((base + 1)) -i "$work/client_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
         -o Ciphers=aes128-gcm@openssh.com root@127.0.0.1 "$remote")
ferry_cmd=(env FERRY_NO_BUILD=1 "$root/ferry" exec -t "127.0.0.1:$base" -- "$remote")
echo "keystroke echo latency, $count bytes each, one at a time ($(nproc) cores, $(uname -r))"
python3 "$root/bench/pty/echo_latency.py" --label "ferry -t" --count "$count" -- "${ferry_cmd[@]}"
python3 "$root/bench/pty/echo_latency.py" --label "ssh -t" --count "$count" -- "${ssh_cmd[@]}"
python3 "$root/bench/pty/echo_latency.py" --label "ferry -t" --count "$count" -- "${ferry_cmd[@]}"
python3 "$root/bench/pty/echo_latency.py" --label "ssh -t" --count "$count" -- "${ssh_cmd[@]}"
