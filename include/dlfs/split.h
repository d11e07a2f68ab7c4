/* dlfs/split.h - splitting rows into a training and a test set.
 */
#ifndef DLFS_SPLIT_H
#define DLFS_SPLIT_H

#include <stddef.h>
#include <stdint.h>
#include <dlfs/matrix.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif
#endif
