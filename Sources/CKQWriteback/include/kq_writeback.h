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

/// Reserves blocks for `count` bytes of `fd` from `offset` without changing its size
/// (fallocate(2) with FALLOC_FL_KEEP_SIZE), so that appends there skip the file system's block
/// allocation. A hint for speed only. Returns 0, or -1 with errno set (EOPNOTSUPP where the
/// file system has no such call).
static inline int kq_preallocate(int fd, long long offset, long long count) {
  return fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)count);
}

#endif
