#include "kq_values.h"

#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the varint loads below read little-endian"
#endif

// The record layout (Kafka's v2 records, see KQLog's RecordBatch+Layout.swift and
// RecordBatchView+Values.swift, whose `valueFast` this loop follows step for step): a
// zig-zag varint length, an attributes byte, varint timestamp and offset deltas, a zig-zag
// key length (-1: null) and key, a zig-zag value length (-1: null) and value, then headers.

static inline __attribute__((always_inline)) uint16_t load16(const uint8_t *p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return v;
}

static inline __attribute__((always_inline)) uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/// A varint of 1 or 2 bytes at `*p`, still zig-zag encoded (both bytes readable); -1 for a
/// longer one.
static inline __attribute__((always_inline)) long short_zig_zag(const uint8_t *base, size_t *p) {
  unsigned pair = load16(base + *p);
  if ((pair & 0x80) == 0) {
    *p += 1;
    return pair & 0x7f;
  }
  if (pair & 0x8000) return -1;
  *p += 2;
  return (long)((pair & 0x7f) | (pair >> 8) << 7);
}

/// `count` bytes from `source` to `destination`: from 32 to 128 bytes as two runs of 32 or
/// 64 from each end (overlapping), shorter runs likewise in smaller moves, longer by memcpy.
static inline __attribute__((always_inline)) void copy_small(uint8_t *destination, const uint8_t *source, size_t count) {
  if (count >= 32 && count <= 128) {
    if (count > 64) {
      memcpy(destination, source, 32);
      memcpy(destination + 32, source + 32, 32);
      memcpy(destination + count - 64, source + count - 64, 32);
    } else {
      memcpy(destination, source, 32);
    }
    memcpy(destination + count - 32, source + count - 32, 32);
  } else if (count >= 16 && count < 32) {
    memcpy(destination, source, 16);
    memcpy(destination + count - 16, source + count - 16, 16);
  } else if (count >= 8 && count < 16) {
    memcpy(destination, source, 8);
    memcpy(destination + count - 8, source + count - 8, 8);
  } else {
    memcpy(destination, source, count);
  }
}

static inline __attribute__((always_inline)) void append_values(
    const uint8_t *base, size_t size, size_t count, uint8_t terminator, kq_values_cursor *cursor) {
  size_t position = cursor->position;
  size_t index = cursor->index;
  uint8_t *out = cursor->out;
  while (index < count) {
    if (size < 16 || position > size - 16) break;
    size_t p = position;
    long length = short_zig_zag(base, &p);
    if (length < 0 || (length & 1)) break;
    size_t record_end = p + ((size_t)length >> 1);
    if (record_end > size) break;
    p += 1;  // attributes
    // Timestamp and offset deltas: the second byte without its continuation bit ends them.
    uint64_t stops = ~load64(base + p) & 0x8080808080808080ull;
    stops &= stops - 1;
    if (stops == 0) break;
    p += ((size_t)__builtin_ctzll(stops) >> 3) + 1;
    if (p + 3 <= record_end && base[p] == 1) {
      p += 1;  // a null key
    } else {
      if (p + 2 > record_end) break;
      long key = short_zig_zag(base, &p);
      if (key < 0 || (key & 1)) break;
      p += (size_t)key >> 1;
      if (p + 2 > record_end) break;
    }
    long value = short_zig_zag(base, &p);
    if (value < 0) break;
    size_t value_count;
    if ((value & 1) == 0) {
      value_count = (size_t)value >> 1;
    } else {
      if (value != 1) break;
      value_count = 0;  // null
    }
    if (p + value_count >= record_end) break;
    // No headers (the usual record): their count is the one byte left, and it must be 0;
    // any other record's headers are walked by the checked path.
    if (p + value_count + 1 != record_end || base[p + value_count] != 0) break;
    copy_small(out, base + p, value_count);
    out += value_count;
    *out++ = terminator;
    index += 1;
    position = record_end;
  }
  cursor->position = position;
  cursor->index = index;
  cursor->out = out;
}

void kq_append_values_sse2(const uint8_t *base, size_t size, size_t count, uint8_t terminator, kq_values_cursor *cursor) {
  append_values(base, size, count, terminator, cursor);
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void append_values_avx2(
    const uint8_t *base, size_t size, size_t count, uint8_t terminator, kq_values_cursor *cursor) {
  append_values(base, size, count, terminator, cursor);
}

static int has_avx2(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  if (!(c & bit_OSXSAVE) || !(c & bit_AVX)) return 0;
  unsigned xcr0_lo, xcr0_hi;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  if ((xcr0_lo & 6) != 6) return 0;  // the OS saves SSE and AVX state
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  return (b & bit_AVX2) != 0;
}

/// 0: not chosen yet; 1: SSE2; 2: AVX2. Racing first calls choose the same.
static int chosen;

static int uses_avx2(void) {
  int choice = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
  if (choice == 0) {
    choice = has_avx2() ? 2 : 1;
    __atomic_store_n(&chosen, choice, __ATOMIC_RELAXED);
  }
  return choice == 2;
}
#endif

void kq_append_values(const uint8_t *base, size_t size, size_t count, uint8_t terminator, kq_values_cursor *cursor) {
#if defined(__x86_64__)
  if (uses_avx2()) {
    append_values_avx2(base, size, count, terminator, cursor);
    return;
  }
#endif
  append_values(base, size, count, terminator, cursor);
}
