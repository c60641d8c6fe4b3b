import KQCompression
import KQLog

/// The codec mix and compression ratio of a partition, as `describe` shows them.
extension CompressionSurvey {
  /// Each codec's share of the stored bytes, largest first: `lz4 97%, none 3%`; `-` when empty.
  var mixText: String {
    let total = storedBytes.values.reduce(0, +)
    guard total > 0 else { return "-" }
    return storedBytes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.rawValue < $1.key.rawValue }
      .map { "\($0.key) \(Int(($0.value * 100 + total / 2) / total))%" }
      .joined(separator: ", ")
  }

  /// `5.2x`, or `-` without compressed batches.
  var ratioText: String {
    guard let compressionRatio else { return "-" }
    return Self.oneDecimal(compressionRatio) + "x"
  }

  /// `{"lz4":BYTES,...}`, codecs in attribute order.
  var codecsJSON: String {
    JSONText.object(
      CompressionCodec.allCases.compactMap { codec in storedBytes[codec].map { (codec.description, String($0)) } })
  }

  /// The ratio with one decimal, or null.
  var ratioJSON: String { compressionRatio.map(Self.oneDecimal) ?? "null" }

  private static func oneDecimal(_ value: Double) -> String {
    guard value.isFinite, value >= 0, value < 1e12 else { return "0" }
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
  }
}
