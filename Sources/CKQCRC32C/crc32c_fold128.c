#include "crc32c_internal.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#include <string.h>

/* Carry-less multiplication on 128-bit registers (PCLMULQDQ, no AVX needed), for CPUs without
   AVX-512. Zen 2 issues a crc32 instruction every cycle (three streams: ~25 GB/s) but a
   PCLMULQDQ only every other, on other units, so folding alone (~13 GB/s) wins only over the
   single stream used below 768 bytes; long inputs run both at once (the hybrid, ~28 GB/s).
   Folding carries eight lanes of 16 bytes 1024 bits forward a step, folds them into one by a
   tree (128, 256, 512 bits), and the crc32 instruction finishes the last 16 bytes, as in
   crc32c_fold512.c, whose comment tells how a constant k(D±32) is derived (k(1024±32) is new
   here); CRC32CTests checks every path against the table. */
#define KQ_CLMUL_ATTRIBUTES __attribute__((target("pclmul,sse4.2")))

int kq_crc32c_has_clmul(void) {
  unsigned int a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  return (c & bit_SSE4_2) && (c & bit_PCLMUL);
}

KQ_CLMUL_ATTRIBUTES
static inline __m128i fold(__m128i lane, __m128i constants, __m128i next) {
  return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(lane, constants, 0x00),
                                     _mm_clmulepi64_si128(lane, constants, 0x11)),
                       next);
}

#define KQ_LOAD(p) _mm_loadu_si128((const __m128i *)(const void *)(p))

/* Consumes 16-byte blocks, at least 128 bytes, continuing the raw CRC state `state`; returns
   the new raw state and leaves fewer than 16 bytes. */
KQ_CLMUL_ATTRIBUTES
static uint64_t fold_blocks(uint64_t state, const unsigned char **bytes, size_t *length) {
  const unsigned char *p = *bytes;
  size_t n = *length;
  const __m128i by1024 = _mm_set_epi64x(0x0d3b6092, 0x6992cea2);
  const __m128i by512 = _mm_set_epi64x(0x9e4addf8, 0x740eef02);
  const __m128i by256 = _mm_set_epi64x(0xba4fc28e, 0x1384aa63a);
  const __m128i by128 = _mm_set_epi64x(0x14cd00bd6, 0xf20c0dfe);
  __m128i x0 = _mm_xor_si128(KQ_LOAD(p), _mm_cvtsi32_si128((int)state));
  __m128i x1 = KQ_LOAD(p + 16), x2 = KQ_LOAD(p + 32), x3 = KQ_LOAD(p + 48);
  __m128i x4 = KQ_LOAD(p + 64), x5 = KQ_LOAD(p + 80), x6 = KQ_LOAD(p + 96), x7 = KQ_LOAD(p + 112);
  p += 128;
  n -= 128;
  while (n >= 128) {
    x0 = fold(x0, by1024, KQ_LOAD(p));
    x1 = fold(x1, by1024, KQ_LOAD(p + 16));
    x2 = fold(x2, by1024, KQ_LOAD(p + 32));
    x3 = fold(x3, by1024, KQ_LOAD(p + 48));
    x4 = fold(x4, by1024, KQ_LOAD(p + 64));
    x5 = fold(x5, by1024, KQ_LOAD(p + 80));
    x6 = fold(x6, by1024, KQ_LOAD(p + 96));
    x7 = fold(x7, by1024, KQ_LOAD(p + 112));
    p += 128;
    n -= 128;
  }
  x1 = fold(x0, by128, x1);
  x3 = fold(x2, by128, x3);
  x5 = fold(x4, by128, x5);
  x7 = fold(x6, by128, x7);
  x3 = fold(x1, by256, x3);
  x7 = fold(x5, by256, x7);
  __m128i v = fold(x3, by512, x7);
  while (n >= 16) {
    v = fold(v, by128, KQ_LOAD(p));
    p += 16;
    n -= 16;
  }
  uint64_t c = __builtin_ia32_crc32di(0, (uint64_t)_mm_cvtsi128_si64(v));
  c = __builtin_ia32_crc32di(c, (uint64_t)_mm_extract_epi64(v, 1));
  *bytes = p;
  *length = n;
  return c;
}

/* x^n mod P, bit-reflected: squares with carry-less multiplication, a crc32 instruction
   reducing each product. multiply_x33(a, b) is a·b·x^33 mod P: the 64-bit product is a·b·x
   read reflected, and crc32 of 64 bits multiplies by x^32. So x^(2m+33) = multiply_x33(x^m,
   x^m), and x^n is found from x^((n-33)/2), one more x when n-33 is odd. */
KQ_CLMUL_ATTRIBUTES
static inline uint32_t multiply_x33(uint32_t a, uint32_t b) {
  __m128i product = _mm_clmulepi64_si128(_mm_cvtsi32_si128((int)a), _mm_cvtsi32_si128((int)b), 0x00);
  return (uint32_t)__builtin_ia32_crc32di(0, (uint64_t)_mm_cvtsi128_si64(product));
}

static inline uint32_t times_x(uint32_t a) { return (a >> 1) ^ ((a & 1) ? 0x82F63B78u : 0); }

KQ_CLMUL_ATTRIBUTES
static uint32_t x_power(uint64_t n) {
  uint64_t odd = 0;
  int squarings = 0;
  while (n >= 64) {
    odd = (odd << 1) | ((n - 33) & 1);
    n = (n - 33) >> 1;
    squarings++;
  }
  uint32_t r = 0x80000000u; /* x^0 */
  while (n--) r = times_x(r);
  while (squarings--) {
    r = multiply_x33(r, r);
    if (odd & 1) r = times_x(r);
    odd >>= 1;
  }
  return r;
}

/* The raw state after `bytes` zero bytes more: state · x^(8·bytes), for bytes ≥ 5. */
KQ_CLMUL_ATTRIBUTES
static inline uint32_t zeros_multiplier(uint64_t bytes) { return x_power(8 * bytes - 33); }

/* Zen 2 issues a crc32 every cycle and a PCLMULQDQ every other: 5 words a stream (15 cycles)
   balance the 4 lanes' 8 multiplications (16 cycles). 3, 4, 6, 7 and 8 were slower. */
#define KQ_HYBRID_WORDS 5
#define KQ_HYBRID_STEP (64 + 3 * 8 * KQ_HYBRID_WORDS)

/* Both units at once: 4 lanes fold the first part of the buffer 64 bytes a step while the
   crc32 instruction runs three streams, KQ_HYBRID_WORDS words a step each, over the three
   equal parts after it; the four CRCs are joined by multiplying with x^(8·part) at the end. */
KQ_CLMUL_ATTRIBUTES
static uint64_t hybrid_blocks(uint64_t state, const unsigned char **bytes, size_t *length) {
  const unsigned char *p = *bytes;
  size_t steps = *length / KQ_HYBRID_STEP;
  size_t part = steps * 8 * KQ_HYBRID_WORDS;
  const unsigned char *s0 = p + steps * 64, *s1 = s0 + part, *s2 = s1 + part;
  const __m128i by512 = _mm_set_epi64x(0x9e4addf8, 0x740eef02);
  const __m128i by256 = _mm_set_epi64x(0xba4fc28e, 0x1384aa63a);
  const __m128i by128 = _mm_set_epi64x(0x14cd00bd6, 0xf20c0dfe);
  __m128i x0 = _mm_xor_si128(KQ_LOAD(p), _mm_cvtsi32_si128((int)state));
  __m128i x1 = KQ_LOAD(p + 16), x2 = KQ_LOAD(p + 32), x3 = KQ_LOAD(p + 48);
  p += 64;
  uint64_t c0 = 0, c1 = 0, c2 = 0;
  for (size_t step = 1; step <= steps; step++) {
    for (int w = 0; w < KQ_HYBRID_WORDS; w++) {
      uint64_t v0, v1, v2;
      memcpy(&v0, s0, 8);
      memcpy(&v1, s1, 8);
      memcpy(&v2, s2, 8);
      c0 = __builtin_ia32_crc32di(c0, v0);
      c1 = __builtin_ia32_crc32di(c1, v1);
      c2 = __builtin_ia32_crc32di(c2, v2);
      s0 += 8;
      s1 += 8;
      s2 += 8;
    }
    if (step == steps) break;
    x0 = fold(x0, by512, KQ_LOAD(p));
    x1 = fold(x1, by512, KQ_LOAD(p + 16));
    x2 = fold(x2, by512, KQ_LOAD(p + 32));
    x3 = fold(x3, by512, KQ_LOAD(p + 48));
    p += 64;
  }
  __m128i v = fold(fold(x0, by128, x1), by256, fold(x2, by128, x3));
  uint64_t c = __builtin_ia32_crc32di(0, (uint64_t)_mm_cvtsi128_si64(v));
  c = __builtin_ia32_crc32di(c, (uint64_t)_mm_extract_epi64(v, 1));
  uint32_t multiplier = zeros_multiplier(part);
  c = multiply_x33((uint32_t)c, multiplier) ^ c0;
  c = multiply_x33((uint32_t)c, multiplier) ^ c1;
  c = multiply_x33((uint32_t)c, multiplier) ^ c2;
  *bytes = s2;
  *length -= steps * KQ_HYBRID_STEP;
  return c;
}

uint64_t kq_crc32c_hybrid_raw(uint64_t state, const unsigned char *p, size_t length) {
  if (length >= 2 * KQ_HYBRID_STEP) state = hybrid_blocks(state, &p, &length);
  return kq_crc32c_instruction_raw(state, p, length);
}

uint32_t kq_crc32c_hybrid(uint32_t crc, const void *bytes, size_t length) {
  return ~(uint32_t)kq_crc32c_hybrid_raw((uint32_t)~crc, bytes, length);
}

uint64_t kq_crc32c_fold128_raw(uint64_t state, const unsigned char *p, size_t length) {
  if (length >= 128) state = fold_blocks(state, &p, &length);
  return kq_crc32c_instruction_raw(state, p, length);
}

uint32_t kq_crc32c_fold128(uint32_t crc, const void *bytes, size_t length) {
  return ~(uint32_t)kq_crc32c_fold128_raw((uint32_t)~crc, bytes, length);
}

uint64_t kq_crc32c_clmul_raw(uint64_t state, const unsigned char *p, size_t length) {
  if (length >= KQ_HYBRID_MINIMUM) return kq_crc32c_hybrid_raw(state, p, length);
  if (length >= KQ_FOLD128_MINIMUM && length < KQ_FOLD128_MAXIMUM) return kq_crc32c_fold128_raw(state, p, length);
  return kq_crc32c_instruction_raw(state, p, length);
}
#else
int kq_crc32c_has_clmul(void) { return 0; }
uint32_t kq_crc32c_fold128(uint32_t crc, const void *bytes, size_t length) {
  return kq_crc32c_portable(crc, bytes, length);
}
uint32_t kq_crc32c_hybrid(uint32_t crc, const void *bytes, size_t length) {
  return kq_crc32c_portable(crc, bytes, length);
}
#endif
