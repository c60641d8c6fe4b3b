/// One thing `kq verify` found (FORMAT.md, "Verifying and repairing"). Storage says what and
/// where; the command words it. A notice is what a running or killed writer leaves and the
/// next writer mends by itself (a torn tail, an index behind its log); it is not damage.
package struct VerifyFinding: Equatable, Sendable {
  package enum Kind: Equatable, Sendable {
    /// A batch failing its checks; `firstOffset..<endOffset` cannot be read (end unknown: nil).
    case damagedBatch(BatchDecodeError, firstOffset: Int64, endOffset: Int64?)
    /// A record inside a batch that passed its CRC does not decode, or its timestamp is wrong.
    case damagedRecord(String)
    /// Records of a segment end at `expected`, the next segment begins at `found`.
    case offsetGap(expected: Int64, found: Int64)
    /// The bytes from `position` are an unfinished write: the next writer cuts them.
    case tornTail(bytes: Int64)
    /// An index holds fewer entries than the log calls for (written after the log): notice.
    case indexBehind
    /// An index says something other than its log.
    case indexMismatch
    /// The unreadable-offsets file does not match the gaps between segments, or does not parse.
    case unreadableListMismatch
    /// A small text file (topic configuration, committed offset) that does not parse.
    case badFile(String)
    /// Partition `partition` of the configuration has no folder.
    case missingPartition
    /// The kq.lock checkpoint does not parse.
    case badCheckpoint
    /// A checkpoint or committed offset beyond the partition's log end.
    case pastLogEnd(offset: Int64, logEnd: Int64)
    /// A file that could not be read.
    case unreadable(Errno)
    /// A partition folder no configuration names, or groups' offsets or a `topics/` folder of
    /// a topic without a configuration: what an interrupted create, alter or delete left.
    case leftover
  }

  package var topic: String?
  package var partition: Int?
  package var file: String
  package var position: Int64?
  package var kind: Kind

  package init(topic: String?, partition: Int?, file: String, position: Int64?, kind: Kind) {
    self.topic = topic
    self.partition = partition
    self.file = file
    self.position = position
    self.kind = kind
  }

  package var isNotice: Bool {
    switch kind {
    case .tornTail, .indexBehind: true
    default: false
    }
  }
}

/// What `--repair` changed, one entry per action.
package struct RepairAction: Equatable, Sendable {
  package enum Kind: Equatable, Sendable {
    case cutTornTail(bytes: Int64)
    case rebuiltIndex
    /// `file` was moved to `movedTo`; `unreadable` offsets are no longer readable.
    case movedAside(movedTo: String, unreadable: Range<Int64>?)
    /// A new empty segment so that writers continue past offsets the damaged data held.
    case startedSegment(base: Int64)
    case rewroteUnreadableList
    case resetCheckpoint
    /// The damaged file was kept as `movedTo` and a new one written from what could be read.
    case rewroteFile(movedTo: String)
    /// A partition folder the configuration names was missing; an empty one was made.
    case createdFolder
    /// What an interrupted create, alter or delete left was removed, as a deletion removes it.
    case removedLeftovers
  }

  package var topic: String?
  package var partition: Int?
  package var file: String
  package var kind: Kind

  package init(topic: String?, partition: Int?, file: String, kind: Kind) {
    self.topic = topic
    self.partition = partition
    self.file = file
    self.kind = kind
  }
}

package struct VerifyReport: Sendable {
  package var findings: [VerifyFinding] = []
  package var repairs: [RepairAction] = []
  package var topicsChecked = 0
  package var partitionsChecked = 0
  package var segmentsChecked = 0
  package var bytesChecked: Int64 = 0

  package init() {}

  package var problems: [VerifyFinding] { findings.filter { !$0.isNotice } }
}

/// Progress for a terminal: called after each segment.
package struct VerifyProgress: Sendable {
  package var topic: String
  package var partition: Int
  package var bytesChecked: Int64

  package init(topic: String, partition: Int, bytesChecked: Int64) {
    self.topic = topic
    self.partition = partition
    self.bytesChecked = bytesChecked
  }
}
