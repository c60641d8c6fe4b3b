import Testing

@testable import KQCommands

@Suite struct ByteSizeParsingTests {
  @Test(arguments: [
    ("0", 0), ("1", 1), ("1048576", 1_048_576), ("-1", -1), ("5B", 5), ("5b", 5),
    ("1KB", 1_000), ("1kb", 1_000), ("2MB", 2_000_000), ("3GB", 3_000_000_000),
    ("4TB", 4_000_000_000_000), ("1KiB", 1_024), ("1kib", 1_024), ("128MiB", 134_217_728),
    ("1GiB", 1_073_741_824), ("2TiB", 2_199_023_255_552), ("1K", 1_024), ("1k", 1_024),
    ("1M", 1_048_576), ("1G", 1_073_741_824), ("1T", 1_099_511_627_776), ("1.5MiB", 1_572_864),
    ("1.5KB", 1_500), ("0.5K", 512), ("2.50KiB", 2_560), ("2.0", 2), ("1.0B", 1),
    ("0.0009765625K", 1), ("128 MiB", 134_217_728), ("64  kb", 64_000),
    ("9223372036854775807", Int64.max), ("8388607TiB", 9_223_370_937_343_148_032),
  ] as [(String, Int64)])
  func accepts(text: String, expected: Int64) {
    #expect(ByteSizeParsing.bytes(text) == expected)
  }

  @Test(arguments: [
    "", "-2", "-1B", "+1", "1.5", "1.5B", "1.0001KB", "0.3K", "1.", ".5K", "1..5K", "KB", "1PB",
    "1PiB", "1KiBB", "1 ", " 1", "1 K B", "1e3", "1_000", "1,5K", "9223372036854775808",
    "8388608TiB", "9223372036854776KB", "1\u{0}K", "1 \u{212A}B",
  ])
  func rejects(text: String) {
    #expect(ByteSizeParsing.bytes(text) == nil)
  }

  @Test(arguments: [
    (134_217_728, "128MiB"), (1_000, "1KB"), (1_024, "1KiB"), (0, "0B"), (-1, "-1"), (1, "1B"),
    (1_536, "1536B"), (1_000_000, "1MB"), (1_048_576, "1MiB"), (1_024_000, "1024KB"),
    (1_048_576_000, "1000MiB"), (1_000_000_000_000, "1TB"), (1_099_511_627_776, "1TiB"),
    (2_048_000, "2048KB"), (Int64.max, "9223372036854775807B"),
  ] as [(Int64, String)])
  func formats(bytes: Int64, expected: String) {
    #expect(ByteSizeParsing.format(bytes) == expected)
  }

  @Test func formatRoundTrips() {
    for bytes: Int64 in [-1, 0, 1, 999, 1_000, 1_023, 1_024, 3 << 30, 5_000_000_000, Int64.max] {
      #expect(ByteSizeParsing.bytes(ByteSizeParsing.format(bytes)) == bytes)
    }
  }
}
