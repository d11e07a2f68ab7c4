/* src/gemm.c - C = alpha op(A) op(B) + beta C, on cblas_dgemm or a triple loop.
 *
 * The three products of the chapter are all this one call:
 *     X . W       (NO_TRANS, NO_TRANS)   forward
 *     X^T . G     (TRANS, NO_TRANS)      weight gradients
 *     G . W^T     (NO_TRANS, TRANS)      gradient flowing back to the layer input
 * The backend choosing between them is named and parsed here too; libxsmm's
 * kernels for the xsmm and auto backends are made in xsmm.c.
 */
#include <limits.h>
#include <string.h>

#include <cblas.h>

#include <dlfs/gemm.h>
#include <dlfs/matrix.h>
#include "gemm.h"
#include "internal.h"
#include "xsmm.h"

const char *dlfs_backend_name(dlfs_backend backend)
{
    switch (backend) {
    case DLFS_BACKEND_BLAS: return "blas";
    case DLFS_BACKEND_NAIVE: return "naive";
    case DLFS_BACKEND_XSMM: return "xsmm";
    case DLFS_BACKEND_AUTO: return "auto";
    }
    return NULL;
}

int dlfs_backend_available(dlfs_backend backend)
{
    if (backend == DLFS_BACKEND_XSMM)
        return dlfs_have_xsmm();
    return dlfs_backend_name(backend) != NULL;
}

dlfs_status dlfs_backend_parse(const char *name, dlfs_backend *backend)
{
    if (!name || !backend)
        return dlfs__fail(DLFS_ENULL, "dlfs_backend_parse: %s is NULL", name ? "backend" : "name");
    if (strcmp(name, "blas") == 0)
        *backend = DLFS_BACKEND_BLAS;
    else if (strcmp(name, "naive") == 0)
        *backend = DLFS_BACKEND_NAIVE;
    else if (strcmp(name, "xsmm") == 0)
        *backend = DLFS_BACKEND_XSMM;
    else if (strcmp(name, "auto") == 0)
        *backend = DLFS_BACKEND_AUTO;
    else
        return dlfs__fail(DLFS_EINVAL, "dlfs_backend_parse: unknown backend '%s' (expected blas, "
                          "naive, xsmm or auto)", name);
    return DLFS_OK;
}

/* The reference: one dot product per element of C, in the most obvious order.
 * op(A) is r x n, op(B) is n x c. */
static void gemm_naive(dlfs_transpose ta, dlfs_transpose tb, double alpha,
                       const dlfs_matrix *A, const dlfs_matrix *B, double beta,
                       dlfs_matrix *C)
{
    const size_t r = C->rows, c = C->cols;
    const size_t n = ta == DLFS_TRANS ? A->rows : A->cols;
    /* Strides that walk op(A) along a row and op(B) down a column. */
    const size_t a_row = ta == DLFS_TRANS ? 1 : A->ld, a_step = ta == DLFS_TRANS ? A->ld : 1;
    const size_t b_col = tb == DLFS_TRANS ? B->ld : 1, b_step = tb == DLFS_TRANS ? 1 : B->ld;

    for (size_t i = 0; i < r; i++) {
        double *ci = C->data + i * C->ld;
        for (size_t j = 0; j < c; j++) {
            const double *a = A->data + i * a_row;
            const double *b = B->data + j * b_col;
            double sum = 0.0;
            for (size_t p = 0; p < n; p++)
                sum += a[p * a_step] * b[p * b_step];
            ci[j] = beta == 0.0 ? alpha * sum : alpha * sum + beta * ci[j];
        }
    }
}

/* xsmm and auto without a kernel at hand are cblas_dgemm (see dlfs/gemm.h). */
void dlfs__gemm(dlfs_backend backend, dlfs_transpose ta, dlfs_transpose tb,
                double alpha, const dlfs_matrix *A, const dlfs_matrix *B,
                double beta, dlfs_matrix *C)
{
    if (backend == DLFS_BACKEND_NAIVE) {
        gemm_naive(ta, tb, alpha, A, B, beta, C);
        return;
    }
    const size_t n = ta == DLFS_TRANS ? A->rows : A->cols;
    cblas_dgemm(CblasRowMajor,
                ta == DLFS_TRANS ? CblasTrans : CblasNoTrans,
                tb == DLFS_TRANS ? CblasTrans : CblasNoTrans,
                (blasint)C->rows, (blasint)C->cols, (blasint)n,
                alpha, A->data, (blasint)A->ld, B->data, (blasint)B->ld,
                beta, C->data, (blasint)C->ld);
}

static int fits_blasint(size_t v)
{
    return v <= (size_t)INT_MAX;
}

dlfs_status dlfs_gemm(dlfs_backend backend, dlfs_transpose trans_a, dlfs_transpose trans_b,
                      double alpha, const dlfs_matrix *A, const dlfs_matrix *B,
                      double beta, dlfs_matrix *C)
{
    dlfs_status st;
    if ((st = dlfs_matrix_check(A, "dlfs_gemm: A")) ||
        (st = dlfs_matrix_check(B, "dlfs_gemm: B")) ||
        (st = dlfs_matrix_check(C, "dlfs_gemm: C")))
        return st;
    if (!dlfs_backend_name(backend))
        return dlfs__fail(DLFS_EINVAL, "dlfs_gemm: unknown backend %d", (int)backend);
    if (!dlfs_backend_available(backend))
        return dlfs__fail(DLFS_EINVAL, "dlfs_gemm: backend %s: this dlfs was built without "
                          "libxsmm (meson option xsmm)", dlfs_backend_name(backend));
    if ((trans_a != DLFS_NO_TRANS && trans_a != DLFS_TRANS) ||
        (trans_b != DLFS_NO_TRANS && trans_b != DLFS_TRANS))
        return dlfs__fail(DLFS_EINVAL, "dlfs_gemm: transpose flags must be DLFS_NO_TRANS or DLFS_TRANS");

    const size_t ar = trans_a ? A->cols : A->rows, ac = trans_a ? A->rows : A->cols;
    const size_t br = trans_b ? B->cols : B->rows, bc = trans_b ? B->rows : B->cols;
    if (ac != br || C->rows != ar || C->cols != bc)
        return dlfs__fail(DLFS_ESHAPE,
                          "dlfs_gemm: op(A) is %zu x %zu, op(B) is %zu x %zu, C is %zu x %zu",
                          ar, ac, br, bc, C->rows, C->cols);
    if (!fits_blasint(A->rows) || !fits_blasint(A->cols) || !fits_blasint(A->ld) ||
        !fits_blasint(B->rows) || !fits_blasint(B->cols) || !fits_blasint(B->ld) ||
        !fits_blasint(C->ld))
        return dlfs__fail(DLFS_EOVERFLOW, "dlfs_gemm: a dimension exceeds the BLAS integer range (%d)",
                          INT_MAX);
    if (backend == DLFS_BACKEND_XSMM || backend == DLFS_BACKEND_AUTO)
        dlfs__gemm_xsmm(backend, trans_a, trans_b, alpha, A, B, beta, C);
    else
        dlfs__gemm(backend, trans_a, trans_b, alpha, A, B, beta, C);
    return DLFS_OK;
}
