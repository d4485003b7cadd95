#!/usr/bin/env bash
# bench/files/compare.sh — file transfer throughput on loopback, tmpfs -> tmpfs, every contender in ONE run:
#
#   bench/files/compare.sh [SIZE_BYTES] [ROUNDS]       (defaults: 1 GiB, 3 rounds; FERRY=path/to/ferry to use a prebuilt CLI)
#
#   ferry put / get, plaintext and TLS   (`ferry bench put|get --file`: SHA-256 on both ends, .part + rename, verified)
#   nc piping the file into a tmpfs file, and into /dev/null (no hashing, no verification: the floor)
#   scp upload and download (aes128-gcm@openssh.com, its fastest cipher here) to a throwaway sshd
#   the course-style Python upload (one sendall per line, bench/python/upload_*.py)
#
# Before EACH transfer the script writes and deletes a 3 GiB scratch file on /dev/shm. On this VM, memory the
# guest has not touched lately costs the host a page fault on first write, and a transfer into tmpfs that gets
# such pages runs at roughly half speed (measured: nc into tmpfs 470-570 MB/s cold vs 930-1110 MB/s warm). Warming
# the same way before every contender keeps the comparison fair. Prints each round and the medians.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/../.."
ferry="${FERRY:-$root/ferry}"
size="${1:-1073741824}"
rounds="${2:-3}"

need=()
command -v nc >/dev/null 2>&1 || need+=(netcat-openbsd)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v scp >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { echo "compare.sh: could not install ${need[*]} (run as root or with sudo)" >&2; exit 1; }
fi
"$ferry" --version >/dev/null || { echo "compare.sh: building ferry failed" >&2; exit 1; }

work="$(mktemp -d /dev/shm/ferry-files.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM
mkdir -p "$work/data" "$work/root" "$work/local" "$work/ssh"

now() { date +%s.%N; }
rate() { awk -v b="$size" -v s="$1" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
listening() { grep -qi "$(printf ':%04X 00000000:0000 0A' "$1")" /proc/net/tcp; }
warm() { dd if=/dev/zero of="$work/warm" bs=1M count=3072 status=none; rm -f "$work/warm"; }
start_ferry() { # $1 = log file, rest = serve options; sets $addr to host:port (no subshell, so the pid is kept for cleanup)
  "$ferry" serve -l 127.0.0.1:0 --data "$work/data" --root "$work/root" "${@:2}" >"$1" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -aq listening "$1" && break; sleep 0.1; done
  addr="$(grep -ao '127.0.0.1:[0-9]*' "$1" | head -n 1)"
}
start_ferry "$work/plain.log" --plaintext; plain="$addr"
start_ferry "$work/tls.log"; tls="$addr"
[ -n "$plain" ] && [ -n "$tls" ] || { cat "$work/plain.log" "$work/tls.log" >&2; exit 1; }
ferry_rate() { # $1 = put|get, $2 = target, rest = options
  "$ferry" bench "$1" "$2" --key-file "$work/data/key" --file "$work/src.bin" --dir "$work/local" --json "${@:3}" \
    | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["megabytesPerSecond"]))' 2>/dev/null || echo error
}
nc_rate() { # $1 = destination; seconds from the first byte sent to the last byte written
  local port listener start
  port="$(free_port)"
  nc -l 127.0.0.1 "$port" >"$1" & listener=$!
  for _ in $(seq 100); do listening "$port" && break; sleep 0.02; done
  start="$(now)"
  nc -N 127.0.0.1 "$port" <"$work/src.bin"
  wait "$listener"
  rate "$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')"
}

# A throwaway sshd: own port, keys and config; the machine's ssh set-up is never read or touched.
ssh_port="$(free_port)"; cipher="aes128-gcm@openssh.com"
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/host_key" >/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/id" >/dev/null
cp "$work/ssh/id.pub" "$work/ssh/authorized_keys"; chmod 700 "$work/ssh"
cat >"$work/ssh/sshd_config" <<EOF
Port $ssh_port
ListenAddress 127.0.0.1
HostKey $work/ssh/host_key
AuthorizedKeysFile $work/ssh/authorized_keys
PidFile $work/ssh/sshd.pid
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin yes
Ciphers $cipher
Subsystem sftp internal-sftp
LogLevel ERROR
EOF
[ "$(id -u)" = 0 ] && [ ! -d /run/sshd ] && mkdir -p /run/sshd && chmod 755 /run/sshd
/usr/sbin/sshd -D -e -f "$work/ssh/sshd_config" 2>"$work/ssh/sshd.log" & pids+=($!)
for _ in $(seq 100); do listening "$ssh_port" && break; sleep 0.05; done
ssh_opts=(-F /dev/null -i "$work/ssh/id" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o Ciphers="$cipher" -o LogLevel=ERROR -P "$ssh_port")
user="$(id -un)"
scp_rate() { # $1 = from, $2 = to
  local start; start="$(now)"
  timeout 300 scp -q "${ssh_opts[@]}" "$1" "$2" || { echo error; return; }
  rate "$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')"
}
py_rate() {
  local port_file="$work/py.port" p
  python3 "$root/bench/python/upload_server.py" --out "$work/py.out" >"$port_file" 2>/dev/null & local server=$!
  for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.05; done
  p="$(head -n 1 "$port_file")"
  timeout 600 python3 "$root/bench/python/upload_client.py" --port "$p" --file "$work/src.bin" 2>/dev/null \
    | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["megabytesPerSecond"]))' 2>/dev/null || echo error
  wait "$server" 2>/dev/null; rm -f "$work/py.out" "$port_file"
}

head -c "$size" /dev/urandom >"$work/src.bin"
# Warm-up (not counted): a fresh server's first transfer is mostly the JIT.
for t in "$plain" "$tls"; do
  flag=(); [ "$t" = "$plain" ] && flag=(--plaintext)
  "$ferry" bench put "$t" "${flag[@]}" --key-file "$work/data/key" --size 67108864 --dir "$work/local" --json >/dev/null
  "$ferry" bench get "$t" "${flag[@]}" --key-file "$work/data/key" --size 67108864 --dir "$work/local" --json >/dev/null
done

echo "size: $size bytes, $rounds rounds, $(nproc) cores, $(date -u +%FT%TZ); MB/s (10^6 bytes/s)"
cols=(put get nc-file nc-null put-tls get-tls scp-up scp-down py-lines)
printf '%-6s' round; printf ' %9s' "${cols[@]}"; echo
declare -A all
for r in $(seq 1 "$rounds"); do
  warm; v[0]="$(ferry_rate put "$plain" --plaintext)"
  warm; v[1]="$(ferry_rate get "$plain" --plaintext)"
  warm; v[2]="$(nc_rate "$work/nc.out")"; rm -f "$work/nc.out"
  warm; v[3]="$(nc_rate /dev/null)"
  warm; v[4]="$(ferry_rate put "$tls")"
  warm; v[5]="$(ferry_rate get "$tls")"
  warm; v[6]="$(scp_rate "$work/src.bin" "$user@127.0.0.1:$work/scp.out")"; rm -f "$work/scp.out"
  warm; v[7]="$(scp_rate "$user@127.0.0.1:$work/src.bin" "$work/scp.in")"; rm -f "$work/scp.in"
  warm; v[8]="$(py_rate)"
  printf '%-6s' "$r"; printf ' %9s' "${v[@]}"; echo
  for i in "${!cols[@]}"; do all[${cols[$i]}]+="${v[$i]} "; done
done
median() { printf '%s\n' $1 | grep -v error | sort -n | awk '{a[NR]=$1} END { if (NR) print a[int((NR+1)/2)]; else print "error" }'; }
printf '%-6s' median; for c in "${cols[@]}"; do printf ' %9s' "$(median "${all[$c]}")"; done; echo
python3 - "${all[put]}" "${all[get]}" "${all[nc-file]}" "${all[put-tls]}" "${all[get-tls]}" "${all[scp-up]}" "${all[scp-down]}" <<'EOF'
import sys
cols = [[float(x) if x != "error" else None for x in a.split()] for a in sys.argv[1:]]
put, get, nc, puttls, gettls, scpup, scpdown = cols
def ratios(a, b): return [round(x / y, 2) for x, y in zip(a, b) if x and y]
def med(xs): xs = sorted(xs); return xs[(len(xs) - 1) // 2] if xs else None
for name, a, b in [("put / nc-file", put, nc), ("get / nc-file", get, nc), ("put-tls / scp-up", puttls, scpup), ("get-tls / scp-down", gettls, scpdown)]:
    r = ratios(a, b)
    print(f"{name:18} per round {r}  median {med(r)}")
EOF
