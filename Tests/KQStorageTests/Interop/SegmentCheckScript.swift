/// The independent reader: kafka-python's own RecordBatch v2 parser over every `.log` of a kq
/// data directory, adapted from kafka-format.md §8. It checks each batch (length, magic, CRC,
/// offsets continuing across segments, kq's fixed header fields), each `.index` entry (a batch
/// start, keyed by that batch's last offset) and `.timeindex` entry (the largest timestamp so
/// far and the last offset of the batch that carried it), then prints one JSON line per record
/// (bytes as base64) and per segment. Problems go to stderr, one per line, and exit 1. A
/// compressed batch (attributes bits 0–2) is decoded by kafka-python's codecs (the PyPI lz4,
/// zstandard and python-snappy packages, Python's gzip).
enum SegmentCheckScript {
  static let source = #"""
import base64, json, os, re, struct, sys
from kafka.record.default_records import DefaultRecordBatch

problems = []
def problem(text):
    problems.append(text)

def b64(value):
    return None if value is None else base64.b64encode(bytes(value)).decode()

root = sys.argv[1]
# 'compacted': segments a cleaner wrote, as Kafka's leaves them: offsets may leave gaps (records
# dropped inside a batch, whole batches dropped), and bit 6 (delete horizon) may be set.
compacted = len(sys.argv) > 2 and sys.argv[2] == 'compacted'
partitions = []
for name in sorted(os.listdir(root)):
    match = re.fullmatch(r'(.+)-(\d+)', name)
    if match and os.path.isdir(os.path.join(root, name)):
        partitions.append((match.group(1), int(match.group(2)), os.path.join(root, name)))

for topic, partition, folder in partitions:
    logs = sorted(f for f in os.listdir(folder) if f.endswith('.log'))
    expect = None
    for number, log_name in enumerate(logs):
        log = os.path.join(folder, log_name)
        where = f'{topic}-{partition}/{log_name}'
        data, seg_base = open(log, 'rb').read(), int(log_name[:-4])
        if expect is not None and (seg_base < expect if compacted else seg_base != expect):
            problem(f'{where}: segment base {seg_base}, previous segment ended at {expect}')
        pos, expect, batches, codecs = 0, seg_base, {}, set()
        while pos + 12 <= len(data):
            base, length = struct.unpack_from('>qi', data, pos)
            end = pos + 12 + length
            if length < 49 or end > len(data) or data[pos + 16] != 2:
                problem(f'{where} @{pos}: torn or non-v2 batch (length {length})'); break
            batch = DefaultRecordBatch(data[pos:end])
            if not batch.validate_crc():
                problem(f'{where} @{pos}: CRC mismatch (stored {batch.crc:#010x})'); break
            if (base < expect) if compacted else (base != expect):
                problem(f'{where} @{pos}: base offset {base}, expected {expect}')
            fields = (batch.leader_epoch, batch.attributes & ~(0x47 if compacted else 7), batch.producer_id, batch.producer_epoch, batch.base_sequence)
            if fields != (0, 0, -1, -1, -1):
                problem(f'{where} @{pos}: epoch, attributes, producer id/epoch, sequence are {fields}')
            if (batch.records_count > batch.last_offset_delta + 1) if compacted else (batch.records_count != batch.last_offset_delta + 1):
                problem(f'{where} @{pos}: {batch.records_count} records, last offset delta {batch.last_offset_delta}')
            offset, largest = base, None
            for r in batch:
                if (r.offset < offset or r.offset > batch.last_offset) if compacted else r.offset != offset:
                    problem(f'{where} @{pos}: record offset {r.offset}, expected {offset}')
                offset = r.offset + 1
                largest = r.timestamp if largest is None else max(largest, r.timestamp)
                print(json.dumps({'kind': 'record', 'topic': topic, 'partition': partition, 'offset': r.offset,
                                  'timestamp': r.timestamp, 'key': b64(r.key), 'value': b64(r.value),
                                  'headers': [[k, b64(v)] for k, v in r.headers]}))
            if largest != batch.max_timestamp:
                problem(f'{where} @{pos}: maxTimestamp {batch.max_timestamp}, records reach {largest}')
            batches[pos] = (base, batch.last_offset, batch.max_timestamp)
            codecs.add(batch.attributes & 7)
            expect, pos = batch.next_offset, end
        if pos != len(data):
            problem(f'{where}: {len(data) - pos} bytes after the last whole batch')
        by_last = {last: (start, ts) for start, (_, last, ts) in batches.items()}
        counts = {}
        for ext, fmt in (('.index', '>ii'), ('.timeindex', '>qi')):
            path, size = log[:-4] + ext, struct.calcsize(fmt)
            raw = open(path, 'rb').read() if os.path.exists(path) else b''
            if len(raw) % size:
                problem(f'{where}{ext}: length {len(raw)} is not a multiple of {size}')
            entries = [struct.unpack_from(fmt, raw, i) for i in range(0, len(raw) - len(raw) % size, size)]
            counts[ext] = len(entries)
            for i, (a, b) in enumerate(entries):
                if ext == '.index':
                    if b not in batches or batches[b][1] != seg_base + a or b == 0:
                        problem(f'{where}{ext}: entry {i} (offset {seg_base + a} -> byte {b}) is not a batch keyed by its last offset')
                    if i and (a, b) <= entries[i - 1]:
                        problem(f'{where}{ext}: entry {i} does not grow')
                else:
                    carried = by_last.get(seg_base + b)
                    running = max((ts for (_, last, ts) in batches.values() if last <= seg_base + b), default=None)
                    if carried is None or carried[1] != a or running != a:
                        problem(f'{where}{ext}: entry {i} (ts {a} -> offset {seg_base + b}) is not the largest timestamp so far carried by that batch')
                    if i and a <= entries[i - 1][0]:
                        problem(f'{where}{ext}: entry {i} timestamp does not grow')
            if ext == '.timeindex' and number < len(logs) - 1 and batches:
                top = max(ts for (_, _, ts) in batches.values())
                if not entries or entries[-1][0] != top:
                    problem(f'{where}{ext}: sealed segment lacks its final entry for {top}')
        print(json.dumps({'kind': 'segment', 'topic': topic, 'partition': partition, 'base': seg_base,
                          'batches': len(batches), 'index': counts['.index'], 'timeindex': counts['.timeindex'],
                          'codecs': sorted(codecs)}))

for text in problems:
    print(text, file=sys.stderr)
sys.exit(1 if problems else 0)
"""#
}
