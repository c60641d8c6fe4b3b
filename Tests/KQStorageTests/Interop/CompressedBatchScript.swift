/// kafka-python as the writer: `DefaultRecordBatchBuilder` builds batches of every codec
/// (compression_type 1–4, none too) into one `.log`, base offsets following on, then prints the
/// records it wrote, one JSON line each, as `SegmentCheckScript` does.
enum CompressedBatchScript {
  static let source = #"""
import base64, json, struct, sys
from kafka.record.default_records import DefaultRecordBatchBuilder

def b64(value):
    return None if value is None else base64.b64encode(bytes(value)).decode()

log, topic = sys.argv[1], sys.argv[2]
out, offset = bytearray(), 0
for round in range(3):
    for codec in (0, 1, 2, 3, 4):
        builder = DefaultRecordBatchBuilder(magic=2, compression_type=codec, is_transactional=False,
                                            producer_id=-1, producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
        count = 1 + (round * 37 + codec * 11) % 60
        for i in range(count):
            timestamp = 1700000000000 + offset * 10 + i
            key = None if i % 5 == 0 else f'host-{i % 3}'.encode()
            value = None if i % 17 == 16 else f'GET /item/{offset + i} 200 {i % 97} ms ok ok ok'.encode()
            headers = [('trace', f't{i}'.encode()), ('empty', None)] if i % 4 == 0 else []
            builder.append(i, timestamp=timestamp, key=key, value=value, headers=headers)
            print(json.dumps({'kind': 'record', 'topic': topic, 'partition': 0, 'offset': offset + i,
                              'timestamp': timestamp, 'key': b64(key), 'value': b64(value),
                              'headers': [[k, b64(v)] for k, v in headers]}))
        batch = builder.build()
        if (batch[21 + 1] & 7) != codec:
            print(f'codec {codec}: attributes {batch[22]}', file=sys.stderr); sys.exit(1)
        struct.pack_into('>q', batch, 0, offset)  # outside the CRC, as a broker stamps it
        out += batch
        offset += count
open(log, 'wb').write(out)
"""#
}
