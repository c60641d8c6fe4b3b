enum Snappy {
  static func compressXerial(_ input: UnsafeRawBufferPointer) -> [UInt8] { [] }
  static func decompressXerialOrRaw(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> [UInt8] { [] }
}
