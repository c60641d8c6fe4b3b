import KQLog

/// `--config KEY=VALUE` and `--retention DURATION`, turned into Kafka's keys and plain numbers:
/// durations for the `.ms` keys, sizes for the `.bytes` keys.
enum ConfigSettings {
  static let durationKeys: Set<String> = [
    "retention.ms", "segment.ms", "min.compaction.lag.ms", "max.compaction.lag.ms", "delete.retention.ms",
  ]
  static let sizeKeys: Set<String> = ["retention.bytes", "segment.bytes", "max.message.bytes"]

  static func parse(_ session: Session, allowPartitions: Bool = false) throws -> [(key: String, value: String)] {
    var settings: [(key: String, value: String)] = []
    let arguments = session.arguments
    if let retention = arguments.value("retention") {
      guard let ms = DurationParsing.milliseconds(retention, unitRequired: true) else {
        throw arguments.invalidValue("retention", hint: "write a duration with a unit, such as 12h or 7d, or forever")
      }
      settings.append(("retention.ms", String(ms)))
    }
    for text in arguments.values("config") {
      guard let equals = text.firstIndex(of: "=") else {
        throw UsageError(
          .invalidValue(subject: "'--config'", value: text, hint: "write KEY=VALUE, e.g. retention.ms=7d"),
          commandPath: arguments.commandPath)
      }
      let key = String(text[..<equals])
      let raw = String(text[text.index(after: equals)...])
      guard TopicConfig.alterableKeys.contains(key) || (allowPartitions && key == "partitions") else {
        let close = Suggestion.closest(to: key, among: TopicConfig.alterableKeys)
        throw UsageError(
          .invalidValue(
            subject: "'--config'", value: text,
            hint: close.isEmpty
              ? "known keys: " + TopicConfig.alterableKeys.joined(separator: ", ")
              : "did you mean '\(close[0])'?"),
          commandPath: arguments.commandPath)
      }
      var value = raw
      if durationKeys.contains(key) {
        guard let ms = DurationParsing.milliseconds(raw) else {
          throw UsageError(
            .invalidValue(subject: "'--config \(key)'", value: raw, hint: "write a duration such as 500ms, 30s, 12h or 7d"),
            commandPath: arguments.commandPath)
        }
        value = String(ms)
      } else if sizeKeys.contains(key) {
        guard let bytes = ByteSizeParsing.bytes(raw) else {
          throw UsageError(
            .invalidValue(subject: "'--config \(key)'", value: raw, hint: "write a size such as 512KiB, 10MB or 1GiB"),
            commandPath: arguments.commandPath)
        }
        value = String(bytes)
      }
      // One key set twice has no clear winner: `--retention 7d --config retention.ms=1d`.
      if settings.contains(where: { $0.key == key }) {
        guard key == "retention.ms" && arguments.has("retention") else {
          throw UsageError(.repeatedFlag("--config \(key)"), commandPath: arguments.commandPath)
        }
        throw UsageError(.conflictingFlags("--retention", "--config \(key)"), commandPath: arguments.commandPath)
      }
      settings.append((key, value))
    }
    return settings
  }

  /// Applies settings to a configuration, turning storage's refusals into usage errors.
  static func apply(_ settings: [(key: String, value: String)], to config: inout TopicConfig, session: Session) throws {
    for (key, value) in settings {
      do { try config.set(key, to: value) } catch {
        var hint = "see 'kq \(session.arguments.commandPath.joined(separator: " ")) --help'"
        if case .invalidConfig(_, _, let reason) = error { hint = reason }
        throw UsageError(.invalidValue(subject: key, value: value, hint: hint), commandPath: session.arguments.commandPath)
      }
    }
  }
}
