#!/usr/bin/env python3
"""lz4ratio.py PLAIN_DIR LZ4_DIR: kq's lz4 against python-lz4 on the same batches (issue 12).

PLAIN_DIR and LZ4_DIR are kq data directories holding topic t, produced from the same file
(not a pipe, so that the batches are cut alike) without and with --compression lz4. Every
records section of PLAIN_DIR's batches is compressed by python-lz4 at its default level, as
frames (linked blocks, its default; independent blocks, what Kafka's Java client reads) and as
one block; their sizes are printed beside the sections kq stored in LZ4_DIR."""
import glob, struct, sys
import lz4.block, lz4.frame


def sections(directory):
    for path in sorted(glob.glob(directory + "/t-*/*.log")):
        data = open(path, "rb").read()
        p = 0
        while p + 61 <= len(data):
            (length,) = struct.unpack(">i", data[p + 8:p + 12])
            yield data[p + 61:p + 12 + length]
            p += 12 + length


plain = list(sections(sys.argv[1]))
raw = sum(len(s) for s in plain)
rows = [
    ("kq lz4", sum(len(s) for s in sections(sys.argv[2]))),
    ("python lz4.frame default (linked)", sum(len(lz4.frame.compress(s)) for s in plain)),
    ("python lz4.frame independent", sum(len(lz4.frame.compress(s, block_linked=False)) for s in plain)),
    ("python lz4.block default", sum(len(lz4.block.compress(s, store_size=False)) for s in plain)),
]
print(f"{len(plain)} batches, {raw} bytes of records")
for name, size in rows:
    print(f"{name:36s} {size:11d}  ratio {raw / size:.3f}")
