import Foundation

/// Runs a Python function over many byte strings in one `python3` process: the codec tests
/// hand kq's output to the reference libraries (and theirs to kq) through it.
package enum PythonTransform {
  /// What the function returned for one input, or the exception it raised.
  package enum Outcome: Equatable, Sendable {
    case bytes([UInt8])
    case raised(String)

    package var bytes: [UInt8]? {
      if case .bytes(let bytes) = self { return bytes }
      return nil
    }
  }

  package struct Failure: Error, CustomStringConvertible {
    package var description: String
  }

  /// Runs `source`, which defines `def transform(data: bytes) -> bytes`, over each input.
  package static func run(_ source: String, over inputs: [[UInt8]]) throws -> [Outcome] {
    let directory = try TemporaryDirectory("kq-python")
    for (index, input) in inputs.enumerated() {
      try Data(input).write(to: URL(fileURLWithPath: directory.at("in.\(index)")))
    }
    let script = directory.at("transform.py")
    try (source + driver).write(toFile: script, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script, directory.path, String(inputs.count)]
    let errors = directory.at("stderr")
    _ = FileManager.default.createFile(atPath: errors, contents: nil)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      let text = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
      throw Failure(description: "python3 exited \(process.terminationStatus): \(text)")
    }
    return try inputs.indices.map { index in
      if let raised = try? String(contentsOfFile: directory.at("err.\(index)"), encoding: .utf8) {
        return .raised(raised)
      }
      return .bytes(Array(try Data(contentsOf: URL(fileURLWithPath: directory.at("out.\(index)")))))
    }
  }

  private static let driver = """

    import sys
    _directory, _count = sys.argv[1], int(sys.argv[2])
    for _index in range(_count):
        with open(f"{_directory}/in.{_index}", "rb") as _file:
            _data = _file.read()
        try:
            _result = transform(_data)
        except Exception as _error:
            with open(f"{_directory}/err.{_index}", "w") as _file:
                _file.write(repr(_error))
            continue
        with open(f"{_directory}/out.{_index}", "wb") as _file:
            _file.write(_result)

    """
}
