import KQTestSupport
import Testing

@testable import KQCompression

@Suite("LZ4 frames")
struct LZ4FrameTests {
  @Test("compressing then decompressing gives the input back, at every size class")
  func roundTrip() throws {
    for (name, input) in CodecCorpus.sizeClasses() {
      let compressed = try CompressionCodec.lz4.compress(input)
      #expect(try CompressionCodec.lz4.decompress(compressed, limit: input.count) == input, "\(name)")
    }
  }

  @Test("the frame is Kafka's: magic, FLG 0x60, BD 0x40, its checksum, 64 KiB blocks, an end mark")
  func kafkaFraming() throws {
    #expect(try CompressionCodec.lz4.compress([]) == [0x04, 0x22, 0x4D, 0x18, 0x60, 0x40, 0x82, 0, 0, 0, 0])
    var random = SeededGenerator(seed: 3)
    let noise = random.bytes(count: 65536 + 10)
    let frame = try CompressionCodec.lz4.compress(noise)
    // Two stored blocks (noise does not shrink), high bit set: 64 KiB and 10 bytes.
    #expect(Array(frame[7..<11]) == [0x00, 0x00, 0x01, 0x80])
    #expect(Array(frame[11..<(11 + 65536)]) == Array(noise[0..<65536]))
    #expect(Array(frame[(11 + 65536)..<(15 + 65536)]) == [0x0A, 0x00, 0x00, 0x80])
    #expect(frame.count == 7 + 4 + 65536 + 4 + 10 + 4)
    #expect(Array(frame.suffix(4)) == [0, 0, 0, 0])
  }

  @Test("log lines compress, and compress in 64 KiB blocks that each decode alone")
  func logLinesShrink() throws {
    var random = SeededGenerator(seed: 4)
    let input = CodecCorpus.logLines(count: 200_000, using: &random)
    let frame = try CompressionCodec.lz4.compress(input)
    #expect(frame.count < input.count / 2)
    #expect(try CompressionCodec.lz4.decompress(frame, limit: input.count) == input)
  }

  @Test("a frame whose descriptor checksum covers the magic too, as Kafka 0.8 wrote it (KAFKA-3160), decodes")
  func kafka08HeaderChecksum() throws {
    let input = Array("the old broker's frame, the old broker's frame".utf8)
    var frame = try CompressionCodec.lz4.compress(input)
    let broken = frame.withUnsafeBufferPointer { LZ4Frame.Descriptor.headerChecksum($0.baseAddress!, count: 6) }
    #expect(broken != frame[6])
    frame[6] = broken
    #expect(try CompressionCodec.lz4.decompress(frame, limit: 100) == input)
    frame[6] = broken &+ 1
    #expect(throws: CompressionError.self) { try CompressionCodec.lz4.decompress(frame, limit: 100) }
  }

  @Test("the output limit is a hard bound: exactly the limit decodes, one byte less is refused")
  func outputLimit() throws {
    var random = SeededGenerator(seed: 5)
    let input = CodecCorpus.logLines(count: 150_000, using: &random)
    let frame = try CompressionCodec.lz4.compress(input)
    #expect(try CompressionCodec.lz4.decompress(frame, limit: input.count) == input)
    #expect(throws: CompressionError.outputLimitExceeded(.lz4, limit: input.count - 1)) {
      try CompressionCodec.lz4.decompress(frame, limit: input.count - 1)
    }
    #expect(throws: CompressionError.outputLimitExceeded(.lz4, limit: 0)) {
      try CompressionCodec.lz4.decompress(try CompressionCodec.lz4.compress([1]), limit: 0)
    }
  }

  @Test("a declared content size above the limit is refused before anything is decoded")
  func declaredSizeAboveLimit() throws {
    // FLG 0x68: content size present, 2^40 bytes declared; then an end mark.
    var frame: [UInt8] = [0x04, 0x22, 0x4D, 0x18, 0x68, 0x40]
    frame += [0, 0, 0, 0, 0x01, 0, 0, 0]
    frame.append(frame.withUnsafeBufferPointer { LZ4Frame.Descriptor.headerChecksum($0.baseAddress! + 4, count: 10) })
    frame += [0, 0, 0, 0]
    #expect(throws: CompressionError.outputLimitExceeded(.lz4, limit: 1 << 30)) {
      try CompressionCodec.lz4.decompress(frame, limit: 1 << 30)
    }
  }

  @Test("a dictionary frame is refused by name")
  func dictionaryRefused() throws {
    var frame: [UInt8] = [0x04, 0x22, 0x4D, 0x18, 0x61, 0x40, 0x2A, 0, 0, 0]
    frame.append(frame.withUnsafeBufferPointer { LZ4Frame.Descriptor.headerChecksum($0.baseAddress! + 4, count: 6) })
    frame += [0, 0, 0, 0]
    #expect(throws: CompressionError.unsupported(.lz4, .dictionary(id: 42))) {
      try CompressionCodec.lz4.decompress(frame, limit: 100)
    }
  }
}
