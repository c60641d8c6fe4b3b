extension CommandTree {
  static let pipe = CommandSpec(
    ["pipe"], summary: "Turn a topic into another through a command, exactly once",
    arguments: [
      ArgumentSpec("IN", optional: true, completion: .topic, help: "The topic to read (left out with --from-topics)."),
      ArgumentSpec("OUT", completion: .topic, help: "The topic to write what CMD writes."),
      ArgumentSpec(
        "CMD", optional: true, variadic: true,
        help: "After --, the command and its arguments, run without a shell (or give --exec)."),
    ],
    flags: [
      FlagSpec(
        "group", value: "GROUP", completion: .group,
        help: "Read as consumer group GROUP: start at its committed offsets and lease each partition read (required)."),
      FlagSpec(
        "exec", value: "CMD", help: "Run 'sh -c CMD' instead of a command given after --."),
      FlagSpec(
        "from-topics", value: "TOPIC[,TOPIC...]", completion: .topic,
        help: "Read these topics instead of IN, each partition in its own batches."),
      FlagSpec(
        "follow", short: "f",
        help: "At the end of the input, wait for new records instead of exiting (the default is to exit, for cron)."),
      FlagSpec(
        "json",
        help: "Give CMD each record as the JSON line 'kq consume --json' writes, and read CMD's output as "
          + "'kq produce --json' does: keys, headers, timestamps and partitions are kept."),
      FlagSpec("null", short: "0", help: "Give CMD NUL-terminated values and read its output as NUL-terminated records."),
      FlagSpec(
        "key-delimiter", short: "K", value: "D",
        help: "Split each record CMD writes into key and value at the first D, as 'kq produce -K' does."),
      FlagSpec(
        "each",
        help: "Run CMD once per record, with that record on its stdin and its offset in KQ_FIRST_OFFSET and "
          + "KQ_LAST_OFFSET, for commands that are not filters."),
      FlagSpec(
        "partition-by", value: "WHAT", completion: .choices(["key"]),
        help: "Where a record CMD writes goes: key (default) is Kafka's murmur2 of its key, so each key keeps "
          + "its order in one partition; a record without a key goes to the input's partition number, "
          + "modulo OUT's partition count. A --json record naming a partition goes there."),
      FlagSpec(
        "keep-partition",
        help: "Write the output of input partition N to partition N of OUT, which must have as many partitions."),
      FlagSpec(
        "timeout", value: "DURATION",
        help: "Kill CMD (its whole process group) when a batch takes longer than DURATION, e.g. 30s, and exit "
          + "with status 75, committing nothing of that batch."),
      FlagSpec("batch", value: "N", help: "At most N records per batch (default 100000)."),
      FlagSpec("batch-bytes", value: "SIZE", help: "At most SIZE bytes of input per batch, e.g. 1MiB (default 12MiB)."),
      FlagSpec(
        "commit-interval", value: "DURATION",
        help: "Commit the output and the group's offsets after a batch once DURATION has passed since the last "
          + "commit (default 1s; 0 commits every batch), at the end, and whenever kq waits for input. Longer "
          + "means fewer fsyncs; a crash loses nothing either way."),
      FlagSpec(
        "wait",
        help: "When other processes of the group hold every partition, wait for one instead of exiting with status 75."),
      sessionTimeoutFlag,
    ],
    rules: [
      .required("group"),
      .atMostOne(["json", "null"]),
      .atMostOne(["json", "key-delimiter"]),
      .atMostOne(["partition-by", "keep-partition"]),
    ],
    discussion: """
      Reads IN as consumer group GROUP, from its committed offsets (a new group from the \
      beginning), in batches of one partition; \
      runs CMD once per batch with the batch on its stdin, in the framing consume writes (a \
      value per line by default), and appends what CMD writes to OUT, read as produce reads it. \
      Without -f, kq stops at the end IN had when it started, so it can run from cron. CMD's \
      environment has KQ_TOPIC, KQ_PARTITION, KQ_FIRST_OFFSET, KQ_LAST_OFFSET and KQ_GROUP.

      Exactly once: OUT's records and the group's offsets move together. After a crash or \
      kill -9 at any moment, the next run neither loses an input record nor writes an output \
      twice, provided CMD writes the same output for the same input. Locally, the first record \
      of each batch kq writes carries a kq.pipe header naming the input range it came from, and \
      a run starts by reading OUT's tail since the group's last commit to finish what was cut \
      short. Several 'kq pipe' processes of one group share IN's partitions through leases, as \
      'kq consume --group' does, each with the same guarantee. Locally, OUT cannot be a \
      compacted topic (cleanup.policy=compact): compaction removes the records that finishing \
      relies on. On a \
      cluster (--brokers), OUT's records and the offsets are committed in Kafka transactions, \
      one transactional id per input partition (kq-pipe.GROUP.TOPIC-PARTITION), so a new run \
      fences a killed one and aborts what it left open; processes of the group share IN's \
      partitions through the group coordinator, and readers of committed records (kq's default, \
      Java's isolation.level=read_committed) see each output record once. When a process joins \
      or leaves the group (or is killed, and its session of --session-timeout ends), the others \
      finish the batch running, commit, and go on with the partitions the group assigns them \
      now, from its committed offsets; output whose offsets the group no longer accepts (a \
      process that missed the rebalance) is aborted, never committed.

      When CMD fails, nothing of its batch reaches OUT, the batch's offsets are not committed, \
      and kq exits with CMD's status (128 + N when killed by signal N), naming the partition \
      and offsets; batches before it are committed. CMD runs in a process group of its own \
      that never outlives kq. A record CMD writes that is not valid input for OUT (bad --json, \
      too large) stops kq the same way, with status 65.
      """,
    examples: [
      Example(
        "kq pipe logs errors --group errors -- jq -cR 'fromjson? | select(.level == \"error\")'",
        "From cron: copy the JSON log lines of 'logs' whose level is error into 'errors', each once."),
      Example(
        "kq pipe logs errors --group errors -f -- jq -cR 'fromjson? | select(.level == \"error\")'",
        "The same, following 'logs' as lines arrive."),
      Example(
        "kq pipe orders orders-by-user --group reshard --json -- jq -c '.key = (.value | fromjson | .user)'",
        "Key each order by its user, so that one user's orders stay in order in one partition."),
      Example(
        "kq pipe uploads thumbnails --group thumbs --each --exec 'make-thumbnail \"$(cat)\"'",
        "Run a command per record, storing what it prints."),
    ])
}
