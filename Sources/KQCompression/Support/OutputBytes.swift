/// An array of up to `capacity` bytes written in place by `body`, which is handed the start of
/// the storage and returns how many bytes it wrote: decoders size the array once, from what
/// the stream declares, and write into it without a per-byte append.
func makeBytes(
  capacity: Int, _ body: (UnsafeMutablePointer<UInt8>) throws(CompressionError) -> Int
) throws(CompressionError) -> [UInt8] {
  var failure: CompressionError?
  let bytes = [UInt8](unsafeUninitializedCapacity: max(capacity, 1)) { buffer, count in
    count = 0
    guard let base = buffer.baseAddress else { return }
    do throws(CompressionError) { count = try body(base) } catch { failure = error }
  }
  if let failure { throw failure }
  return bytes
}

/// Like `makeBytes`, for encoders, which cannot fail.
func makeEncodedBytes(capacity: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) -> [UInt8] {
  [UInt8](unsafeUninitializedCapacity: max(capacity, 1)) { buffer, count in
    count = 0
    guard let base = buffer.baseAddress else { return }
    count = body(base)
  }
}

extension UnsafeRawBufferPointer {
  /// The bytes as `UInt8`s; a dummy non-null address for an empty buffer, so codecs can use
  /// plain pointers throughout.
  var bytePointer: UnsafePointer<UInt8> {
    guard let base = baseAddress else { return UnsafePointer(Self.emptyByte) }
    return base.assumingMemoryBound(to: UInt8.self)
  }

  /// Sixteen zero bytes that live as long as the process and are never written.
  nonisolated(unsafe) private static let emptyByte: UnsafeMutablePointer<UInt8> = {
    let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: 16)
    bytes.initialize(repeating: 0, count: 16)
    return bytes
  }()
}

extension Array<UInt8> {
  /// `body` on the array's bytes, keeping `body`'s typed error (`withUnsafeBytes` rethrows
  /// untyped).
  func withBytes<Result>(
    _ body: (UnsafeRawBufferPointer) throws(CompressionError) -> Result
  ) throws(CompressionError) -> Result {
    let result = withUnsafeBytes { raw in Swift.Result { () throws(CompressionError) in try body(raw) } }
    return try result.get()
  }
}
