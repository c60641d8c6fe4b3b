#ifndef KQ_CORES_H
#define KQ_CORES_H

#include <stdint.h>

/// A set of CPUs (cpu_set_t's 1024 bits) a thread may run on: `CoreSplit` keeps two threads that
/// hand work to each other on different cores.
typedef struct {
  uint64_t bits[16];
} kq_core_set;

/// The calling thread's allowed CPUs (sched_getaffinity); 0, or an errno.
int kq_cores_allowed(kq_core_set *set);
/// Restricts the calling thread to `set` (sched_setaffinity); 0, or an errno.
int kq_cores_restrict(const kq_core_set *set);
/// The CPU the calling thread runs on now, or -1.
int kq_core_current(void);
/// How many CPUs `set` holds.
int kq_cores_count(const kq_core_set *set);
/// Whether `set` holds `cpu` (false for a CPU out of range).
int kq_cores_contains(const kq_core_set *set, int cpu);
/// Adds or removes `cpu` (nothing for a CPU out of range).
void kq_cores_add(kq_core_set *set, int cpu);
void kq_cores_remove(kq_core_set *set, int cpu);
/// The lowest CPU in `set`, or -1 when it is empty.
int kq_cores_first(const kq_core_set *set);

#endif
