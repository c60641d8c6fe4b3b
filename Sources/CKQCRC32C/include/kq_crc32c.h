#ifndef KQ_CRC32C_H
#define KQ_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of `length` bytes, continuing from
/// `crc` (pass 0 to start). Uses the SSE4.2 instruction when the CPU has it.
uint32_t kq_crc32c(uint32_t crc, const void *bytes, size_t length);
/// The same checksum computed with the byte-wise table, whatever the CPU.
uint32_t kq_crc32c_portable(uint32_t crc, const void *bytes, size_t length);
/// The same checksum on the fastest path this CPU has (folding with VPCLMULQDQ, folding with
/// PCLMULQDQ, the SSE4.2 instruction, in that order); only valid when kq_crc32c_has_hardware().
uint32_t kq_crc32c_hardware(uint32_t crc, const void *bytes, size_t length);
/// 1 when this CPU has the CRC-32C instruction.
int kq_crc32c_has_hardware(void);
/// The same checksum with the SSE4.2 instruction alone (three streams); only valid when
/// kq_crc32c_has_hardware().
uint32_t kq_crc32c_streams(uint32_t crc, const void *bytes, size_t length);
/// The same checksum folding 256 bytes a step with VPCLMULQDQ (AVX-512); only valid when
/// kq_crc32c_has_folding(). kq_crc32c_hardware uses it for long inputs when it can.
uint32_t kq_crc32c_folding(uint32_t crc, const void *bytes, size_t length);
/// 1 when this CPU and OS can run kq_crc32c_folding.
int kq_crc32c_has_folding(void);
/// The same checksum folding 128 bytes a step with PCLMULQDQ on 128-bit registers; only valid
/// when kq_crc32c_has_clmul(). kq_crc32c_hardware uses it for short inputs without AVX-512.
uint32_t kq_crc32c_fold128(uint32_t crc, const void *bytes, size_t length);
/// The same checksum folding with PCLMULQDQ and running the crc32 instruction on other parts of
/// the input at once; only valid when kq_crc32c_has_clmul(). kq_crc32c_hardware uses it for
/// long inputs without AVX-512.
uint32_t kq_crc32c_hybrid(uint32_t crc, const void *bytes, size_t length);
/// 1 when this CPU can run kq_crc32c_fold128 and kq_crc32c_hybrid.
int kq_crc32c_has_clmul(void);

#define KQ_CRC32C_STREAMS 0
#define KQ_CRC32C_CLMUL 1
#define KQ_CRC32C_FOLD512 2
/// The path kq_crc32c_hardware takes on this CPU, the first it can run of KQ_CRC32C_FOLD512
/// (kq_crc32c_folding from 1 KiB), KQ_CRC32C_CLMUL (kq_crc32c_fold128 or kq_crc32c_hybrid by
/// length) and KQ_CRC32C_STREAMS (kq_crc32c_streams).
int kq_crc32c_hardware_path(void);

#endif
