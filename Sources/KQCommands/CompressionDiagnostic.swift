import KQCompression

/// Words for a `CompressionError`, inside a diagnostic that names the batch.
enum CompressionDiagnostic {
  static func describe(_ error: CompressionError) -> String {
    switch error {
    case .unknownCodec(let bits): "codec \(bits) is not one Kafka defines"
    case .outputLimitExceeded(let codec, let limit): "\(codec) stream decodes to more than \(limit) bytes"
    case .truncated(let codec, let position): "\(codec) stream cut short at byte \(position)"
    case .checksumMismatch(let codec, let checksum, let stored, let computed):
      "\(codec) \(checksum) checksum mismatch (stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16)))"
    case .malformed(let codec, let rule, let position): "malformed \(codec) stream at byte \(position) (\(rule))"
    case .unsupported(let codec, .dictionary(let id)): "\(codec) stream needs dictionary \(id), which a batch cannot carry"
    case .zlibFailed(let code): "zlib failed (code \(code))"
    }
  }
}
