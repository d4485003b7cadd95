#!/usr/bin/env bash
# bench/files/ab.sh — two Ferry builds side by side: which one moves a file faster, on this machine, in the same run.
#
#   bench/files/ab.sh put|get ROUNDS CLI_DIR_A CLI_DIR_B
#
# Each CLI_DIR holds a published Ferry.Cli (dotnet publish src/Ferry.Cli -c Release -o DIR, once per commit under
# test). Each build gets its own plaintext server on tmpfs; rounds alternate A, B, then nc piping the same 1 GiB file,
# each transfer after writing and freeing 3 GiB of tmpfs (see bench/files/compare.sh for why). Timings here swing
# by ±20% from round to round, so only the per-round order and the medians mean anything.
# SERVER_ENV_A / SERVER_ENV_B and CLIENT_ENV_A / CLIENT_ENV_B (say, DOTNET_TieredPGO=0) try runtime settings.
set -uo pipefail
[ $# -eq 4 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
verb="$1"; rounds="$2"; declare -A dir=([A]="$3" [B]="$4")
case "$verb" in put | get) ;; *) echo "ab.sh: the first argument is put or get" >&2; exit 2 ;; esac
for v in A B; do [ -x "${dir[$v]}/Ferry.Cli" ] || { echo "ab.sh: no Ferry.Cli in ${dir[$v]}" >&2; exit 2; }; done
command -v nc >/dev/null || { echo "ab.sh: needs nc (apt-get install netcat-openbsd)" >&2; exit 2; }

work="$(mktemp -d /dev/shm/ferry-ab.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM
head -c 1073741824 /dev/urandom >"$work/src.bin"
warm() { dd if=/dev/zero of="$work/warm" bs=1M count=3072 status=none; rm -f "$work/warm"; }
declare -A target
for v in A B; do
  mkdir -p "$work/$v/data" "$work/$v/root" "$work/$v/local"
  senv="SERVER_ENV_$v"
  env ${!senv:-} "${dir[$v]}/Ferry.Cli" serve -l 127.0.0.1:0 --data "$work/$v/data" --root "$work/$v/root" --plaintext \
    >"$work/$v/serve.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -aq listening "$work/$v/serve.log" && break; sleep 0.1; done
  target[$v]="$(grep -ao '127.0.0.1:[0-9]*' "$work/$v/serve.log" | head -n 1)"
  [ -n "${target[$v]}" ] || { cat "$work/$v/serve.log" >&2; exit 1; }
  # Warm-up (not counted): a fresh server's first transfer is mostly the JIT.
  "${dir[$v]}/Ferry.Cli" "bench" "$verb" "${target[$v]}" --plaintext --key-file "$work/$v/data/key" --size 134217728 \
    --dir "$work/$v/local" --json >/dev/null
done
rate() { python3 -c 'import json,sys; print(round(json.load(sys.stdin)["megabytesPerSecond"]))' 2>/dev/null || echo error; }
nc_rate() {
  local port listener start
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
  nc -l 127.0.0.1 "$port" >"$work/nc.out" & listener=$!
  sleep 0.2
  start="$(date +%s.%N)"
  nc -N 127.0.0.1 "$port" <"$work/src.bin"
  wait "$listener"
  awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", 1073741824 / (b - a) / 1e6 }'
  rm -f "$work/nc.out"
}
declare -A all
echo "$verb, 1 GiB tmpfs -> tmpfs, MB/s; A=${dir[A]} B=${dir[B]}"
for r in $(seq "$rounds"); do
  line="round $r:"
  for v in A B; do
    cenv="CLIENT_ENV_$v"
    warm
    mbs="$(env ${!cenv:-} "${dir[$v]}/Ferry.Cli" bench "$verb" "${target[$v]}" --plaintext --key-file "$work/$v/data/key" \
      --file "$work/src.bin" --dir "$work/$v/local" --json | rate)"
    line="$line $v=$mbs"; all[$v]+="$mbs "
  done
  warm; n="$(nc_rate)"; line="$line nc=$n"; all[nc]+="$n "
  echo "$line"
done
median() { printf '%s\n' $1 | grep -v error | sort -n | awk '{a[NR]=$1} END { if (NR) print a[int((NR+1)/2)]; else print "error" }'; }
echo "median: A=$(median "${all[A]}") B=$(median "${all[B]}") nc=$(median "${all[nc]}")"
