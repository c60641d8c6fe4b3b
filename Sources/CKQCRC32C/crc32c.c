#include "crc32c_internal.h"
#include <string.h>

static uint32_t table[8][256];
static int table_ready = 0;

static void build_table(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[0][n] = c;
  }
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = table[0][n];
    for (int t = 1; t < 8; t++) {
      c = table[0][c & 0xff] ^ (c >> 8);
      table[t][n] = c;
    }
  }
  __atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

uint32_t kq_crc32c_portable(uint32_t crc, const void *bytes, size_t length) {
  if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE)) build_table();
  const unsigned char *p = bytes;
  uint32_t c = ~crc;
  while (length >= 8) {
    uint32_t lo, hi;
    memcpy(&lo, p, 4);
    memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^
        table[4][lo >> 24] ^ table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
        table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
    p += 8;
    length -= 8;
  }
  while (length--) c = table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}

#if defined(__x86_64__)
/* The fastest path this CPU has, chosen once: AVX-512 folding (crc32c_fold512.c), 128-bit
   folding (crc32c_fold128.c), the crc32 instruction (crc32c_streams.c). */
static int chosen = -1;

int kq_crc32c_hardware_path(void) {
  int path = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
  if (path < 0) {
    path = kq_crc32c_has_folding() ? KQ_CRC32C_FOLD512
         : kq_crc32c_has_clmul()   ? KQ_CRC32C_CLMUL
                                   : KQ_CRC32C_STREAMS;
    __atomic_store_n(&chosen, path, __ATOMIC_RELAXED);
  }
  return path;
}

uint32_t kq_crc32c_hardware(uint32_t crc, const void *bytes, size_t length) {
  const unsigned char *p = bytes;
  uint64_t state = (uint32_t)~crc;
  int path = kq_crc32c_hardware_path();
  if (path == KQ_CRC32C_FOLD512 && length >= 1024) return ~(uint32_t)kq_crc32c_fold512_raw(state, p, length);
  if (path == KQ_CRC32C_CLMUL) return ~(uint32_t)kq_crc32c_clmul_raw(state, p, length);
  return ~(uint32_t)kq_crc32c_instruction_raw(state, p, length);
}
#else
int kq_crc32c_has_hardware(void) { return 0; }
int kq_crc32c_hardware_path(void) { return KQ_CRC32C_STREAMS; }
uint32_t kq_crc32c_hardware(uint32_t crc, const void *bytes, size_t length) {
  return kq_crc32c_portable(crc, bytes, length);
}
#endif

uint32_t kq_crc32c(uint32_t crc, const void *bytes, size_t length) {
  static int hardware = -1;
  int h = __atomic_load_n(&hardware, __ATOMIC_RELAXED);
  if (h < 0) {
    h = kq_crc32c_has_hardware();
    __atomic_store_n(&hardware, h, __ATOMIC_RELAXED);
  }
  return h ? kq_crc32c_hardware(crc, bytes, length) : kq_crc32c_portable(crc, bytes, length);
}
