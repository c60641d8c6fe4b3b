#include "crc32c_internal.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <string.h>

int kq_crc32c_has_hardware(void) {
  unsigned int a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  return (c & bit_SSE4_2) != 0;
}

/* Three streams in parallel hide the instruction's latency; their CRCs are combined with
   "append N zero bytes" operators, applied a byte at a time through tables (the method of
   Mark Adler's crc32c.c). The tables are built on first use of a long input. */
#define KQ_LONG 8192
#define KQ_SHORT 256
static uint32_t zeros_long[4][256];
static uint32_t zeros_short[4][256];
static int zeros_ready = 0;

static uint32_t gf2_matrix_times(const uint32_t *mat, uint32_t vec) {
  uint32_t sum = 0;
  while (vec) {
    if (vec & 1) sum ^= *mat;
    vec >>= 1;
    mat++;
  }
  return sum;
}

static void gf2_matrix_square(uint32_t *square, const uint32_t *mat) {
  for (int n = 0; n < 32; n++) square[n] = gf2_matrix_times(mat, mat[n]);
}

/* The operator that appends `length` zero bytes (a power of two) to a raw CRC state. */
static void zeros_operator(uint32_t *even, size_t length) {
  uint32_t odd[32];
  odd[0] = 0x82F63B78u;
  uint32_t row = 1;
  for (int n = 1; n < 32; n++) {
    odd[n] = row;
    row <<= 1;
  }
  gf2_matrix_square(even, odd);
  gf2_matrix_square(odd, even);
  do {
    gf2_matrix_square(even, odd);
    length >>= 1;
    if (length == 0) return;
    gf2_matrix_square(odd, even);
    length >>= 1;
  } while (length);
  for (int n = 0; n < 32; n++) even[n] = odd[n];
}

/* zeros[k][n] is the operator times n << 8k: the XOR of the operator's columns 8k + j for the
   bits j set in n, so each entry is an earlier one (n without its lowest bit) and one column
   (256 XORs a table; a product per entry took a process ~0.2 ms). */
static void zeros_tables(uint32_t zeros[][256], size_t length) {
  uint32_t op[32];
  zeros_operator(op, length);
  for (int k = 0; k < 4; k++) {
    zeros[k][0] = 0;
    for (uint32_t n = 1; n < 256; n++) zeros[k][n] = zeros[k][n & (n - 1)] ^ op[8 * k + __builtin_ctz(n)];
  }
}

static void ensure_zeros_tables(void) {
  if (__atomic_load_n(&zeros_ready, __ATOMIC_ACQUIRE)) return;
  zeros_tables(zeros_long, KQ_LONG);
  zeros_tables(zeros_short, KQ_SHORT);
  __atomic_store_n(&zeros_ready, 1, __ATOMIC_RELEASE);
}

static inline uint32_t shift(uint32_t zeros[][256], uint32_t crc) {
  return zeros[0][crc & 0xff] ^ zeros[1][(crc >> 8) & 0xff] ^ zeros[2][(crc >> 16) & 0xff] ^
         zeros[3][crc >> 24];
}

/* CRCs `block` bytes in each of three streams at once while three blocks remain, and joins
   them: c0 over blocks 1..3 = shift(shift(c0) ^ c1) ^ c2. */
__attribute__((target("sse4.2")))
static inline uint64_t three_streams(const unsigned char **bytes, size_t *length, size_t block,
                                     uint32_t zeros[][256], uint64_t c0) {
  const unsigned char *p = *bytes;
  while (*length >= 3 * block) {
    uint64_t c1 = 0, c2 = 0;
    for (size_t i = 0; i < block; i += 8) {
      uint64_t v0, v1, v2;
      memcpy(&v0, p + i, 8);
      memcpy(&v1, p + block + i, 8);
      memcpy(&v2, p + 2 * block + i, 8);
      c0 = __builtin_ia32_crc32di(c0, v0);
      c1 = __builtin_ia32_crc32di(c1, v1);
      c2 = __builtin_ia32_crc32di(c2, v2);
    }
    c0 = shift(zeros, (uint32_t)c0) ^ (uint32_t)c1;
    c0 = shift(zeros, (uint32_t)c0) ^ (uint32_t)c2;
    p += 3 * block;
    *length -= 3 * block;
  }
  *bytes = p;
  return c0;
}

/* Three streams for long inputs, then 8 bytes and single bytes; continues the raw state. */
__attribute__((target("sse4.2")))
uint64_t kq_crc32c_instruction_raw(uint64_t state, const unsigned char *p, size_t length) {
  if (length >= 3 * KQ_SHORT) {
    ensure_zeros_tables();
    state = three_streams(&p, &length, KQ_LONG, zeros_long, state);
    state = three_streams(&p, &length, KQ_SHORT, zeros_short, state);
  }
  while (length >= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    state = __builtin_ia32_crc32di(state, v);
    p += 8;
    length -= 8;
  }
  uint32_t c32 = (uint32_t)state;
  while (length--) c32 = __builtin_ia32_crc32qi(c32, *p++);
  return c32;
}

uint32_t kq_crc32c_streams(uint32_t crc, const void *bytes, size_t length) {
  return ~(uint32_t)kq_crc32c_instruction_raw((uint32_t)~crc, bytes, length);
}
#else
uint32_t kq_crc32c_streams(uint32_t crc, const void *bytes, size_t length) {
  return kq_crc32c_portable(crc, bytes, length);
}
#endif
