/* src/ols.c - ordinary least squares in closed form with LAPACK dgels.
 *
 * The intercept is one more unknown: with the design A = [X 1] (n x (k+1)),
 * dgels solves min ||A [W; B] - y|| by a QR factorisation of A, one
 * right-hand side per output column. LAPACK is column-major, so A and y are
 * copied out of our row-major matrices into column-major scratch.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include <dlfs/ols.h>
#include "block.h"
#include "internal.h"
#include "ols_impl.h"

/* The Fortran routine as OpenBLAS exports it (32-bit integers, every argument
 * by reference, the length of the CHARACTER argument appended by gfortran). */
extern void dgels_(const char *trans, const int *m, const int *n, const int *nrhs,
                   double *a, const int *lda, double *b, const int *ldb,
                   double *work, const int *lwork, int *info, size_t trans_len);

dlfs_status dlfs__rank_deficient(const char *fn, size_t j, size_t k)
{
    if (j < k)
        return dlfs__fail(DLFS_ELAPACK, "%s: the design [X 1] is rank-deficient: feature "
                          "column %zu is (numerically) a combination of the columns before it",
                          fn, j);
    return dlfs__fail(DLFS_ELAPACK, "%s: the design [X 1] is rank-deficient: the "
                      "intercept column is (numerically) a combination of the features", fn);
}

/* ||x|| of n doubles without overflow or underflow in the squares. */
double dlfs__norm2(const double *x, size_t n)
{
    double big = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(x[i]) > big)
            big = fabs(x[i]);
    if (big == 0.0)
        return 0.0;
    for (size_t i = 0; i < n; i++) {
        double t = x[i] / big;
        ss += t * t;
    }
    return big * sqrt(ss);
}

/* The scratch of one fit, column-major as LAPACK wants it. */
typedef struct ols_work {
    size_t n, k, m;  /* rows, features, outputs */
    double *A;       /* n x (k+1): [X 1], then dgels's QR factorisation of it */
    double *Bm;      /* n x m: y, then the solution in the first k+1 rows */
    double *norms;   /* the k+1 column norms of [X 1], for the rank test */
    double *work;    /* dgels's workspace */
} ols_work;

/* The arguments: present, valid, of matching shapes, finite, and within
 * what dgels's int arguments can describe. */
static dlfs_status ols_check(const dlfs_linreg *model, const dlfs_matrix *X, const dlfs_matrix *y,
                             const char *fn)
{
    dlfs_status st;
    if (!model || !X || !y)
        return dlfs__fail(DLFS_ENULL, "%s: %s is NULL", fn, !model ? "model" : !X ? "X" : "y");
    if ((st = dlfs_matrix_check(&model->W, "dlfs_ols_fit: model->W")) ||
        (st = dlfs_matrix_check(&model->B, "dlfs_ols_fit: model->B")) ||
        (st = dlfs_matrix_check(X, "dlfs_ols_fit: X")) ||
        (st = dlfs_matrix_check(y, "dlfs_ols_fit: y")))
        return st;
    size_t n = X->rows, k = X->cols, m = y->cols;
    if (y->rows != n)
        return dlfs__fail(DLFS_ESHAPE, "%s: X has %zu rows but y has %zu", fn, n, y->rows);
    if (model->W.rows != k || model->W.cols != m || model->B.rows != 1 || model->B.cols != m)
        return dlfs__fail(DLFS_ESHAPE,
                          "%s: the model's W is %zu x %zu and B is %zu x %zu, but X and y need "
                          "%zu x %zu and 1 x %zu", fn, model->W.rows, model->W.cols,
                          model->B.rows, model->B.cols, k, m, m);
    if (n < k + 1)
        return dlfs__fail(DLFS_EINVAL, "%s: %zu rows cannot determine %zu unknowns (k + 1 per output)",
                          fn, n, k + 1);
    if (n > INT_MAX || k + 1 > INT_MAX || m > INT_MAX)
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %zu x %zu with %zu outputs exceeds LAPACK's int",
                          fn, n, k + 1, m);
    if ((st = dlfs_matrix_check_finite(X, "dlfs_ols_fit: X")) ||
        (st = dlfs_matrix_check_finite(y, "dlfs_ols_fit: y")))
        return st;
    return DLFS_OK;
}

/* Allocates A, Bm and norms for w's n, k and m; on failure the caller's
 * ols_free releases what was allocated. */
static dlfs_status ols_alloc(ols_work *w, const char *fn)
{
    size_t na, nb;
    dlfs_status st;
    if (!dlfs__mul(w->n, w->k + 1, &na) || !dlfs__mul(w->n, w->m, &nb))
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %zu rows x %zu columns overflow", fn, w->n, w->k + 1);
    if ((st = dlfs__alloc_doubles(na, &w->A, fn)) ||
        (st = dlfs__alloc_doubles(nb, &w->Bm, fn)) ||
        (st = dlfs__alloc_doubles(w->k + 1, &w->norms, fn)))
        return st;
    return DLFS_OK;
}

static void ols_free(ols_work *w)
{
    free(w->work);
    free(w->norms);
    free(w->Bm);
    free(w->A);
}

/* A = [X 1] and Bm = y, copied out of the row-major matrices. The column
 * norms are kept for the rank test (check_rank). */
static void build_design(ols_work *w, const dlfs_matrix *X, const dlfs_matrix *y)
{
    const size_t n = w->n, k = w->k;
    double *const A = w->A;
    for (size_t j = 0; j < k; j++) {
        double *col = A + j * n;
        for (size_t i = 0; i < n; i++)
            col[i] = X->data[i * X->ld + j];
        w->norms[j] = dlfs__norm2(col, n);
    }
    for (size_t i = 0; i < n; i++)
        A[k * n + i] = 1.0;
    w->norms[k] = sqrt((double)n);
    for (size_t j = 0; j < w->m; j++)
        for (size_t i = 0; i < n; i++)
            w->Bm[j * n + i] = y->data[i * y->ld + j];
}

/* Solves min ||A x - Bm|| in place with dgels: a workspace query, then the
 * factorisation and the solve. */
static dlfs_status run_dgels(ols_work *w, const char *fn)
{
    const int rows = (int)w->n, cols = (int)(w->k + 1), nrhs = (int)w->m;
    const int lda = (int)w->n, ldb = (int)w->n;
    int info = 0, lwork = -1;
    double query = 0.0;
    dlfs_status st;
    dgels_("N", &rows, &cols, &nrhs, w->A, &lda, w->Bm, &ldb, &query, &lwork, &info, 1);
    if (info != 0)
        return dlfs__fail(DLFS_ELAPACK, "%s: dgels workspace query failed (info %d)", fn, info);
    lwork = query >= 1.0 && query < (double)INT_MAX ? (int)query : cols + nrhs + 64 * cols;
    if ((st = dlfs__alloc_doubles((size_t)lwork, &w->work, fn)))
        return st;
    dgels_("N", &rows, &cols, &nrhs, w->A, &lda, w->Bm, &ldb, w->work, &lwork, &info, 1);
    if (info < 0)
        return dlfs__fail(DLFS_ELAPACK, "%s: dgels rejected argument %d", fn, -info);
    if (info > 0)
        return dlfs__fail(DLFS_ELAPACK, "%s: the design [X 1] is rank-deficient "
                          "(R(%d,%d) of its QR factorisation is zero)", fn, info, info);
    return DLFS_OK;
}

/* dgels only stops at an exactly zero R(j,j); a column that is a linear
 * combination of the others usually leaves a rounding residue instead.
 * |R(j,j)| / ||a_j|| is the sine of the angle between column j and the
 * span of the columns before it: treat a residue at rounding level as
 * zero, whatever the column's scale. dgels may have scaled A as a whole
 * (values near overflow or underflow); |R(0,0)| / ||a_0||, which is 1
 * otherwise, undoes that. R(0,0) is not 0 here, so neither is ||a_0||. */
static dlfs_status check_rank(const ols_work *w, const char *fn)
{
    const size_t n = w->n, k = w->k;
    const double tol = 10.0 * (double)n * DBL_EPSILON;
    const double scale = fabs(w->A[0]) / w->norms[0];
    for (size_t j = 1; j <= k; j++) {
        double r = fabs(w->A[j * n + j]) / scale;
        if (r > tol * w->norms[j])
            continue;
        return dlfs__rank_deficient(fn, j, k);
    }
    return DLFS_OK;
}

/* The solution is in the first k+1 rows of each column of Bm. */
static void read_back(const ols_work *w, dlfs_linreg *model)
{
    const size_t n = w->n, k = w->k;
    for (size_t j = 0; j < w->m; j++) {
        for (size_t i = 0; i < k; i++)
            model->W.data[i * model->W.ld + j] = w->Bm[j * n + i];
        model->B.data[j] = w->Bm[j * n + k];
    }
}

dlfs_status dlfs_ols_fit(dlfs_linreg *model, const dlfs_matrix *X, const dlfs_matrix *y)
{
    static const char fn[] = "dlfs_ols_fit";
    dlfs_status st;
    if ((st = ols_check(model, X, y, fn)))
        return st;
    ols_work w = {.n = X->rows, .k = X->cols, .m = y->cols};
    if (!(st = ols_alloc(&w, fn))) {
        build_design(&w, X, y);
        if (!(st = run_dgels(&w, fn)) && !(st = check_rank(&w, fn)))
            read_back(&w, model);
    }
    ols_free(&w);
    return st;
}
