extension CommandTree {
  static let groupName = ArgumentSpec("GROUP", completion: .group, help: "The consumer group.")

  static let groupCommands: [CommandSpec] = [
    CommandSpec(
      ["group", "list"], summary: "List consumer groups",
      flags: [
        FlagSpec("json", help: "Print a JSON array with one object per group instead of one name per line.")
      ],
      discussion: """
        Prints the name of every consumer group with committed offsets, one per line and sorted, \
        so scripts and shell completion can read them.
        """,
      examples: [
        Example("kq group list", "Print every group name."),
        Example("kq group list --json", "The same as JSON."),
      ]),
    CommandSpec(
      ["group", "describe"], summary: "Show a group's offsets, lag and leases (members on a cluster)",
      arguments: [groupName],
      flags: [
        FlagSpec("json", help: "Print JSON with snake_case keys instead of a table.")
      ],
      discussion: """
        For each topic and partition the group has read: the committed offset (the next offset \
        to read), the log end offset, the lag between them, and the pid of the process holding \
        the partition's lease, if any.
        """,
      examples: [
        Example("kq group describe loader", "Show how far behind 'loader' is, partition by partition."),
        Example("kq group describe loader --json", "The same as JSON, for monitoring."),
      ]),
    CommandSpec(
      ["group", "reset"], summary: "Plan or move a group's committed offsets",
      arguments: [groupName],
      flags: [
        FlagSpec("topic", value: "TOPIC", completion: .topic, help: "The topic whose offsets move (required)."),
        FlagSpec("to-earliest", help: "Move to each partition's log start offset: re-read everything retained."),
        FlagSpec("to-latest", help: "Move to each partition's log end offset: skip everything stored so far."),
        FlagSpec("to-offset", value: "N", help: "Move to offset N, clamped to each partition's valid range."),
        FlagSpec("to-datetime", value: "TIME", help: "Move to the first record at or after TIME (RFC 3339 or @MILLIS)."),
        FlagSpec(
          "shift-by", value: "N",
          help: "Move the committed offset by N, negative to re-read, clamped to the valid range."),
        FlagSpec(
          "partition", short: "p", value: "N[,N...]", repeatable: true,
          help: "Only these partitions (default: every partition of the topic). Repeatable."),
        FlagSpec(
          "execute",
          help: "Apply the plan. Without it kq prints the plan and changes nothing. On a cluster the group must have "
            + "no members (exit 75), as with kafka-consumer-groups."),
        FlagSpec("json", help: "Print the plan as JSON instead of a table."),
      ],
      rules: [
        .required("topic"),
        .exactlyOne(["to-earliest", "to-latest", "to-offset", "to-datetime", "shift-by"]),
      ],
      discussion: """
        Prints the plan, GROUP TOPIC PARTITION and the current and new offsets, and changes \
        nothing unless --execute is given, as Kafka's kafka-consumer-groups does. A partition \
        leased by a running consumer of the group is refused.
        """,
      examples: [
        Example("kq group reset loader --topic orders --shift-by -100", "Show what moving 'loader' back 100 records would do."),
        Example(
          "kq group reset loader --topic orders --to-datetime 2024-05-01T00:00:00Z --execute",
          "Make 'loader' re-read 'orders' from May 1st."),
        Example("kq group reset loader --topic orders -p 2 --to-latest --execute", "Skip the backlog of partition 2."),
      ]),
    CommandSpec(
      ["group", "delete"], summary: "Delete a consumer group and its committed offsets",
      arguments: [groupName],
      discussion: """
        Forgets the group: its next 'kq consume --group' starts where --from says. Topics and \
        records are not touched.
        """,
      examples: [
        Example("kq group delete loader", "Forget the offsets of 'loader'.")
      ]),
  ]
}
