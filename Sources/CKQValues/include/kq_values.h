#ifndef KQ_VALUES_H
#define KQ_VALUES_H

#include <stddef.h>
#include <stdint.h>

/// Where `kq_append_values` goes on from in a batch, and where it writes next.
typedef struct {
  /// The next record's offset in the batch (the first record is at the batch header's end).
  size_t position;
  /// Records done so far.
  size_t index;
  /// Where the next value goes.
  uint8_t *out;
} kq_values_cursor;

/// Copies the values of an uncompressed batch's records `cursor->index` to `count - 1`, each
/// followed by `terminator`, from the batch's bytes `base[0..<size)`, as long as each record
/// has the common shape `RecordBatchView.valueFast` reads (lengths of at most 2 varint bytes,
/// timestamp and offset deltas within 8 bytes, a null key or one with a short length): it
/// stops before any other record, which the caller reads the checked way, or after `count`.
/// Every load stays inside `base[0..<size)` whatever the bytes; `out` must have room for the
/// values and terminators (at most `size` + `count` bytes). AVX2 moves where the CPU and OS
/// have them (chosen once), SSE2 otherwise.
void kq_append_values(const uint8_t *base, size_t size, size_t count, uint8_t terminator, kq_values_cursor *cursor);

/// The same with SSE2 moves only, whatever the CPU (tests run both).
void kq_append_values_sse2(const uint8_t *base, size_t size, size_t count, uint8_t terminator, kq_values_cursor *cursor);

#endif
