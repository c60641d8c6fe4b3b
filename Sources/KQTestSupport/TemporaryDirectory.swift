import Foundation

/// A fresh directory under the system's temporary folder, removed when released.
package final class TemporaryDirectory: @unchecked Sendable {
  package let path: String

  /// `inMemory`: under /dev/shm when it is there (tmpfs: fsync costs nothing), for searches
  /// that repair thousands of directories; else under `parent`.
  package init(_ label: String = "kq-test", inMemory: Bool = false, parent: String = NSTemporaryDirectory()) throws {
    var isFolder: ObjCBool = false
    let base =
      inMemory && FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isFolder) && isFolder.boolValue
        && access("/dev/shm", W_OK) == 0 ? "/dev/shm/" : parent
    let template = base + "\(label).XXXXXX"
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
