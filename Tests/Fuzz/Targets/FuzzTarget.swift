import Glibc

/// The fuzz targets: each takes arbitrary bytes and must neither crash, hang nor return a
/// wrong answer (a target traps on a wrong answer, which libFuzzer reports like a crash).
enum FuzzTarget: String, CaseIterable {
  /// RecordBatchView and BatchCheck over arbitrary bytes, as a segment of batches, with every
  /// record and header read (compressed batches decoded).
  case batch
  /// Offset and time index lookups with arbitrary `.index` and `.timeindex` bytes against a
  /// small log: a lookup answers right or throws.
  case index
  /// A partition whose active segment is arbitrary bytes: a writer opens (recovery) and appends,
  /// a reader reads; the appended record is read back.
  case recovery
  /// The `--json` produce envelope parser, one line.
  case json
  /// The argument parser, with argv the input's NUL-separated strings, and the value parsers.
  case arguments
  case gzip, snappy, lz4, zstd

  func prepare() {
    switch self {
    case .index: IndexTarget.shared.prepare()
    case .recovery: RecoveryTarget.shared.prepare()
    default: break
    }
  }

  func run(_ input: UnsafeRawBufferPointer) {
    switch self {
    case .batch: BatchTarget.run(input)
    case .index: IndexTarget.shared.run(input)
    case .recovery: RecoveryTarget.shared.run(input)
    case .json: JSONEnvelopeTarget.run(input)
    case .arguments: ArgumentsTarget.run(input)
    case .gzip: CodecTarget.run(input, codec: .gzip)
    case .snappy: CodecTarget.run(input, codec: .snappy)
    case .lz4: CodecTarget.run(input, codec: .lz4)
    case .zstd: CodecTarget.run(input, codec: .zstd)
    }
  }
}

/// A wrong answer: the target stops the process, so libFuzzer keeps the input.
func wrongAnswer(_ message: String) -> Never {
  printError("kq-fuzz: wrong answer: \(message)\n")
  abort()
}
