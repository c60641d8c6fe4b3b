import Glibc

/// A growable run of bytes that kq reuses for encoding and reading, so hot loops allocate
/// nothing per record. Grows by doubling; never shrinks until released.
package final class ByteBuffer {
  package private(set) var base: UnsafeMutableRawPointer
  package private(set) var capacity: Int
  package var count = 0

  /// Whether the buffer is its own mapping, left out of forked children (`MADV_DONTFORK`).
  private let isExcludedFromForks: Bool

  /// With `excludedFromForks`, the buffer is a mapping of its own that a forked child does
  /// not get: kq writing into it while a child it forked lives (`kq pipe` reading its
  /// command's output) then copies no page, and the fork copies no page table for it.
  package init(capacity: Int = 1 << 16, excludedFromForks: Bool = false) {
    isExcludedFromForks = excludedFromForks
    if excludedFromForks {
      self.capacity = Self.pageRounded(max(capacity, 64))
      base = Self.map(self.capacity)
    } else {
      self.capacity = max(capacity, 64)
      guard let memory = malloc(self.capacity) else { fatalError("out of memory") }
      base = memory
    }
  }

  deinit {
    if isExcludedFromForks { munmap(base, capacity) } else { free(base) }
  }

  private static func pageRounded(_ bytes: Int) -> Int { (bytes + 4095) & ~4095 }

  private static func map(_ bytes: Int) -> UnsafeMutableRawPointer {
    guard bytes >= hugePageBytes else {
      guard let memory = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), memory != MAP_FAILED
      else { fatalError("out of memory") }
      _ = madvise(memory, bytes, MADV_DONTFORK)
      return memory
    }
    // A large buffer starts on a huge page and asks for huge pages: `kq pipe` fills several
    // megabytes per batch, and their first touch costs a fault per 2 MiB instead of per 4 KiB.
    let mapped = bytes + hugePageBytes
    guard let raw = mmap(nil, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED
    else { fatalError("out of memory") }
    let head = (hugePageBytes - Int(bitPattern: raw) % hugePageBytes) % hugePageBytes
    if head > 0 { munmap(raw, head) }
    let memory = raw + head
    munmap(memory + bytes, mapped - head - bytes)
    _ = madvise(memory, bytes, MADV_DONTFORK)
    _ = madvise(memory, bytes, MADV_HUGEPAGE)
    return memory
  }

  private static let hugePageBytes = 2 << 20

  /// Makes room for `additional` bytes after `count`.
  @inline(__always)
  package func reserve(_ additional: Int) {
    if count + additional > capacity { grow(to: count + additional) }
  }

  package func grow(to needed: Int) {
    var newCapacity = capacity
    while newCapacity < needed { newCapacity *= 2 }
    if isExcludedFromForks {
      newCapacity = Self.pageRounded(newCapacity)
      let memory = Self.map(newCapacity)
      memcpy(memory, base, count)
      munmap(base, capacity)
      base = memory
    } else {
      guard let memory = realloc(base, newCapacity) else { fatalError("out of memory") }
      base = memory
    }
    capacity = newCapacity
  }

  @inline(__always)
  package func append(_ bytes: UnsafeRawPointer, count n: Int) {
    reserve(n)
    if n > 0 { memcpy(base + count, bytes, n) }
    count += n
  }

  /// Appends the bytes of a key, value or header; nothing for nil or empty.
  @inline(__always)
  package func append(_ bytes: UnsafeRawBufferPointer?) {
    guard let bytes, let start = bytes.baseAddress, bytes.count > 0 else { return }
    append(start, count: bytes.count)
  }

  @inline(__always)
  package func append(byte: UInt8) {
    reserve(1)
    base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
    count += 1
  }

  package func append(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { if let b = $0.baseAddress { append(b, count: $0.count) } }
  }

  package func append(_ text: String) {
    var text = text
    text.withUTF8 { if let b = $0.baseAddress { append(b, count: $0.count) } }
  }

  /// Removes the first `n` bytes, moving the rest to the front.
  package func removeFirst(_ n: Int) {
    if n >= count {
      count = 0
      return
    }
    memmove(base, base + n, count - n)
    count -= n
  }

  package var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
  package var array: [UInt8] { Array(bytes) }
}

extension UnsafeRawPointer {
  @inline(__always)
  package func bigEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
    T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
  }
}

extension UnsafeMutableRawPointer {
  @inline(__always)
  package func storeBigEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
    storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
  }
}
