enum Gzip {
  static func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] { [] }
  static func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> [UInt8] { [] }
}
