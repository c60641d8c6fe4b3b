#ifndef KQ_PREFETCH_H
#define KQ_PREFETCH_H

/// Asks the CPU to bring the cache line at `address` in, without waiting for it: the compactor's
/// key map lookups (`KeyMap.prefetch`) miss the cache side by side instead of one after another.
/// A hint only: it never faults and changes nothing a program can observe.
static inline void kq_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
