/* dlfs/matrix.h - row-major matrices, the matrix product and the elementwise loops.
 *
 * A dlfs_matrix describes memory; it does not have to own it. Element (i, j) is
 * data[i * ld + j], with ld >= cols, so a caller can hand over its own array, or a
 * block of rows and columns inside a larger one, without a copy (as CBLAS does).
 *
 * Ownership: dlfs_matrix_alloc() gives an owned matrix (ld == cols), released by
 * dlfs_matrix_free(). dlfs_matrix_view() wraps caller memory; never free a view.
 * Functions taking `const dlfs_matrix *` never write through its data pointer.
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

/* Which implementation computes matrix products. Chosen at run time. */
typedef enum dlfs_backend {
    DLFS_BACKEND_BLAS = 0,   /* cblas_dgemm from the linked BLAS (OpenBLAS) */
    DLFS_BACKEND_NAIVE = 1   /* plain triple loop: the reference */
} dlfs_backend;

typedef enum dlfs_transpose {
    DLFS_NO_TRANS = 0,
    DLFS_TRANS = 1
} dlfs_transpose;

/* "blas" or "naive"; NULL for an unknown value. */
const char *dlfs_backend_name(dlfs_backend backend);
/* Parses "blas" or "naive". DLFS_EINVAL for anything else. */
dlfs_status dlfs_backend_parse(const char *name, dlfs_backend *backend);

/* Allocates a zero-filled rows x cols matrix with ld == cols.
 * rows or cols == 0: DLFS_EEMPTY; rows*cols overflows: DLFS_EOVERFLOW;
 * DLFS_ENOMEM. On failure *m is set to an empty matrix (data NULL). */
dlfs_status dlfs_matrix_alloc(dlfs_matrix *m, size_t rows, size_t cols);

/* Frees an owned matrix and resets it to empty. NULL and empty are fine. */
void dlfs_matrix_free(dlfs_matrix *m);

/* A view of caller memory. No checks: validate with dlfs_matrix_check(). */
dlfs_matrix dlfs_matrix_view(double *data, size_t rows, size_t cols, size_t ld);

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

/* ---- The matrix product -------------------------------------------------
 *
 * C = alpha * op(A) * op(B) + beta * C, with op(X) = X or X^T.
 * op(A) is r x n, op(B) is n x c, C is r x c. When beta == 0, C need not be
 * initialised (NaN in C does not propagate), as in BLAS.
 * Both backends take the same arguments and agree to rounding.
 * Errors: DLFS_ENULL, DLFS_EEMPTY, DLFS_ESHAPE, DLFS_EOVERFLOW (a dimension
 * larger than the BLAS integer), DLFS_EINVAL (unknown backend or transpose).
 */
dlfs_status dlfs_gemm(dlfs_backend backend,
                      dlfs_transpose trans_a, dlfs_transpose trans_b,
                      double alpha, const dlfs_matrix *A, const dlfs_matrix *B,
                      double beta, dlfs_matrix *C);

/* ---- Elementwise loops (the chapter's non-matrix steps) -----------------
 * All shapes are checked; out may alias the input where noted.
 */

/* out = in + bias, bias (1 x c) added to every row of in (r x c). out may be in. */
dlfs_status dlfs_bias_add(dlfs_matrix *out, const dlfs_matrix *in, const dlfs_matrix *bias);

/* out = sigmoid(in) = 1 / (1 + exp(-in)), finite for every finite input
 * (sigmoid(-1000) == 0, sigmoid(1000) == 1, no overflow). out may be in.
 * Vectorised; within 4 ULP of the libm-based formula (see tests). */
dlfs_status dlfs_sigmoid(dlfs_matrix *out, const dlfs_matrix *in);

/* dout_din = dout * s * (1 - s), with s the saved sigmoid output.
 * The chain rule through the sigmoid. dout_din may be dout. */
dlfs_status dlfs_sigmoid_backward(dlfs_matrix *dout_din, const dlfs_matrix *dout,
                                  const dlfs_matrix *s);

/* Mean squared error mean((y - p)^2) over all r*c elements. */
dlfs_status dlfs_mse(const dlfs_matrix *p, const dlfs_matrix *y, double *loss);

/* Loss and its gradient in one pass: *loss = mean((y - p)^2) and
 * dl_dp = -2 (y - p) / (r*c). dl_dp may not alias p or y. */
dlfs_status dlfs_mse_grad(dlfs_matrix *dl_dp, const dlfs_matrix *p,
                          const dlfs_matrix *y, double *loss);

/* sums (1 x c) = sum over the rows of in (r x c): the bias gradient. */
dlfs_status dlfs_row_sum(dlfs_matrix *sums, const dlfs_matrix *in);

#ifdef __cplusplus
}
#endif
#endif
