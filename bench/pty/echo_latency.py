#!/usr/bin/env python3
"""Keystroke echo latency through a remote terminal: one byte to the remote `cat` and back.

Runs CLIENT... (e.g. `ferry exec -t HOST -- 'stty raw -echo; cat'` or `ssh -tt HOST 'stty raw -echo; cat'`) on a
local pseudo-terminal that is already raw (so nothing is echoed locally), waits until the remote cat answers, then
sends N single bytes one at a time, each only after the previous came back, and prints p50/p99/mean in microseconds.
The remote side is raw too (`stty raw -echo`), so each byte comes back from cat itself, not from the remote line
discipline's echo.

usage: echo_latency.py --label NAME --count N -- CLIENT ARGS...
"""
import argparse, json, os, pty, select, statistics, sys, time, tty, signal


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    pid, fd = pty.fork()
    if pid == 0:
        tty.setraw(0)
        os.execvp(command[0], command)
    try:
        ready = wait_ready(fd)
        if not ready:
            sys.exit(f"{args.label}: the remote cat never answered")
        samples = []
        for i in range(args.count):
            b = bytes([ord("a") + i % 26])
            start = time.perf_counter_ns()
            os.write(fd, b)
            if not read_until(fd, b, 5.0):
                sys.exit(f"{args.label}: byte {i} never came back")
            samples.append((time.perf_counter_ns() - start) / 1000)
        samples.sort()
        result = {
            "label": args.label, "count": len(samples),
            "p50_us": round(samples[len(samples) // 2], 1),
            "p99_us": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 1),
            "mean_us": round(statistics.fmean(samples), 1),
        }
        print(json.dumps(result) if args.json else
              f"{args.label:>12}: p50 {result['p50_us']:8.1f} us   p99 {result['p99_us']:8.1f} us   mean {result['mean_us']:8.1f} us   (n={len(samples)})")
    finally:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)


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
