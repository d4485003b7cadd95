#!/usr/bin/env bash
# Runs every test (unit, property, end-to-end over real loopback sockets) and ends with one line:
# "N passed, N failed, N skipped", taken from the test results.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
# The tests drive real peers (nc, python3, chrony, tmux, strace, node, the C toolchain): install the missing ones
# (quiet when all are there; one line saying what is missing when it cannot install).
"$root/tests/install-peers.sh"
# The process-level tests run the CLI a user runs, as CI does: the launcher builds it (Native AOT where the C
# toolchain is; nothing to do when it is up to date) and FERRY_CLI names it. A ReadyToRun fallback is not named:
# the tests then run the build beside them, and the tool-package test packs the framework-dependent package.
if [ -z "${FERRY_CLI:-}" ]; then
  if "$root/ferry" --version >/dev/null && [ "$(cat "$root/artifacts/cli/.build-kind" 2>/dev/null)" = aot ]; then
    export FERRY_CLI="$root/artifacts/cli/Ferry.Cli"
  fi
fi
results="$root/TestResults"
rm -rf "$results"
dotnet test Ferry.slnx -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?
trx="$(find "$results" -name '*.trx' 2>/dev/null | head -n 1)"
if [ -z "$trx" ]; then
  echo "0 passed, 1 failed (no test results were written; see the build output above)"
  exit 1
fi
counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
get() { printf '%s' "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
passed="$(get passed)"; failed="$(get failed)"; total="$(get total)"; executed="$(get executed)"
skipped=$(( ${total:-0} - ${executed:-0} ))
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped} skipped"
exit $status
