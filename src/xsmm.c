/* src/xsmm.c - making libxsmm's kernels for the xsmm and auto backends; see xsmm.h. */
#include "xsmm.h"
#include "internal.h"

#include <limits.h>
#include <string.h>

#ifdef DLFS_HAVE_XSMM
#include <libxsmm.h>
#endif

int dlfs_have_xsmm(void)
{
#ifdef DLFS_HAVE_XSMM
    return 1;
#else
    return 0;
#endif
}

dlfs_status dlfs_backend_init(dlfs_backend backend)
{
    if (!dlfs_backend_name(backend))
        return dlfs__fail(DLFS_EINVAL, "dlfs_backend_init: unknown backend %d", (int)backend);
    if (!dlfs_backend_available(backend))
        return dlfs__fail(DLFS_EINVAL, "dlfs_backend_init: backend %s: this dlfs was built "
                          "without libxsmm (meson option xsmm)", dlfs_backend_name(backend));
#ifdef DLFS_HAVE_XSMM
    if (backend == DLFS_BACKEND_XSMM || backend == DLFS_BACKEND_AUTO)
        libxsmm_init();
#endif
    if (backend != DLFS_BACKEND_NAIVE) {
        /* A BLAS sets up its work buffers at its first product */
        double a[4] = {1, 2, 3, 4}, c[4];
        const dlfs_matrix A = {.rows = 2, .cols = 2, .ld = 2, .data = a};
        dlfs_matrix C = {.rows = 2, .cols = 2, .ld = 2, .data = c};
        dlfs__gemm(DLFS_BACKEND_BLAS, DLFS_NO_TRANS, DLFS_NO_TRANS, 1.0, &A, &A, 0.0, &C);
    }
    return DLFS_OK;
}

#ifdef DLFS_HAVE_XSMM
/* A kernel for the row-major C = op(A) op(B) with beta 0 or 1, else NULL. */
static dlfs__mm_fn dispatch(dlfs_transpose ta, dlfs_transpose tb, size_t r, size_t c, size_t n,
                            size_t lda, size_t ldb, size_t ldc, double beta)
{
    /* op(B) = B^T with one row is B's single column; stored with unit
     * stride, it is also a 1 x c row read without a transpose, which
     * libxsmm takes (it has no kernel for a transposed first operand). */
    if (tb == DLFS_TRANS && n == 1 && ldb == 1) {
        tb = DLFS_NO_TRANS;
        ldb = c;
    }
    if (tb == DLFS_TRANS)
        return NULL;
    if (r > INT_MAX || c > INT_MAX || n > INT_MAX || lda > INT_MAX || ldb > INT_MAX ||
        ldc > INT_MAX)
        return NULL;
    /* column-major C^T (c x r) = op(B)^T (c x n) op(A)^T (n x r) */
    const libxsmm_blasint m = (libxsmm_blasint)c, nn = (libxsmm_blasint)r,
                          kk = (libxsmm_blasint)n;
    const libxsmm_blasint la = (libxsmm_blasint)ldb, lb = (libxsmm_blasint)lda,
                          lc = (libxsmm_blasint)ldc;
    const int flags = ta == DLFS_TRANS ? LIBXSMM_GEMM_FLAG_TRANS_B : 0;
    const double alpha = 1.0;
    return (dlfs__mm_fn)libxsmm_dmmdispatch(m, nn, kk, &la, &lb, &lc, &alpha, &beta, &flags,
                                            NULL);
}
#endif

/* Whether be takes libxsmm for a product of r n c multiply-adds. */
static int wants_xsmm(dlfs_backend be, size_t r, size_t c, size_t n)
{
    if (!dlfs_have_xsmm() || r == 0 || c == 0 || n == 0)
        return 0;
    if (be == DLFS_BACKEND_XSMM)
        return 1;
    if (be != DLFS_BACKEND_AUTO)
        return 0;
    /* r n c <= DLFS_XSMM_CROSSOVER, without overflowing */
    return r <= DLFS_XSMM_CROSSOVER / c && r * c <= DLFS_XSMM_CROSSOVER / n;
}

dlfs__mm dlfs__mm_make(dlfs_backend be, dlfs_transpose ta, dlfs_transpose tb, size_t r,
                       size_t c, size_t n, size_t lda, size_t ldb, size_t ldc)
{
    dlfs__mm k = {NULL};
    if (!wants_xsmm(be, r, c, n))
        return k;
#ifdef DLFS_HAVE_XSMM
    k.fn = dispatch(ta, tb, r, c, n, lda, ldb, ldc, 0.0);
#else
    (void)ta, (void)tb, (void)lda, (void)ldb, (void)ldc;
#endif
    return k;
}

void dlfs__gemm_xsmm(dlfs_backend be, dlfs_transpose ta, dlfs_transpose tb, double alpha,
                     const dlfs_matrix *A, const dlfs_matrix *B, double beta, dlfs_matrix *C)
{
    const size_t n = ta == DLFS_TRANS ? A->rows : A->cols;
#ifdef DLFS_HAVE_XSMM
    if (alpha == 1.0 && (beta == 0.0 || beta == 1.0) && wants_xsmm(be, C->rows, C->cols, n)) {
        dlfs__mm_fn fn = dispatch(ta, tb, C->rows, C->cols, n, A->ld, B->ld, C->ld, beta);
        if (fn) {
            fn(B->data, A->data, C->data);
            return;
        }
    }
#else
    (void)n, (void)be;
#endif
    dlfs__gemm(DLFS_BACKEND_BLAS, ta, tb, alpha, A, B, beta, C);
}

void dlfs__step_mm_nn(dlfs__step_mm *s, const dlfs_nn *model, const dlfs_nn_forward_info *info,
                      const dlfs_nn *grad, size_t x_ld, size_t rows)
{
    const dlfs_backend be = model->backend;
    const size_t k = model->k, h = model->h, m = model->m;
    memset(s, 0, sizeof *s);
    s->rows = rows;
    s->fwd1 = dlfs__mm_make(be, DLFS_NO_TRANS, DLFS_NO_TRANS, rows, h, k, x_ld, model->W1.ld,
                            info->M1.ld);
    s->fwd2 = dlfs__mm_make(be, DLFS_NO_TRANS, DLFS_NO_TRANS, rows, m, h, info->O1.ld,
                            model->W2.ld, info->M2.ld);
    s->grad2 = dlfs__mm_make(be, DLFS_TRANS, DLFS_NO_TRANS, h, m, rows, info->O1.ld,
                             info->dL_dP.ld, grad->W2.ld);
    s->back = dlfs__mm_make(be, DLFS_NO_TRANS, DLFS_TRANS, rows, h, m, info->dL_dP.ld,
                            model->W2.ld, info->dL_dN1.ld);
    s->grad1 = dlfs__mm_make(be, DLFS_TRANS, DLFS_NO_TRANS, k, h, rows, x_ld, info->dL_dN1.ld,
                             grad->W1.ld);
}

void dlfs__step_mm_linreg(dlfs__step_mm *s, const dlfs_linreg *model,
                          const dlfs_linreg_forward_info *info, const dlfs_linreg *grad,
                          size_t x_ld, size_t rows)
{
    const dlfs_backend be = model->backend;
    const size_t k = model->k, m = model->m;
    memset(s, 0, sizeof *s);
    s->rows = rows;
    s->fwd1 = dlfs__mm_make(be, DLFS_NO_TRANS, DLFS_NO_TRANS, rows, m, k, x_ld, model->W.ld,
                            info->N.ld);
    s->grad1 = dlfs__mm_make(be, DLFS_TRANS, DLFS_NO_TRANS, k, m, rows, x_ld, info->dL_dP.ld,
                             grad->W.ld);
}
