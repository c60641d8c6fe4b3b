#!/usr/bin/env python3
"""Write the codec benchmark's inputs into DIR (deterministic): logs.txt, 16 MiB of
application log lines (the 'log-line data' of issue 12's ratio target), and noise.bin, 4 MiB
of random bytes (incompressible)."""
import random
import sys

rnd = random.Random(12)
levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
paths = ["/api/v1/users", "/api/v1/orders", "/health", "/api/v2/search", "/static/app.js"]
methods = ["GET", "GET", "POST", "PUT", "DELETE"]
out, size, millis = [], 0, 1_714_560_000_000
while size < 16 << 20:
    millis += rnd.randint(0, 40)
    line = (f"2024-05-01T{millis // 3_600_000 % 24:02d}:{millis // 60000 % 60:02d}:{millis // 1000 % 60:02d}."
            f"{millis % 1000:03d}Z {rnd.choice(levels)} [worker-{rnd.randint(1, 16)}] {rnd.choice(methods)} "
            f"{rnd.choice(paths)}/{rnd.randint(1, 99999)} status={rnd.choice([200, 200, 200, 201, 404, 500])} "
            f"latency_ms={rnd.randint(1, 900)} request_id={rnd.getrandbits(64):x}\n").encode()
    out.append(line)
    size += len(line)
with open(sys.argv[1] + "/logs.txt", "wb") as f:
    f.write(b"".join(out)[: 16 << 20])
with open(sys.argv[1] + "/noise.bin", "wb") as f:
    f.write(rnd.randbytes(4 << 20))
