/* src/dist/ols.c - least squares over the ranks as TSQR (dlfs_dist_train of
 * a DLFS_MODEL_OLS model).
 *
 * A QR factorisation of [X 1 y] gives, in its R factor, everything least
 * squares needs: with R = [R11 r; 0 rho] (R11 over the k+1 columns of [X 1]),
 * the solution solves R11 [W; B] = r. R of a tall matrix is R of its row
 * blocks' R factors stacked, so each rank factors its own rows (LAPACK
 * dgeqrf), the small c x c factors (c = k + 1 + m) are gathered to every
 * rank, stacked and factored again, and every rank solves the same
 * triangular system. X^T X is never formed: its condition number is the
 * square of X's.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dist.h>
#include "block.h"
#include "internal.h"
#include "ols_impl.h"
#include "dist/dist_impl.h"

/* The Fortran routine as OpenBLAS exports it (32-bit integers, every argument
 * by reference). */
extern void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau,
                    double *work, const int *lwork, int *info);

/* The scratch of one fit, column-major as LAPACK wants it. */
struct tsqr {
    size_t k, m, c;    /* features, outputs, columns of [X 1 y] */
    size_t rows;       /* rows of A: this rank's, at least c (zero rows pad it) */
    int nproc;
    double *A;         /* rows x c: [X 1 y], then its QR factorisation */
    double *all;       /* nproc x c x c: every rank's R */
    double *S;         /* (nproc c) x c: the R factors stacked, then their QR */
    double *tau;       /* c */
    double *work;
    int lwork;
};

static void tsqr_free(struct tsqr *t)
{
    free(t->work);
    free(t->tau);
    free(t->S);
    free(t->all);
    free(t->A);
}

/* This rank's arguments: its rows (possibly none) of the model's shape. */
static dlfs_status local_check(const dlfs_linreg *model, const dlfs_matrix *X,
                               const dlfs_matrix *y, const char *fn)
{
    dlfs_status st;
    if (!X || !y)
        return dlfs__fail(DLFS_ENULL, "%s: %s is NULL", fn, X ? "y_local" : "X_local");
    if (X->cols != model->k || y->cols != model->m || y->rows != X->rows)
        return dlfs__fail(DLFS_ESHAPE, "%s: X_local is %zu x %zu and y_local %zu x %zu; the "
                          "model needs n x %zu and n x %zu", fn, X->rows, X->cols, y->rows,
                          y->cols, model->k, model->m);
    if (X->rows > INT_MAX)
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %zu rows exceed LAPACK's int", fn, X->rows);
    if (X->rows == 0)
        return DLFS_OK;
    if ((st = dlfs_matrix_check(X, "dlfs_dist_train: X_local")) ||
        (st = dlfs_matrix_check(y, "dlfs_dist_train: y_local")) ||
        (st = dlfs_matrix_check_finite(X, "dlfs_dist_train: X_local")) ||
        (st = dlfs_matrix_check_finite(y, "dlfs_dist_train: y_local")))
        return st;
    return DLFS_OK;
}

/* dgeqrf's workspace for the larger of the two factorisations. */
static dlfs_status tsqr_alloc(struct tsqr *t, const char *fn)
{
    const size_t c = t->c, sc = (size_t)t->nproc * c;
    size_t na, ns;
    dlfs_status st;
    if (!dlfs__mul(t->rows, c, &na) || !dlfs__mul(sc, c, &ns) || sc > INT_MAX)
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %zu columns on %d ranks overflow", fn, c, t->nproc);
    if ((st = dlfs__alloc_doubles(na, &t->A, fn)) || (st = dlfs__alloc_doubles(ns, &t->all, fn)) ||
        (st = dlfs__alloc_doubles(ns, &t->S, fn)) || (st = dlfs__alloc_doubles(c, &t->tau, fn)))
        return st;
    const int ic = (int)c, r1 = (int)t->rows, r2 = (int)sc, query = -1;
    double q1 = 0.0, q2 = 0.0;
    int info1 = 0, info2 = 0;
    dgeqrf_(&r1, &ic, t->A, &r1, t->tau, &q1, &query, &info1);
    dgeqrf_(&r2, &ic, t->S, &r2, t->tau, &q2, &query, &info2);
    if (info1 || info2)
        return dlfs__fail(DLFS_ELAPACK, "%s: dgeqrf workspace query failed (info %d)", fn,
                          info1 ? info1 : info2);
    const double q = q1 > q2 ? q1 : q2;
    t->lwork = q >= 1.0 && q < (double)INT_MAX ? (int)q : 64 * ic;
    return dlfs__alloc_doubles((size_t)t->lwork, &t->work, fn);
}

/* A = [X 1 y], column-major, its rows past this rank's zero. */
static void build(struct tsqr *t, const dlfs_matrix *X, const dlfs_matrix *y)
{
    const size_t n = X->rows, rows = t->rows, k = t->k;
    memset(t->A, 0, rows * t->c * sizeof(double));
    for (size_t j = 0; j < k; j++)
        for (size_t i = 0; i < n; i++)
            t->A[j * rows + i] = X->data[i * X->ld + j];
    for (size_t i = 0; i < n; i++)
        t->A[k * rows + i] = 1.0;
    for (size_t j = 0; j < t->m; j++)
        for (size_t i = 0; i < n; i++)
            t->A[(k + 1 + j) * rows + i] = y->data[i * y->ld + j];
}

static dlfs_status factor(struct tsqr *t, double *a, size_t rows, const char *fn)
{
    const int r = (int)rows, c = (int)t->c;
    int info = 0;
    dgeqrf_(&r, &c, a, &r, t->tau, t->work, &t->lwork, &info);
    if (info)
        return dlfs__fail(DLFS_ELAPACK, "%s: dgeqrf rejected argument %d", fn, -info);
    return DLFS_OK;
}

/* The local QR, every rank's R gathered and stacked (S), and its QR: S's
 * upper c x c triangle is R of all the rows. */
static dlfs_status combine(struct tsqr *t, MPI_Comm comm, const char *fn)
{
    const size_t c = t->c, sr = (size_t)t->nproc * c;
    dlfs_status st = factor(t, t->A, t->rows, fn);
    /* This rank's R, below the diagonal zero, packed c x c into S for sending. */
    for (size_t j = 0; j < c; j++)
        for (size_t i = 0; i < c; i++)
            t->S[j * c + i] = i <= j ? t->A[j * t->rows + i] : 0.0;
    if ((st = dlfs__dist_agree(comm, st)))
        return st;
    MPI_Allgather(t->S, (int)(c * c), MPI_DOUBLE, t->all, (int)(c * c), MPI_DOUBLE, comm);
    for (int p = 0; p < t->nproc; p++)
        for (size_t j = 0; j < c; j++)
            for (size_t i = 0; i < c; i++)
                t->S[j * sr + (size_t)p * c + i] = t->all[(size_t)p * c * c + j * c + i];
    return factor(t, t->S, sr, fn);
}


/* The rank test of dlfs_ols_fit: |R(j,j)| / ||a_j|| is the sine of the angle
 * between column j of [X 1] and the span of the columns before it; a value at
 * rounding level is a zero. ||a_j|| is the norm of R's column j (Q is
 * orthogonal), so no rank needs the data again. Then back substitution. */
static dlfs_status solve(const struct tsqr *t, size_t n, dlfs_linreg *model, const char *fn)
{
    const size_t k = t->k, ld = (size_t)t->nproc * t->c;
    const double *R = t->S;
    const double tol = 10.0 * (double)n * DBL_EPSILON;
    for (size_t j = 0; j <= k; j++) {
        if (fabs(R[j * ld + j]) > tol * dlfs__norm2(R + j * ld, j + 1))
            continue;
        return dlfs__rank_deficient(fn, j, k);
    }
    for (size_t o = 0; o < t->m; o++) {
        const double *r = R + (k + 1 + o) * ld;
        for (size_t i = k + 1; i-- > 0;) {
            double s = r[i];
            for (size_t l = i + 1; l <= k; l++)
                s -= R[l * ld + i] * (l < k ? model->W.data[l * model->W.ld + o] : model->B.data[o]);
            s /= R[i * ld + i];
            if (i < k)
                model->W.data[i * model->W.ld + o] = s;
            else
                model->B.data[o] = s;
        }
    }
    return DLFS_OK;
}

dlfs_status dlfs__dist_ols_fit(MPI_Comm comm, dlfs_linreg *model, const dlfs_matrix *X_local,
                               const dlfs_matrix *y_local, const char *fn)
{
    dlfs_status st = dlfs__dist_agree(comm, local_check(model, X_local, y_local, fn));
    if (st)
        return st;
    size_t n, first;
    dlfs__dist_counts(comm, X_local->rows, &n, &first);
    if (n < model->k + 1)
        return dlfs__fail(DLFS_EINVAL, "%s: %zu rows cannot determine %zu unknowns (k + 1 per "
                          "output)", fn, n, model->k + 1);
    struct tsqr t = {.k = model->k, .m = model->m, .c = model->k + 1 + model->m};
    MPI_Comm_size(comm, &t.nproc);
    t.rows = X_local->rows > t.c ? X_local->rows : t.c;
    if (!(st = dlfs__dist_agree(comm, tsqr_alloc(&t, fn)))) {
        build(&t, X_local, y_local);
        if (!(st = combine(&t, comm, fn)))
            st = solve(&t, n, model, fn);
        /* Every rank computed the same numbers from the same R; rank 0's
         * status and parameters make that true on ranks whose LAPACK rounds
         * differently, too. */
        st = dlfs__dist_agree(comm, st);
        if (!st)
            MPI_Bcast(model->params, (int)model->n_params, MPI_DOUBLE, 0, comm);
    }
    tsqr_free(&t);
    return st;
}
