#include "kq_crc32c.h"
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
#include <cpuid.h>

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

static void zeros_tables(uint32_t zeros[][256], size_t length) {
  uint32_t op[32];
  zeros_operator(op, length);
  for (uint32_t n = 0; n < 256; n++) {
    zeros[0][n] = gf2_matrix_times(op, n);
    zeros[1][n] = gf2_matrix_times(op, n << 8);
    zeros[2][n] = gf2_matrix_times(op, n << 16);
    zeros[3][n] = gf2_matrix_times(op, n << 24);
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

/* Folding with carry-less multiplication (VPCLMULQDQ on 512-bit registers, AVX-512): 256
   bytes per step in 16 lanes of 128 bits, each lane carried 2048 bits forward by multiplying
   its halves with x^(2048±32) mod P. The lanes are then folded into one, and the crc32
   instruction finishes those 16 bytes and the tail, so no Barrett reduction is needed. A
   fold constant for distance D is k(D±32) = bit-reflected (x^(D±32) mod P), shifted left once
   (the low half uses D+32, the high half D-32). CRC32CTests checks this path against the
   table at every length around its steps. Lanes read little-endian hold the reflected
   polynomial. */
#include <immintrin.h>

#define KQ_FOLD_ATTRIBUTES __attribute__((target("avx512f,avx512vl,vpclmulqdq,pclmul,sse4.2")))

int kq_crc32c_has_folding(void) {
  unsigned int a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  if (!(c & bit_SSE4_2) || !(c & bit_PCLMUL) || !(c & bit_OSXSAVE)) return 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  if (!(b & bit_AVX512F) || !(b & bit_AVX512VL) || !(c & bit_VPCLMULQDQ)) return 0;
  unsigned int xcr0_lo, xcr0_hi;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  return (xcr0_lo & 0xE6) == 0xE6; /* the OS saves SSE, AVX and AVX-512 state */
}

KQ_FOLD_ATTRIBUTES
static inline __m512i fold512(__m512i lanes, __m512i constants, __m512i next) {
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(lanes, constants, 0x00),
                                   _mm512_clmulepi64_epi128(lanes, constants, 0x11), next, 0x96);
}

/* Consumes whole 16-byte blocks of at least 256 bytes from *bytes, continuing the raw CRC
   state `state`; returns the new raw state and leaves fewer than 16 bytes. */
KQ_FOLD_ATTRIBUTES
static uint64_t fold_blocks(uint64_t state, const unsigned char **bytes, size_t *length) {
  const unsigned char *p = *bytes;
  size_t n = *length;
  const __m512i by2048 = _mm512_broadcast_i32x4(_mm_set_epi64x(0xb9e02b86, 0xdcb17aa4));
  const __m512i by512 = _mm512_broadcast_i32x4(_mm_set_epi64x(0x9e4addf8, 0x740eef02));
  const __m128i by128 = _mm_set_epi64x(0x14cd00bd6, 0xf20c0dfe);
  /* Lane 0 is carried 384 bits, lane 1 256, lane 2 128; lane 3 stays. */
  const __m512i toLast = _mm512_set_epi64(0, 0, 0x14cd00bd6, 0xf20c0dfe, 0xba4fc28e, 0x1384aa63a,
                                          0x1d82c63da, 0x1c291d04);
  __m512i x0 = _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)state)));
  __m512i x1 = _mm512_loadu_si512(p + 64);
  __m512i x2 = _mm512_loadu_si512(p + 128);
  __m512i x3 = _mm512_loadu_si512(p + 192);
  p += 256;
  n -= 256;
  while (n >= 256) {
    x0 = fold512(x0, by2048, _mm512_loadu_si512(p));
    x1 = fold512(x1, by2048, _mm512_loadu_si512(p + 64));
    x2 = fold512(x2, by2048, _mm512_loadu_si512(p + 128));
    x3 = fold512(x3, by2048, _mm512_loadu_si512(p + 192));
    p += 256;
    n -= 256;
  }
  __m512i y = fold512(x0, by512, x1);
  y = fold512(y, by512, x2);
  y = fold512(y, by512, x3);
  while (n >= 64) {
    y = fold512(y, by512, _mm512_loadu_si512(p));
    p += 64;
    n -= 64;
  }
  __m512i carried = _mm512_xor_si512(_mm512_clmulepi64_epi128(y, toLast, 0x00),
                                     _mm512_clmulepi64_epi128(y, toLast, 0x11));
  __m128i v = _mm_xor_si128(_mm512_extracti32x4_epi32(carried, 0), _mm512_extracti32x4_epi32(carried, 1));
  v = _mm_xor_si128(v, _mm512_extracti32x4_epi32(carried, 2));
  v = _mm_xor_si128(v, _mm512_extracti32x4_epi32(y, 3));
  while (n >= 16) {
    v = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(v, by128, 0x00), _mm_clmulepi64_si128(v, by128, 0x11)),
                      _mm_loadu_si128((const __m128i *)p));
    p += 16;
    n -= 16;
  }
  uint64_t c = __builtin_ia32_crc32di(0, (uint64_t)_mm_cvtsi128_si64(v));
  c = __builtin_ia32_crc32di(c, (uint64_t)_mm_extract_epi64(v, 1));
  *bytes = p;
  *length = n;
  return c;
}

uint32_t kq_crc32c_folding(uint32_t crc, const void *bytes, size_t length) {
  const unsigned char *p = bytes;
  uint64_t c = (uint32_t)~crc;
  if (length >= 256) c = fold_blocks(c, &p, &length);
  return kq_crc32c_hardware(~(uint32_t)c, p, length);
}

static int folding = -1;

__attribute__((target("sse4.2")))
uint32_t kq_crc32c_hardware(uint32_t crc, const void *bytes, size_t length) {
  const unsigned char *p = bytes;
  uint64_t c0 = ~crc;
  if (length >= 1024) {
    int f = __atomic_load_n(&folding, __ATOMIC_RELAXED);
    if (f < 0) {
      f = kq_crc32c_has_folding();
      __atomic_store_n(&folding, f, __ATOMIC_RELAXED);
    }
    if (f) c0 = fold_blocks(c0, &p, &length);
  }
  if (length >= 3 * KQ_SHORT) {
    ensure_zeros_tables();
    c0 = three_streams(&p, &length, KQ_LONG, zeros_long, c0);
    c0 = three_streams(&p, &length, KQ_SHORT, zeros_short, c0);
  }
  while (length >= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    c0 = __builtin_ia32_crc32di(c0, v);
    p += 8;
    length -= 8;
  }
  uint32_t c32 = (uint32_t)c0;
  while (length--) c32 = __builtin_ia32_crc32qi(c32, *p++);
  return ~c32;
}
#else
int kq_crc32c_has_hardware(void) { return 0; }
int kq_crc32c_has_folding(void) { return 0; }
uint32_t kq_crc32c_folding(uint32_t crc, const void *bytes, size_t length) {
  return kq_crc32c_portable(crc, bytes, length);
}
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
