extension CommandTree {
  static let consume = CommandSpec(
    ["consume"], summary: "Write a topic's records to stdout",
    arguments: [
      ArgumentSpec("TOPIC", completion: .topic, help: "The topic to read.")
    ],
    flags: [
      FlagSpec(
        "from", value: "POSITION", completion: .choices(["beginning", "end"]), acceptsOtherValues: true,
        help: "Where each partition starts: beginning (default), end, an OFFSET, -N (the last N "
          + "records of each partition) or a TIME (RFC 3339 or @MILLIS). With --group, only where the group has no commit."),
      FlagSpec(
        "since", value: "DURATION",
        help: "Start at the records of the last DURATION, e.g. 15m or 2h."),
      FlagSpec(
        "until", value: "POSITION",
        help: "Stop each partition before this OFFSET or TIME (RFC 3339 or @MILLIS)."),
      FlagSpec(
        "partition", short: "p", value: "N[,N...]", repeatable: true,
        help: "Read only these partitions (default: all). Repeatable."),
      FlagSpec("max", short: "n", value: "N", help: "Stop after N records."),
      FlagSpec(
        "follow", short: "f",
        help: "At the end, wait for new records instead of exiting (the default is to exit at the end, like cat)."),
      FlagSpec(
        "format", value: "FMT",
        help: "Write each record as FMT with kcat's tokens: %t topic, %p partition, %o offset, %k key, "
          + "%s (or %v) value, %S value length, %K key length, %T timestamp, %h headers; escapes \\n \\t \\r \\0 \\xNN \\\\."),
      FlagSpec("json", help: "Write one JSON object per line: the envelope that 'kq produce --json' reads back."),
      FlagSpec("null", short: "0", help: "Write each value followed by a NUL byte instead of a newline."),
      FlagSpec(
        "group", value: "GROUP", completion: .group,
        help: "Read as consumer group GROUP: start at its committed offsets, take a lease on each "
          + "partition read (on a cluster: the partitions the group assigns, followed across rebalances), "
          + "and commit what was written (at exit, and every second with -f)."),
      FlagSpec("no-commit", help: "With --group, read from the group's position without moving it."),
      FlagSpec(
        "exec", value: "CMD",
        help: "With --group, run 'sh -c CMD' once per batch with the batch on its stdin; commit the batch only if "
          + "CMD exits 0, else stop with CMD's exit status. CMD's environment has KQ_TOPIC, "
          + "KQ_PARTITION, KQ_FIRST_OFFSET, KQ_LAST_OFFSET and KQ_GROUP."),
      FlagSpec("batch", value: "N", help: "With --exec, at most N records per batch (default 10000)."),
      FlagSpec("batch-bytes", value: "SIZE", help: "With --exec, at most SIZE bytes per batch, e.g. 1MiB (default 16MiB)."),
      FlagSpec(
        "wait",
        help: "With --group, when another consumer of the group holds every partition, wait for one "
          + "instead of exiting with status 75."),
      sessionTimeoutFlag,
      FlagSpec("idle", value: "DURATION", help: "With -f, exit 0 after DURATION without a new record, e.g. 1m."),
      FlagSpec(
        "table",
        help: "Print the table a changelog describes: each key once with its last value, keys whose last "
          + "record is a tombstone left out, active segment included (each partition in offset order)."),
    ],
    rules: [
      .atMostOne(["from", "since"]),
      .atMostOne(["format", "json", "null"]),
      .requires("no-commit", "group"),
      .requires("exec", "group"),
      .requires("wait", "group"),
      .requires("session-timeout", "group"),
      .requires("batch", "exec"),
      .requires("batch-bytes", "exec"),
      .requires("idle", "follow"),
      .atMostOne(["table", "follow"]),
      .atMostOne(["table", "group"]),
      .atMostOne(["table", "from"]),
      .atMostOne(["table", "since"]),
      .atMostOne(["table", "until"]),
    ],
    discussion: """
      Writes each record's value on its own line, each partition's records in offset order, and \
      exits at the end of the topic unless -f is given. 'kq consume big | head -1' ends quietly. \
      Records that retention deletes before kq reads them are passed over, as Kafka's consumers \
      do, with a warning on stderr naming the offsets. A topic deleted while kq reads it ends \
      kq with status 66. A compacted topic's offsets have gaps: --from, --until and a group's \
      offsets count offsets, -n counts records; --table prints the current value of each key. \
      On a cluster (--brokers), kq reads committed records only, as Java's \
      isolation.level=read_committed: records of aborted transactions and transaction markers \
      are passed over, and reading stops before a transaction still open.

      With --group, a group's partitions are leased: each is read by at most one process of the \
      group at a time, and the operating system releases the lease when a process dies, even by \
      kill -9. When every partition is taken, kq exits with status 75, or waits with --wait. \
      Committed offsets are the next offset to read, as in Kafka.

      With --exec, a batch never spans two partitions and is committed only after CMD exits 0, \
      so a failed or killed run gives the same records to the next one: delivery is at least \
      once, and a record is seen twice only if kq dies between CMD's success and the commit. \
      CMD runs in a process group of its own that never outlives kq: Ctrl-C or SIGTERM to kq \
      is passed on to it (a second one kills it), and when kq dies, even by kill -9, CMD and \
      everything it started are killed, so the next run cannot load a batch still being loaded.
      """,
    examples: [
      Example("kq consume logs --from -10", "Print the last ten records of each partition."),
      Example("kq consume logs -f --format '%p:%o %s\\n'", "Follow 'logs', showing partition and offset before each value."),
      Example(
        "kq consume orders --group loader --exec 'psql -c \"\\copy orders FROM STDIN\"'",
        "From cron: load what arrived since the last run; a failed load is retried next time."),
      Example("kq consume logs --since 1h --json | jq -r .key", "Print the keys of the last hour's records."),
    ])
}
