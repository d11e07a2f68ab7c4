/* dlfs/gemm.h - the matrix product, and the backend that computes it.
 *
 * Every product of the chapter is one call of dlfs_gemm: C = alpha op(A) op(B)
 * + beta C, computed by the linked BLAS or by a plain triple loop (the
 * reference), chosen at run time.
 */
#ifndef DLFS_GEMM_H
#define DLFS_GEMM_H

#include <dlfs/matrix.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

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

/* C = alpha * op(A) * op(B) + beta * C, with op(X) = X or X^T.
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

#ifdef __cplusplus
}
#endif
#endif
