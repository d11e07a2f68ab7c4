/* src/xsmm.h - products through libxsmm's JIT kernels, made once per shape;
 * not installed.
 *
 * A kernel is made for one product of one shape and layout: op(A) (r x n)
 * times op(B) (n x c) into C, alpha 1 and beta 0, with the leading
 * dimensions fixed. libxsmm is column-major: the row-major C = op(A) op(B)
 * is the column-major C^T = op(B)^T op(A)^T, so the kernel takes the same
 * arrays with the operands swapped. A product without a kernel (no libxsmm,
 * the blas or naive backend, auto above its crossover, a layout libxsmm does
 * not take) goes through dlfs__gemm.
 */
#ifndef DLFS_SRC_XSMM_H
#define DLFS_SRC_XSMM_H

#include <stddef.h>
#include <dlfs/gemm.h>
#include <dlfs/linreg.h>
#include <dlfs/nn.h>
#include "gemm.h"

/* libxsmm_dmmfunction, without its header. */
typedef void (*dlfs__mm_fn)(const double *a, const double *b, double *c, ...);

/* One product's kernel; fn NULL: dlfs__gemm. */
typedef struct dlfs__mm {
    dlfs__mm_fn fn;
} dlfs__mm;

/* The kernel for op(A) (r x n) op(B) (n x c) into C with these leading
 * dimensions, alpha 1, beta 0, on backend be: xsmm wherever libxsmm makes
 * one, auto when also r n c <= DLFS_XSMM_CROSSOVER, the others never.
 * Dispatching costs a lookup (a JIT compile the first time): not in a loop. */
dlfs__mm dlfs__mm_make(dlfs_backend be, dlfs_transpose ta, dlfs_transpose tb, size_t r,
                       size_t c, size_t n, size_t lda, size_t ldb, size_t ldc);

/* The products of one step on batches of `rows` rows (rows 0: none). The
 * regression uses fwd1 (X.W) and grad1 (X^T.dL/dP); the network all five:
 * fwd1 X.W1, fwd2 O1.W2, grad2 O1^T.dL/dP, back dL/dP.W2^T, grad1 X^T.dL/dN1. */
typedef struct dlfs__step_mm {
    size_t rows;
    dlfs__mm fwd1, fwd2, grad2, back, grad1;
} dlfs__step_mm;

/* The kernels of the network's step on batches of rows rows, on the model's
 * backend, in the layouts of its model, forward info and gradient and of a
 * batch whose leading dimension is x_ld; a product without a kernel keeps fn
 * NULL. The same for the regression. */
void dlfs__step_mm_nn(dlfs__step_mm *s, const dlfs_nn *model, const dlfs_nn_forward_info *info,
                      const dlfs_nn *grad, size_t x_ld, size_t rows);
void dlfs__step_mm_linreg(dlfs__step_mm *s, const dlfs_linreg *model,
                          const dlfs_linreg_forward_info *info, const dlfs_linreg *grad,
                          size_t x_ld, size_t rows);

/* C = op(A) op(B) by k's kernel when it has one, else by dlfs__gemm(be). */
static inline void dlfs__gemm_k(const dlfs__mm *k, dlfs_backend be, dlfs_transpose ta,
                                dlfs_transpose tb, const dlfs_matrix *A, const dlfs_matrix *B,
                                dlfs_matrix *C)
{
    if (k && k->fn)
        k->fn(B->data, A->data, C->data);
    else
        dlfs__gemm(be, ta, tb, 1.0, A, B, 0.0, C);
}

/* C = alpha op(A) op(B) + beta C on xsmm or auto, arguments trusted (as
 * dlfs__gemm): a kernel looked up for this call where libxsmm takes the
 * product (alpha 1, beta 0 or 1), else cblas_dgemm. */
void dlfs__gemm_xsmm(dlfs_backend be, dlfs_transpose ta, dlfs_transpose tb, double alpha,
                     const dlfs_matrix *A, const dlfs_matrix *B, double beta, dlfs_matrix *C);

#endif
