#!/usr/bin/env python3
"""The reference libraries' ratio and speed on FILE, measured as kq-codec-bench measures kq:
zlib (gzip wrapper, level 6 as Kafka's GZIPOutputStream), python-snappy (xerial framing as
kafka-python writes it, else raw), lz4.frame (independent 64 KiB blocks, as Kafka) and
zstandard (level 3, its default). Best of repeated runs of at least 0.3 s, MB/s of input."""
import sys
import time
import zlib


def best_speed(size, body, seconds=0.3):
    best = float("inf")
    start = time.perf_counter()
    while True:
        before = time.perf_counter()
        body()
        best = min(best, time.perf_counter() - before)
        if time.perf_counter() - start >= seconds:
            return size / best / 1e6


def codecs():
    def gzip_compress(data):
        c = zlib.compressobj(6, zlib.DEFLATED, 31)
        return c.compress(data) + c.flush()

    yield "gzip", gzip_compress, lambda d: zlib.decompress(d, 31)
    try:
        import snappy
        yield "snappy", snappy.compress, snappy.decompress
    except ImportError:
        pass
    try:
        import lz4.frame
        yield "lz4", lambda d: lz4.frame.compress(d, block_linked=False, store_size=False), lz4.frame.decompress
    except ImportError:
        pass
    try:
        import zstandard
        compressor, decompressor = zstandard.ZstdCompressor(level=3), zstandard.ZstdDecompressor()
        yield "zstd", compressor.compress, decompressor.decompress
    except ImportError:
        pass


def main():
    data = open(sys.argv[1], "rb").read()
    wanted = sys.argv[2:]
    # --write DIR: also leave each library's stream in DIR/NAME.stream for kq to decode.
    out_dir = None
    if wanted[:1] == ["--write"]:
        out_dir, wanted = wanted[1], wanted[2:]
    for name, compress, decompress in codecs():
        if wanted and name not in wanted:
            continue
        compressed = compress(data)
        assert decompress(compressed) == data
        if out_dir:
            with open(f"{out_dir}/{name}.stream", "wb") as f:
                f.write(compressed)
        c = best_speed(len(data), lambda: compress(data))
        d = best_speed(len(data), lambda: decompress(compressed))
        print(f"library {name:7s} {len(compressed)} bytes  ratio {len(data) / len(compressed):.2f}  "
              f"compress {int(c)} MB/s  decompress {int(d)} MB/s")


main()
