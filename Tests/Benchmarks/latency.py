#!/usr/bin/env python3
"""Produce-to-follower latency: write one line at a time into a running producer process and
time each line's arrival on a running follower's stdout.

  latency.py --producer 'CMD' --follower 'CMD' [--count N] [--gap-ms G] [--json OUT]
  latency.py --pipe 'CMD' ...          # one process is both: write its stdin, read its stdout

Commands are split with shlex and started without a shell (so their own PIDs are measured);
'VAR=value' words in front set environment variables. For each record: take
time.perf_counter_ns(), write the 100-byte line to the producer's stdin with one write(2),
then read the follower's stdout (select + os.read) until that exact line has arrived, and take
the clock again; then sleep --gap-ms before the next record. Before measuring, warm-up lines
are written every 100 ms until one reaches the follower (the follower is then positioned and
ready). Prints a JSON object: count, p50/p99/max/mean in ms (nearest-rank percentiles), and
the peak RSS (VmHWM, KiB) of the producer and follower read from /proc just before they are
stopped. Every loop is bounded: a record that has not arrived within --timeout seconds ends
the run with an error, and the whole run has --deadline seconds.
"""
import argparse
import json
import math
import os
import select
import shlex
import signal
import subprocess
import sys
import time


def spawn(cmd, **kw):
    words = shlex.split(cmd)
    env = dict(os.environ)
    while words and "=" in words[0] and not words[0].startswith("="):
        k, _, v = words.pop(0).partition("=")
        env[k] = v
    return subprocess.Popen(words, env=env, start_new_session=True, **kw)


def vmhwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def stop(p, grace=3.0):
    if p is None or p.poll() is not None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        p.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait(grace)


class LineReader:
    def __init__(self, fd):
        self.fd = fd
        self.buf = b""
        self.eof = False

    def wait_for(self, want, timeout):
        """Read until the line `want` (without newline) arrives; return the clock at arrival."""
        end = time.monotonic() + timeout
        while True:
            while b"\n" in self.buf:
                line, _, self.buf = self.buf.partition(b"\n")
                if line == want:
                    return time.perf_counter_ns()
            left = end - time.monotonic()
            if left <= 0 or self.eof:
                return None
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                chunk = os.read(self.fd, 1 << 16)
                if not chunk:
                    self.eof = True
                self.buf += chunk


def main():
    # A SIGTERM (from run.sh's cleanup or timeout) unwinds through the finally below, which
    # stops the producer and follower: they run in sessions of their own.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("--producer")
    ap.add_argument("--follower")
    ap.add_argument("--pipe")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--gap-ms", type=float, default=1.0)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--deadline", type=float, default=180.0)
    ap.add_argument("--stderr", default=os.devnull)
    ap.add_argument("--json")
    a = ap.parse_args()
    if not (a.pipe or (a.producer and a.follower)):
        ap.error("give --pipe, or --producer and --follower")

    err = open(a.stderr, "ab")
    prod = fol = None
    started = time.monotonic()
    try:
        if a.pipe:
            prod = fol = spawn(a.pipe, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
        else:
            fol = spawn(a.follower, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
            prod = spawn(a.producer, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
        win = prod.stdin.fileno()
        reader = LineReader(fol.stdout.fileno())

        # Warm up until the follower delivers a line (bounded: 300 tries, 100 ms apart).
        ready = False
        for k in range(300):
            w = b"warm-%06d" % k
            os.write(win, w + b"\n")
            if reader.wait_for(w, 0.1) is not None:
                ready = True
                break
            if prod.poll() is not None or fol.poll() is not None:
                break
        if not ready:
            sys.exit("latency: the follower never delivered a warm-up line")
        # Let any late warm-up lines drain.
        reader.wait_for(b"\0never", 0.2)
        reader.buf = b""

        pad = b"x" * 100
        lat = []
        gap = a.gap_ms / 1000.0
        for i in range(a.count):
            if time.monotonic() - started > a.deadline:
                sys.exit(f"latency: deadline passed after {i} records")
            line = (b"rec-%08d-" % i + pad)[:99]
            t0 = time.perf_counter_ns()
            os.write(win, line + b"\n")
            t1 = reader.wait_for(line, a.timeout)
            if t1 is None:
                sys.exit(f"latency: record {i} did not arrive within {a.timeout} s")
            lat.append((t1 - t0) / 1e6)
            if gap > 0:
                time.sleep(gap)

        rss = {"producer_kib": vmhwm(prod.pid), "follower_kib": vmhwm(fol.pid)}
    finally:
        if prod is not None and prod is not fol and prod.poll() is None:
            try:
                prod.stdin.close()
                prod.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        stop(prod)
        stop(fol)
        err.close()

    s = sorted(lat)
    def pct(q):
        return s[max(0, math.ceil(q * len(s)) - 1)]
    out = {"count": len(s), "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": s[-1],
           "mean_ms": sum(s) / len(s), "gap_ms": a.gap_ms, **rss}
    text = json.dumps(out)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
