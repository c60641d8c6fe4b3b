import KQLog
import Glibc
import KQCompression
import KQStorage

/// The seed corpus, made from kq's own encoders (`kq-fuzz --make-seeds FOLDER` writes
/// `FOLDER/<target>/seed-*`); Tests/Fuzz/Corpus holds what it wrote, and what fuzzing found.
enum Seeds {
  static func write(to folder: String) {
    mkdir(folder, 0o755)
    for target in FuzzTarget.allCases {
      let targetFolder = folder + "/" + target.rawValue
      mkdir(targetFolder, 0o755)
      for (number, seed) in seeds(for: target).enumerated() {
        Scratch.write(seed, to: targetFolder + "/seed-\(number)")
      }
    }
  }

  static let text = Array(
    "2024-05-01T12:00:00.123Z INFO GET /api/v1/users/42 200 3ms\n2024-05-01T12:00:00.125Z WARN GET /health 503 1ms\n"
      .utf8)

  static func records(_ count: Int) -> [Record] {
    (0..<count).map { index in
      Record(
        key: index % 3 == 0 ? nil : Array("key-\(index)".utf8), value: index == 2 ? nil : Array(text.prefix(20 + index * 9)),
        headers: index % 2 == 0 ? [Header(key: Array("trace".utf8), value: Array("abc".utf8))] : [],
        timestamp: 1_700_000_000_000 + Int64(index))
    }
  }

  /// One batch of `count` records, compressed with `codec`, offsets from 0.
  static func batch(_ codec: CompressionCodec, count: Int = 5) -> [UInt8] {
    let encoder = BatchEncoder(maxBatchBytes: 1 << 20, capacity: 4096)
    encoder.codec = codec
    for record in records(count) { encoder.append(record) }
    return Array(encoder.finish())
  }

  static func seeds(for target: FuzzTarget) -> [[UInt8]] {
    switch target {
    case .batch, .recovery:
      var seeds = CompressionCodec.allCases.map { batch($0) }
      let plain = batch(.none)
      seeds.append(Array(plain.prefix(plain.count - 7)))  // a torn tail
      seeds.append(batch(.none, count: 1))
      IndexTarget.shared.prepare()
      let log = Scratch.read(FileNames.logFile(in: IndexTarget.shared.folder, base: 0))
      seeds.append(Array(log.prefix(4096)))  // batches at offsets 0, 10, 20...
      return seeds
    case .index:
      IndexTarget.shared.prepare()
      var seeds: [[UInt8]] = [[0, 0], [1, 0]]
      for (number, base) in IndexTarget.shared.sealed.enumerated() {
        guard let files = IndexTarget.shared.pristine[base] else { continue }
        seeds.append([UInt8(number), UInt8(min(files.index.count, 255))] + files.index + files.timeIndex)
      }
      return seeds
    case .json:
      return [
        #"{"key":"k","value":"v","headers":[["h","x"],["h",null]],"partition":0,"timestamp":1700000000000}"#,
        #"{"topic":"t","partition":3,"offset":5,"timestamp":"2024-05-01T12:00:00.123+02:00","key":null,"value":{"base64":"AAEC/w=="},"headers":{"a":"b"}}"#,
        #"  {"value":"caf\u00e9 \ud83d\ude00 \n\t\"q\""}  "#,
        #"{"value":"x","headers":null,"timestamp":-1}"#,
      ].map { Array($0.utf8) }
    case .arguments:
      return [
        ["produce", "t", "--create", "-K", ":", "--partitions", "3", "--compression", "lz4", "--sync", "none"],
        ["consume", "t", "--group", "g", "--from", "2024-05-01T12:00:00Z", "--until", "-1h", "-n", "10", "--format", "%k %s\\n"],
        ["topic", "create", "t", "--config", "retention.ms=7d", "--config", "segment.bytes=16KiB", "--partitions", "2"],
        ["topic", "alter", "t", "--config", "retention.bytes=1.5GiB", "--config", "max.message.bytes=1MB"],
        ["pipe", "in", "out", "--group", "g", "--batch", "100", "--commit-interval", "5s", "--", "cat", "-u"],
        ["group", "reset", "g", "--topic", "t", "--to-datetime", "@1700000000000"],
        ["consume", "--help"], ["verify", "--repair", "--json"], ["--dir", "/tmp/x", "describe", "t"],
        ["consume", "t", "-p", "0", "--offset", "9223372036854775807", "--timeout", "1.5s"],
      ].map { Array($0.joined(separator: "\0").utf8) }
    case .gzip, .snappy, .lz4, .zstd:
      guard let codec = CompressionCodec(rawValue: ["gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4][target.rawValue] ?? 0),
        let stream = try? codec.compress(text + text + text)
      else { return [] }
      var seeds = [[0] + stream, [0x41] + stream]
      if codec == .snappy {
        seeds.append([0, 11, 0x28] + Array("hello world".utf8))  // raw snappy: a literal
        seeds.append([0, 12, 0x08, 97, 98, 99, 0x15, 0x03])  // raw snappy: a literal and a copy
      }
      return seeds
    }
  }
}
