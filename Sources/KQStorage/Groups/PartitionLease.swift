import Glibc
import KQLog

/// A consumer group's lease on one partition: an exclusive `flock` on
/// `groups/GROUP/TOPIC/N.lease`, holding the owner's pid for `group describe`. The OS drops
/// it when the process exits or is killed, so no stale lease survives a kill -9.
package final class PartitionLease {
  package let group: GroupName
  package let topic: TopicName
  package let partition: Int
  private var fd: CInt
  private let fileSystem: FileSystem

  init(group: GroupName, topic: TopicName, partition: Int, fd: CInt, fileSystem: FileSystem) {
    self.group = group
    self.topic = topic
    self.partition = partition
    self.fd = fd
    self.fileSystem = fileSystem
  }

  deinit { release() }

  package func release() {
    if fd >= 0 { try? fileSystem.close(fd) }
    fd = -1
  }

  /// Takes the lease when free; nil when another process holds it.
  static func acquire(path: String, group: GroupName, topic: TopicName, partition: Int, fileSystem: FileSystem)
    throws(StorageError) -> PartitionLease?
  {
    let fd: CInt
    do { fd = try fileSystem.open(path, O_RDWR | O_CREAT, mode: 0o600) } catch {
      throw .io(error, operation: "open", path: path)
    }
    do {
      guard try fileSystem.lock(fd, nonBlocking: true, path: path) else {
        try? fileSystem.close(fd)
        return nil
      }
      let text = Array((String(getpid()) + "\n").utf8)
      try fileSystem.truncate(fd, to: 0, path: path)
      try fileSystem.write(text, to: fd, at: 0, path: path)
    } catch {
      try? fileSystem.close(fd)
      throw .io(error, operation: "lock", path: path)
    }
    return PartitionLease(group: group, topic: topic, partition: partition, fd: fd, fileSystem: fileSystem)
  }

  /// The pid of the live holder of the lease at `path`, or nil when nobody holds it.
  static func holder(path: String, fileSystem: FileSystem) -> Int32? {
    guard let fd = try? fileSystem.open(path, O_RDONLY) else { return nil }
    defer { try? fileSystem.close(fd) }
    if (try? fileSystem.lock(fd, exclusive: false, nonBlocking: true, path: path)) == true {
      fileSystem.unlock(fd)
      return nil
    }
    let bytes = (try? fileSystem.readSmallFile(path, limit: 32)) ?? nil
    let text = bytes.map { String(decoding: $0, as: UTF8.self) } ?? ""
    return Int32(text.filter { $0.isNumber }) ?? -1
  }
}
