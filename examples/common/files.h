/* examples/common/files.h - the files a program writes and reads besides its
 * data: output paths checked before long work, outputs written whole or not
 * at all, and the search for the bundled data.
 *
 * Functions returning int give 0, or -1 after printing the error (cli_error).
 */
#ifndef DLFS_EXAMPLES_FILES_H
#define DLFS_EXAMPLES_FILES_H

#include <stddef.h>
#include <dlfs/dlfs.h>

/* Checks, before any long work, that a file could be created at `path`: its
 * directory exists and is a directory, and path itself is not a directory.
 * Returns 0, or -1 after printing "PROG: cannot write WHAT to PATH: why"
 * (`what` is e.g. "the model"). Permissions are left to the write itself. */
int cli_check_output_path(const char *path, const char *what);

/* 1 if a and b (either may be NULL) name the same existing file: an output
 * given over one of the inputs. */
int cli_same_file(const char *a, const char *b);

/* An output file written whole or not at all (dlfs/atomic_file.h): write to
 * a->f between the two calls. cli_output_open() opens the temporary file;
 * cli_output_commit() renames it over path, or removes it and leaves path as
 * it was. Both print "PROG: cannot write PATH: why" on failure; either way
 * *a is closed after the commit. */
int cli_output_open(dlfs_atomic_file *a, const char *path);
int cli_output_commit(dlfs_atomic_file *a);

/* Finds `name` (e.g. "boston_housing.csv") in $DLFS_DATA_DIR, then the
 * installed data directory, then the source tree's data/. Writes the path into
 * buf and returns 0; returns -1 after printing an error that lists where it
 * looked. */
int cli_find_data(const char *name, char *buf, size_t size);

#endif
