#ifndef KQ_WRITEBACK_H
#define KQ_WRITEBACK_H

#define _GNU_SOURCE
#include <fcntl.h>

/// Starts writing `count` bytes of `fd` from `offset` to the device without waiting for them
/// (sync_file_range(2) with SYNC_FILE_RANGE_WRITE), so that a later fdatasync finds them
/// written or on their way. A hint for speed only: durability still comes from fdatasync.
/// Returns 0, or -1 with errno set.
static inline int kq_start_writeback(int fd, long long offset, long long count) {
  return sync_file_range(fd, (off_t)offset, (off_t)count, SYNC_FILE_RANGE_WRITE);
}

#endif
