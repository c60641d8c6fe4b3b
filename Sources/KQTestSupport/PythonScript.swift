import Foundation

/// Runs a Python program given as text (`python3 -c SCRIPT ARGS...`) with stdin closed and
/// returns what it printed; a non-zero exit throws with the end of what it wrote to stderr.
/// The interop tests drive kafka-python through it.
package enum PythonScript {
  package static func run(_ script: String, _ arguments: [String] = []) throws -> String {
    let directory = try TemporaryDirectory("kq-python-script")
    let errors = directory.at("stderr")
    _ = FileManager.default.createFile(atPath: errors, contents: nil)
    let process = Process()
    let output = Pipe()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    process.standardOutput = output
    // stderr to a file, so a chatty script cannot block on a full pipe nobody reads yet.
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let text = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      let problems = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
      throw KQFailure("python failed (exit \(process.terminationStatus)): \(problems.suffix(1500))")
    }
    return String(decoding: text, as: UTF8.self)
  }

  /// Starts `script` (unbuffered) and returns it running: write its stdin, read its stdout by
  /// lines, as a kq process's.
  package static func start(_ script: String, _ arguments: [String] = []) throws -> KQProcess.Running {
    try KQProcess.Running(arguments: ["python3", "-u", "-c", script] + arguments, directory: nil, environment: [:], executable: "/usr/bin/env")
  }
}
