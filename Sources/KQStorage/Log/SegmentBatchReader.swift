/// Reads the batches of one segment file in order, through a reused buffer, with large
/// `pread`s. It only detects: a batch cut short by the end of the file (`incomplete`: a writer
/// still writing, or a torn tail after a crash) or failing its checks (`corrupt`). Recovery,
/// reads and verification each choose what to do about it.
package final class SegmentBatchReader {
  package enum Outcome {
    /// A whole, checked batch; valid until the next call.
    case batch(RecordBatchView, position: Int64)
    /// Nothing after `position` (the known end of the file).
    case end
    /// Bytes at `position` that do not (yet) form a whole batch before the end of the file.
    case incomplete(position: Int64)
    case corrupt(position: Int64, reason: BatchDecodeError)
  }

  package static let readSize = 1 << 20

  package let fd: CInt
  package let path: String
  private let fileSystem: FileSystem
  /// File position of the next batch.
  package private(set) var position: Int64
  /// The file size as last seen; `refreshSize()` looks again.
  package private(set) var fileSize: Int64
  private let buffer: ByteBuffer
  /// File position of `buffer.base`.
  private var bufferStart: Int64

  package init(fd: CInt, path: String, fileSystem: FileSystem, from position: Int64, fileSize: Int64,
               buffer: ByteBuffer? = nil) {
    self.fd = fd
    self.path = path
    self.fileSystem = fileSystem
    self.position = position
    self.fileSize = fileSize
    self.buffer = buffer ?? ByteBuffer(capacity: Self.readSize)
    self.buffer.count = 0
    self.bufferStart = position
  }

  package func refreshSize() throws(Errno) {
    fileSize = try fileSystem.size(of: fd, path: path)
  }

  /// Moves to `position`, which must be a batch start.
  package func seek(to newPosition: Int64) {
    position = newPosition
    if newPosition < bufferStart || newPosition > bufferStart + Int64(buffer.count) {
      buffer.count = 0
      bufferStart = newPosition
    }
  }

  /// Makes `needed` bytes from `position` present in the buffer, reading at least `readSize`.
  private func fill(_ needed: Int) throws(Errno) -> UnsafeRawPointer {
    let offsetInBuffer = Int(position - bufferStart)
    if offsetInBuffer + needed <= buffer.count { return UnsafeRawPointer(buffer.base + offsetInBuffer) }
    buffer.removeFirst(offsetInBuffer)
    bufferStart = position
    let want = Int(min(Int64(max(needed, Self.readSize)), fileSize - position))
    if want > buffer.capacity { buffer.grow(to: want) }
    let toRead = want - buffer.count
    if toRead > 0 {
      let got = try fileSystem.read(
        fd, into: buffer.base + buffer.count, count: toRead, at: bufferStart + Int64(buffer.count), path: path)
      buffer.count += got
    }
    return UnsafeRawPointer(buffer.base)
  }

  package func next(validateCRC: Bool = true) throws(Errno) -> Outcome {
    let outcome = try read(validateCRC: validateCRC)
    switch outcome {
    case .batch, .end: break
    case .incomplete, .corrupt:
      // Bytes from here on may be a torn tail that a recovering writer is about to cut and
      // write anew: never reuse them from the buffer, read them again next time.
      buffer.count = min(buffer.count, max(0, Int(position - bufferStart)))
    }
    return outcome
  }

  private func read(validateCRC: Bool) throws(Errno) -> Outcome {
    let remaining = fileSize - position
    if remaining <= 0 { return .end }
    if remaining < Int64(BatchLayout.logOverhead) { return .incomplete(position: position) }
    var p = try fill(BatchLayout.logOverhead)
    guard buffer.count - Int(position - bufferStart) >= BatchLayout.logOverhead else {
      return .incomplete(position: position)  // the file shrank under us
    }
    let length = p.bigEndian(Int32.self, at: BatchLayout.batchLength)
    if length < Int32(BatchLayout.headerSize - BatchLayout.logOverhead) {
      return .corrupt(position: position, reason: .invalidLength(length))
    }
    let size = Int(length) + BatchLayout.logOverhead
    if Int64(size) > remaining { return .incomplete(position: position) }
    p = try fill(size)
    let available = buffer.count - Int(position - bufferStart)
    let view: RecordBatchView
    do {
      view = try RecordBatchView(at: p, available: available)
      if validateCRC { try view.validateCRC() }
    } catch {
      if case .truncated = error { return .incomplete(position: position) }
      return .corrupt(position: position, reason: error)
    }
    let at = position
    position += Int64(size)
    return .batch(view, position: at)
  }
}
