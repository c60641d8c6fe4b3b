#!/usr/bin/env bash
# KQCompression's ratio and speed beside the reference C libraries (through Python), on 16 MiB
# of log lines and 4 MiB of noise. Release build in .build-bench; not a test.
#   Tests/Benchmarks/codecs.sh [CODEC ...]     (gzip snappy lz4 zstd; default all)
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product kq-codec-bench --scratch-path .build-bench >/dev/null
data=$(mktemp -d "${TMPDIR:-/tmp}/kq-codecs.XXXXXX")
trap 'rm -rf "$data"' EXIT
python3 Tests/Benchmarks/codec_data.py "$data"
for file in logs.txt noise.bin; do
  echo "== $file ($(stat -c %s "$data/$file") bytes)"
  .build-bench/release/kq-codec-bench "$data/$file" "$@"
  python3 Tests/Benchmarks/codec_peers.py "$data/$file" --write "$data" "$@"
  for stream in "$data"/*.stream; do
    .build-bench/release/kq-codec-bench --decode "$(basename "$stream" .stream)" "$stream" "$data/$file"
  done
  rm -f "$data"/*.stream
done
