#!/usr/bin/env bash
# Soak: every service at once against one `ferry serve` with a share of hostile clients, sampling the server's RSS
# and descriptors into a CSV (bench/soak.py says what runs). Stops by itself and kills everything it started.
# Usage: bench/soak.sh [SECONDS=60] [PORT=7170] [OUT=/tmp/ferry-soak] [extra soak.py options...]
# PORT is the main port, PORT+1 SNTP, PORT+2 UDP chat. State in $FERRY_HOME if set, else OUT/home.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"; port="${2:-7170}"; out="${3:-/tmp/ferry-soak}"
shift $(( $# < 3 ? $# : 3 ))
if [ -z "${FERRY_CLI:-}" ]; then "$root/ferry" --version >/dev/null; export FERRY_CLI="$root/artifacts/cli/Ferry.Cli"; fi
# soak.py takes a process group of its own and kills it whole at the end; `timeout` is a last resort.
exec timeout --kill-after=30 "$(( ${seconds%.*} + 180 ))" python3 "$root/bench/soak.py" --duration "$seconds" --port "$port" --out "$out" "$@"
