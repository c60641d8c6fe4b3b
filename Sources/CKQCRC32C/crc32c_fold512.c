#include "crc32c_internal.h"

#if defined(__x86_64__)
#include <cpuid.h>
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

uint64_t kq_crc32c_fold512_raw(uint64_t state, const unsigned char *p, size_t length) {
  if (length >= 256) state = fold_blocks(state, &p, &length);
  return kq_crc32c_instruction_raw(state, p, length);
}

uint32_t kq_crc32c_folding(uint32_t crc, const void *bytes, size_t length) {
  return ~(uint32_t)kq_crc32c_fold512_raw((uint32_t)~crc, bytes, length);
}
#else
int kq_crc32c_has_folding(void) { return 0; }
uint32_t kq_crc32c_folding(uint32_t crc, const void *bytes, size_t length) {
  return kq_crc32c_portable(crc, bytes, length);
}
#endif

