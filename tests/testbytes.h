/* tests/testbytes.h - little-endian fields, a second CRC-32 and byte copies,
 * written independently of the library, for the tests that read and damage
 * its files (model files, checkpoints). */
#ifndef DLFS_TESTBYTES_H
#define DLFS_TESTBYTES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline void le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline void le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* CRC-32 (zlib's), bit by bit: a second implementation to check the file's. */
static inline uint32_t crc32_bitwise(const unsigned char *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* Makes the checksum at the end of a file of len bytes right again after an edit. */
static inline void fix_crc(unsigned char *b, size_t len)
{
    le32(b + len - 4, crc32_bitwise(b, len - 4));
}

/* A malloc'd copy of len bytes (at least one byte allocated); fails the test
 * if memory runs out. */
static inline unsigned char *dup_bytes(const void *b, size_t len)
{
    unsigned char *c = malloc(len ? len : 1);
    assert_non_null(c);
    if (len)
        memcpy(c, b, len);
    return c;
}

#endif
