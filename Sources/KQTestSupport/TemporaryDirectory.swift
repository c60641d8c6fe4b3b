import Foundation

/// A fresh directory under the system's temporary folder, removed when released.
package final class TemporaryDirectory: @unchecked Sendable {
  package let path: String

  package init(_ label: String = "kq-test", parent: String = NSTemporaryDirectory()) throws {
    let template = parent + "\(label).XXXXXX"
    var bytes = Array(template.utf8CString)
    guard mkdtemp(&bytes) != nil else {
      throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: template])
    }
    path = String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  /// A path inside the directory.
  package func at(_ relative: String) -> String { path + "/" + relative }
}

extension TemporaryDirectory {
  /// A temporary directory in /dev/shm (memory), for tests that write many small trees.
  package static func inSharedMemory(_ label: String = "kq-test") throws -> TemporaryDirectory {
    try TemporaryDirectory(label, parent: "/dev/shm/")
  }
}
