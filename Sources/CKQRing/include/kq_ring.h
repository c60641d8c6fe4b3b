#ifndef KQ_RING_H
#define KQ_RING_H

#include <stddef.h>

/// Maps `size` bytes (a multiple of the page size) of one anonymous memory file twice, back to
/// back: the byte at `base + i` is the byte at `base + size + i`, so that any `size` bytes from
/// an offset below `size` are contiguous (`MirroredRing`). NULL, with errno set, on failure.
void *kq_ring_map(size_t size);
/// Unmaps both views of a ring `kq_ring_map` made.
void kq_ring_unmap(void *base, size_t size);

#endif
