#!/usr/bin/env bash
# Chat fan-out across several servers sharing one Redis (issue 20), beside one server with the in-process hub, in one
# run on loopback. One redis-server on P, three `ferry serve --chat-redis` on P+1..P+3, one plain `ferry serve` on P+4:
#   1. one room of 3,000 members (1,000 per server) at 10 msg/s      (goal: 30,000 deliveries/s, p99 < 100 ms)
#   2. one room of 300 members over 3 servers at 100 msg/s, 300 senders (goal: 30,000 deliveries/s)
#   3. one server, in-process hub, 1,000 members at 10 msg/s           (reference: 10,000 deliveries/s)
#   bench/chat-cluster.sh [--seconds N] [--port-base P] [--only 1|2|3] [--json]
# Every run must deliver each message to every member once, in one order: lost, duplicated (by seq and by message
# number), out-of-order and order-disagreement counts are all reported. The script raises the open-file limit (the
# bench process holds 3,000 connections, each server 1,000). Needs redis-server. Run from the repository root (it uses
# ./ferry; FERRY="dotnet path/Ferry.Cli.dll" runs a framework-dependent build instead). Stops everything at the end.
set -euo pipefail
seconds=10
base=7190
only=""
json=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --port-base) base="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --json) json=(--json); shift ;;
    *) echo "usage: $0 [--seconds N] [--port-base P] [--only 1|2|3] [--json]" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/ferry-chat-cluster.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
command -v redis-server >/dev/null || { echo "bench: redis-server is missing; apt-get install redis-server" >&2; exit 1; }
# 3,000 member connections in the bench process, plus what the runtime opens.
want=8192
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
  ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
echo "bench: open-file limit $(ulimit -n); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

if [ -n "${FERRY:-}" ]; then read -r -a ferry <<<"$FERRY"; else
  "$root/ferry" --version >/dev/null  # build once, before anything is timed
  ferry=(env FERRY_NO_BUILD=1 "$root/ferry")
fi

wait_port() {
  for _ in $(seq 600); do
    [ -n "$(ss -Hltn "sport = :$1")" ] && return 0
    sleep 0.05
  done
  echo "bench: nothing listens on $1; logs in $work" >&2; cat "$work"/*.log >&2; exit 1
}

mkdir -p "$work/redis"
redis-server --port "$base" --bind 127.0.0.1 --save '' --appendonly no --dir "$work/redis" --protected-mode no >"$work/redis.log" 2>&1 &
pids+=($!)
wait_port "$base"

# One shared key, so one --key-file logs in everywhere: the first server makes it, the others are given a copy.
serve() { # N [extra serve options...]
  local n="$1"; shift
  mkdir -p "$work/h$n"
  [ "$n" = 1 ] || { cp "$work/h1/key" "$work/h$n/key"; chmod 600 "$work/h$n/key"; }
  FERRY_HOME="$work/h$n" "${ferry[@]}" serve --plaintext --listen "127.0.0.1:$((base + n))" --data "$work/h$n" "$@" >"$work/serve$n.log" 2>&1 &
  pids+=($!)
  wait_port $((base + n))
}
serve 1 --chat-redis "redis://127.0.0.1:$base"
serve 2 --chat-redis "redis://127.0.0.1:$base"
serve 3 --chat-redis "redis://127.0.0.1:$base"
serve 4
key=(--plaintext --key-file "$work/h1/key")
cluster="127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2)),127.0.0.1:$((base + 3))"

status=0
run() { # title, bench chat arguments...
  local title="$1"; shift
  echo
  echo "== $title (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "ferry bench chat $*"
  "${ferry[@]}" bench chat "$@" "${key[@]}" -d "$seconds" "${json[@]}" || status=1
}
if [ -z "$only" ] || [ "$only" = 1 ]; then
  run "1. one room of 3,000 members over 3 servers, 10 msg/s" --targets "$cluster" -c 3000 --rate 10
fi
if [ -z "$only" ] || [ "$only" = 2 ]; then
  run "2. one room of 300 members over 3 servers, 100 msg/s" --targets "$cluster" -c 300 --rate 100
fi
if [ -z "$only" ] || [ "$only" = 3 ]; then
  run "3. one server, in-process hub, 1,000 members, 10 msg/s" "127.0.0.1:$((base + 4))" -c 1000 --rate 10
fi
exit "$status"
