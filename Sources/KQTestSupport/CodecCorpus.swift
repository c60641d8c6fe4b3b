/// Inputs for the codec tests: every size class a codec treats differently, and the kinds of
/// bytes that exercise its paths (runs, text, incompressible noise).
package enum CodecCorpus {
  /// Named inputs: empty, one byte, both sides of the 32 KiB and 64 KiB block sizes of
  /// snappy's and lz4's framing and the 128 KiB zstd block, 1 MiB of log lines, noise, runs.
  package static func sizeClasses(seed: UInt64 = 1) -> [(name: String, bytes: [UInt8])] {
    var random = SeededGenerator(seed: seed)
    var cases: [(String, [UInt8])] = [
      ("empty", []),
      ("one byte", [0x61]),
      ("four bytes", Array("abcd".utf8)),
      ("thirteen bytes", Array("hello, world!".utf8)),
    ]
    for size in [32 * 1024, 64 * 1024, 128 * 1024] {
      for delta in [-1, 0, 1] {
        cases.append(("log lines, \(size + delta) bytes", logLines(count: size + delta, using: &random)))
      }
    }
    cases.append(("log lines, 1 MiB", logLines(count: 1 << 20, using: &random)))
    cases.append(("noise, 100 KiB", random.bytes(count: 100 * 1024)))
    cases.append(("noise, 3 bytes", random.bytes(count: 3)))
    cases.append(("zeros, 1 MiB", [UInt8](repeating: 0, count: 1 << 20)))
    cases.append(("one byte repeated, 70000", [UInt8](repeating: 0x7A, count: 70_000)))
    cases.append(("period 3, 200000 bytes", (0..<200_000).map { UInt8(truncatingIfNeeded: $0 % 3) }))
    cases.append(("period 7, 50000 bytes", (0..<50_000).map { UInt8(truncatingIfNeeded: $0 % 7 &* 31) }))
    cases.append(("runs and noise", runsAndNoise(count: 300_000, using: &random)))
    return cases
  }

  /// Text like an application's log: timestamps, levels, paths, ids, numbers.
  package static func logLines(count: Int, using random: inout SeededGenerator) -> [UInt8] {
    let levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
    let paths = ["/api/v1/users", "/api/v1/orders", "/health", "/api/v2/search", "/static/app.js"]
    let methods = ["GET", "GET", "POST", "PUT", "DELETE"]
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 200)
    var millis = 1_714_560_000_000 as Int64
    while bytes.count < count {
      millis += Int64.random(in: 0...40, using: &random)
      let level = levels[Int.random(in: 0..<levels.count, using: &random)]
      let method = methods[Int.random(in: 0..<methods.count, using: &random)]
      let path = paths[Int.random(in: 0..<paths.count, using: &random)]
      let line =
        "2024-05-01T\(millis / 3_600_000 % 24):\(millis / 60000 % 60):\(millis / 1000 % 60).\(millis % 1000)Z "
        + "\(level) [worker-\(Int.random(in: 1...16, using: &random))] \(method) \(path)/"
        + "\(Int.random(in: 1...99999, using: &random)) status=\([200, 200, 200, 201, 404, 500][Int.random(in: 0..<6, using: &random)]) "
        + "latency_ms=\(Int.random(in: 1...900, using: &random)) request_id=\(String(random.next(), radix: 16))\n"
      bytes += line.utf8
    }
    return Array(bytes.prefix(count))
  }

  /// Alternating runs of one byte and stretches of noise, of random lengths.
  package static func runsAndNoise(count: Int, using random: inout SeededGenerator) -> [UInt8] {
    var bytes: [UInt8] = []
    while bytes.count < count {
      let length = Int.random(in: 1...3000, using: &random)
      if Bool.random(using: &random) {
        bytes += [UInt8](repeating: UInt8.random(in: 0...255, using: &random), count: length)
      } else {
        bytes += random.bytes(count: length)
      }
    }
    return Array(bytes.prefix(count))
  }
}
