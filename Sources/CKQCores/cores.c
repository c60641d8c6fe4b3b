#define _GNU_SOURCE
#include "kq_cores.h"

#include <errno.h>
#include <sched.h>

_Static_assert(sizeof(cpu_set_t) == sizeof(kq_core_set), "kq_core_set is cpu_set_t's size");

enum { kq_cores_limit = 1024 };

int kq_cores_allowed(kq_core_set *set) { return sched_getaffinity(0, sizeof(cpu_set_t), (cpu_set_t *)set) == 0 ? 0 : errno; }

int kq_cores_restrict(const kq_core_set *set) {
  return sched_setaffinity(0, sizeof(cpu_set_t), (const cpu_set_t *)set) == 0 ? 0 : errno;
}

int kq_core_current(void) { return sched_getcpu(); }

int kq_cores_count(const kq_core_set *set) { return CPU_COUNT((const cpu_set_t *)set); }

int kq_cores_contains(const kq_core_set *set, int cpu) {
  return cpu >= 0 && cpu < kq_cores_limit && CPU_ISSET(cpu, (const cpu_set_t *)set);
}

void kq_cores_add(kq_core_set *set, int cpu) {
  if (cpu >= 0 && cpu < kq_cores_limit) CPU_SET(cpu, (cpu_set_t *)set);
}

void kq_cores_remove(kq_core_set *set, int cpu) {
  if (cpu >= 0 && cpu < kq_cores_limit) CPU_CLR(cpu, (cpu_set_t *)set);
}

int kq_cores_first(const kq_core_set *set) {
  for (int cpu = 0; cpu < kq_cores_limit; cpu++) {
    if (CPU_ISSET(cpu, (const cpu_set_t *)set)) return cpu;
  }
  return -1;
}
