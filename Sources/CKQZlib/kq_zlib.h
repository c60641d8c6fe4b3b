// The system zlib (zlib1g-dev), for KQCompression's gzip codec. zlib's init functions are
// macros that pass the header's version and the stream's size; Swift cannot call macros, so
// these wrappers do it. Release builds link libz.a (-static-executable).
#include <zlib.h>

/// deflateInit2 for a gzip wrapper (windowBits 15 + 16), memLevel 8, the default strategy.
static inline int kq_deflate_init_gzip(z_stream *stream, int level) {
  return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/// inflateInit2 for a gzip wrapper only (windowBits 15 + 16): a zlib or raw stream is refused.
static inline int kq_inflate_init_gzip(z_stream *stream) {
  return inflateInit2(stream, 15 + 16);
}
