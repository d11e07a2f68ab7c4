/* src/bytes.h - little-endian fixed-width fields, for the file formats
 * (model_file.c, checkpoint.c); not installed.
 *
 * Files are encoded and decoded a byte at a time, never through a struct
 * written whole: the bytes are the same on every host, whatever its byte
 * order, padding or alignment, and a parser reads only what it has checked is
 * there. */
#ifndef DLFS_SRC_BYTES_H
#define DLFS_SRC_BYTES_H

#include <stdint.h>
#include <string.h>

static inline void dlfs__put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline void dlfs__put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* The double's bits, unchanged: what is loaded is what was saved. */
static inline void dlfs__put_f64(unsigned char *p, double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    dlfs__put_u64(p, u);
}

static inline uint32_t dlfs__get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline uint64_t dlfs__get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline double dlfs__get_f64(const unsigned char *p)
{
    const uint64_t u = dlfs__get_u64(p);
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* 64-bit size arithmetic for sizes read from a file (independent of
 * size_t); 0 on overflow. */
static inline int dlfs__mul64(uint64_t a, uint64_t b, uint64_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

static inline int dlfs__add64(uint64_t a, uint64_t b, uint64_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

#endif
