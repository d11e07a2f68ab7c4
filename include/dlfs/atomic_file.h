/* dlfs/atomic_file.h - files written whole or not at all.
 *
 * The text or bytes go to a new temporary file "<path>.<random>" in path's
 * directory; dlfs_atomic_commit() checks that every write succeeded, flushes
 * the file to disk (fsync), renames it over path and flushes the directory,
 * so that after a crash either the old file (if any) or the complete new one
 * is at path, never a part of one. Until the commit an existing file at path
 * is left as it was, and on any failure the temporary file is removed.
 *
 * Mode: a new file gets 0666 less the process's umask, as fopen() would give
 * it; a file that is replaced keeps its mode.
 *
 * Model files (dlfs_model_save()) are written this way, and so are the
 * programs' outputs.
 */
#ifndef DLFS_ATOMIC_FILE_H
#define DLFS_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dlfs_atomic_file {
    FILE *f;      /* write here between open and commit */
    char *path;   /* the target, owned copy */
    char *tmp;    /* the temporary file's name, owned */
} dlfs_atomic_file;

/* Creates the temporary file for `path` and opens it for writing.
 * Errors: DLFS_ENULL, DLFS_EINVAL (empty path), DLFS_ENOMEM, DLFS_EIO (the
 * directory is missing or not writable, path is a directory; the detail says
 * which and the system's reason). On failure *a is closed (all NULL). */
dlfs_status dlfs_atomic_open(dlfs_atomic_file *a, const char *path);

/* Checks every write to a->f succeeded, flushes, syncs, closes and renames
 * the temporary file over the path. DLFS_EIO (which step failed, and why, in
 * the detail: path untouched, the temporary file removed), DLFS_ENULL.
 * Either way *a is closed afterwards. */
dlfs_status dlfs_atomic_commit(dlfs_atomic_file *a);

/* Closes and removes the temporary file; path is untouched. Safe on a closed
 * or never-opened (zeroed) *a, and on NULL. */
void dlfs_atomic_abort(dlfs_atomic_file *a);

/* Open, write len bytes, commit: buf's bytes become the file at path.
 * Errors as dlfs_atomic_open() and dlfs_atomic_commit(). */
dlfs_status dlfs_atomic_write(const char *path, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
