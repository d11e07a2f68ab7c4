/* src/split_impl.h - the steps of the split that the MPI layer's split
 * (src/dist/split.c) takes too, so both draw the same rows; not installed. */
#ifndef DLFS_SRC_SPLIT_IMPL_H
#define DLFS_SRC_SPLIT_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <dlfs/matrix.h>

/* The test rows of n for a fraction f: ceil(n * f), where a product that is
 * an integer up to rounding counts as that integer (506 * 0.3 is 152). */
size_t dlfs__split_test_rows(size_t n, double f);

/* in_test[i] = 1 for the n_test test rows of n, 0 for the others: the
 * permutation drawn from seed (in idx, n entries of scratch), its first n_test
 * rows the test set. */
void dlfs__split_mark(size_t n, size_t n_test, uint64_t seed, size_t *idx,
                      unsigned char *in_test);

/* Row i of X and of y = row src[i] as it was, for a permutation src of the
 * rows, each cycle followed once with one row of scratch (row: X->cols +
 * y->cols doubles); done (X->rows flags, all 0 on entry) is scratch too. */
void dlfs__permute_rows(dlfs_matrix *X, dlfs_matrix *y, const size_t *src, unsigned char *done,
                        double *row);

#endif
