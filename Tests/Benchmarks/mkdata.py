#!/usr/bin/env python3
"""Write the benchmark's data sets into DIR (deterministic: the same bytes every run).

  d100.txt     1,000,000 lines of 100 bytes (99-byte value + newline): 100,000,000 bytes
  keyed.txt    1,000,000 lines of 100 bytes 'key:value' (10,000 distinct keys 'user0000'..)
  d1k.txt      200,000 lines of a 1,024-byte value + newline: 205,000,000 bytes
  one.txt      one line of 100 bytes
  logs100.txt  1,000,000 application log lines of exactly 100 bytes (issue 12's compression rows)
  d100.resp    d100.txt as Redis protocol: XADD s100 * v VALUE per line (for redis-cli --pipe)
  d1k.resp     d1k.txt as Redis protocol: XADD s1k * v VALUE per line

Values are printable ASCII letters and digits only (no ',', '"', ':' in values), so the
same files load unchanged into sqlite3's .import (csv mode) and split cleanly at ':'.
"""
import random
import sys
from pathlib import Path

ALPHABET = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def pool(n, seed):
    rnd = random.Random(seed)
    return bytes(ALPHABET[b % len(ALPHABET)] for b in rnd.randbytes(n))


def lines(count, value_len, seed, prefix=b"", key=None):
    """Yield `count` values of exactly value_len bytes, each starting with its number."""
    p = pool(1 << 20, seed)
    span = len(p) - value_len
    step = 7919
    for i in range(count):
        head = b"%09d" % i
        off = (i * step) % span
        yield head + p[off: off + value_len - len(head)]


def write(path, it, chunk=4096):
    with open(path, "wb", buffering=1 << 22) as f:
        buf = []
        for line in it:
            buf.append(line)
            if len(buf) >= chunk:
                f.write(b"".join(buf))
                buf.clear()
        f.write(b"".join(buf))


def log_lines(count, seed):
    """Yield `count` log lines of 99 bytes (timestamp, level, worker, request, status,
    latency, request id), padded with spaces: the kind of text log topics hold."""
    rnd = random.Random(seed)
    levels = [b"INFO", b"INFO", b"INFO", b"DEBUG", b"WARN", b"ERROR"]
    paths = [b"/api/v1/users", b"/api/v1/orders", b"/health", b"/api/v2/search", b"/static/app.js"]
    millis = 1_714_560_000_000
    for _ in range(count):
        millis += rnd.randint(0, 40)
        line = b"2024-05-01T%02d:%02d:%02d.%03dZ %s [w%d] GET %s/%d %d %dms id=%x" % (
            millis // 3_600_000 % 24, millis // 60000 % 60, millis // 1000 % 60, millis % 1000,
            rnd.choice(levels), rnd.randint(1, 16), rnd.choice(paths), rnd.randint(1, 99999),
            rnd.choice([200, 200, 200, 201, 404, 500]), rnd.randint(1, 900), rnd.getrandbits(32))
        yield line[:99].ljust(99)


def resp(stream, values):
    s = stream.encode()
    head = b"*5\r\n$4\r\nXADD\r\n$%d\r\n%s\r\n$1\r\n*\r\n$1\r\nv\r\n" % (len(s), s)
    for v in values:
        yield head + b"$%d\r\n" % len(v) + v + b"\r\n"


def main():
    out = Path(sys.argv[1])
    n100 = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    n1k = int(sys.argv[3]) if len(sys.argv) > 3 else 200_000
    out.mkdir(parents=True, exist_ok=True)
    write(out / "d100.txt", (v + b"\n" for v in lines(n100, 99, 1)))
    keyed = ((b"user%04d:" % (i % 10000)) + v + b"\n"
             for i, v in enumerate(lines(n100, 90, 2)))
    write(out / "keyed.txt", keyed)
    write(out / "d1k.txt", (v + b"\n" for v in lines(n1k, 1024, 3)))
    write(out / "one.txt", (v + b"\n" for v in lines(1, 99, 4)))
    write(out / "logs100.txt", (v + b"\n" for v in log_lines(n100, 5)))
    write(out / "d100.resp", resp("s100", lines(n100, 99, 1)))
    write(out / "d1k.resp", resp("s1k", lines(n1k, 1024, 3)))


if __name__ == "__main__":
    main()
