import Glibc
import KQCompression
import KQLog

extension CompressionSurvey {
  /// Walks the headers of every segment of the partition in `folder`, stopping in a segment at
  /// the first bytes that are not a whole, checked batch (damage is `verify`'s and the
  /// readers' to report), then decodes the sample.
  package static func survey(folder: String, bases: [Int64], maxMessageBytes: Int, fileSystem: FileSystem)
    throws(StorageError) -> CompressionSurvey
  {
    var survey = CompressionSurvey()
    var compressed: [(path: String, position: Int64, size: Int)] = []
    for base in bases {
      let path = FileNames.logFile(in: folder, base: base)
      let fd: CInt
      do { fd = try fileSystem.open(path, O_RDONLY) } catch {
        if error == .noSuchFile { continue }  // removed by retention meanwhile
        throw .io(error, operation: "open", path: path)
      }
      defer { try? fileSystem.close(fd) }
      do {
        let size = try fileSystem.size(of: fd, path: path)
        var position: Int64 = 0
        while let header = try BatchHeader.read(
          from: fd, at: position, fileSize: size, fileSystem: fileSystem, path: path, gapsAllowed: true) {
          let codec = CompressionCodec(rawValue: header.codecBits)
          survey.records += Int64(header.recordCount)
          if let codec { survey.storedBytes[codec, default: 0] += Int64(header.size) }
          if codec != nil && codec != CompressionCodec.none { compressed.append((path, position, header.size)) }
          position += Int64(header.size)
        }
      } catch { throw .io(error, operation: "read", path: path) }
    }
    survey.compressionRatio = try ratio(of: compressed, maxMessageBytes: maxMessageBytes, fileSystem: fileSystem)
    return survey
  }

  /// The ratio over the newest batches of `compressed` up to `sampleBytes`; a batch gone or
  /// not decoding is left out of it.
  private static func ratio(
    of compressed: [(path: String, position: Int64, size: Int)], maxMessageBytes: Int, fileSystem: FileSystem
  ) throws(StorageError) -> Double? {
    var sampled = 0
    var storedRecords = 0
    var decodedRecords = 0
    let raw = ByteBuffer(capacity: 0)
    let decoded = ByteBuffer(capacity: 0)
    for batch in compressed.reversed() where sampled < sampleBytes {
      sampled += batch.size
      guard let fd = try? fileSystem.open(batch.path, O_RDONLY) else { continue }
      defer { try? fileSystem.close(fd) }
      raw.count = 0
      raw.reserve(batch.size)
      guard let got = try? fileSystem.read(fd, into: raw.base, count: batch.size, at: batch.position, path: batch.path),
        got == batch.size, let view = try? RecordBatchView(at: raw.base, available: got),
        (try? view.validateCRC()) != nil,
        let plain = try? view.decompressed(into: decoded, maxMessageBytes: maxMessageBytes)
      else { continue }
      storedRecords += view.size - BatchLayout.headerSize
      decodedRecords += plain.size - BatchLayout.headerSize
    }
    guard storedRecords > 0 else { return nil }
    return Double(decodedRecords) / Double(storedRecords)
  }
}
