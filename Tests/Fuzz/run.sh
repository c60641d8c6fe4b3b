#!/usr/bin/env bash
# kq's libFuzzer targets (issue 10). Usage: Tests/Fuzz/run.sh [SECONDS] [TARGET...]; see README.md.
set -u -o pipefail

usage() {
  cat <<'USAGE'
usage: Tests/Fuzz/run.sh [options] [SECONDS] [TARGET...]

Builds the kq-fuzz product in release with -sanitize=fuzzer,address (in .build-fuzz) and runs
each target (all when none are named) for SECONDS (default 20), one after another, starting
from its committed corpus in Tests/Fuzz/Corpus/TARGET. Inputs that find new coverage go to a
temporary folder (removed) unless --keep-new; a crash, hang, leak or wrong answer stops that
target: the input is saved in .build-fuzz/findings/TARGET/ and printed (base64), and the script
exits 1 after the other targets ran. Prints executions per target.

  --keep-new     merge the inputs that found new coverage into the committed corpus (minimised)
  --no-build     use the kq-fuzz already in .build-fuzz
  -h, --help     show this help

Targets: batch index recovery json arguments gzip snappy lz4 zstd
USAGE
}

cd "$(dirname "$0")/../.."
seconds=20
keep_new=0
build=1
targets=()
while (($#)); do
  case $1 in
    --keep-new) keep_new=1 ;;
    --no-build) build=0 ;;
    -h | --help) usage; exit 0 ;;
    [0-9]*) seconds=$1 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
((${#targets[@]})) || targets=(batch index recovery json arguments gzip snappy lz4 zstd)

binary=.build-fuzz/release/kq-fuzz
if ((build)); then
  echo "== building kq-fuzz (release, -sanitize=fuzzer,address)"
  swift build -c release --product kq-fuzz --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DKQ_FUZZING 2>&1 \
    | grep -Ev "Cannot export local symbol '__asan_extra_spill_area'" | tail -3
  [[ -x $binary ]] || { echo "Tests/Fuzz/run.sh: the build made no $binary" >&2; exit 1; }
fi

work=$(mktemp -d "${TMPDIR:-/dev/shm}/kq-fuzz-run.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
# Where the storage targets keep their data directories; tmpfs when there is one.
scratch=$work/scratch
mkdir -p "$scratch"
failed=()
total=0
printf '%-10s %12s %10s %8s  %s\n' target executions exec/s corpus result
for target in "${targets[@]}"; do
  corpus=Tests/Fuzz/Corpus/$target
  [[ -d $corpus ]] || { echo "Tests/Fuzz/run.sh: no corpus folder $corpus" >&2; exit 64; }
  new=$work/new-$target
  findings=$work/findings-$target
  mkdir -p "$new" "$findings"
  log=$work/$target.log
  # The Swift runtime's backtracer would run after libFuzzer reported a crash; it only adds noise.
  KQ_FUZZ_TARGET=$target KQ_FUZZ_SCRATCH=$scratch ASAN_OPTIONS=detect_leaks=1 SWIFT_BACKTRACE=enable=no \
    "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$findings/" "$new" "$corpus" >"$log" 2>&1
  status=$?
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  size=$(find "$new" "$corpus" -type f | wc -l)
  total=$((total + ${executions:-0}))
  result=ok
  found=$(find "$findings" -type f | head -1)
  if ((status != 0)) || [[ -n $found ]]; then
    result="FAILED (status $status)"
    failed+=("$target")
    mkdir -p ".build-fuzz/findings/$target"
    for file in "$findings"/*; do [[ -f $file ]] && cp "$file" ".build-fuzz/findings/$target/"; done
  fi
  printf '%-10s %12s %10s %8s  %s\n' "$target" "${executions:-?}" "${rate:-?}" "$size" "$result"
  if [[ $result != ok ]]; then
    grep -E "ERROR|SUMMARY|wrong answer|Fatal error|deadly signal|timeout|Test unit written|Base64" "$log" | head -12 | sed 's/^/    /'
    echo "    replay: .build/debug/kq-fuzz $target .build-fuzz/findings/$target/  (or: KQ_FUZZ_TARGET=$target $binary FILE)"
  elif ((keep_new)) && [[ -n $(ls -A "$new") ]]; then
    merged=$work/merged-$target
    mkdir -p "$merged"
    KQ_FUZZ_TARGET=$target KQ_FUZZ_SCRATCH=$scratch "$binary" -merge=1 -max_len=65536 "$merged" "$corpus" "$new" \
      >"$work/$target.merge.log" 2>&1
    for file in "$merged"/*; do [[ -e $corpus/$(basename "$file") ]] || cp "$file" "$corpus/"; done
  fi
done
echo "total executions: $total"
if ((${#failed[@]})); then
  echo "Tests/Fuzz/run.sh: findings in: ${failed[*]} (kept in .build-fuzz/findings/)" >&2
  exit 1
fi
