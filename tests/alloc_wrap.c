/* tests/alloc_wrap.c - the counting allocator of alloc_wrap.h.
 *
 * The wrappers reach glibc's allocator by its own names (__libc_malloc and
 * friends) rather than through --wrap's __real_ symbols: libxsmm's archive
 * defines hidden __real_malloc and friends of its own (for its allocation
 * hooks), which a reference to __real_free would pull into the program. */
#include <malloc.h>

#include "alloc_wrap.h"

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_memalign(size_t alignment, size_t size);
void *__libc_realloc(void *old, size_t size);
void __libc_free(void *p);

atomic_size_t alloc_attempts;
atomic_size_t realloc_attempts;
atomic_long live_blocks;
atomic_size_t fail_at;
atomic_int failed_shrink;

int next_attempt_fails(void)
{
    const size_t n = atomic_fetch_add(&alloc_attempts, 1) + 1;
    return n == atomic_load(&fail_at);
}

void *__wrap_malloc(size_t size)
{
    if (next_attempt_fails())
        return NULL;
    void *p = __libc_malloc(size);
    if (p)
        atomic_fetch_add(&live_blocks, 1);
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (next_attempt_fails())
        return NULL;
    void *p = __libc_calloc(n, size);
    if (p)
        atomic_fetch_add(&live_blocks, 1);
    return p;
}

void *__wrap_aligned_alloc(size_t alignment, size_t size)
{
    if (next_attempt_fails())
        return NULL;
    void *p = __libc_memalign(alignment, size);
    if (p)
        atomic_fetch_add(&live_blocks, 1);
    return p;
}

void *__wrap_realloc(void *old, size_t size)
{
    atomic_fetch_add(&realloc_attempts, 1);
    if (next_attempt_fails()) {
        atomic_store(&failed_shrink, old && size < malloc_usable_size(old));
        return NULL;
    }
    void *p = __libc_realloc(old, size);
    if (p && !old)
        atomic_fetch_add(&live_blocks, 1);
    return p;
}

void __wrap_free(void *p)
{
    if (p)
        atomic_fetch_sub(&live_blocks, 1);
    __libc_free(p);
}
