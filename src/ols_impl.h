/* src/ols_impl.h - what the closed-form fit (ols.c) shares with its TSQR
 * form on MPI (src/dist/ols.c); not installed. */
#ifndef DLFS_SRC_OLS_IMPL_H
#define DLFS_SRC_OLS_IMPL_H

#include <stddef.h>
#include <dlfs/status.h>

/* ||x|| of n doubles without overflow or underflow in the squares. */
double dlfs__norm2(const double *x, size_t n);

/* DLFS_ELAPACK with the detail of a rank-deficient design: column j of
 * [X 1] (j == k: the intercept) is a combination of the columns before it. */
dlfs_status dlfs__rank_deficient(const char *fn, size_t j, size_t k);

#endif
