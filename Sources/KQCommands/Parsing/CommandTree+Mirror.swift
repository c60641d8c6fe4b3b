extension CommandTree {
  static let mirror = CommandSpec(
    ["mirror"], summary: "Copy a topic between the data directory and a Kafka cluster, resumably",
    arguments: [
      ArgumentSpec(
        "SRC", completion: .topic,
        help: "The topic to copy: TOPIC of the data directory, or kafka://HOST:PORT[,HOST:PORT...]/TOPIC of a cluster."),
      ArgumentSpec(
        "DST", completion: .topic,
        help: "Where to copy it, written as SRC; created with SRC's partition count when missing."),
    ],
    flags: [
      FlagSpec(
        "group", value: "GROUP", completion: .group,
        help: "Keep the copy's progress as the offsets of consumer group GROUP on SRC's side (default: "
          + "kq-mirror.TOPIC for a DST TOPIC, kq-mirror.HOST_PORT.TOPIC for a DST on a cluster, its first broker)."),
      FlagSpec(
        "follow", short: "f",
        help: "At the end of SRC, wait for new records and copy them too (the default is to stop at the end SRC had when kq started)."),
      FlagSpec("json", help: "At the end, print a JSON summary: records and bytes copied, per partition."),
      sessionTimeoutFlag,
    ],
    discussion: """
      Copies every record of SRC to DST: keys, values, headers and timestamps, record N of \
      partition P to partition P of DST, in order. DST is created with SRC's partition count \
      when it does not exist; a DST with fewer partitions is refused. Either side may be a topic \
      of the data directory (--dir, $KQ_DIR, never --brokers) or of a Kafka cluster \
      (kafka://HOST:PORT/TOPIC, within --broker-timeout); both may be on clusters, or both \
      local under two names.

      Resumable: the copy's progress is a consumer group's offsets, kept where SRC is, and a \
      partition's offset is committed only after DST acknowledged the records before it \
      (fsynced locally, acks=all on a cluster), once a second while records flow and whenever \
      kq catches up with SRC. A run killed at any moment (kill -9 included), then run again, \
      copies every record at least once. Duplicates can occur only for the records appended to \
      DST since the group's last commit (at most about a second of copying): the next run copies \
      them again, right after their first copy, in the same order. A run that stops on an error \
      of DST (a record too large for it, a broker lost mid-produce) is the same case. Run one mirror per group at a time: locally a second \
      run copies only the partitions the first does not hold (status 75 when it holds all).

      Progress is shown on stderr when it is a terminal. Status 64 for a bad URL or a DST with \
      too few partitions, 66 for a missing SRC, 69 for a cluster that cannot be reached.
      """,
    examples: [
      Example(
        "kq mirror events kafka://broker1:9092,broker2:9092/events",
        "Copy the local topic 'events' to a cluster, from cron: each run copies what came since the last."),
      Example(
        "kq mirror kafka://broker1:9092/events events-copy -f",
        "Copy a cluster's topic into the data directory and keep copying as records arrive."),
      Example(
        "kq mirror kafka://old:9092/orders kafka://new:9092/orders --json",
        "Copy between two clusters and print what was copied."),
    ])
}
