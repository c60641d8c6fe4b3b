import Glibc
import KQLog

/// One range's output being appended on a thread of its own while `kq pipe` encodes the next
/// range's (`MarkedOutput.end`): its partitions in ascending order, each in runs of about 1 MiB
/// of whole batches, as `end` appended them itself before. `finish` waits for it.
final class RangeAppend {
  /// A partition's batches: bytes of an encoder that stays untouched until `finish`.
  struct Part {
    var partition: Int
    var writer: PartitionLog
    var bytes: UnsafeMutableRawBufferPointer
  }

  /// A larger pwrite(2) copies out of memory the CPU's caches no longer hold, several times
  /// slower (16 MiB at once: 150 ms per 100 MB).
  static let runBytes = 1 << 20

  private let parts: [Part]
  /// Memory the next range will fill (the other encoders' buffers), whose pages the thread
  /// faults in before it appends: the kernel zeroes each fresh page at its first touch, about
  /// 13 MB per batch of 12 MiB, which would otherwise stall the encoding on kq's main thread.
  private let prefaults: [UnsafeMutableRawBufferPointer]
  /// Per partition, the offset after the last record appended.
  private var ends: [Int: Int64] = [:]
  private var failure: StorageError?
  private var work: BackgroundWork?

  private init(_ parts: [Part], prefaulting prefaults: [UnsafeMutableRawBufferPointer]) {
    self.parts = parts
    self.prefaults = prefaults
  }

  /// Starts appending `parts` and faulting in `prefaults` (page-aligned memory that another
  /// thread may be writing meanwhile: its bytes are left as they are); without a thread,
  /// appends them before it returns.
  static func start(_ parts: [Part], prefaulting prefaults: [UnsafeMutableRawBufferPointer]) -> RangeAppend {
    let append = RangeAppend(parts, prefaulting: prefaults)
    append.work = BackgroundWork.start { [append] in
      append.prefault()
      append.run()
    }
    if append.work == nil { append.run() }
    return append
  }

  private func prefault() {
    for memory in prefaults { PagePopulation.populate(memory) }
  }

  /// Waits until the append is done: per partition the offset after its last record stored,
  /// and the failure that stopped it, if one did (the partitions after it were not written).
  func finish() -> (ends: [Int: Int64], failure: StorageError?) {
    work?.wait()
    work = nil
    return (ends, failure)
  }

  private func run() {
    do throws(StorageError) {
      for part in parts { try append(part) }
    } catch {
      failure = error
    }
  }

  private func append(_ part: Part) throws(StorageError) {
    let bytes = part.bytes
    var start = 0
    while start < bytes.count, let base = bytes.baseAddress {
      var end = start
      while end < bytes.count, end == start || end - start < Self.runBytes,
        let header = BatchHeader(at: base + end), end + header.size <= bytes.count
      {
        end += header.size
      }
      if end == start { end = bytes.count }  // not whole batches: the writer reports it
      let result = try part.writer.append(UnsafeMutableRawBufferPointer(rebasing: bytes[start..<end]))
      ends[part.partition] = max(ends[part.partition] ?? 0, result.firstOffset + Int64(result.recordCount))
      start = end
    }
  }
}
