import Glibc
import KQLog

/// A kq data directory: the format marker, the topics and their partitions, the groups
/// (FORMAT.md, "Files"). Created on first use with mode 0700 and missing parents; a
/// directory of an unknown or newer format is refused, never rewritten.
package final class DataDirectory {
  package static let formatVersion = 1
  private static let markerText = "kq data directory format "

  package let path: String
  package let names: FileNames
  package let fileSystem: FileSystem
  package let clock: any WallClock

  private init(path: String, fileSystem: FileSystem, clock: any WallClock) {
    self.path = path
    self.names = FileNames(root: path)
    self.fileSystem = fileSystem
    self.clock = clock
  }

  /// Opens the directory at `path`. With `create`, a missing directory is made (with its
  /// parents) and marked; without it, a missing one is `dataDirectoryNotFound`.
  package static func open(at path: String, create: Bool, fileSystem: FileSystem = FileSystem(), clock: any WallClock = SystemClock())
    throws(StorageError) -> DataDirectory
  {
    let directory = DataDirectory(path: path, fileSystem: fileSystem, clock: clock)
    try directory.checkFormat(create: create)
    return directory
  }

  /// Checks the marker, creating the directory and its marker with `create`. Any number of
  /// processes may create the same directory at once: each writes the marker through a
  /// temporary file of its own and renames it into place (the same bytes whoever wins), and
  /// one that finds only others' temporary files takes the directory as empty.
  private func checkFormat(create: Bool) throws(StorageError) {
    for _ in 0..<8 {
      if try hasMarker() { return }
      let listing: [String]?
      do { listing = try fileSystem.listDirectory(path) } catch {
        if error == .noSuchFile { listing = nil } else if error == .notDirectory {
          throw .notADirectory(path: path)
        } else { throw .io(error, operation: "open", path: path) }
      }
      let entries = listing?.filter { !FileNames.isFormatMarkerTemporary($0) }
      if entries?.contains(FileNames.formatMarkerName) == true {
        continue  // another process wrote the marker since we looked: read it
      }
      guard create else {
        if entries == nil || entries?.isEmpty == true { throw .dataDirectoryNotFound(path: path) }
        throw .notADataDirectory(path: path)
      }
      if let entries, !entries.isEmpty { throw .notADataDirectory(path: path) }
      if listing == nil { try makeDirectories(path) }
      let text = Self.markerText + String(Self.formatVersion) + "\n"
      do {
        try fileSystem.replaceAtomically(
          names.formatMarker, with: Array(text.utf8), directory: path,
          temporaryPath: names.formatMarkerTemporary(unique: String(getpid()) + "." + String(UInt32.random(in: 0...UInt32.max), radix: 16)))
      } catch { throw .io(error, operation: "write", path: names.formatMarker) }
      return
    }
    throw .notADataDirectory(path: path)
  }

  /// Whether the marker is there; throws when it names another format.
  private func hasMarker() throws(StorageError) -> Bool {
    let marker: [UInt8]?
    do { marker = try fileSystem.readSmallFile(names.formatMarker, limit: 256) } catch {
      if error == .notDirectory { throw .notADirectory(path: path) }
      throw .io(error, operation: "read", path: names.formatMarker)
    }
    guard let marker else { return false }
    switch Self.formatVersion(inMarker: marker) {
    case Self.formatVersion?: return true
    case let version? where version > Self.formatVersion:
      throw .unsupportedFormat(path: names.formatMarker, found: String(version), newestSupported: Self.formatVersion)
    default:
      throw .corruptFile(
        file: names.formatMarker,
        reason: "expected '\(Self.markerText)\(Self.formatVersion)', found \(Self.describeMarker(marker))")
    }
  }

  /// The version a well-formed marker names (`kq data directory format N` and a newline, N a
  /// decimal number without a sign or leading zeros); nil for anything else. A number too large
  /// for Int is still a (newer) version: Int.max.
  static func formatVersion(inMarker marker: [UInt8]) -> Int? {
    let prefix = Array(markerText.utf8)
    guard marker.count > prefix.count + 1, marker.starts(with: prefix), marker.last == UInt8(ascii: "\n") else { return nil }
    let digits = marker[prefix.count..<(marker.count - 1)]
    guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
      digits.first != UInt8(ascii: "0") || digits.count == 1
    else { return nil }
    return Int(String(decoding: digits, as: UTF8.self)) ?? Int.max
  }

  /// The marker's first bytes for a message, printable characters only.
  private static func describeMarker(_ marker: [UInt8]) -> String {
    if marker.isEmpty { return "an empty file" }
    let shown = marker.prefix(40).map { $0 >= 0x20 && $0 < 0x7F ? String(UnicodeScalar($0)) : "?" }.joined()
    return "'\(shown)\(marker.count > 40 ? "..." : "")'"
  }

  /// `mkdir -p` with mode 0700, as the XDG spec asks for data directories.
  private func makeDirectories(_ target: String) throws(StorageError) {
    var prefix = target.hasPrefix("/") ? "" : "."
    for component in target.split(separator: "/") {
      prefix += "/" + component
      do { try fileSystem.makeDirectory(prefix, mode: 0o700) } catch {
        if error == .exists { continue }
        throw .io(error, operation: "create directory", path: prefix)
      }
    }
  }

  /// Whether `path` holds kq's marker (without creating anything).
  package static func exists(at path: String, fileSystem: FileSystem = FileSystem()) -> Bool {
    fileSystem.exists(FileNames(root: path).formatMarker)
  }
}
