#ifndef KQ_CRC32C_H
#define KQ_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of `length` bytes, continuing from
/// `crc` (pass 0 to start). Uses the SSE4.2 instruction when the CPU has it.
uint32_t kq_crc32c(uint32_t crc, const void *bytes, size_t length);
/// The same checksum computed with the byte-wise table, whatever the CPU.
uint32_t kq_crc32c_portable(uint32_t crc, const void *bytes, size_t length);
/// The same checksum with the SSE4.2 instruction; only valid when kq_crc32c_has_hardware().
uint32_t kq_crc32c_hardware(uint32_t crc, const void *bytes, size_t length);
/// 1 when this CPU has the CRC-32C instruction.
int kq_crc32c_has_hardware(void);
/// The same checksum folding 256 bytes a step with VPCLMULQDQ (AVX-512); only valid when
/// kq_crc32c_has_folding(). kq_crc32c_hardware uses it for long inputs when it can.
uint32_t kq_crc32c_folding(uint32_t crc, const void *bytes, size_t length);
/// 1 when this CPU and OS can run kq_crc32c_folding.
int kq_crc32c_has_folding(void);

#endif
