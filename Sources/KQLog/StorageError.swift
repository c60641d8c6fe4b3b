/// Everything the storage module can report, with the values a user needs to act on it.
/// The words for humans are chosen in KQCommands (`StorageError+Diagnostic`).
package indirect enum StorageError: Error, Equatable, Sendable {
  case io(Errno, operation: String, path: String)
  /// An append stored its first `recordsStored` records (from `firstOffset`, in segments it
  /// filled before rolling) and then failed with `cause`; the rest were not stored.
  case appendStoppedPartway(firstOffset: Int64, recordsStored: Int, cause: StorageError)
  case corruptBatch(file: String, position: Int64, reason: BatchDecodeError)
  /// Damage a writer found and will not cut, because only a torn final batch may be cut
  /// (FORMAT.md, "Recovery"): appends to the partition stop until it is repaired. The records
  /// from `firstOffset` cannot be read, up to `endOffset` when known (where intact records,
  /// or the next segment, begin).
  case damagedLog(file: String, position: Int64, reason: BatchDecodeError, firstOffset: Int64, endOffset: Int64?)
  /// The partition's newest segment `file` ends (or is torn) at offset `logEnd`, but kq.lock
  /// records every offset below `recoveryPoint` as synced: records kq made durable were lost
  /// outside it (the file cut or lost). Appends stop until `kq verify --repair` makes writers
  /// continue at `recoveryPoint`, so that no offset is given twice.
  case syncedRecordsMissing(file: String, logEnd: Int64, recoveryPoint: Int64)
  /// Segments whose offsets do not continue: `file` starts at offset `found`, but the segment
  /// before it ends at `expected` (a segment file lost or emptied, or two overlapping).
  case offsetGap(file: String, expected: Int64, found: Int64)
  case corruptIndex(file: String, reason: String)
  case corruptFile(file: String, reason: String)
  /// The data directory's marker names a format this build does not know.
  case unsupportedFormat(path: String, found: String, newestSupported: Int)
  /// A non-empty directory without kq's marker: kq will not write into it.
  case notADataDirectory(path: String)
  /// The data directory's path names a file (or a path through one).
  case notADirectory(path: String)
  case dataDirectoryNotFound(path: String)
  case invalidTopicName(String, reason: String)
  case invalidGroupName(String, reason: String)
  case topicNotFound(String)
  /// The topic was deleted (and perhaps created again) while this process read or wrote it.
  case topicDeleted(String)
  case topicAlreadyExists(String)
  /// The name differs from an existing topic's only by '.' versus '_' (Kafka refuses it too).
  case topicNameCollision(String, existing: String)
  case partitionNotFound(topic: String, partition: Int, partitionCount: Int)
  /// The topic exists and names the partition, but its folder `path` is gone (removed by hand,
  /// or lost): damage, which `kq verify --repair` mends by creating the folder empty.
  case partitionFolderMissing(topic: String, partition: Int, path: String)
  case unknownConfig(key: String)
  case invalidConfig(key: String, value: String, reason: String)
  case recordTooLarge(size: Int, limit: Int)
  case offsetOutOfRange(offset: Int64, logStart: Int64, logEnd: Int64)
  case groupNotFound(String)
  /// Another live member of the group owns a partition this operation needs; `holder`
  /// describes it ("pid 4242") when known.
  case partitionLeased(group: String, topic: String, partition: Int, holder: String?)
  /// The group has live members on a cluster, and the operation (a reset, a delete) needs it empty, as
  /// Kafka's `kafka-consumer-groups --reset-offsets` does.
  case groupHasMembers(group: String, members: Int)
  /// `operation` is one only a data directory can do, and the log at `location` is not one.
  case unsupportedOperation(String, location: String)
  /// A Kafka cluster failed or refused an operation: `reason` is one line naming the broker,
  /// topic or partition and Kafka's error name.
  case cluster(reason: String, failure: ClusterFailure)
  /// A batch a cluster returned that fails its checks or does not decode (a codec kq cannot
  /// read): bad data from outside, not damage kq can repair.
  case undecodableFetchedBatch(topic: String, partition: Int, offset: Int64, reason: BatchDecodeError)
}

/// What kind of failure a cluster's was, for the exit status and the hint.
package enum ClusterFailure: Equatable, Sendable {
  /// No broker could be reached or answered in time (also: one that wants TLS or SASL).
  case unavailable
  /// The broker lacks the API or the feature the operation needs.
  case unsupported
  /// The broker refused what it was asked (an invalid config, partition count, name).
  case refused
  /// A record or batch larger than the broker accepts.
  case recordTooLarge
  /// A produce whose answer was lost: the records may or may not be stored.
  case deliveryUnknown
  /// Not allowed: authorisation or authentication failed.
  case notAuthorized
  /// A producer of the same transactional id took over (another `kq pipe` of the group holds
  /// the input partition now): this one's open transaction does not count.
  case fenced
  /// The group coordinator refused the session timeout a member asked for (outside the
  /// brokers' `group.min.session.timeout.ms` to `group.max.session.timeout.ms`).
  case sessionTimeoutRefused
  /// The group's generation ended (a rebalance) before offsets were committed in it: what they
  /// covered was not committed (a transaction's output aborted with them). Join again; the
  /// partitions' next owners go on from the group's last commit.
  case generationEnded
  /// Ctrl-C or SIGTERM while the client waited to retry or to connect.
  case interrupted
  /// What kq does not do on a cluster yet.
  case notImplemented
  /// Anything else the broker answered.
  case other
}
