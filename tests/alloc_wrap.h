/* tests/alloc_wrap.h - a counting allocator for the tests linked with
 * -Wl,--wrap=malloc,calloc,aligned_alloc,realloc,free (see tests/meson.build).
 *
 * --wrap rebinds the references made by the objects of the link itself, the
 * test and the static libdlfs.a, so every allocation the library asks for goes
 * through the __wrap_ functions of alloc_wrap.c, which count them and can make
 * the n-th one fail. Allocations inside shared libraries (libc's own,
 * OpenBLAS's) are not seen. */
#ifndef DLFS_TESTS_ALLOC_WRAP_H
#define DLFS_TESTS_ALLOC_WRAP_H

#include <stdatomic.h>
#include <stddef.h>

extern atomic_size_t alloc_attempts;   /* allocation attempts, incl. any a test adds */
extern atomic_size_t realloc_attempts; /* of which realloc */
extern atomic_long live_blocks;        /* heap blocks allocated and not yet freed */
extern atomic_size_t fail_at;          /* 1-based attempt to fail; 0: none */
extern atomic_int failed_shrink;       /* the failed attempt was a realloc to fewer bytes */

/* Counts one attempt; 1 if it is the one that must fail. Tests that wrap
 * more calls (stdio's) count them through this too. */
int next_attempt_fails(void);

void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_aligned_alloc(size_t alignment, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);

#endif
