import Foundation

/// The package root, for tests that read committed files (`man/kq.1`, `completions/`):
/// `$KQ_SOURCE_ROOT` when set, else three folders above this file with symlinks resolved
/// (so it also works from a scratch package that links these files).
enum PackageRoot {
  static var path: String {
    if let root = ProcessInfo.processInfo.environment["KQ_SOURCE_ROOT"], !root.isEmpty { return root }
    return URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
      .deletingLastPathComponent()  // Rendering
      .deletingLastPathComponent()  // KQCommandsTests
      .deletingLastPathComponent()  // Tests
      .deletingLastPathComponent().path
  }

  static func read(_ relativePath: String) throws -> String {
    try String(contentsOfFile: path + "/" + relativePath, encoding: .utf8)
  }
}

/// A finished child process: its status and both streams.
struct ShellResult {
  var status: Int32
  var stdout: String
  var stderr: String
  var summary: String { "status \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

enum Shell {
  /// Runs `executable` with `arguments` in the package root, with `environment` added, and
  /// waits for it. Both pipes are drained while it runs.
  static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> ShellResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: PackageRoot.path)
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      errData = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return ShellResult(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }

  static func isInstalled(_ executable: String) -> Bool {
    FileManager.default.isExecutableFile(atPath: executable)
  }
}
