import Testing

@testable import KQCommands

@Suite struct DurationParsingTests {
  @Test(arguments: [
    ("0", 0), ("1500", 1_500), ("500ms", 500), ("30s", 30_000), ("15m", 900_000),
    ("12h", 43_200_000), ("7d", 604_800_000), ("2w", 1_209_600_000), ("1h30m", 5_400_000),
    ("1d12h", 129_600_000), ("1w1d1h1m1s1ms", 694_861_001), ("0s", 0), ("007s", 7_000),
    ("-1", -1), ("forever", -1), ("9223372036854775807", Int64.max),
    ("9223372036854775807ms", Int64.max), ("15250284452w", 9_223_372_036_569_600_000),
  ] as [(String, Int64)])
  func accepts(text: String, expected: Int64) {
    #expect(DurationParsing.milliseconds(text) == expected)
  }

  @Test(arguments: [
    "", "-2", "-1s", "-0", "+5s", "5x", "5 s", " 5s", "5s ", "s", "ms", "1.5s", "5S", "5MS", "1h30",
    "30m1h", "1s1s", "1m1m", "Forever", "9223372036854775808", "9223372036854775808ms",
    "15250284453w", "9223372036854775807ms1s", "106751991167d8h", "1_000",
  ])
  func rejects(text: String) {
    #expect(DurationParsing.milliseconds(text) == nil)
  }

  @Test("the command line's DURATION flags need a unit: a bare number is refused, but 0, -1 and forever are not",
        arguments: ["15", "1500", "9223372036854775807", "007"])
  func unitRequired(text: String) {
    #expect(DurationParsing.milliseconds(text, unitRequired: true) == nil)
    #expect(DurationParsing.milliseconds(text + "ms", unitRequired: true) != nil)
  }

  @Test(arguments: [("0", 0), ("-1", -1), ("forever", -1), ("15m", 900_000), ("1h30m", 5_400_000)] as [(String, Int64)])
  func unitRequiredAccepts(text: String, expected: Int64) {
    #expect(DurationParsing.milliseconds(text, unitRequired: true) == expected)
  }

  @Test(arguments: [
    (604_800_000, "7d"), (90_000, "90s"), (-1, "forever"), (0, "0ms"), (1_500, "1500ms"),
    (1_000, "1s"), (60_000, "1m"), (3_600_000, "1h"), (5_400_000, "90m"), (86_400_000, "1d"),
    (1_209_600_000, "14d"), (129_600_000, "36h"), (-5, "-5ms"),
    (Int64.max, "9223372036854775807ms"),
  ] as [(Int64, String)])
  func formats(ms: Int64, expected: String) {
    #expect(DurationParsing.format(ms) == expected)
  }

  @Test func formatRoundTrips() {
    for ms: Int64 in [-1, 0, 1, 999, 1_000, 61_000, 3_600_000, 86_400_000 * 365, Int64.max - 7] {
      #expect(DurationParsing.milliseconds(DurationParsing.format(ms)) == ms)
    }
  }
}
