#!/usr/bin/env python3
"""Times whole commands run N times (p50/p99 in ms), for comparing a fresh `ferry exec` process with ssh.

Usage: process_latency.py N LABEL -- COMMAND [ARGS...]   (repeat "LABEL -- COMMAND" groups separated by ';;')
Example:
  bench/exec/process_latency.py 30 ferry -- artifacts/cli/Ferry.Cli exec 127.0.0.1:7070 --plaintext -- true \\
      ';;' ssh -- ssh -p 22022 -i key root@127.0.0.1 true
"""
import subprocess
import sys
import time


def measure(n, argv):
    samples = []
    for _ in range(n + 2):
        start = time.perf_counter()
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = (time.perf_counter() - start) * 1000
        if done.returncode != 0:
            sys.exit(f"{argv[0]} exited with {done.returncode}: {done.stderr.decode(errors='replace').strip()}")
        samples.append(elapsed)
    samples = sorted(samples[2:])  # the first two warm caches
    p = lambda q: samples[min(len(samples) - 1, max(0, int(round(q * len(samples))) - 1))]
    return p(0.50), p(0.99)


def main():
    n = int(sys.argv[1])
    groups, current = [], []
    for arg in sys.argv[2:]:
        if arg == ";;":
            groups.append(current)
            current = []
        else:
            current.append(arg)
    groups.append(current)
    print(f"{'case':<28} {'p50 ms':>8} {'p99 ms':>8}   (n={n})")
    for group in groups:
        label, sep, argv = group[0], group[1], group[2:]
        assert sep == "--", "expected LABEL -- COMMAND"
        p50, p99 = measure(n, argv)
        print(f"{label:<28} {p50:8.2f} {p99:8.2f}")


if __name__ == "__main__":
    main()
