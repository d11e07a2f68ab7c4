/* src/names.c - copying and freeing the column names models and datasets hold. */
#include <stdlib.h>
#include <string.h>

#include <dlfs/model.h>   /* DLFS_MODEL_NAME_MAX */
#include "internal.h"
#include "names.h"

void dlfs__free_names(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

dlfs_status dlfs__copy_name(const char *s, char **out, const char *fn)
{
    const size_t n = strlen(s);
    if (n > DLFS_MODEL_NAME_MAX)
        return dlfs__fail(DLFS_EINVAL, "%s: name \"%.40s...\" is longer than %u bytes",
                          fn, s, DLFS_MODEL_NAME_MAX);
    *out = malloc(n + 1);
    if (!*out)
        return dlfs__fail(DLFS_ENOMEM, "%s: could not allocate a name of %zu bytes", fn, n);
    memcpy(*out, s, n + 1);
    return DLFS_OK;
}
