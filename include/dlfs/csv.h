/* dlfs/csv.h - reading a CSV file of numbers into a dataset.
 */
#ifndef DLFS_CSV_H
#define DLFS_CSV_H

#include <stddef.h>
#include <dlfs/matrix.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A table of numeric features and one target column (or none), owned. */
typedef struct dlfs_dataset {
    dlfs_matrix X;           /* n x k features, owned */
    dlfs_matrix y;           /* n x 1 target, owned; n x 0, data NULL, without one */
    char **feature_names;    /* k names, owned */
    char *target_name;       /* owned; NULL without a target */
} dlfs_dataset;

/* Where a CSV file went wrong: line is the 1-based line of the file, column
 * the 1-based field number within its row (0 if not known). message holds
 * the same text as dlfs_error_detail(). */
typedef struct dlfs_csv_error {
    size_t line;
    size_t column;
    char message[200];
} dlfs_csv_error;

/* target_index for dlfs_csv_read() and dlfs_csv_parse() (with target NULL):
 * the file has no target column. */
#define DLFS_CSV_NO_TARGET ((size_t)-2)

/* Reads a CSV file: a header row of column names, then rows of numbers, all
 * the same length. Fields may be quoted ("1.5", with "" for a quote inside);
 * lines may end in LF or CRLF; a final newline is optional; blank lines are
 * skipped; a UTF-8 byte order mark is ignored. Every field must be a finite
 * decimal number with '.' as the decimal point, spaces around it allowed
 * (the library never calls setlocale; under a locale whose decimal point is
 * not '.', a field that needs strtod is rejected with DLFS_EPARSE, never misread).
 * The target is the column named `target` or, when target is NULL, the column
 * with 0-based index `target_index` (use (size_t)-1 for the last column), or
 * none with DLFS_CSV_NO_TARGET: then every column is a feature (k may be 1),
 * out->y has n rows, 0 columns and NULL data, and out->target_name is NULL
 * (rows to predict on, which may or may not hold a target).
 * Errors (err, when given, says where): DLFS_ENULL, DLFS_EIO, DLFS_EEMPTY (no
 * header, or no data rows), DLFS_EPARSE (malformed number, ragged row,
 * unterminated quote), DLFS_ENONFINITE (nan or inf field), DLFS_ENOTFOUND (no
 * such target column), DLFS_ENOMEM, DLFS_EOVERFLOW. On failure *out is empty.
 * Memory: a regular file is not copied but mapped read-only, and the pages
 * of the rows already parsed are given back every few MB, so a load needs
 * little more than the n x (k + 1) doubles it returns. As with any mapped
 * file, the file must not be truncated while it is read (that would raise
 * SIGBUS). Pipes and other files that cannot be mapped are read into a
 * buffer first, which costs the file's size on top. */
dlfs_status dlfs_csv_read(const char *path, const char *target, size_t target_index,
                          dlfs_dataset *out, dlfs_csv_error *err);

/* The same, from len bytes in memory (need not be NUL-terminated). */
dlfs_status dlfs_csv_parse(const char *text, size_t len, const char *target,
                           size_t target_index, dlfs_dataset *out, dlfs_csv_error *err);

void dlfs_dataset_free(dlfs_dataset *ds);

#ifdef __cplusplus
}
#endif
#endif
