import KQLog
import Glibc
import KQStorage

/// Files the storage targets work in: `$KQ_FUZZ_SCRATCH` (run.sh makes one in /dev/shm and
/// removes it), else a folder under /tmp named by the process id, removed at exit.
enum Scratch {
  nonisolated(unsafe) static var cachedRoot: String?

  static var root: String {
    if let cachedRoot { return cachedRoot }
    let base = getenv("KQ_FUZZ_SCRATCH").map { String(cString: $0) } ?? "/tmp"
    let root = base + "/kq-fuzz-\(getpid())"
    cachedRoot = root
    atexit { if let root = Scratch.cachedRoot { Scratch.removeTree(root) } }
    return root
  }

  /// Stops the target: it cannot do its work, which is no finding.
  static func unusable(_ what: String) -> Never {
    printError("kq-fuzz: cannot set up: \(what)\n")
    exit(70)
  }

  static func write(_ bytes: UnsafeRawBufferPointer, to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { unusable("open \(path)") }
    defer { close(fd) }
    var written = 0
    while written < bytes.count {
      let count = Glibc.write(fd, bytes.baseAddress.map { $0 + written }, bytes.count - written)
      guard count > 0 else { unusable("write \(path)") }
      written += count
    }
  }

  static func write(_ bytes: [UInt8], to path: String) { bytes.withUnsafeBytes { write($0, to: path) } }

  static func read(_ path: String) -> [UInt8] {
    guard let bytes = InputFiles.read(path) else { unusable("read \(path)") }
    return bytes
  }

  /// Everything inside `folder`, recursively, but not `folder` itself.
  static func removeContents(of folder: String) {
    for path in InputFiles.list(folder) { removeTree(path) }
  }

  static func removeTree(_ path: String) {
    if unlink(path) == 0 || errno == ENOENT { return }
    removeContents(of: path)
    rmdir(path)
  }
}

/// The time storage is handed: fixed, so every run of an input is the same.
struct FixedClock: WallClock {
  var millis: Int64 = 1_700_000_000_000
  func nowMillis() -> Int64 { millis }
}

extension PartitionLog {
  /// Appends batches as `BatchEncoder` made them; the offset the first record was given.
  func append(_ batches: [UInt8]) throws -> Int64 {
    var bytes = batches
    let result: Result<AppendedRecords, any Error> = bytes.withUnsafeMutableBytes { raw in
      do { return .success(try append(raw)) } catch { return .failure(error) }
    }
    return try result.get().firstOffset
  }
}
