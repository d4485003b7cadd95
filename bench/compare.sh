#!/usr/bin/env bash
# bench/compare.sh — Ferry beside the tools people use instead, measured in ONE run on loopback.
#
#   bench/compare.sh [--quick] [--write-docs]       (FERRY=path/to/Ferry.Cli to use a prebuilt CLI)
#
# Installs what it needs from Debian (iperf3, netcat-openbsd, openssh-server/client), then measures:
#   iperf3 single stream (the loopback limit); nc piping a 1 GiB tmpfs file; scp and sftp of that file to a
#   throwaway sshd (own port, own keys, own config; the machine's ssh set-up is never read or touched);
#   `ssh true` fresh and over a ControlMaster connection; the course-style Python ThreadingTCPServer echo and a
#   Node `net` echo (4-byte framing, 100 connections x 1 in flight x 32 B, each with its own load client);
#   the line-by-line Python upload; 10,000 idle connections (server memory each, beside ThreadingTCPServer's);
#   and Ferry doing the same (`ferry bench echo|put|get|exec`, when built).
# Prints a Markdown table (what, Ferry, peer, ratio); only with --write-docs does it also write it into
# docs/performance.md between the `compare:begin` / `compare:end` markers (a run never edits tracked files unless
# asked; --no-docs, the old opt-out, is still accepted and is the default). Every step has a time limit; the whole run stays
# under 10 minutes; every process and file it made is removed on exit, also on Ctrl+C.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0
write_docs=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --write-docs) write_docs=1 ;;
    --no-docs) write_docs=0 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

# Sizes and durations (--quick shrinks them for a smoke run).
file_mib=1024; text_mib=256; echo_seconds=5; iperf_seconds=5; ssh_fresh_runs=10; ssh_mux_runs=30
conns=10000
if [ "$quick" = 1 ]; then file_mib=64; text_mib=16; echo_seconds=2; iperf_seconds=2; ssh_fresh_runs=3; ssh_mux_runs=5; conns=500; fi

log() { printf '%s compare: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- dependencies
need=()
command -v iperf3 >/dev/null 2>&1 || need+=(iperf3)
command -v nc >/dev/null 2>&1 || need+=(netcat-openbsd)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v scp >/dev/null 2>&1 && command -v sftp >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { echo "compare.sh: could not install ${need[*]} (run as root or with sudo)" >&2; exit 1; }
  # Debian's package starts the system sshd; this script never uses it, and leaves it as the package set it up.
fi
for tool in python3 node; do
  command -v "$tool" >/dev/null 2>&1 || { echo "compare.sh: $tool is required" >&2; exit 1; }
done

# ---------------------------------------------------------------- scratch space and cleanup
work="$(mktemp -d /dev/shm/ferry-compare.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  [ -S "$work/ssh/mux" ] && ssh -F /dev/null -S "$work/ssh/mux" -O exit x >/dev/null 2>&1
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
# wait_line FILE: waits (up to 10 s) for FILE to hold a line, prints the first one.
wait_line() { for _ in $(seq 100); do [ -s "$1" ] && { head -n 1 "$1"; return 0; }; sleep 0.1; done; return 1; }
# json FILE KEY...: prints the first of KEYs (dotted paths) found in the JSON object in FILE.
json() { python3 - "$@" <<'EOF'
import json, sys
try:
    text = open(sys.argv[1]).read().strip().splitlines()
    data = json.loads(text[-1]) if text else {}
except Exception:
    sys.exit(1)
for key in sys.argv[2:]:
    node = data
    for part in key.split('.'):
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, (int, float)):
        print(node); sys.exit(0)
sys.exit(1)
EOF
}
calc() { python3 -c "print($1)"; }

# Rows: what | ferry | peer | unit | higher-is-better(1/0)
rows="$work/rows.tsv"
: > "$rows"
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$rows"; log "$1: ferry ${2} / peer ${3} ${4}"; }

# ---------------------------------------------------------------- Ferry
log "building ferry (Release)"
ferry="${FERRY:-$root/ferry}"   # FERRY=path/to/Ferry.Cli: a prebuilt CLI, so edits to the sources mid-run cannot trigger a rebuild
"$ferry" --version >/dev/null || { echo "compare.sh: building ferry failed" >&2; exit 1; }
bench_help="$("$ferry" bench --help 2>/dev/null)"
has_bench() { printf '%s\n' "$bench_help" | grep -Eq "^[[:space:]]+$1([[:space:]]|$)"; }
NA="n/a (not built yet)"

"$ferry" serve --plaintext --allow-exec --listen 127.0.0.1:0 --data "$work/ferry-data" > "$work/ferry.out" 2>&1 &
ferry_pid=$!; pids+=("$ferry_pid")
for _ in $(seq 100); do grep -q listening "$work/ferry.out" 2>/dev/null && break; sleep 0.1; done
target="$(grep -o '127.0.0.1:[0-9]*' "$work/ferry.out" | head -n 1)"
[ -n "$target" ] || { cat "$work/ferry.out" >&2; echo "compare.sh: the Ferry server did not start" >&2; exit 1; }
log "ferry server on $target (pid $ferry_pid)"
# Every client proves the server's shared key (made on the server's first start in its state folder).
keyfile="$work/ferry-data/key"
# The same server set-up with TLS on (the default), for the rows that compare against ssh's encryption.
"$ferry" serve --allow-exec --listen 127.0.0.1:0 --data "$work/ferry-data" > "$work/ferry-tls.out" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do grep -q listening "$work/ferry-tls.out" 2>/dev/null && break; sleep 0.1; done
tls_target="$(grep -o '127.0.0.1:[0-9]*' "$work/ferry-tls.out" | head -n 1)"
log "ferry TLS server on $tls_target"

# ferry_bench NAME OUT ARGS...: runs `ferry bench NAME` (bounded) if that bench exists; status 2 if it does not.
mode=(--plaintext)
ferry_bench() {
  local name="$1" out="$2"; shift 2
  has_bench "$name" || return 2
  timeout 180 "$ferry" bench "$name" "$target" "${mode[@]}" --key-file "$keyfile" --json "$@" > "$out" 2> "$out.err" && return 0
  local st=$?; log "ferry bench $name failed (exit $st): $(tail -n 3 "$out.err" | tr '\n' ' ')"; return $st
}
# Before each large transfer: write and free 3 GiB of tmpfs. Memory this VM has not touched lately costs the host a
# page fault on first write, which halves tmpfs write speed; warming before every contender keeps the rows fair
# (bench/files/compare.sh does the same, round by round).
warm() { dd if=/dev/zero of="$work/warm" bs=1M count="$(( quick ? 256 : 3072 ))" status=none; rm -f "$work/warm"; }

# ---------------------------------------------------------------- test files on tmpfs
log "making a ${file_mib} MiB binary file and a ${text_mib} MiB text file on tmpfs"
head -c "$((file_mib * 1024 * 1024))" /dev/urandom > "$work/file.bin"
head -c "$((text_mib * 1024 * 1024 * 3 / 4))" /dev/urandom | base64 -w 99 > "$work/file.txt"
file_bytes=$(stat -c %s "$work/file.bin"); text_bytes=$(stat -c %s "$work/file.txt")
mbps() { calc "round($1 / ($2) / 1e6, 1)"; }  # bytes, seconds

# ---------------------------------------------------------------- iperf3: the loopback limit
port=$(free_port)
iperf3 -s -1 -B 127.0.0.1 -p "$port" > /dev/null 2>&1 &
pids+=($!)
sleep 0.5
iperf=""
if timeout $((iperf_seconds + 20)) iperf3 -c 127.0.0.1 -p "$port" -t "$iperf_seconds" -J > "$work/iperf.json" 2>/dev/null; then
  iperf=$(python3 -c "import json;d=json.load(open('$work/iperf.json'));print(round(d['end']['sum_received']['bits_per_second']/8e6,1))")
fi
ferry_put=""; ferry_get=""
# Warm-up transfers (not measured), as the echo rows warm up: the first run of a fresh server is mostly JIT.
ferry_bench put "$work/put-warmup.json" --size 67108864 || true
ferry_bench get "$work/get-warmup.json" --size 67108864 || true
warm; ferry_bench put "$work/put.json" --file "$work/file.bin"; st=$?
if [ $st = 0 ]; then ferry_put=$(json "$work/put.json" megabytesPerSecond mbPerSecond MBps throughputMBps); elif [ $st = 2 ]; then ferry_put="$NA"; else ferry_put="error"; fi
warm; ferry_bench get "$work/get.json" --file "$work/file.bin"; st=$?
if [ $st = 0 ]; then ferry_get=$(json "$work/get.json" megabytesPerSecond mbPerSecond MBps throughputMBps); elif [ $st = 2 ]; then ferry_get="$NA"; else ferry_get="error"; fi
# The same transfers over TLS, beside scp/sftp (which always encrypt).
ferry_put_tls="error"; ferry_get_tls="error"
if [ -n "$tls_target" ]; then
  plain_target="$target"; target="$tls_target"; mode=()
  ferry_bench put "$work/put-tls-warmup.json" --size 67108864 || true
  warm; ferry_bench put "$work/put-tls.json" --file "$work/file.bin" && ferry_put_tls=$(json "$work/put-tls.json" megabytesPerSecond mbPerSecond MBps throughputMBps)
  warm; ferry_bench get "$work/get-tls.json" --file "$work/file.bin" && ferry_get_tls=$(json "$work/get-tls.json" megabytesPerSecond mbPerSecond MBps throughputMBps)
  target="$plain_target"; mode=(--plaintext)
fi
row "loopback, one TCP stream: iperf3 vs ferry put" "${ferry_put:-error}" "${iperf:-error}" "MB/s" 1

# ---------------------------------------------------------------- nc: raw copy of the file
warm; port=$(free_port)
nc -l 127.0.0.1 "$port" > "$work/nc.out" &
nc_pid=$!; pids+=("$nc_pid")
sleep 0.3
t0=$(now)
timeout 120 nc -N 127.0.0.1 "$port" < "$work/file.bin"
wait "$nc_pid" 2>/dev/null
t1=$(now)
nc_rate=""
[ "$(stat -c %s "$work/nc.out" 2>/dev/null)" = "$file_bytes" ] && nc_rate=$(mbps "$file_bytes" "$t1 - $t0")
rm -f "$work/nc.out"
row "${file_mib} MiB tmpfs file: nc vs ferry put" "${ferry_put:-error}" "${nc_rate:-error}" "MB/s" 1

# ---------------------------------------------------------------- a throwaway sshd
ssh_dir="$work/ssh"; mkdir -p "$ssh_dir"; chmod 700 "$ssh_dir"
ssh-keygen -q -t ed25519 -N '' -f "$ssh_dir/host_key" >/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$ssh_dir/id" >/dev/null
cp "$ssh_dir/id.pub" "$ssh_dir/authorized_keys"
ssh_port=$(free_port)
cipher="aes128-gcm@openssh.com"
cat > "$ssh_dir/sshd_config" <<EOF
Port $ssh_port
ListenAddress 127.0.0.1
HostKey $ssh_dir/host_key
AuthorizedKeysFile $ssh_dir/authorized_keys
PidFile $ssh_dir/sshd.pid
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin yes
Ciphers $cipher,chacha20-poly1305@openssh.com
Subsystem sftp internal-sftp
LogLevel ERROR
EOF
# sshd running as root insists on its privilege-separation directory.
[ "$(id -u)" = 0 ] && [ ! -d /run/sshd ] && mkdir -p /run/sshd && chmod 755 /run/sshd
/usr/sbin/sshd -D -e -f "$ssh_dir/sshd_config" 2> "$ssh_dir/sshd.log" &
pids+=($!)
sleep 0.5
user="$(id -un)"
ssh_opts=(-F /dev/null -i "$ssh_dir/id" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile="$ssh_dir/known_hosts"
  -o Ciphers="$cipher" -o LogLevel=ERROR)

scp_rate=""
warm; t0=$(now)
if timeout 180 scp -q "${ssh_opts[@]}" -P "$ssh_port" "$work/file.bin" "$user@127.0.0.1:$work/scp.out"; then
  t1=$(now); [ "$(stat -c %s "$work/scp.out" 2>/dev/null)" = "$file_bytes" ] && scp_rate=$(mbps "$file_bytes" "$t1 - $t0")
fi
rm -f "$work/scp.out"
row "${file_mib} MiB upload: scp ($cipher) vs ferry put (TLS)" "${ferry_put_tls:-error}" "${scp_rate:-error}" "MB/s" 1

sftp_rate=""
printf 'put %s %s\n' "$work/file.bin" "$work/sftp.out" > "$ssh_dir/sftp.batch"
warm; t0=$(now)
if timeout 180 sftp -q "${ssh_opts[@]}" -P "$ssh_port" -b "$ssh_dir/sftp.batch" "$user@127.0.0.1" >/dev/null; then
  t1=$(now); [ "$(stat -c %s "$work/sftp.out" 2>/dev/null)" = "$file_bytes" ] && sftp_rate=$(mbps "$file_bytes" "$t1 - $t0")
fi
rm -f "$work/sftp.out"
row "${file_mib} MiB upload: sftp ($cipher) vs ferry put (TLS)" "${ferry_put_tls:-error}" "${sftp_rate:-error}" "MB/s" 1

sftp_get=""
printf 'get %s %s\n' "$work/file.bin" "$work/sftp.in" > "$ssh_dir/sftp.batch"
warm; t0=$(now)
if timeout 180 sftp -q "${ssh_opts[@]}" -P "$ssh_port" -b "$ssh_dir/sftp.batch" "$user@127.0.0.1" >/dev/null; then
  t1=$(now); [ "$(stat -c %s "$work/sftp.in" 2>/dev/null)" = "$file_bytes" ] && sftp_get=$(mbps "$file_bytes" "$t1 - $t0")
fi
rm -f "$work/sftp.in"
row "${file_mib} MiB download: sftp ($cipher) vs ferry get (TLS)" "${ferry_get_tls:-error}" "${sftp_get:-error}" "MB/s" 1

# median_ms CMD...: runs CMD N times ($runs), prints the median wall time in ms.
median_ms() {
  local samples=() i t0 t1
  for ((i = 0; i < runs; i++)); do
    t0=$(now); timeout 30 "$@" >/dev/null 2>&1 || return 1; t1=$(now)
    samples+=("$(calc "($t1 - $t0) * 1000")")
  done
  printf '%s\n' "${samples[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.1f\n", a[int((NR+1)/2)]}'
}
runs=$ssh_fresh_runs
ssh_fresh=$(median_ms ssh "${ssh_opts[@]}" -p "$ssh_port" "$user@127.0.0.1" true) || ssh_fresh=""
ferry_fresh="$NA"
# The help is captured first: under pipefail, grep -q quitting at its first match can fail the pipeline (SIGPIPE).
if printf '%s\n' "$("$ferry" --help 2>/dev/null)" | grep -Eq '^[[:space:]]+exec[[:space:]]'; then
  # Fresh process, TLS and key login included, like a fresh ssh.
  ferry_fresh=$(median_ms "$ferry" exec "$tls_target" --key-file "$keyfile" true) || ferry_fresh="error"
fi
row "run \`true\`, fresh connection: ssh vs ferry exec (process start to exit)" "$ferry_fresh" "${ssh_fresh:-error}" "ms" 0

ssh_mux=""
if timeout 20 ssh "${ssh_opts[@]}" -p "$ssh_port" -o ControlMaster=yes -o ControlPath="$ssh_dir/mux" -o ControlPersist=120 -fN "$user@127.0.0.1"; then
  runs=$ssh_mux_runs
  ssh_mux=$(median_ms ssh "${ssh_opts[@]}" -p "$ssh_port" -o ControlPath="$ssh_dir/mux" "$user@127.0.0.1" true) || ssh_mux=""
  ssh -F /dev/null -o ControlPath="$ssh_dir/mux" -O exit x >/dev/null 2>&1
fi
ferry_exec="$NA"
ferry_bench exec "$work/exec.json" --command true --count 200; st=$?
if [ $st = 0 ]; then ferry_exec=$(json "$work/exec.json" p50Millis p50Ms p50Micros | awk '{print $1}'); 
  # Normalise microseconds to ms when that is the field the bench reported.
  if ! json "$work/exec.json" p50Millis p50Ms >/dev/null && [ -n "$ferry_exec" ]; then ferry_exec=$(calc "round($ferry_exec / 1000, 2)"); fi
elif [ $st != 2 ]; then ferry_exec="error"; fi
row "run \`true\` on an open connection: ssh ControlMaster vs ferry bench exec (p50)" "${ferry_exec:-error}" "${ssh_mux:-error}" "ms" 0

# ---------------------------------------------------------------- echo: Python, Node, Ferry (100 x 1 x 32 B)
echo_pair() {  # NAME SERVER-CMD... -- CLIENT-CMD... : prints messages/s
  local name="$1"; shift
  local server=() client=()
  while [ "$1" != "--" ]; do server+=("$1"); shift; done; shift
  client=("$@")
  "${server[@]}" > "$work/$name.port" 2>/dev/null &
  local spid=$!; pids+=("$spid")
  local p; p=$(wait_line "$work/$name.port") || { kill "$spid"; return 1; }
  timeout $((echo_seconds + 30)) "${client[@]}" --port "$p" --connections 100 --size 32 --duration "$echo_seconds" --warmup 1 \
    > "$work/$name.json" 2>/dev/null
  kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
  json "$work/$name.json" messagesPerSecond
}
ferry_echo() {
  ferry_bench echo "$work/ferry-echo.json" --connections 100 --inflight 1 --size 32 --duration "$echo_seconds" --warmup 1 \
    && json "$work/ferry-echo.json" messagesPerSecond
}
log "echo: 100 connections x 1 in flight x 32 B, ${echo_seconds} s each"
# A short unmeasured round first, so the JIT has compiled the server's hot paths before Ferry is measured.
ferry_bench echo "$work/ferry-warmup.json" --connections 100 --inflight 1 --size 32 --duration 1 --warmup 1 || true
py_echo=$(echo_pair python python3 "$root/bench/python/echo_server.py" -- python3 "$root/bench/python/load_client.py") || py_echo=""
fe1=$(ferry_echo) || fe1=""
node_echo=$(echo_pair node node "$root/bench/node/echo_server.js" -- node "$root/bench/node/load_client.js") || node_echo=""
fe2=$(ferry_echo) || fe2=""
# Other work on the machine moves these a lot: Ferry ran twice, once beside each peer; each row uses its neighbour.
row "echo 100 conns x 1 in flight x 32 B: Python ThreadingTCPServer vs ferry" "${fe1:-error}" "${py_echo:-error}" "msg/s" 1
row "echo 100 conns x 1 in flight x 32 B: Node net vs ferry" "${fe2:-error}" "${node_echo:-error}" "msg/s" 1

# ---------------------------------------------------------------- the line-by-line Python upload
port_file="$work/upload.port"
python3 "$root/bench/python/upload_server.py" --out "$work/upload.out" > "$port_file" 2>/dev/null &
upid=$!; pids+=("$upid")
py_upload=""
if p=$(wait_line "$port_file"); then
  timeout 300 python3 "$root/bench/python/upload_client.py" --port "$p" --file "$work/file.txt" > "$work/upload.json" 2>/dev/null \
    && py_upload=$(json "$work/upload.json" megabytesPerSecond)
fi
wait "$upid" 2>/dev/null; rm -f "$work/upload.out"
ferry_text="$NA"
ferry_bench put "$work/put-text.json" --file "$work/file.txt"; st=$?
if [ $st = 0 ]; then ferry_text=$(json "$work/put-text.json" megabytesPerSecond mbPerSecond MBps throughputMBps); elif [ $st != 2 ]; then ferry_text="error"; fi
row "${text_mib} MiB text upload: line-by-line Python vs ferry put" "${ferry_text:-error}" "${py_upload:-error}" "MB/s" 1

# ---------------------------------------------------------------- idle connections: Ferry and Python
log "idle connections: ${conns} each, held from other processes; server memory from /proc"
conn_kib=""; conn_p99=""
# A fresh Ferry server, as the Python one is fresh: a server that already ran the loads above reuses its heap.
"$ferry" serve --plaintext --listen 127.0.0.1:0 --data "$work/ferry-data" > "$work/ferry-idle.out" 2>&1 &
idle_pid=$!; pids+=("$idle_pid")
for _ in $(seq 100); do grep -q listening "$work/ferry-idle.out" 2>/dev/null && break; sleep 0.1; done
main_target="$target"; target="$(grep -o '127.0.0.1:[0-9]*' "$work/ferry-idle.out" | head -n 1)"
# bench conns exits 1 when not every connection was established or a keep-alive failed; its report still says how
# far it got, so the row shows the figures with the shortfall logged rather than a bare "error".
if [ -n "$target" ]; then ferry_bench conns "$work/conns.json" --count "$conns" --hold 10 --processes 2 --server-pid "$idle_pid"; fi
if [ -s "$work/conns.json" ]; then
  read -r conn_kib conn_p99 conn_note < <(python3 -c "
import json
d = json.loads(open('$work/conns.json').read().splitlines()[-1])
note = '' if d['established'] == d['requested'] and d['keepaliveFailed'] == 0 else \
    f\"established {d['established']} of {d['requested']}, keep-alive failures {d['keepaliveFailed']}, {d['failures']}\"
print(round(d['bytesPerConnection'] / 1024, 1), round(d['freshP99Micros'] / 1000, 1), note)" 2>/dev/null)
  [ -n "${conn_note:-}" ] && log "ferry bench conns: $conn_note"
fi
target="$main_target"; kill "$idle_pid" 2>/dev/null; wait "$idle_pid" 2>/dev/null
python3 "$root/bench/python/echo_server.py" > "$work/py-idle.port" 2>/dev/null &
py_idle_pid=$!; pids+=("$py_idle_pid")
py_kib=""
if p=$(wait_line "$work/py-idle.port"); then
  timeout 180 python3 "$root/bench/python/hold_conns.py" --port "$p" --server-pid "$py_idle_pid" --count "$conns" --hold 5 \
    > "$work/py-idle.json" 2>/dev/null && py_kib=$(calc "round($(json "$work/py-idle.json" bytesPerConnection) / 1024, 1)")
fi
kill "$py_idle_pid" 2>/dev/null; wait "$py_idle_pid" 2>/dev/null
row "${conns} idle connections, server memory each: Python ThreadingTCPServer vs ferry" "${conn_kib:-error}" "${py_kib:-error}" "KiB" 0
row "fresh connect + echo p99 while ${conns} are held (Ferry only; target < 10 ms)" "${conn_p99:-error}" "—" "ms" 0

# ---------------------------------------------------------------- the table
mem_gib=$(awk '/MemTotal/ {printf "%.0f", $2/1024/1024}' /proc/meminfo)
load=$(cut -d' ' -f1-3 /proc/loadavg)
table="$work/table.md"
{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`bench/compare.sh$([ "$quick" = 1 ] && echo ' --quick')\` on $(nproc) cores, ${mem_gib} GiB," \
    "$(uname -sr), load average at the end: ${load}. Ratio: how many times better Ferry is (above 1: Ferry ahead)."
  echo
  echo "| what | Ferry | peer | unit | ratio |"
  echo "|---|---:|---:|---|---:|"
  while IFS=$'\t' read -r what f p unit higher; do
    ratio="—"
    if [[ "$f" =~ ^[0-9.]+$ ]] && [[ "$p" =~ ^[0-9.]+$ ]] && [ "$(calc "$f > 0 and $p > 0")" = True ]; then
      if [ "$higher" = 1 ]; then ratio=$(calc "round($f / $p, 2)"); else ratio=$(calc "round($p / $f, 2)"); fi
      ratio="${ratio}×"
    fi
    echo "| $what | $f | $p | $unit | $ratio |"
  done < "$rows"
} > "$table"
cat "$table"

if [ "$write_docs" = 1 ]; then
  doc="$root/docs/performance.md"
  python3 - "$doc" "$table" <<'EOF'
import sys
doc, table = sys.argv[1], open(sys.argv[2]).read().rstrip() + "\n"
text = open(doc).read()
begin, end = "<!-- compare:begin -->", "<!-- compare:end -->"
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    text = head + begin + "\n" + table + end + tail
else:
    text = text.rstrip() + "\n\n## Side by side (bench/compare.sh)\n\n" + begin + "\n" + table + end + "\n"
open(doc + ".tmp", "w").write(text)
import os
os.replace(doc + ".tmp", doc)
EOF
  log "table written to docs/performance.md"
else
  log "docs/performance.md left as it was (--write-docs puts this table in it)"
fi
