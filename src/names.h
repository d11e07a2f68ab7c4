/* src/names.h - column names, copied and freed; not installed. */
#ifndef DLFS_NAMES_H
#define DLFS_NAMES_H

#include <stddef.h>
#include <dlfs/status.h>

/* Frees names[0..n) and the array; names may be NULL. */
void dlfs__free_names(char **names, size_t n);

/* *out = a copy of the name s (malloc'd, the caller's to free). DLFS_EINVAL
 * when s is longer than DLFS_MODEL_NAME_MAX bytes, DLFS_ENOMEM; failures are
 * recorded under fn and leave *out unspecified. */
dlfs_status dlfs__copy_name(const char *s, char **out, const char *fn);

#endif
