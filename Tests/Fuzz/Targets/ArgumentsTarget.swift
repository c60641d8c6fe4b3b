import KQLog
import KQCommands
import KQStorage

/// argv from the input (NUL-separated elements, as the kernel hands them over): parsed and
/// bound, then the help or the usage error rendered, and every flag value and positional run
/// through the value parsers (names, durations, sizes, timestamps), whose results must survive
/// a round trip through their formatters. Nothing is run: commands open files and spawn.
enum ArgumentsTarget {
  static func run(_ input: UnsafeRawBufferPointer) {
    let raw = input.split(separator: 0, omittingEmptySubsequences: false).map { Array($0) }
    let arguments = raw.map { String(decoding: $0, as: UTF8.self) }
    do {
      let invocation = try CommandLineParser.parse(arguments, rawArguments: raw)
      if invocation.wantsHelp { _ = HelpText.render(for: invocation) }
      for occurrence in invocation.arguments.occurrences {
        if let value = occurrence.value { checkValue(value) }
      }
      for positional in invocation.arguments.positionals { checkValue(positional) }
    } catch {
      _ = error.rendered()
      for argument in arguments { checkValue(argument) }
    }
  }

  static func checkValue(_ text: String) {
    _ = try? TopicName(text)
    _ = try? GroupName(text)
    if let ms = DurationParsing.milliseconds(text), ms >= 0, DurationParsing.milliseconds(DurationParsing.format(ms)) != ms {
      wrongAnswer("duration \(text.debugDescription) = \(ms) ms formats as \(DurationParsing.format(ms))")
    }
    if let bytes = ByteSizeParsing.bytes(text), bytes >= -1, ByteSizeParsing.bytes(ByteSizeParsing.format(bytes)) != bytes {
      wrongAnswer("size \(text.debugDescription) = \(bytes) formats as \(ByteSizeParsing.format(bytes))")
    }
    if let ms = Timestamps.parse(text), Timestamps.parse(Timestamps.format(ms)) != ms {
      wrongAnswer("timestamp \(text.debugDescription) = \(ms) formats as \(Timestamps.format(ms))")
    }
  }
}
