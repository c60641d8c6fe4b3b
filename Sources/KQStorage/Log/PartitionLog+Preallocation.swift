import KQLog

/// Blocks reserved ahead of bulk appends (FORMAT.md, "Preallocation"). A bulk append (a run of
/// 256 KiB or more) first reserves the segment's next 8 MiB with `fallocate(2)`, keeping the
/// file's size, so its writes skip ext4's block allocation: 100 MB in 1 MiB writes took 22.4 ms
/// of system time without and 20.0 ms with. Readers, recovery and retention see only the size.
/// Reserved blocks are given back (`FileSystem.releaseBlocksPastEnd`: `ftruncate` to the size,
/// under the append lock, the size read then) when the writer rolls the segment, finds another
/// writer moved its end, or closes; a writer killed before that leaves them, and the next writer
/// to open the segment gives them back. Only on the plain file system: tests that record or
/// inject calls see none of this.
extension PartitionLog {
  /// A run of at least this many bytes is a bulk append, which reserves blocks ahead.
  static let preallocationThreshold = 256 << 10
  /// How far past the run's end a bulk append reserves.
  static let preallocationStep: Int64 = 8 << 20
  /// More than this held past a segment's last page when a writer opens it: a killed writer's
  /// reservation, given back. (A writer's own is given back past 64 KiB: ext4 may hold an
  /// extent block or so besides the data.)
  static let leftoverPreallocation: Int64 = 1 << 20
  static let ownPreallocationSlack: Int64 = 64 << 10

  /// Before a run of `count` bytes is written at `offset` of the segment's log.
  func preallocate(_ segment: ActiveSegment, for count: Int, at offset: Int64) {
    guard count >= Self.preallocationThreshold, fileSystem.isPlain else { return }
    let end = offset + Int64(count)
    guard end > segment.preallocatedEnd else { return }
    let from = max(offset, segment.preallocatedEnd)
    // Not past the size where the segment rolls, unless this run alone goes past it.
    let upTo = min(from + Self.preallocationStep, max(config.segmentBytes, end))
    guard upTo > from, fileSystem.preallocate(segment.logFD, from: from, count: upTo - from) else { return }
    segment.preallocatedEnd = upTo
  }

  /// Gives back what this writer reserved past the log's end (the caller holds the append
  /// lock, so the size `releaseBlocksPastEnd` reads is the log's end).
  func releasePreallocation(_ segment: ActiveSegment) {
    guard segment.preallocatedEnd > 0 else { return }
    segment.preallocatedEnd = 0
    fileSystem.releaseBlocksPastEnd(segment.logFD, slack: Self.ownPreallocationSlack)
  }

  /// `releasePreallocation` at `close`, under the append lock taken for it.
  func releasePreallocationOnClose(_ segment: ActiveSegment) {
    guard segment.preallocatedEnd > 0, (try? lock.acquire()) != nil else { return }
    defer { lock.release() }
    releasePreallocation(segment)
  }

  /// On opening the active segment (under the append lock): blocks a killed writer reserved
  /// past its end are given back.
  func releaseLeftoverPreallocation(_ segment: ActiveSegment) {
    guard fileSystem.isPlain else { return }
    fileSystem.releaseBlocksPastEnd(segment.logFD, slack: Self.leftoverPreallocation)
  }
}
