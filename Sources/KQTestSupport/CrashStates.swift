import Foundation
import KQStorage
import KQLog

/// The states a power loss can leave after the calls a `FileJournal` recorded (FORMAT.md,
/// "Durability"): a write reaches the disk for sure only once its file is synced, a name
/// (create, rename, unlink, mkdir, rmdir) once its folder is synced; anything else may be
/// kept or lost, independently, and a kept write may be torn at a 512-byte sector boundary
/// (its file cut there, or its size reached the disk and its tail reads as zeros).
package struct CrashStates {
  /// One file-system call, its inode renamed to a model identity (inode numbers are reused).
  enum Step {
    case name(path: String, node: Int)  // a creating open
    case write(node: Int, offset: Int, bytes: [UInt8])
    case truncate(node: Int, length: Int)
    case syncFile(node: Int)
    case syncDirectory(path: String)
    case rename(from: String, to: String)
    case unlink(path: String)
    case makeDirectory(path: String)
    case removeDirectory(path: String)
    case returned(String)
    case none
  }

  /// A disk: names to nodes, folders, and each node's bytes.
  package struct Disk: Hashable {
    var files: [String: Int] = [:]
    var folders: Set<String> = []
    var contents: [Int: [UInt8]] = [:]
  }

  let root: String
  let initial: Disk
  let initialNodes: [UInt64: Int]
  var steps: [Step] = []
  /// For each step, the index of the first later step that makes it durable (nil: none).
  var durableAt: [Int?] = []

  /// Takes the tree under `root` as it is now, all of it durable: call before the journal starts.
  package init(root: String) throws {
    self.root = root
    var disk = Disk()
    var nodeOfInode: [UInt64: Int] = [:]
    var nextNode = 0
    let manager = FileManager.default
    disk.folders.insert(root)
    if let walker = manager.enumerator(atPath: root) {
      while let relative = walker.nextObject() as? String {
        let path = root + "/" + relative
        var info = stat()
        guard lstat(path, &info) == 0 else { continue }
        if info.st_mode & S_IFMT == S_IFDIR {
          disk.folders.insert(path)
        } else {
          let node = nextNode
          nextNode += 1
          nodeOfInode[UInt64(info.st_ino)] = node
          disk.files[path] = node
          disk.contents[node] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        }
      }
    }
    initial = disk
    initialNodes = nodeOfInode
  }

  /// The states after the calls `journal` recorded since the snapshot.
  package func completed(with journal: FileJournal) -> CrashStates {
    var result = self
    result.record(journal)
    return result
  }

  private mutating func record(_ journal: FileJournal) {
    var nodeOfInode = initialNodes
    var nextNode = (initial.contents.keys.max() ?? -1) + 1
    // Replays every call once to learn which opens created a name, and the node of each inode.
    var names = Set(initial.files.keys)
    var steps: [Step] = []
    for entry in journal.entries {
      switch entry {
      case .open(let path, let inode, let truncated):
        if names.contains(path) {
          steps.append(truncated ? .truncate(node: nodeOfInode[inode] ?? -1, length: 0) : .none)
        } else {
          nodeOfInode[inode] = nextNode
          names.insert(path)
          steps.append(.name(path: path, node: nextNode))
          nextNode += 1
        }
      case .write(let inode, let offset, let bytes):
        steps.append(.write(node: nodeOfInode[inode] ?? -1, offset: Int(offset), bytes: bytes))
      case .truncate(let inode, let length): steps.append(.truncate(node: nodeOfInode[inode] ?? -1, length: Int(length)))
      case .syncFile(let inode): steps.append(.syncFile(node: nodeOfInode[inode] ?? -1))
      case .syncDirectory(let path): steps.append(.syncDirectory(path: path))
      case .rename(let from, let to):
        for name in names where name == from || name.hasPrefix(from + "/") {
          names.remove(name)
          names.insert(to + name.dropFirst(from.count))
        }
        steps.append(.rename(from: from, to: to))
      case .unlink(let path):
        names.remove(path)
        steps.append(.unlink(path: path))
      case .makeDirectory(let path): steps.append(.makeDirectory(path: path))
      case .removeDirectory(let path): steps.append(.removeDirectory(path: path))
      case .returned(let label): steps.append(.returned(label))
      }
    }
    self.steps = steps
    durableAt = steps.indices.map { index in
      let folders: [String]
      switch steps[index] {
      case .write(let node, _, _), .truncate(let node, _):
        return steps[(index + 1)...].firstIndex { if case .syncFile(node) = $0 { true } else { false } }
      case .name(let path, _), .unlink(let path), .makeDirectory(let path), .removeDirectory(let path):
        folders = [Self.parent(path)]
      case .rename(let from, let to): folders = Set([Self.parent(from), Self.parent(to)]).sorted()
      default: return 0
      }
      // Durable once every folder it changed was synced after it.
      var latest = 0
      for folder in folders {
        guard
          let at = steps[(index + 1)...].firstIndex(where: {
            if case .syncDirectory(folder) = $0 { true } else { false }
          })
        else { return nil }
        latest = max(latest, at)
      }
      return latest
    }
  }

  static func parent(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return String(path[..<slash])
  }

  package var callCount: Int { steps.count }

  /// The labels the workload marked as returned before step `crash`.
  package func returned(before crash: Int) -> [String] {
    steps[..<crash].compactMap { if case .returned(let label) = $0 { label } else { nil } }
  }

  /// The steps before `crash` that may be lost: not yet durable, and changing the disk.
  package func volatile(before crash: Int) -> [Int] {
    (0..<crash).filter { index in
      guard let at = durableAt[index] else { return true }
      return at >= crash
    }
  }

  /// A tear of one kept write: its first `keep` bytes reach the disk, and the rest either
  /// not at all (`zeroTail` false) or as zeros.
  package struct Tear: Hashable {
    package var step: Int
    package var keep: Int
    package var zeroTail: Bool
    package init(step: Int, keep: Int, zeroTail: Bool) {
      self.step = step
      self.keep = keep
      self.zeroTail = zeroTail
    }
  }

  /// The disk after a crash before step `crash` that lost the volatile steps in `lost`.
  package func disk(crashAt crash: Int, losing lost: Set<Int>, tear: Tear? = nil) -> Disk {
    var disk = initial
    for index in 0..<crash where !lost.contains(index) {
      switch steps[index] {
      case .name(let path, let node):
        disk.files[path] = node
        if disk.contents[node] == nil { disk.contents[node] = [] }
      case .write(let node, let offset, var bytes):
        guard node >= 0 else { continue }
        if let tear, tear.step == index {
          if tear.zeroTail {
            for i in tear.keep..<bytes.count { bytes[i] = 0 }
          } else {
            bytes = Array(bytes.prefix(tear.keep))
          }
        }
        var data = disk.contents[node] ?? []
        if data.count < offset + bytes.count { data += [UInt8](repeating: 0, count: offset + bytes.count - data.count) }
        data.replaceSubrange(offset..<offset + bytes.count, with: bytes)
        disk.contents[node] = data
      case .truncate(let node, let length):
        guard node >= 0 else { continue }
        var data = disk.contents[node] ?? []
        if data.count > length { data.removeLast(data.count - length) } else {
          data += [UInt8](repeating: 0, count: length - data.count)
        }
        disk.contents[node] = data
      case .rename(let from, let to):
        if let node = disk.files.removeValue(forKey: from) {
          disk.files[to] = node
        } else if disk.folders.contains(from) {
          let prefix = from + "/"
          for folder in disk.folders where folder == from || folder.hasPrefix(prefix) {
            disk.folders.remove(folder)
            disk.folders.insert(to + folder.dropFirst(from.count))
          }
          for (name, node) in disk.files where name.hasPrefix(prefix) {
            disk.files.removeValue(forKey: name)
            disk.files[to + name.dropFirst(from.count)] = node
          }
        }
      case .unlink(let path): disk.files.removeValue(forKey: path)
      case .makeDirectory(let path): disk.folders.insert(path)
      case .removeDirectory(let path):
        // A folder whose entries survived cannot have been removed.
        if !disk.files.keys.contains(where: { $0.hasPrefix(path + "/") }) { disk.folders.remove(path) }
      case .syncFile, .syncDirectory, .returned, .none: break
      }
    }
    // A name whose folder is gone is gone; bytes without a name are unreachable.
    var folders: Set<String> = []
    for folder in disk.folders.sorted(by: { $0.count < $1.count })
    where folder == root || folders.contains(Self.parent(folder)) {
      folders.insert(folder)
    }
    disk.folders = folders
    disk.files = disk.files.filter { disk.folders.contains(Self.parent($0.key)) }
    let reachable = Set(disk.files.values)
    disk.contents = disk.contents.filter { reachable.contains($0.key) }
    return disk
  }

  /// Writes `disk` under `target` in place of `root` (which must not exist yet).
  package func materialize(_ disk: Disk, at target: String) throws {
    func moved(_ path: String) -> String { target + path.dropFirst(root.count) }
    for folder in disk.folders.sorted(by: { $0.count < $1.count }) where folder.hasPrefix(root) {
      guard mkdir(moved(folder), 0o700) == 0 || errno == EEXIST else { throw Failure("mkdir \(moved(folder)): errno \(errno)") }
    }
    for (path, node) in disk.files where path.hasPrefix(root) {
      let bytes = disk.contents[node] ?? []
      let fd = open(moved(path), O_WRONLY | O_CREAT | O_TRUNC, 0o600)
      guard fd >= 0 else { throw Failure("open \(moved(path)): errno \(errno)") }
      defer { close(fd) }
      let written = bytes.withUnsafeBytes { raw in raw.count == 0 ? 0 : write(fd, raw.baseAddress, raw.count) }
      guard written == bytes.count else { throw Failure("write \(moved(path)): errno \(errno)") }
    }
  }

  /// The writes among `steps`.
  package func isWrite(_ step: Int) -> Bool { if case .write = steps[step] { true } else { false } }
  package func writeSize(_ step: Int) -> Int { if case .write(_, _, let bytes) = steps[step] { bytes.count } else { 0 } }
}

extension CrashStates.Disk {
  /// The machine restarted: each `kq.lock` checkpoint names another boot.
  package mutating func reboot() {
    let magic = Array("kq-lock 1 ".utf8)
    for (path, node) in files where path.hasSuffix("/kq.lock") {
      guard var bytes = contents[node], bytes.count >= magic.count + 36, Array(bytes.prefix(magic.count)) == magic
      else { continue }
      for i in magic.count..<magic.count + 36 where bytes[i] != UInt8(ascii: "-") { bytes[i] = UInt8(ascii: "0") }
      contents[node] = bytes
    }
  }
}

/// Why a crash state could not be written out.
package struct Failure: Error, CustomStringConvertible {
  package let description: String
  init(_ description: String) { self.description = description }
}
