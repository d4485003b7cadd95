#!/usr/bin/env bash
# Installs the programs the test suite drives as real peers, from Debian's packages, when they are missing:
# netcat (raw echo checks), python3 (the protocol-from-the-spec client), chrony (a real NTP client), tmux (a real
# terminal), redis-server (the chat backplane's store), strace (which files a fresh CLI opens), chromium (the web page's browser tests), nodejs (the comparison peers), and the C toolchain the Native
# AOT CLI links with. Called by ./test.sh and .ci/run. Quiet and idempotent: prints nothing when all is there; one
# line when it installs, and one line saying what is missing when it cannot (no root, no sudo, no apt-get). It never
# fails the caller's run by itself: the tests that need a missing peer say so.
set -u
need=() missing=()
want() { missing+=("$1"); need+=("$2"); }
command -v nc >/dev/null 2>&1 || want nc netcat-openbsd
command -v python3 >/dev/null 2>&1 || want python3 python3
# chrony: chronyd -Q only queries a server; it never sets the clock.
installing_chrony=0
if ! command -v chronyd >/dev/null 2>&1 && [ ! -x /usr/sbin/chronyd ]; then want chronyd chrony; installing_chrony=1; fi
command -v setpriv >/dev/null 2>&1 || want setpriv util-linux
command -v tmux >/dev/null 2>&1 || want tmux tmux
command -v strace >/dev/null 2>&1 || want strace strace
# zsh and fish: 'ferry completion zsh|fish' loaded into the real shells (CompletionTests).
command -v zsh >/dev/null 2>&1 || want zsh zsh
command -v fish >/dev/null 2>&1 || want fish fish
command -v node >/dev/null 2>&1 || want node nodejs
# chromium: the web page's browser tests (issue #19) drive Debian's build through Playwright; none is downloaded.
[ -x /usr/bin/chromium ] || want chromium chromium
# redis-server: the chat's Redis backplane tests (issue #20) start their own on a free loopback port.
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || want redis-server redis-server
# The Native AOT CLI links with the OS toolchain (the compiler itself comes from NuGet): a C compiler-driver,
# objcopy for the symbol file, and the C library's development files.
command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || want clang clang
command -v objcopy >/dev/null 2>&1 || command -v llvm-objcopy >/dev/null 2>&1 || want objcopy binutils
if command -v dpkg-query >/dev/null 2>&1; then
  dpkg-query -W -f='${Status}' libc6-dev 2>/dev/null | grep -q 'ok installed' || want libc6-dev libc6-dev
fi
[ ${#need[@]} -eq 0 ] && exit 0
cannot() {
  echo "test peers: cannot install ${missing[*]} ($1); the tests that drive them will fail saying so (Debian: apt-get install ${need[*]})" >&2
  exit 0
}
command -v apt-get >/dev/null 2>&1 || cannot "no apt-get on this machine"
if [ "$(id -u)" = 0 ]; then sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then sudo=(sudo -n)
else cannot "not root, and no sudo without a password"
fi
echo "test peers: installing ${need[*]} (apt-get, once)" >&2
# Another apt run (a parallel test.sh, unattended upgrades) holds the lock for a while: wait for it, not fail.
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -qq -o DPkg::Lock::Timeout=120)
install() { "${apt[@]}" install "$@" >/dev/null 2>&1; }
# A fresh machine has no package lists yet: update only when the install cannot find the packages.
if ! install "${need[@]}"; then
  "${apt[@]}" update >/dev/null 2>&1
  if ! install "${need[@]}"; then
    # One package this distribution lacks must not keep the others out: one at a time, and name the ones that failed.
    all=("${need[@]}") names=("${missing[@]}") need=() missing=()
    for i in "${!all[@]}"; do install "${all[$i]}" || { need+=("${all[$i]}"); missing+=("${names[$i]}"); }; done
    [ ${#need[@]} -eq 0 ] || cannot "apt-get install failed; run it by hand to see why"
  fi
fi
# The package may start chronyd as the system's time daemon; a test machine must not have its clock steered by
# a daemon we brought in, so stop the one this install started (a chrony that was already there is left alone).
if [ "$installing_chrony" = 1 ] && [ -f /run/chrony/chronyd.pid ]; then
  "${sudo[@]}" kill "$(cat /run/chrony/chronyd.pid)" >/dev/null 2>&1 || true
fi
exit 0
