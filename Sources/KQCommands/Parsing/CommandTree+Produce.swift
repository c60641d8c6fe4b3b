extension CommandTree {
  static let produce = CommandSpec(
    ["produce"], summary: "Append records read from stdin to a topic",
    arguments: [
      ArgumentSpec("TOPIC", completion: .topic, help: "The topic to write to.")
    ],
    flags: [
      FlagSpec(
        "null", short: "0",
        help: "Read NUL-terminated records (as find -print0 writes them) instead of lines. "
          + "A last record without a NUL still counts."),
      FlagSpec(
        "json",
        help: "Read JSON Lines: {\"key\":...,\"value\":...,\"headers\":[[\"k\",\"v\"],...],\"partition\":N,"
          + "\"timestamp\":MILLIS}, every field optional. Strings are UTF-8, {\"base64\":\"...\"} for other bytes, null for null."),
      FlagSpec("empty-as-null", short: "Z", help: "Store empty values as null (tombstones)."),
      FlagSpec(
        "key-delimiter", short: "K", value: "D",
        help: "Split each record into key and value at the first D; a record without D has a null key."),
      FlagSpec("key", value: "K", help: "Give every record the key K."),
      FlagSpec(
        "header", short: "H", value: "K=V", repeatable: true,
        help: "Add header K with value V to every record. Repeatable; order and repeated names are kept."),
      FlagSpec(
        "partition", short: "p", value: "N",
        help: "Write every record to partition N (default: Kafka's murmur2 of the key, so a key "
          + "lands where Kafka would put it; records without a key are spread over the partitions)."),
      FlagSpec(
        "create",
        help: "Create the topic with default settings if it does not exist (otherwise that is an error, exit 66), "
          + "with partitions up to -p's when it is given. With --json, a record naming a partition the new topic lacks adds partitions up to it, "
          + "so 'kq consume T --json | kq produce COPY --json --create' keeps every record's partition."),
      FlagSpec(
        "print-offsets",
        help: "Write one line 'PARTITION OFFSET' to stdout for each record stored."),
      FlagSpec(
        "sync", value: "MODE", completion: .choices(["exit", "batch", "none"]),
        help: "When records reach the disk: exit (default) fsyncs before exiting 0 and at least once "
          + "a second while input streams; batch fsyncs every batch; none leaves it to the OS."),
      FlagSpec(
        "compression", value: "CODEC", completion: .choices(ProduceOptions.compressionNames),
        help: "Compress each batch with CODEC: none (default), gzip, snappy, lz4 or zstd, as Kafka's "
          + "producer does. A topic whose compression.type names a codec stores that one instead."),
      FlagSpec(
        "timestamp", value: "TIME",
        help: "Give every record this timestamp: RFC 3339 (2024-05-01T09:00:00Z) or @MILLIS, 1970 or "
          + "later, or @-1 for none (default: the time the record is read)."),
    ],
    rules: [
      .atMostOne(["null", "json"]),
      .atMostOne(["json", "key-delimiter"]),
      .atMostOne(["key", "key-delimiter"]),
    ],
    discussion: """
      Reads records from stdin, one per line by default: a last line without a newline still \
      counts and an empty line is an empty value. Each line is visible to consumers as soon as \
      it is read, so a slow pipe such as 'tail -f' is not held back by buffering. Empty input \
      stores nothing and exits 0.

      A malformed --json line, or a record larger than the topic's max.message.bytes, stops the \
      run with exit status 65 and a message naming its line and how many records before it were \
      stored; those records are kept. An interrupted run keeps every record read so far. If the \
      topic is deleted during the run, kq exits with status 66 instead of 0: its records went \
      with the topic. Any number of 'kq produce --create' may create the same topic at once.
      """,
    examples: [
      Example("tail -F /var/log/app.log | kq produce logs --create", "Append each new log line to 'logs' as it is written."),
      Example("printf 'user42:pro\\n' | kq produce users -K :", "Store value 'pro' with key 'user42'; one key always lands in one partition."),
      Example("find . -name '*.csv' -print0 | kq produce files -0 --print-offsets", "Store file names safely, printing where each one went."),
      Example("kq consume logs --json | kq produce logs-copy --json --create", "Copy a topic with its keys, headers and timestamps."),
    ])

  static let describe = CommandSpec(
    ["describe"], summary: "Show the data directory, or one topic in detail",
    arguments: [
      ArgumentSpec("TOPIC", optional: true, completion: .topic, help: "The topic to describe (default: every topic, in brief).")
    ],
    flags: [
      FlagSpec(
        "json",
        help: "Print JSON with snake_case keys (log_start_offset, end_offset, records, bytes, "
          + "segments, first_timestamp, last_timestamp, codecs: stored bytes per codec, compression_ratio: "
          + "decoded over stored bytes of the compressed batches), one object per partition under partitions.")
    ],
    discussion: """
      Without a topic: the data directory's path and every topic with its partitions, records \
      and bytes. With one: its configuration and, per partition, the log start and end offsets, \
      records, bytes, segments, first and last timestamps, the codec mix (each codec's share of \
      the stored bytes) and compression ratio (decoded over stored bytes, measured on the newest \
      16 MiB of compressed batches), and each consumer group's committed offset and lag.
      """,
    examples: [
      Example("kq describe", "Summarize the data directory."),
      Example("kq describe logs", "Show the configuration, partitions and group lag of 'logs'."),
      Example("kq describe logs --json | jq '.partitions[].end_offset'", "Print each partition's end offset."),
    ])
}
