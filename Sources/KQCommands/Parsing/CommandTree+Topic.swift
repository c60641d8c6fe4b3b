extension CommandTree {
  static let topicName = ArgumentSpec(
    "NAME", help: "The topic name: 1 to 249 letters, digits, '.', '_' or '-'.")

  static let configFlag = FlagSpec(
    "config", value: "KEY=VALUE", repeatable: true,
    help: "Set a configuration key by Kafka's name: retention.ms, retention.bytes, segment.bytes, "
      + "segment.ms, max.message.bytes, message.timestamp.type, compression.type "
      + "(producer, uncompressed, gzip, snappy, lz4, zstd), cleanup.policy (delete, compact, compact,delete), "
      + "min.cleanable.dirty.ratio, min.compaction.lag.ms, max.compaction.lag.ms or delete.retention.ms. Times take units "
      + "(500ms, 30s, 15m, 12h, 7d; -1 or forever for no limit), sizes too (512KiB, 10MB, 1GiB). Repeatable.")

  static let retentionFlag = FlagSpec(
    "retention", value: "DURATION",
    help: "Keep records this long, e.g. 12h or 7d; -1 or forever keeps them forever (default 7d). "
      + "The same as --config retention.ms=DURATION.")

  static let topicCommands: [CommandSpec] = [
    CommandSpec(
      ["topic", "create"], summary: "Create a topic",
      arguments: [topicName],
      flags: [
        FlagSpec(
          "partitions", short: "p", value: "N",
          help: "Number of partitions, 1 to 10000 (default 1). Records with the same key always go to the same partition."),
        retentionFlag,
        configFlag,
        FlagSpec(
          "if-not-exists",
          help: "Succeed without changing anything when the topic already exists (otherwise that is an error)."),
      ],
      discussion: """
        Creates a topic with its partitions in the data directory, with Kafka's configuration \
        keys and kq's defaults for those not given. Unknown keys and bad values are refused \
        before anything is written.

        The partition count can grow later with 'kq topic alter --partitions' but never shrink.
        """,
      examples: [
        Example("kq topic create logs --partitions 3", "Create 'logs' with three partitions, kept for the default seven days."),
        Example("kq topic create clicks -p 8", "Create 'clicks' with eight partitions ('-p' is short for '--partitions', as in rpk)."),
        Example(
          "kq topic create audit --retention forever --config max.message.bytes=4MiB",
          "Keep every record of 'audit' and accept records of up to 4 MiB."),
        Example("kq topic create events --if-not-exists", "Create 'events' unless it exists; safe to repeat in a setup script."),
      ]),
    CommandSpec(
      ["topic", "list"], summary: "List topics",
      flags: [
        FlagSpec("json", help: "Print a JSON array with one object per topic instead of one name per line.")
      ],
      discussion: """
        Prints the names of the topics in the data directory, one per line and sorted, so \
        scripts and shell completion can read them. 'kq describe' shows their sizes.
        """,
      examples: [
        Example("kq topic list", "Print every topic name."),
        Example("kq --dir /srv/kq topic list --json", "List the topics of another data directory as JSON."),
      ]),
    CommandSpec(
      ["topic", "delete"], summary: "Delete topics and all their records",
      arguments: [
        ArgumentSpec("NAME", variadic: true, completion: .topic, help: "The topics to delete.")
      ],
      flags: [
        FlagSpec(
          "if-exists",
          help: "Skip names that do not exist (otherwise a missing topic is an error, exit 66).")
      ],
      discussion: """
        Deletes each named topic with its partitions and records. There is no undo. Every name \
        is checked before the first topic is deleted. A deletion that was interrupted (kill -9, \
        a power cut) is finished by deleting the name again, by creating it, or by 'kq verify \
        --repair'.
        """,
      examples: [
        Example("kq topic delete logs", "Delete 'logs' and everything in it."),
        Example("kq topic delete tmp-1 tmp-2 --if-exists", "Delete two scratch topics if they are there."),
      ]),
    CommandSpec(
      ["topic", "alter"], summary: "Change a topic's configuration or add partitions",
      arguments: [
        ArgumentSpec("NAME", completion: .topic, help: "The topic to change.")
      ],
      flags: [
        configFlag,
        retentionFlag,
        FlagSpec(
          "partitions", short: "p", value: "N",
          help: "Grow the topic to N partitions (at most 10000). A topic never shrinks."),
      ],
      rules: [.atLeastOne(["config", "retention", "partitions"])],
      discussion: """
        Changes configuration keys of an existing topic; keys not given keep their values. As \
        in Kafka, adding partitions changes the partition that new records with a given key go \
        to; records already stored stay where they are.
        """,
      examples: [
        Example("kq topic alter logs --retention 3d --config retention.bytes=1GiB", "Keep three days of 'logs', at most 1 GiB per partition."),
        Example("kq topic alter logs --partitions 6", "Grow 'logs' to six partitions."),
        Example(
          "kq topic alter users --config cleanup.policy=compact",
          "Make 'users' a changelog: compaction keeps each key's last record."),
      ]),
    CommandSpec(
      ["topic", "compact"], summary: "Compact a topic now: keep each key's last record",
      arguments: [
        ArgumentSpec("NAME", completion: .topic, help: "The topic to compact (cleanup.policy compact or compact,delete).")
      ],
      flags: [
        FlagSpec("json", help: "Print one JSON object with each partition's segments and bytes before and after.")
      ],
      discussion: """
        Compacts every partition of a compacted topic as Kafka's log cleaner does: in the sealed \
        segments only the last record of each key is kept, at its offset (offsets then have \
        gaps), and tombstones (a key with a null value) go once delete.retention.ms has passed \
        since they were first compacted. The active segment is never touched; producers and \
        consumers keep running. kq also compacts on its own when a segment rolls and the share \
        of uncompacted bytes reaches min.cleanable.dirty.ratio (0.5). Prints each partition's \
        segments and bytes before and after.
        """,
      examples: [
        Example("kq topic compact users", "Compact 'users' now and show what it saved."),
        Example("kq topic compact users --json", "The same as JSON, for scripts."),
      ]),
  ]
}
