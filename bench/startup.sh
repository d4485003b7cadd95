#!/usr/bin/env bash
# Whole-process start-up of the ferry CLI: median of N runs (default 20) of each command, for the Native AOT binary
# the launcher builds and a ReadyToRun build of the same source, against one throwaway server on loopback; and a fresh
# 'ssh localhost true' against a throwaway sshd (own host key and authorized_keys) in the same run, when sshd is there
# (apt-get install openssh-server). Usage: bench/startup.sh [N] [PORT]. Prints a Markdown table.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-20}"; port="${2:-7500}"; sshport=$((port + 1))
work="$(mktemp -d)"; pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
"$root/ferry" --version >/dev/null
aot="$root/artifacts/cli/Ferry.Cli"
[ "$(cat "$root/artifacts/cli/.build-kind")" = aot ] || { echo "bench: the launcher did not build the Native AOT binary" >&2; exit 1; }
dotnet publish "$root/src/Ferry.Cli/Ferry.Cli.csproj" -c Release -r linux-x64 --self-contained false -p:PublishAot=false \
  -p:PublishReadyToRun=true -o "$work/r2r" --nologo -v quiet >/dev/null
r2r="$work/r2r/Ferry.Cli"
export FERRY_HOME="$work/home"
"$aot" serve --listen "127.0.0.1:$port" --allow-exec >"$work/serve.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do grep -q listening "$work/serve.log" 2>/dev/null && break; sleep 0.05; done

# median wall time in ms of n runs of "$@"
median() {
  local t=()
  for _ in $(seq "$n"); do
    local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 </dev/null; e=$(date +%s%N); t+=($(( (e - s) / 1000 )))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f", m / 1000}'
}
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null </dev/null | tail -1 | awk '{printf "%.1f", $1 / 1024}'; }

ssh_ms="n/a"
if [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null; then
  mkdir -p /run/sshd "$work/ssh"; ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/host" && ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/user"
  cp "$work/ssh/user.pub" "$work/ssh/authorized_keys"; chmod 600 "$work/ssh/authorized_keys"
  /usr/sbin/sshd -D -e -p "$sshport" -o ListenAddress=127.0.0.1 -h "$work/ssh/host" -o "AuthorizedKeysFile=$work/ssh/authorized_keys" \
    -o StrictModes=no -o PidFile=none -o UsePAM=no 2>"$work/sshd.log" & pids+=($!)
  for _ in $(seq 100); do grep -q "Server listening" "$work/sshd.log" 2>/dev/null && break; sleep 0.05; done
  sshcmd=(ssh -p "$sshport" -i "$work/ssh/user" -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o BatchMode=yes -o LogLevel=ERROR 127.0.0.1 true)
  "${sshcmd[@]}" && ssh_ms="$(median "${sshcmd[@]}")"
fi

t="localhost:$port"
echo "| command | Native AOT (ms) | ReadyToRun (ms) | goal |"
echo "|---|---|---|---|"
echo "| \`ferry --version\` | $(median "$aot" --version) | $(median "$r2r" --version) | ≤ 20 |"
echo "| \`ferry subnet 10.0.0.1/24\` | $(median "$aot" subnet 10.0.0.1/24) | $(median "$r2r" subnet 10.0.0.1/24) | ≤ 25 |"
echo "| peak RSS of \`subnet\` (MiB) | $(rss "$aot" subnet 10.0.0.1/24) | $(rss "$r2r" subnet 10.0.0.1/24) | ≤ 25 |"
echo "| fresh \`ferry echo $t hi\` | $(median "$aot" echo "$t" hi) | $(median "$r2r" echo "$t" hi) | ≤ 40 |"
exec_aot="$(median "$aot" exec "$t" -- true)"
echo "| fresh \`ferry exec $t -- true\` | $exec_aot | $(median "$r2r" exec "$t" -- true) | ≤ 60 |"
echo "| fresh \`ssh 127.0.0.1 true\` (throwaway sshd) | $ssh_ms | | |"
[ "$ssh_ms" != n/a ] && echo "| exec ÷ ssh (AOT) | $(awk -v a="$exec_aot" -v b="$ssh_ms" 'BEGIN {printf "%.3f", a / b}') | | ≤ 0.15 |"
echo "| fresh \`ferry ls $t\` | $(median "$aot" ls "$t") | $(median "$r2r" ls "$t") | ≤ 50 |"
echo "| binary size (MB) | $(awk -v s="$(stat -c %s "$aot")" 'BEGIN {printf "%.1f", s / 1e6}') | $(du -sb "$work/r2r" | awk '{printf "%.1f (folder, + runtime)", $1 / 1e6}') | ≤ 25 |"
