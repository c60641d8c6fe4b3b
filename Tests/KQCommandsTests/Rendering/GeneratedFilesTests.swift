import Foundation
import Testing

@testable import KQCommands

@Suite("Committed man page and completions")
struct GeneratedFilesTests {
  /// `KQ_REGENERATE=1 swift test --filter GeneratedFilesTests` rewrites the files first.
  @Test("the committed files equal what the renderers produce")
  func committedFilesAreCurrent() throws {
    let regenerate = ProcessInfo.processInfo.environment["KQ_REGENERATE"] == "1"
    for file in GeneratedFiles.all(version: KQVersion.current) {
      let path = PackageRoot.path + "/" + file.path
      if regenerate { try file.contents.write(toFile: path, atomically: true, encoding: .utf8) }
      let isCurrent = (try? String(contentsOfFile: path, encoding: .utf8)) == file.contents
      #expect(
        isCurrent,
        "\(file.path) differs from CommandTree's rendering; regenerate it with `KQ_REGENERATE=1 swift test --filter GeneratedFilesTests`")
    }
  }

  @Test("the paths are the ones the issue names")
  func paths() {
    #expect(GeneratedFiles.all(version: "0").map(\.path) == ["man/kq.1", "completions/kq.bash", "completions/_kq", "completions/kq.fish"])
  }

  @Test("roff escaping guards backslashes, hyphens and leading dots")
  func roffEscaping() {
    #expect(ManPage.escape("--from -10 \\n") == "\\-\\-from \\-10 \\en")
    #expect(ManPage.escape(".hidden") == "\\&.hidden")
    #expect(ManPage.escape("'quoted'") == "\\&'quoted'")
  }

  @Test("the command tree is plain ASCII, so roff and every shell take it as it is")
  func asciiOnly() {
    var texts = CommandTree.globalFlags.map(\.help)
    for command in CommandTree.commands {
      texts += [command.summary, command.discussion] + command.flags.map(\.help) + command.arguments.map(\.help)
      texts += command.examples.flatMap { [$0.command, $0.explanation] }
    }
    for text in texts {
      let isASCII = text.unicodeScalars.allSatisfy { $0.isASCII }
      #expect(isASCII, "\(text)")
    }
  }
}
