/* dlfs/matrix.h - row-major matrices: allocation, views, blocks, checks, copies.
 *
 * A dlfs_matrix describes memory; it does not have to own it. Element (i, j) is
 * data[i * ld + j], with ld >= cols, so a caller can hand over its own array, or a
 * block of rows and columns inside a larger one, without a copy (as CBLAS does).
 *
 * Ownership: dlfs_matrix_alloc() gives an owned matrix (ld == cols), released by
 * dlfs_matrix_free(). dlfs_matrix_view() wraps caller memory; never free a view.
 * Functions taking `const dlfs_matrix *` never write through its data pointer.
 *
 * The matrix product is in dlfs/gemm.h, the elementwise loops in dlfs/kernels.h.
 */
#ifndef DLFS_MATRIX_H
#define DLFS_MATRIX_H

#include <stddef.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dlfs_matrix {
    size_t rows;
    size_t cols;
    size_t ld;      /* leading dimension: distance between rows, in elements */
    double *data;
} dlfs_matrix;

/* Allocates a zero-filled rows x cols matrix with ld == cols.
 * rows or cols == 0: DLFS_EEMPTY; rows*cols overflows: DLFS_EOVERFLOW;
 * DLFS_ENOMEM. On failure *m is set to an empty matrix (data NULL). */
dlfs_status dlfs_matrix_alloc(dlfs_matrix *m, size_t rows, size_t cols);

/* Frees an owned matrix and resets it to empty. NULL and empty are fine. */
void dlfs_matrix_free(dlfs_matrix *m);

/* A view of caller memory. No checks: validate with dlfs_matrix_check(). */
dlfs_matrix dlfs_matrix_view(double *data, size_t rows, size_t cols, size_t ld);

/* A read-only view, for data the caller holds as `const double *` (as GSL's
 * const views): no cast in the caller's code, and the view itself is const,
 * so only a `const dlfs_matrix *` can be taken from it, which every function
 * that reads a matrix accepts and none writes through:
 *
 *     dlfs_matrix_const_view X = dlfs_matrix_view_const(x, n, k, k);
 *     dlfs_model_predict(&model, &X.matrix, &P);
 *
 * No checks, as dlfs_matrix_view(). */
typedef struct dlfs_matrix_const_view_s {
    dlfs_matrix matrix;
} dlfs_matrix_const_view_s;
typedef const dlfs_matrix_const_view_s dlfs_matrix_const_view;
dlfs_matrix_const_view_s dlfs_matrix_view_const(const double *data, size_t rows, size_t cols,
                                                size_t ld);

/* A view of rows [row, row+nrows) and columns [col, col+ncols) of m.
 * DLFS_ENULL, DLFS_ESHAPE when the block does not fit inside m. */
dlfs_status dlfs_matrix_block(const dlfs_matrix *m, size_t row, size_t col,
                              size_t nrows, size_t ncols, dlfs_matrix *block);

/* Checks that m is usable: non-NULL data, rows and cols > 0, ld >= cols,
 * and rows*ld fits in size_t. Returns DLFS_ENULL, DLFS_EEMPTY, DLFS_ESHAPE or
 * DLFS_EOVERFLOW; `name` is used in the error detail. */
dlfs_status dlfs_matrix_check(const dlfs_matrix *m, const char *name);

/* DLFS_ENONFINITE (with row and column in the detail) if any element is NaN or
 * infinite, else DLFS_OK. */
dlfs_status dlfs_matrix_check_finite(const dlfs_matrix *m, const char *name);

/* Copies src into dst (same rows and cols; each keeps its own ld). */
dlfs_status dlfs_matrix_copy(dlfs_matrix *dst, const dlfs_matrix *src);

#ifdef __cplusplus
}
#endif
#endif
