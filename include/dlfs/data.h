/* dlfs/data.h - loading tabular data, standardising it, splitting it, scoring.
 */
#ifndef DLFS_DATA_H
#define DLFS_DATA_H

#include <stddef.h>
#include <stdint.h>
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

/* Standardisation fitted on one set and applied to others: x' = (x - mean) / sd,
 * with the population sd (divisor n). A constant column gets sd = 1, so it maps to 0
 * rather than NaN. */
typedef struct dlfs_standardizer {
    size_t k;
    double *mean;  /* k, owned */
    double *sd;    /* k, owned */
} dlfs_standardizer;

/* Fits mean and sd of each column of X (n x k, n >= 1). Allocates. */
dlfs_status dlfs_standardizer_fit(dlfs_standardizer *s, const dlfs_matrix *X);
/* X = (X - mean) / sd in place. DLFS_ESHAPE unless X has k columns. */
dlfs_status dlfs_standardizer_apply(const dlfs_standardizer *s, dlfs_matrix *X);
/* X = X * sd + mean in place. */
dlfs_status dlfs_standardizer_invert(const dlfs_standardizer *s, dlfs_matrix *X);
void dlfs_standardizer_free(dlfs_standardizer *s);

/* Splits rows at random (seeded) into a training and a test set. The test set
 * has ceil(n * test_fraction) rows, 0 < test_fraction < 1, and both sets must be
 * non-empty (DLFS_EINVAL otherwise). The four outputs are allocated (owned);
 * rows keep their original relative order within each set. */
dlfs_status dlfs_split(const dlfs_matrix *X, const dlfs_matrix *y, double test_fraction,
                       uint64_t seed, dlfs_matrix *X_train, dlfs_matrix *y_train,
                       dlfs_matrix *X_test, dlfs_matrix *y_test);

/* The same split without a copy: reorders the rows of X (n x k) and y (n x m)
 * in place so that the n_train rows dlfs_split() puts in the training set come
 * first, in their original order, then the test rows in theirs; *n_train is
 * set to their number. The result is row for row the matrices dlfs_split()
 * gives for the same arguments. Take the two sets as views:
 *     dlfs_matrix_block(X, 0, 0, n_train, k, &X_train);
 *     dlfs_matrix_block(X, n_train, 0, n - n_train, k, &X_test);   (y alike)
 * Scratch, freed before it returns: n row indices, n flags and one row.
 * Errors as dlfs_split() (DLFS_ENULL, DLFS_EEMPTY, DLFS_ESHAPE, DLFS_EINVAL,
 * DLFS_EOVERFLOW, DLFS_ENOMEM), and DLFS_EINVAL when X and y share memory.
 * On failure X and y are unchanged and *n_train is 0. */
dlfs_status dlfs_split_in_place(dlfs_matrix *X, dlfs_matrix *y, double test_fraction,
                                uint64_t seed, size_t *n_train);

typedef struct dlfs_metrics {
    double mae;   /* mean |P - y| */
    double rmse;  /* sqrt(mean (P - y)^2) */
    double r2;    /* 1 - sum (y - P)^2 / sum (y - mean y)^2, averaged over columns */
    double mean_target;  /* mean of y */
} dlfs_metrics;

/* Scores predictions P against targets y (same shape, n >= 1). A constant
 * target column gives r2 = NaN (undefined); other fields are still set. */
dlfs_status dlfs_metrics_compute(const dlfs_matrix *P, const dlfs_matrix *y, dlfs_metrics *out);

#ifdef __cplusplus
}
#endif
#endif
