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
#include "internal.h"

/* The Fortran routine as OpenBLAS exports it (32-bit integers, every argument
 * by reference, the length of the CHARACTER argument appended by gfortran). */
extern void dgels_(const char *trans, const int *m, const int *n, const int *nrhs,
                   double *a, const int *lda, double *b, const int *ldb,
                   double *work, const int *lwork, int *info, size_t trans_len);

/* ||x|| of n doubles without overflow or underflow in the squares. */
static double norm2(const double *x, size_t n)
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

dlfs_status dlfs_ols_fit(dlfs_linreg *model, const dlfs_matrix *X, const dlfs_matrix *y)
{
    static const char fn[] = "dlfs_ols_fit";
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

    size_t na, nb;
    if (!dlfs__mul(n, k + 1, &na) || !dlfs__mul(n, m, &nb))
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %zu rows x %zu columns overflow", fn, n, k + 1);
    double *A, *Bm, *norms, *work = NULL;
    if ((st = dlfs__alloc_doubles(na, &A, fn)))
        return st;
    if ((st = dlfs__alloc_doubles(nb, &Bm, fn))) {
        free(A);
        return st;
    }
    if ((st = dlfs__alloc_doubles(k + 1, &norms, fn))) {
        free(A);
        free(Bm);
        return st;
    }

    /* A (column-major, n x (k+1)) = [X 1]; Bm (column-major, n x m) = y.
     * The column norms are kept for the rank test below. */
    for (size_t j = 0; j < k; j++) {
        double *col = A + j * n;
        for (size_t i = 0; i < n; i++)
            col[i] = X->data[i * X->ld + j];
        norms[j] = norm2(col, n);
    }
    for (size_t i = 0; i < n; i++)
        A[k * n + i] = 1.0;
    norms[k] = sqrt((double)n);
    for (size_t j = 0; j < m; j++)
        for (size_t i = 0; i < n; i++)
            Bm[j * n + i] = y->data[i * y->ld + j];

    const int rows = (int)n, cols = (int)(k + 1), nrhs = (int)m, lda = (int)n, ldb = (int)n;
    int info = 0, lwork = -1;
    double query = 0.0;
    dgels_("N", &rows, &cols, &nrhs, A, &lda, Bm, &ldb, &query, &lwork, &info, 1);
    if (info != 0) {
        st = dlfs__fail(DLFS_ELAPACK, "%s: dgels workspace query failed (info %d)", fn, info);
        goto done;
    }
    lwork = query >= 1.0 && query < (double)INT_MAX ? (int)query : cols + nrhs + 64 * cols;
    if ((st = dlfs__alloc_doubles((size_t)lwork, &work, fn)))
        goto done;
    dgels_("N", &rows, &cols, &nrhs, A, &lda, Bm, &ldb, work, &lwork, &info, 1);
    if (info < 0) {
        st = dlfs__fail(DLFS_ELAPACK, "%s: dgels rejected argument %d", fn, -info);
        goto done;
    }
    if (info > 0) {
        st = dlfs__fail(DLFS_ELAPACK, "%s: the design [X 1] is rank-deficient "
                        "(R(%d,%d) of its QR factorisation is zero)", fn, info, info);
        goto done;
    }
    /* dgels only stops at an exactly zero R(j,j); a column that is a linear
     * combination of the others usually leaves a rounding residue instead.
     * |R(j,j)| / ||a_j|| is the sine of the angle between column j and the
     * span of the columns before it: treat a residue at rounding level as
     * zero, whatever the column's scale. dgels may have scaled A as a whole
     * (values near overflow or underflow); |R(0,0)| / ||a_0||, which is 1
     * otherwise, undoes that. R(0,0) is not 0 here, so neither is ||a_0||. */
    const double tol = 10.0 * (double)n * DBL_EPSILON;
    const double scale = fabs(A[0]) / norms[0];
    for (size_t j = 1; j <= k; j++) {
        double r = fabs(A[j * n + j]) / scale;
        if (!(r > tol * norms[j])) {
            if (j < k)
                st = dlfs__fail(DLFS_ELAPACK, "%s: the design [X 1] is rank-deficient: feature "
                                "column %zu is (numerically) a combination of the columns before it",
                                fn, j);
            else
                st = dlfs__fail(DLFS_ELAPACK, "%s: the design [X 1] is rank-deficient: the "
                                "intercept column is (numerically) a combination of the features", fn);
            goto done;
        }
    }

    /* The solution is in the first k+1 rows of each column of Bm. */
    for (size_t j = 0; j < m; j++) {
        for (size_t i = 0; i < k; i++)
            model->W.data[i * model->W.ld + j] = Bm[j * n + i];
        model->B.data[j] = Bm[j * n + k];
    }
    st = DLFS_OK;
done:
    free(work);
    free(norms);
    free(Bm);
    free(A);
    return st;
}
