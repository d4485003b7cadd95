#!/usr/bin/env python3
"""Keystroke echo latency through remote terminals: one byte to the remote `cat` and back, several clients at once.

Each CLIENT (e.g. `ferry exec -t HOST -- 'stty raw -echo; exec cat'` or `ssh -tt HOST 'stty raw -echo; exec cat'`)
runs on a local pseudo-terminal that is already raw (so nothing is echoed locally). Once every remote cat answers,
single bytes go out one at a time, taking the clients in turn (a byte to the first, wait for it to come back, a byte
to the second, ...), so every client is measured under the same load at the same moments: on a shared machine the
load swings by several times within seconds, and clients measured one after the other would be compared across
different loads. The remote side is raw too (`stty raw -echo`), so each byte comes back from cat itself, not from the
remote line discipline's echo. Prints p50/p99/mean in microseconds per client.

usage: echo_latency.py [--count N] [--json] LABEL -- CLIENT ARGS... [';;' LABEL -- CLIENT ARGS...]...
"""
import argparse, json, os, pty, select, statistics, sys, time, tty, signal


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("clients", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    clients = parse_clients(args.clients)
    if not clients:
        sys.exit("usage: echo_latency.py [--count N] LABEL -- CLIENT ARGS... [';;' LABEL -- CLIENT ARGS...]")
    started = []
    try:
        for label, command in clients:
            pid, fd = pty.fork()
            if pid == 0:
                tty.setraw(0)
                os.execvp(command[0], command)
            started.append((label, pid, fd))
        for label, _, fd in started:
            if not wait_ready(fd):
                sys.exit(f"{label}: the remote cat never answered")
        samples = {label: [] for label, _, _ in started}
        for i in range(args.count):
            b = bytes([ord("a") + i % 26])
            for label, _, fd in started:
                start = time.perf_counter_ns()
                os.write(fd, b)
                if not read_until(fd, b, 5.0):
                    sys.exit(f"{label}: byte {i} never came back")
                samples[label].append((time.perf_counter_ns() - start) / 1000)
        for label, _, _ in started:
            s = sorted(samples[label])
            result = {
                "label": label, "count": len(s),
                "p50_us": round(s[len(s) // 2], 1),
                "p99_us": round(s[min(len(s) - 1, int(len(s) * 0.99))], 1),
                "mean_us": round(statistics.fmean(s), 1),
            }
            print(json.dumps(result) if args.json else
                  f"{label:>12}: p50 {result['p50_us']:8.1f} us   p99 {result['p99_us']:8.1f} us   mean {result['mean_us']:8.1f} us   (n={len(s)})")
    finally:
        for _, pid, _ in started:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for _, pid, _ in started:
            os.waitpid(pid, 0)


def parse_clients(words):
    clients, current = [], []
    for word in words + [";;"]:
        if word == ";;":
            if current:
                if len(current) < 3 or current[1] != "--":
                    sys.exit(f"each client is LABEL -- COMMAND...; got {current}")
                clients.append((current[0], current[2:]))
            current = []
        else:
            current.append(word)
    return clients


def wait_ready(fd):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        os.write(fd, b"R")
        if read_until(fd, b"R", 0.2):
            # Drain what else is in flight (more R's sent before the first came back).
            while read_until(fd, None, 0.3):
                pass
            return True
    return False


def read_until(fd, wanted, timeout):
    """Reads until `wanted` arrives (True), or, with wanted None, until anything arrives; False after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            return False
        try:
            data = os.read(fd, 4096)
        except OSError:
            return False
        if wanted is None or wanted in data:
            return True


if __name__ == "__main__":
    main()
