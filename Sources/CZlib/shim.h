#include <zlib.h>

// deflateInit2 and inflateInit2 are macros (they pass ZLIB_VERSION and the size of z_stream), which Swift
// cannot import; these wrappers ask for the gzip wrapper (RFC 1952): window bits 15, plus 16.
static inline int czlib_deflate_init_gzip(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

static inline int czlib_inflate_init_gzip(z_streamp stream) {
    return inflateInit2(stream, 15 + 16);
}
