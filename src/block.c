/* src/block.c - aligned blocks of doubles for parameters and activations. */
#include <stdlib.h>

#include "block.h"
#include "internal.h"

dlfs_status dlfs__alloc_doubles(size_t n, double **out, const char *fn)
{
    size_t bytes;
    *out = NULL;
    if (!dlfs__mul(n, sizeof(double), &bytes))
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %zu doubles do not fit in memory", fn, n);
    /* On a 64-byte line, as the kernels' vectors like it (aligned_alloc
     * wants the size a multiple of the alignment). */
    size_t lines;
    if (!dlfs__add(bytes, 63, &lines))
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %zu doubles do not fit in memory", fn, n);
    lines = lines / 64 * 64;
    *out = aligned_alloc(64, lines ? lines : 64);
    if (!*out)
        return dlfs__fail(DLFS_ENOMEM, "%s: could not allocate %zu bytes", fn, bytes);
    return DLFS_OK;
}
