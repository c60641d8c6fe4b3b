extension CommandTree {
  static let verify = CommandSpec(
    ["verify"], summary: "Check topics and group offsets for damage, and repair what is safe",
    arguments: [
      ArgumentSpec("TOPIC", optional: true, variadic: true, completion: .topic, help: "The topics to check (default: every topic).")
    ],
    flags: [
      FlagSpec(
        "repair",
        help: "Cut torn tails, rebuild indexes, and move damaged data aside into TOPIC-N/damaged/ "
          + "(never deleting it); prints which offsets became unreadable."),
      FlagSpec(
        "json",
        help: "Print one JSON object per finding and repair (kind, topic, partition, file, position, message), "
          + "then one summary object."),
    ],
    discussion: """
      Checks every record batch (length, magic, checksum, offsets following the previous batch and \
      the segment's base, records and timestamps; a compressed batch's records decoded), every \
      index against its log, the topic configuration, each partition's kq.lock checkpoint, the \
      groups' committed offsets and what an interrupted topic create, alter or delete left \
      (partition folders, groups' offsets and topic folders no configuration names), and \
      prints each problem with its topic, partition, file and byte position. Exits 0 when \
      nothing is wrong, 74 when anything is. A torn tail (an unfinished write) and an index behind \
      its log are notices, not problems: the next writer mends them. With --repair, each damaged \
      partition is mended under its append lock, so writers wait: a damaged sealed segment is \
      moved aside whole, the damaged rest of the newest segment is copied aside and cut, and \
      writers continue past the highest offset the damaged data named (or past the checkpoint's, \
      when records it says were synced are gone), so an offset is never given twice; leftovers of \
      an interrupted topic operation are removed, as the deletion would have removed them. The offsets moved aside are listed in TOPIC-N/kq.unreadable; consumers pass \
      over them with a warning, as over records retention removed. Run verify again afterwards: \
      a repaired directory verifies clean. On a terminal, progress is shown on stderr.
      """,
    examples: [
      Example("kq verify", "Check every topic and group."),
      Example("kq verify logs --repair", "Check 'logs' and repair what is safe to repair."),
      Example("kq verify --json | jq -c 'select(.kind != \"summary\")'", "List the findings as JSON."),
    ])
}
