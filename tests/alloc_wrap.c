/* tests/alloc_wrap.c - the counting allocator of alloc_wrap.h.
 *
 * The wrappers reach the process's allocator (glibc's, or the sanitizer's
 * that replaces it) through dlsym(RTLD_NEXT), not through --wrap's __real_
 * symbols: libxsmm's archive defines hidden __real_malloc and friends of its
 * own (for its allocation hooks), which would take their place in the link. */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <malloc.h>
#include <string.h>

#include "alloc_wrap.h"

typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);

/* The next definition of name after this program's, as an object pointer:
 * resolved on first use (dlsym's own allocations go to libc's allocator, not
 * to these wrappers). */
static void *next(const char *name, void *_Atomic *slot)
{
    void *f = atomic_load(slot);
    if (!f) {
        f = dlsym(RTLD_NEXT, name);
        atomic_store(slot, f);
    }
    return f;
}

/* dlsym's object pointer as the function pointer it is (POSIX guarantees the
 * conversion; memcpy keeps ISO C quiet about it). */
#define AS_FN(type, p) (*(type *)memcpy(&(type){0}, &(void *){(p)}, sizeof(type)))

static void *_Atomic real_malloc_p, *_Atomic real_calloc_p, *_Atomic real_aligned_p,
    *_Atomic real_realloc_p, *_Atomic real_free_p;

static void *real_malloc(size_t size)
{
    return AS_FN(malloc_fn, next("malloc", &real_malloc_p))(size);
}

static void *real_calloc(size_t n, size_t size)
{
    return AS_FN(calloc_fn, next("calloc", &real_calloc_p))(n, size);
}

static void *real_aligned_alloc(size_t alignment, size_t size)
{
    return AS_FN(calloc_fn, next("aligned_alloc", &real_aligned_p))(alignment, size);
}

static void *real_realloc(void *old, size_t size)
{
    return AS_FN(realloc_fn, next("realloc", &real_realloc_p))(old, size);
}

static void real_free(void *p)
{
    AS_FN(free_fn, next("free", &real_free_p))(p);
}

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
    void *p = real_malloc(size);
    if (p)
        atomic_fetch_add(&live_blocks, 1);
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (next_attempt_fails())
        return NULL;
    void *p = real_calloc(n, size);
    if (p)
        atomic_fetch_add(&live_blocks, 1);
    return p;
}

void *__wrap_aligned_alloc(size_t alignment, size_t size)
{
    if (next_attempt_fails())
        return NULL;
    void *p = real_aligned_alloc(alignment, size);
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
    void *p = real_realloc(old, size);
    if (p && !old)
        atomic_fetch_add(&live_blocks, 1);
    return p;
}

void __wrap_free(void *p)
{
    if (p)
        atomic_fetch_sub(&live_blocks, 1);
    real_free(p);
}
