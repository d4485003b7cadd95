#!/usr/bin/env bash
# bench/sync.sh — trees of files and `ferry sync` beside an rsync daemon, `tar | nc` and rsync over ssh, in ONE run
# on loopback (tmpfs -> tmpfs, plaintext):
#
#   bench/sync.sh [--quick] [CASE...]     (FERRY=path/to/ferry to use a prebuilt CLI; BEFORE=path/to/old/ferry adds
#                                          its put -r / get -r times as a "before" column)
#   cases: tree2k (2,000 x 4 KiB in 50 folders: put -r, get -r), tree10k (10,000 x 4 KiB: put -r, get -r, sync,
#          re-sync with nothing changed), big (1 GiB: first copy vs nc, then 1 MiB changed in the middle: sync
#          vs rsync over a throwaway sshd, bytes on the wire), text (256 MiB text tree with --compress: bytes on the wire)
#
# Wire bytes: Ferry's from the server's stats (`ferry stats --json`, bytesIn/bytesOut before and after), rsync's
# from its own --stats ("Total bytes sent/received"). Times are wall-clock seconds of the whole command (connect,
# handshake and process start included, for every tool). Every process and file it made is removed on exit.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ferry="${FERRY:-$root/ferry}"
before="${BEFORE:-}"
quick=0
cases=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    tree2k|tree10k|big|text) cases+=("$arg") ;;
    *) echo "sync.sh: unknown option or case '$arg' (try --help)" >&2; exit 2 ;;
  esac
done
[ ${#cases[@]} -eq 0 ] && cases=(tree2k tree10k big text)
big_mib=1024; text_mib=256
[ "$quick" = 1 ] && { big_mib=64; text_mib=16; }

need=()
command -v rsync >/dev/null 2>&1 || need+=(rsync)
command -v nc >/dev/null 2>&1 || need+=(netcat-openbsd)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { echo "sync.sh: could not install ${need[*]} (run as root or with sudo)" >&2; exit 1; }
fi
"$ferry" --version >/dev/null || { echo "sync.sh: building ferry failed" >&2; exit 1; }
# Read once and match in bash: 'ferry --help | grep -q' closes the pipe early, and under pipefail ferry's SIGPIPE
# would read as "no sync".
ferry_help="$("$ferry" --help 2>/dev/null)"; sync_help="$("$ferry" sync --help 2>/dev/null)"

work="$(mktemp -d /dev/shm/ferry-sync.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/data" "$work/root" "$work/rsync" "$work/ssh" "$work/local"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
listening() { grep -qi "$(printf ':%04X 00000000:0000 0A' "$1")" /proc/net/tcp; }
# timed OUTVAR CMD...: runs CMD (bounded), stores its wall-clock seconds in OUTVAR ("error" if it failed).
timed() {
  local var="$1" start; shift
  start="$(now)"
  if timeout 600 "$@" >"$work/last.out" 2>"$work/last.err"; then printf -v "$var" '%s' "$(secs "$start" "$(now)")"
  else printf -v "$var" 'error'; echo "sync.sh: failed: $* ($(tail -n 2 "$work/last.err" | tr '\n' ' '))" >&2; fi
}

# ---------------------------------------------------------------- servers
"$ferry" serve -l 127.0.0.1:0 --plaintext --data "$work/data" --root "$work/root" >"$work/ferry.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -aq listening "$work/ferry.log" && break; sleep 0.1; done
addr="$(grep -ao '127.0.0.1:[0-9]*' "$work/ferry.log" | head -n 1)"
[ -n "$addr" ] || { cat "$work/ferry.log" >&2; exit 1; }
fopts=(--plaintext --key-file "$work/data/key")
export FERRY_HOME="$work/home"
# wire: total bytes in + out the Ferry server has counted so far.
wire() { "$ferry" stats "$addr" "${fopts[@]}" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["bytesIn"]+d["bytesOut"])'; }

rport="$(free_port)"
cat >"$work/rsyncd.conf" <<EOF
use chroot = no
pid file = $work/rsyncd.pid
[b]
  path = $work/rsync
  read only = no
  uid = $(id -u)
  gid = $(id -g)
EOF
rsync --daemon --no-detach --port "$rport" --address 127.0.0.1 --config "$work/rsyncd.conf" 2>"$work/rsyncd.log" &
pids+=($!)
for _ in $(seq 100); do listening "$rport" && break; sleep 0.05; done
rd="rsync://127.0.0.1:$rport/b"

# A throwaway sshd for rsync over ssh: own port, keys and config; the machine's ssh set-up is never read or touched.
ssh_port="$(free_port)"
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
LogLevel ERROR
EOF
[ "$(id -u)" = 0 ] && [ ! -d /run/sshd ] && mkdir -p /run/sshd && chmod 755 /run/sshd
/usr/sbin/sshd -D -e -f "$work/ssh/sshd_config" 2>"$work/ssh/sshd.log" & pids+=($!)
for _ in $(seq 100); do listening "$ssh_port" && break; sleep 0.05; done
rsh="ssh -F /dev/null -i $work/ssh/id -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p $ssh_port"
user="$(id -un)"

# Warm-up (not counted): the first transfer of a fresh server is mostly the JIT.
mkdir -p "$work/warm/a"; for i in $(seq 200); do head -c 4096 /dev/urandom >"$work/warm/a/$i"; done
"$ferry" put "$addr" "${fopts[@]}" -r "$work/warm/a" --to warm -q
rm -rf "$work/warm"

echo "Ferry $("$ferry" --version) vs $(rsync --version | head -n 1 | awk '{print $1, $2, $3}'), $(nproc) cores, $(date -u +%FT%TZ), loopback, tmpfs"
printf '%-44s %10s %10s %8s %s\n' case ferry peer ratio notes
line() { # what ferry peer notes: ratio = peer / ferry (time: > 1 means Ferry is faster)
  local ratio="n/a"
  [[ "$2" =~ ^[0-9.]+$ && "$3" =~ ^[0-9.]+$ ]] && ratio="$(awk -v f="$2" -v p="$3" 'BEGIN { printf "%.2f", p / f }')"
  printf '%-44s %10s %10s %8s %s\n' "$1" "$2" "$3" "$ratio" "$4"
}

# make_tree DIR FILES FOLDERS: FILES random 4 KiB files spread over FOLDERS folders.
make_tree() {
  python3 - "$1" "$2" "$3" <<'EOF'
import os, sys
top, files, folders = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for d in range(folders):
    os.makedirs(os.path.join(top, f"d{d:03}"), exist_ok=True)
for i in range(files):
    with open(os.path.join(top, f"d{i % folders:03}", f"f{i:05}.bin"), "wb") as f:
        f.write(os.urandom(4096))
EOF
}

tree_case() { # name files folders
  local name="$1" t="$work/src-$1"
  make_tree "$t" "$2" "$3"
  local fp fg rp rg bp bg
  timed rp rsync -a "$t/" "$rd/$name-rsync/"
  timed fp "$ferry" put "$addr" "${fopts[@]}" -q -r "$t" --to "$name-put"
  timed rg rsync -a "$rd/$name-rsync/" "$work/local/$name-rsync/"
  timed fg "$ferry" get "$addr" "${fopts[@]}" -q -r "$name-put/src-$name" --to "$work/local/$name-get"
  local notes=""
  if [ -n "$before" ]; then
    timed bp "$before" put "$addr" "${fopts[@]}" -q -r "$t" --to "$name-before"
    timed bg "$before" get "$addr" "${fopts[@]}" -q -r "$name-before/src-$name" --to "$work/local/$name-before"
    notes="before: put $bp s, get $bg s"
  fi
  line "$name: put -r vs rsync daemon (s)" "$fp" "$rp" "$notes"
  line "$name: get -r vs rsync daemon (s)" "$fg" "$rg" ""
  if [[ "$ferry_help" =~ (^|$'\n')[[:space:]]+sync[[:space:]] ]]; then
    local fs rs fn rn
    timed fs "$ferry" sync "$t" "$addr:$name-sync" "${fopts[@]}" -q
    line "$name: sync first copy vs rsync daemon (s)" "$fs" "$rp" ""
    timed fn "$ferry" sync "$t" "$addr:$name-sync" "${fopts[@]}" -q
    timed rn rsync -a "$t/" "$rd/$name-rsync/"
    line "$name: re-sync, nothing changed (s)" "$fn" "$rn" ""
  fi
  rm -rf "$t" "$work/local/$name-"* "$work/root/$name-"* "$work/rsync/$name-"*
}

big_case() {
  local t="$work/src-big" mib="$big_mib"
  mkdir -p "$t" "$work/ncdst"
  head -c "$((mib * 1048576))" /dev/urandom >"$t/big.bin"
  # nc: the plain-bytes floor, into a tmpfs file.
  local port listener start nct
  port="$(free_port)"
  nc -l 127.0.0.1 "$port" >"$work/ncdst/big.bin" & listener=$!
  for _ in $(seq 100); do listening "$port" && break; sleep 0.02; done
  start="$(now)"; nc -N 127.0.0.1 "$port" <"$t/big.bin"; wait "$listener"; nct="$(secs "$start" "$(now)")"
  rm -rf "$work/ncdst"
  local fp w0 w1 w2 fs rs rsb rsf
  w0="$(wire)"
  timed fp "$ferry" sync "$t" "$addr:big" "${fopts[@]}" -q
  w1="$(wire)"
  line "big: first copy ${mib} MiB, sync vs nc (s)" "$fp" "$nct" "goal: ratio >= 0.7 ($(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.0f", (b - a) / 1048576 }') MiB on the wire)"
  timed rsf rsync -a -e "$rsh" "$t/" "$user@127.0.0.1:$work/rsync-ssh/"
  # 1 MiB changed in the middle.
  python3 - "$t/big.bin" <<'PY'
import os, sys
with open(sys.argv[1], "r+b") as f:
    size = f.seek(0, 2); f.seek(size // 2); f.write(os.urandom(1048576))
PY
  timed fs "$ferry" sync "$t" "$addr:big" "${fopts[@]}" -q
  w2="$(wire)"
  local start2; start2="$(now)"
  rsb="$(timeout 600 rsync -a --stats -e "$rsh" "$t/" "$user@127.0.0.1:$work/rsync-ssh/" | awk '/Total bytes sent|Total bytes received/ { gsub(",", "", $4); s += $4 } END { print s }')"
  rs="$(secs "$start2" "$(now)")"
  local pct; pct="$(awk -v a="$w1" -v b="$w2" -v m="$mib" 'BEGIN { printf "%.1f", (b - a) * 100 / (m * 1048576) }')"
  line "big: 1 MiB changed, sync vs rsync over ssh (s)" "$fs" "$rs" "wire: ferry ${pct}% of the file, rsync $(awk -v b="$rsb" -v m="$mib" 'BEGIN { printf "%.2f", b * 100 / (m * 1048576) }')% (goal <= 3%)"
  rm -rf "$t" "$work/root/big" "$work/rsync-ssh"
}

text_case() {
  local t="$work/src-text" mib="$text_mib"
  python3 - "$t" "$mib" <<'PY'
import os, random, sys
top, mib = sys.argv[1], int(sys.argv[2])
words = open("/usr/share/dict/words").read().split() if os.path.exists("/usr/share/dict/words") else \
    [w for w in open(__file__ if os.path.exists(__file__) else "/etc/services").read().split() if w.isalpha()] or ["ferry", "sync", "tree"]
random.seed(1); total = 0; i = 0
while total < mib * 1048576:
    d = os.path.join(top, f"d{i % 64:02}"); os.makedirs(d, exist_ok=True)
    text = "\n".join(" ".join(random.choices(words, k=12)) for _ in range(2000)).encode()
    open(os.path.join(d, f"t{i:05}.txt"), "wb").write(text); total += len(text); i += 1
PY
  local w0 w1 ft notes
  w0="$(wire)"
  if [[ "$sync_help" == *--compress* ]]; then
    timed ft "$ferry" sync "$t" "$addr:text" "${fopts[@]}" -q --compress; notes="--compress"
  else
    timed ft "$ferry" sync "$t" "$addr:text" "${fopts[@]}" -q; notes="no --compress in this build"
  fi
  w1="$(wire)"
  local rt rb start; start="$(now)"
  rb="$(timeout 600 rsync -az --stats "$t/" "$rd/text-rsync/" | awk '/Total bytes sent|Total bytes received/ { gsub(",", "", $4); s += $4 } END { print s }')"
  rt="$(secs "$start" "$(now)")"
  local size; size="$(du -sb "$t" | cut -f1)"
  line "text: ${mib} MiB text tree, sync vs rsync -z daemon (s)" "$ft" "$rt" "$notes; wire: ferry $(awk -v a="$w0" -v b="$w1" -v s="$size" 'BEGIN { printf "%.1f", (b - a) * 100 / s }')%, rsync -z $(awk -v b="$rb" -v s="$size" 'BEGIN { printf "%.1f", b * 100 / s }')% of the bytes (goal <= 35%)"
  rm -rf "$t" "$work/root/text" "$work/rsync/text-rsync"
}

for c in "${cases[@]}"; do
  case "$c" in
    tree2k) tree_case tree2k 2000 50 ;;
    tree10k) tree_case tree10k 10000 100 ;;
    big) big_case ;;
    text) text_case ;;
  esac
done
