#define _GNU_SOURCE
#include "kq_ring.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

void *kq_ring_map(size_t size) {
  if (size == 0 || size > ((size_t)1 << 40)) {
    errno = EINVAL;
    return NULL;
  }
  int fd = memfd_create("kq-ring", MFD_CLOEXEC);
  if (fd < 0) return NULL;
  void *base = MAP_FAILED;
  if (ftruncate(fd, (off_t)size) == 0) {
    // Reserve both views' addresses at once, then put the file over each half.
    base = mmap(NULL, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
  if (base != MAP_FAILED) {
    char *low = base;
    if (mmap(low, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED ||
        mmap(low + size, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
      int saved = errno;
      munmap(base, 2 * size);
      errno = saved;
      base = MAP_FAILED;
    }
  }
  int saved = errno;
  close(fd);
  errno = saved;
  return base == MAP_FAILED ? NULL : base;
}

void kq_ring_unmap(void *base, size_t size) {
  if (base != NULL) munmap(base, 2 * size);
}
