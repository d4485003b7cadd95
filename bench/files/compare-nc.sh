#!/usr/bin/env bash
# File transfer throughput on loopback, tmpfs -> tmpfs, measured in one run so the ratios are fair:
#   ferry bench put / get  (plaintext: SHA-256 on both ends, .part + rename, verified)
#   nc piping the same size of file into a file on tmpfs, and into /dev/null
# Usage: bench/files/compare-nc.sh [SIZE_BYTES] [ROUNDS]   (FERRY=path/to/ferry to use a prebuilt CLI)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ferry="${FERRY:-$here/../../ferry}"
size="${1:-1073741824}"
rounds="${2:-3}"
command -v nc >/dev/null || { echo "nc (netcat-openbsd) is required: .ci/install-deps" >&2; exit 1; }
work="$(mktemp -d /dev/shm/ferry-bench.XXXXXX)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/root" "$work/data" "$work/local"

"$ferry" serve --plaintext -l 127.0.0.1:0 --data "$work/data" --root "$work/root" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do grep -aq listening "$work/serve.log" && break; sleep 0.1; done
target="$(grep -ao '127.0.0.1:[0-9]*' "$work/serve.log" | head -n 1)"
[ -n "$target" ] || { cat "$work/serve.log" >&2; exit 1; }

rate() { awk -v b="$size" -v s="$1" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
nc_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
listening() { grep -qi "$(printf ':%04X 00000000:0000 0A' "$1")" /proc/net/tcp; }
nc_once() { # $1 = destination file; prints seconds from first byte sent to last byte written
  local port; port="$(nc_port)"
  nc -l 127.0.0.1 "$port" >"$1" &
  local listener=$!
  for _ in $(seq 1 100); do listening "$port" && break; sleep 0.02; done
  local start end; start="$(date +%s.%N)"
  nc -N 127.0.0.1 "$port" <"$work/src.bin"
  wait "$listener"
  end="$(date +%s.%N)"
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}

head -c "$size" /dev/urandom >"$work/src.bin"
echo "size: $size bytes, $rounds rounds, target $target, $(nproc) cores"
printf '%-6s %12s %12s %12s %14s\n' round "ferry put" "ferry get" "nc→tmpfs" "nc→/dev/null"
for r in $(seq 1 "$rounds"); do
  put="$("$ferry" bench put "$target" --plaintext --key-file "$work/data/key" --size "$size" --dir "$work/local" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["megabytesPerSecond"])')"
  get="$("$ferry" bench get "$target" --plaintext --key-file "$work/data/key" --size "$size" --dir "$work/local" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["megabytesPerSecond"])')"
  ncfile="$(rate "$(nc_once "$work/nc-out.bin")")"
  rm -f "$work/nc-out.bin"
  ncnull="$(rate "$(nc_once /dev/null)")"
  printf '%-6s %9s MB/s %9s MB/s %9s MB/s %11s MB/s\n' "$r" "$put" "$get" "$ncfile" "$ncnull"
done
