/* dlfs/gemm.h - the matrix product, and the backend that computes it.
 *
 * Every product of the chapter is one call of dlfs_gemm: C = alpha op(A) op(B)
 * + beta C, computed by the linked BLAS, by a plain triple loop (the
 * reference) or, for small products, by libxsmm's kernels, chosen at run time.
 */
#ifndef DLFS_GEMM_H
#define DLFS_GEMM_H

#include <dlfs/matrix.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Which implementation computes matrix products. Chosen at run time.
 *
 * xsmm and auto need dlfs built with libxsmm (meson option xsmm); without
 * it, xsmm is refused where a backend is set (dlfs_model_set_backend says
 * the library was built without it) and auto is blas. Both make their
 * kernels once per shape: the training loop makes those of its step before
 * its first iteration (one set for full batches, one for a pass's short last
 * batch) and never in the loop; dlfs_gemm looks its kernel up in libxsmm's
 * cache on every call. libxsmm takes alpha 1 and beta 0 or 1 only, and no
 * transposed op(B) unless op(B) has one row: any other product of these two
 * backends (and, under MPI, a rank's share of a batch that is neither a whole
 * batch nor a short last one) goes through cblas_dgemm. In the training
 * step that is the network's dL/dP . W2^T when it has more than one output.
 * Every product in dlfs is a sum over n of op(A)(i,p) op(B)(p,j); the
 * backends differ only in the order they add (to rounding). */
typedef enum dlfs_backend {
    DLFS_BACKEND_BLAS = 0,   /* cblas_dgemm from the linked BLAS */
    DLFS_BACKEND_NAIVE = 1,  /* plain triple loop: the reference */
    DLFS_BACKEND_XSMM = 2,   /* libxsmm's JIT kernels wherever libxsmm has one,
                                whatever the size */
    DLFS_BACKEND_AUTO = 3    /* per product: libxsmm when r n c is at most
                                DLFS_XSMM_CROSSOVER (measured: op(A) r x n, op(B)
                                n x c), cblas_dgemm above it */
} dlfs_backend;

typedef enum dlfs_transpose {
    DLFS_NO_TRANS = 0,
    DLFS_TRANS = 1
} dlfs_transpose;

/* The product size r n c at and below which auto takes libxsmm's kernel: the
 * crossover measured with dlfs-bench-gemm --crossover (README, Performance).
 * With the BLAS on its own thread count (two cores), libxsmm's single-threaded
 * kernels beat cblas_dgemm on NN and TN cubes up to n = 320 and lose from
 * n = 384; with the BLAS on one thread they won at every size swept (to 768).
 * The threaded figure is the one auto uses, so a product BLAS can share
 * between cores goes to BLAS. */
#define DLFS_XSMM_CROSSOVER ((size_t)320 * 320 * 320)

/* "blas", "naive", "xsmm" or "auto"; NULL for an unknown value. */
const char *dlfs_backend_name(dlfs_backend backend);
/* Parses "blas", "naive", "xsmm" or "auto". DLFS_EINVAL for anything else,
 * naming the value. (A name this build cannot use still parses: see
 * dlfs_backend_available.) */
dlfs_status dlfs_backend_parse(const char *name, dlfs_backend *backend);
/* 1 when this build of dlfs can compute with the backend: blas, naive and
 * auto always, xsmm when built with libxsmm; 0 otherwise and for an unknown
 * value. */
int dlfs_backend_available(dlfs_backend backend);
/* 1 when dlfs was built with libxsmm (then xsmm is available and auto uses it). */
int dlfs_have_xsmm(void);

/* Readies the backend's libraries now rather than at their first product,
 * which would otherwise pay for it inside its time: for xsmm and auto in a
 * build with libxsmm, libxsmm's own initialisation (its code registry, 8 MB
 * locked in memory; about 6 ms on the machine of the README); for blas, xsmm
 * and auto, one small cblas_dgemm, at which the BLAS sets up its buffers
 * (about 0.2 ms for OpenBLAS). The kernels themselves are made per shape:
 * dlfs_model_prepare() makes a training run's ahead of time. Optional,
 * idempotent, thread-safe; nothing for naive. DLFS_EINVAL for an unknown
 * backend or xsmm in a build without libxsmm. */
dlfs_status dlfs_backend_init(dlfs_backend backend);

/* C = alpha * op(A) * op(B) + beta * C, with op(X) = X or X^T.
 * op(A) is r x n, op(B) is n x c, C is r x c. When beta == 0, C need not be
 * initialised (NaN in C does not propagate), as in BLAS.
 * Every backend takes the same arguments and they agree to rounding.
 * Errors: DLFS_ENULL, DLFS_EEMPTY, DLFS_ESHAPE, DLFS_EOVERFLOW (a dimension
 * larger than the BLAS integer), DLFS_EINVAL (unknown backend or transpose,
 * or xsmm in a build without libxsmm).
 */
dlfs_status dlfs_gemm(dlfs_backend backend,
                      dlfs_transpose trans_a, dlfs_transpose trans_b,
                      double alpha, const dlfs_matrix *A, const dlfs_matrix *B,
                      double beta, dlfs_matrix *C);

#ifdef __cplusplus
}
#endif
#endif
