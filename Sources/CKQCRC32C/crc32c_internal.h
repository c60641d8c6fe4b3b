#ifndef KQ_CRC32C_INTERNAL_H
#define KQ_CRC32C_INTERNAL_H
#include "kq_crc32c.h"

/* The paths on raw states (the CRC register before its final inversion, in the low 32 bits),
   so one path can hand its rest to another. Each needs what its has_ function checks. */
uint64_t kq_crc32c_instruction_raw(uint64_t state, const unsigned char *p, size_t length);
uint64_t kq_crc32c_fold512_raw(uint64_t state, const unsigned char *p, size_t length);
uint64_t kq_crc32c_fold128_raw(uint64_t state, const unsigned char *p, size_t length);
uint64_t kq_crc32c_hybrid_raw(uint64_t state, const unsigned char *p, size_t length);
/* Chooses by length among instruction, fold128 and hybrid: kq_crc32c_hardware without AVX-512. */
uint64_t kq_crc32c_clmul_raw(uint64_t state, const unsigned char *p, size_t length);

/* Where each is fastest on Zen 2 (Tests/Benchmarks/README.md, "CRC-32C without AVX-512"):
   folding from 128 bytes until three streams of the crc32 instruction start (768); the
   hybrid from 16 KiB: from cache it wins from 4 KiB, but read from memory it loses below
   16 KiB (4 KiB: 5.9 against 10.1 GB/s; its four regions are probably too short for the
   hardware prefetcher). */
#define KQ_FOLD128_MINIMUM 128
#define KQ_FOLD128_MAXIMUM 768
#define KQ_HYBRID_MINIMUM 16384

#endif
