#!/bin/bash
# Compaction benchmark (issue 15): a 1 GB partition of 10,000,000 keyed records with 100,000
# distinct keys, compacted with `kq topic compact`, against `cp -r` of the same data directory
# in the same run (interleaved, RUNS times, page cache warm, `sync` before each so neither pays
# for the other's writeback). Prints each time, the ratio and kq's peak RSS, then the medians. Usage: Tests/Benchmarks/compaction.sh [KQ_BINARY] (default .build/release/kq).
set -euo pipefail
KQ=${1:-.build/release/kq}
KQ=$(realpath "$KQ")
RUNS=${RUNS:-5}
RECORDS=${RECORDS:-10000000}
KEYS=${KEYS:-100000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kq-compaction.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
python3 - "$RECORDS" "$KEYS" <<'PY' | "$KQ" --dir pristine produce users --create -K : --sync none
import random, sys
records, keys = int(sys.argv[1]), int(sys.argv[2])
random.seed(15)
out = sys.stdout.buffer
pad = b"x" * 200
chunk = []
for i in range(records):
    chunk.append(b"user-%06d:{\"n\":%09d,\"v\":\"%s\"}" % (random.randrange(keys), i, pad[: 50 + i % 20]))
    if len(chunk) == 10000:
        out.write(b"\n".join(chunk) + b"\n"); chunk = []
if chunk: out.write(b"\n".join(chunk) + b"\n")
PY
"$KQ" --dir pristine topic alter users --config cleanup.policy=compact >/dev/null
BYTES=$(du -sb pristine/users-0 | cut -f1)
echo "partition: $(ls pristine/users-0/*.log | wc -l) segments, $BYTES bytes, $RECORDS records, $KEYS keys"
cat pristine/users-0/*.log > /dev/null
now() { date +%s.%N; }
for run in $(seq "$RUNS"); do
  rm -rf copy; sync
  start=$(now); /usr/bin/time -f "%U %S" -o cpcpu.txt cp -r pristine copy; cp_s=$(echo "$(now) - $start" | bc)
  sync
  start=$(now)
  /usr/bin/time -f "%M %U %S" -o rss.txt "$KQ" --dir copy topic compact users > report.txt
  kq_s=$(echo "$(now) - $start" | bc)
  read -r rss kq_user kq_sys < rss.txt; read -r cp_user cp_sys < cpcpu.txt
  echo "run $run: cp -r ${cp_s}s (cpu $cp_user+$cp_sys), kq topic compact ${kq_s}s (cpu $kq_user+$kq_sys), ratio $(echo "scale=2; $kq_s / $cp_s" | bc), peak RSS $rss KiB; $(cat report.txt)"
  echo "$cp_s" >> cp.txt; echo "$kq_s" >> kq.txt
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median: cp -r $(median cp.txt)s, kq topic compact $(median kq.txt)s, ratio $(echo "scale=2; $(median kq.txt) / $(median cp.txt)" | bc)"
"$KQ" --dir copy consume users --table --format '%k\n' | wc -l | sed 's/^/keys in the table: /'
"$KQ" --dir copy verify
