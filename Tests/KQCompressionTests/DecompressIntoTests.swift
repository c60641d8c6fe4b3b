import KQTestSupport
import Testing

@testable import KQCompression

/// `decompress(_:limit:into:)`, which readers use to decode a batch straight behind its
/// header: the same bytes as `decompress(_:limit:)`, in memory asked for once, never more
/// than the limit, and the same refusals.
@Suite("decompressing into the caller's memory")
struct DecompressIntoTests {
  /// Decodes `frame` into a fresh allocation; returns the bytes and the capacity asked for.
  static func decode(_ codec: CompressionCodec, _ frame: [UInt8], limit: Int) throws -> (bytes: [UInt8], asked: [Int]) {
    var asked: [Int] = []
    var memory: UnsafeMutablePointer<UInt8>?
    defer { memory?.deallocate() }
    let count = try frame.withUnsafeBytes { input in
      try codec.decompress(input, limit: limit) { capacity in
        asked.append(capacity)
        let allocated = UnsafeMutablePointer<UInt8>.allocate(capacity: max(capacity, 1))
        memory = allocated
        return allocated
      }
    }
    let bytes = memory.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    return (bytes, asked)
  }

  @Test("every codec, every size class: the same bytes, one allocation within the limit", arguments: [
    CompressionCodec.gzip, .snappy, .lz4, .zstd,
  ])
  func sameBytes(codec: CompressionCodec) throws {
    for (name, input) in CodecCorpus.sizeClasses(seed: 5) {
      let frame = try codec.compress(input)
      let (bytes, asked) = try Self.decode(codec, frame, limit: input.count)
      #expect(bytes == input, "\(name)")
      #expect(asked == [input.count], "\(name): one allocation, of the limit the size allows")
    }
  }

  @Test("a stream past the limit, or cut short, is refused as by decompress(_:limit:)")
  func refusals() throws {
    var random = SeededGenerator(seed: 6)
    let input = CodecCorpus.logLines(count: 100_000, using: &random)
    let frame = try CompressionCodec.lz4.compress(input)
    #expect(throws: CompressionError.outputLimitExceeded(.lz4, limit: input.count - 1)) {
      _ = try Self.decode(.lz4, frame, limit: input.count - 1)
    }
    let cut = Array(frame.dropLast(10))
    #expect(throws: CompressionError.self) { _ = try Self.decode(.lz4, cut, limit: input.count) }
  }
}
