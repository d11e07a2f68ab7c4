/* src/csv_shard.h - the CSV reader's entry points for a reader that parses
 * only part of a file (the MPI layer's dlfs_dist_csv_read); not installed.
 *
 * The file is opened and mapped as dlfs_csv_read() does it, then parsed as
 * "the header at the start of the file + the rows of bytes [begin, stop)",
 * with the rows' lines numbered from a given line, so errors name the file's
 * line. Nothing of the file is copied.
 */
#ifndef DLFS_SRC_CSV_SHARD_H
#define DLFS_SRC_CSV_SHARD_H

#include <stddef.h>
#include <dlfs/csv.h>
#include <dlfs/status.h>
#include "internal.h"

/* The text of an opened file: a private read-only mapping of a regular file,
 * or (pipes, empty files, file systems that cannot map) a buffer. */
typedef struct dlfs__csv_text {
    const char *text;
    size_t len;
    size_t page;     /* the page size for a mapping, whose pages may be given back; else 0 */
    void *map;       /* the mapping to unmap, or NULL */
    char *buf;       /* the buffer to free, or NULL */
} dlfs__csv_text;

/* Opens path as dlfs_csv_read() does, with the same errors, fn naming the
 * public function in messages. On failure *t is empty. */
dlfs_status dlfs__csv_open(const char *fn, const char *path, dlfs__csv_text *t,
                           dlfs_csv_error *err);

void dlfs__csv_close(dlfs__csv_text *t);

/* Gives back the whole pages of bytes [from, to) of a mapped text (a no-op
 * for a buffer): they are read again from the file if needed. */
void dlfs__csv_release(const dlfs__csv_text *t, size_t from, size_t to);

/* Parses the header only: *body is the offset of the first byte after the
 * header row, *body_line its 1-based line. The errors of the header (no
 * header, malformed header, no such target) are dlfs_csv_read()'s. */
dlfs_status dlfs__csv_header(const char *fn, const dlfs__csv_text *t, const char *target,
                             size_t target_index, size_t *body, size_t *body_line,
                             dlfs_csv_error *err);

/* Parses the header, then the rows that start in bytes [begin, stop) of the
 * text, begin being the start of a line (or the body) whose 1-based line is
 * `line`. A row that starts before stop is read to its end, even past stop,
 * so an error is the one dlfs_csv_read() would report there. No rows is not
 * an error here: out->X has 0 rows and NULL data. */
dlfs_status dlfs__csv_parse_shard(const char *fn, const dlfs__csv_text *t, const char *target,
                                  size_t target_index, size_t begin, size_t stop, size_t line,
                                  dlfs_dataset *out, dlfs_csv_error *err);

/* Records a failure as the reader does ("fn: line L, column C: what") in err
 * (when given) and in dlfs_error_detail(). */
dlfs_status dlfs__csv_fail(dlfs_csv_error *err, const char *fn, dlfs_status status, size_t line,
                           size_t column, const char *fmt, ...) DLFS_PRINTF(6, 7);

#endif
