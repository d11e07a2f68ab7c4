/* tests/test_ols.c - least squares with dgels against known answers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dlfs.h>
#include "testutil.h"

#define BOSTON DLFS_SOURCE_ROOT "/data/boston_housing.csv"

#define AT(M, i, j) ((M).data[(i) * (M).ld + (j)])

/* X (n x k) uniform in [-1, 1). */
static void fill_uniform(dlfs_matrix *X, dlfs_rng *rng)
{
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++)
            AT(*X, i, j) = 2.0 * dlfs_rng_uniform(rng) - 1.0;
}

/* Puts a recognisable value in every parameter, to see a failed fit leave them. */
static void fill_sentinel(dlfs_linreg *model)
{
    for (size_t i = 0; i < model->n_params; i++)
        model->params[i] = 1234.5 + (double)i;
}

static int is_sentinel(const dlfs_linreg *model)
{
    for (size_t i = 0; i < model->n_params; i++)
        if (model->params[i] != 1234.5 + (double)i)
            return 0;
    return 1;
}

/* y = 2 x1 - 3 x2 + 0.5 x3 + 7, no noise: the exact coefficients come back.
 * X lives in a wider array (ld 5) to exercise the leading dimension. */
/* y = 2 x1 - 3 x2 + 0.5 x3 + 7, exactly, and what a fit of it must give
 * (the weights of features scaled by c come out divided by c). */
static void exact_target(const dlfs_matrix *X, dlfs_matrix *y)
{
    for (size_t i = 0; i < X->rows; i++)
        AT(*y, i, 0) = 2 * AT(*X, i, 0) - 3 * AT(*X, i, 1) + 0.5 * AT(*X, i, 2) + 7;
}

#define ASSERT_EXACT_FIT(model, c, tol)                     \
    do {                                                    \
        assert_close(AT((model).W, 0, 0) * (c), 2.0, tol);  \
        assert_close(AT((model).W, 1, 0) * (c), -3.0, tol); \
        assert_close(AT((model).W, 2, 0) * (c), 0.5, tol);  \
        assert_close((model).B.data[0], 7.0, tol);          \
    } while (0)

static void test_exact_recovery(void **state)
{
    (void)state;
    enum { N = 40, K = 3, LD = 5 };
    double *xv = malloc(sizeof(double) * N * LD);
    assert_non_null(xv);
    dlfs_matrix X = dlfs_matrix_view(xv, N, K, LD), y;
    assert_int_equal(dlfs_matrix_alloc(&y, N, 1), DLFS_OK);
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 7);
    fill_uniform(&X, &rng);
    exact_target(&X, &y);

    dlfs_linreg model;
    assert_int_equal(dlfs_linreg_alloc(&model, K, 1), DLFS_OK);
    assert_int_equal(dlfs_ols_fit(&model, &X, &y), DLFS_OK);
    ASSERT_EXACT_FIT(model, 1.0, 1e-10);

    /* Exactly determined: n = k + 1 rows. */
    dlfs_matrix X4 = dlfs_matrix_view(xv, K + 1, K, LD), y4 = dlfs_matrix_view(y.data, K + 1, 1, 1);
    fill_sentinel(&model);
    assert_int_equal(dlfs_ols_fit(&model, &X4, &y4), DLFS_OK);
    ASSERT_EXACT_FIT(model, 1.0, 1e-9);

    dlfs_linreg_free(&model);
    dlfs_matrix_free(&y);
    free(xv);
}

/* 1 if long double arithmetic has more range than double. OpenBLAS's x86
 * nrm2 kernels, which dgels's Householder steps call, square values near
 * 1e+-300 in x87 extended precision; valgrind emulates x87 in double
 * precision, and under it dgels itself gets such data wrong. */
static int extended_range(void)
{
    volatile long double big = 1e300L, tiny = 1e-300L;
    volatile long double big2 = big * big, tiny2 = tiny * tiny;
    return big2 / big == big && tiny2 / tiny == tiny;
}

/* Features near the ends of the double range. At 1e306 dgels scales the
 * whole design down before factoring it (by about 1e-14), which the rank test
 * must undo or it would call every column dependent; at 1e-300 the features
 * are tiny beside the intercept column. Both fit, and a duplicate still fails. */
static void test_extreme_scales(void **state)
{
    (void)state;
    if (!extended_range())
        skip();
    enum { N = 25, K = 3 };
    static const double scales[] = {1e306, 1e-300};
    dlfs_matrix U, X, y;
    assert_int_equal(dlfs_matrix_alloc(&U, N, K), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&X, N, K), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&y, N, 1), DLFS_OK);
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 3);
    fill_uniform(&U, &rng);
    exact_target(&U, &y);
    dlfs_linreg model;
    assert_int_equal(dlfs_linreg_alloc(&model, K, 1), DLFS_OK);
    for (size_t s = 0; s < 2; s++) {
        const double c = scales[s];
        for (size_t i = 0; i < N * K; i++)
            X.data[i] = U.data[i] * c;
        assert_int_equal(dlfs_ols_fit(&model, &X, &y), DLFS_OK);
        ASSERT_EXACT_FIT(model, c, 1e-9);
        /* The same scale with a duplicated column is still rank-deficient. */
        for (size_t i = 0; i < N; i++)
            AT(X, i, 2) = AT(X, i, 0);
        assert_int_equal(dlfs_ols_fit(&model, &X, &y), DLFS_ELAPACK);
    }
    dlfs_linreg_free(&model);
    dlfs_matrix_free(&U);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

/* Solves the (k+1) x (k+1) system A b = r in place, Gaussian elimination
 * with partial pivoting. */
static void solve(size_t n, double *A, double *r)
{
    for (size_t c = 0; c < n; c++) {
        size_t p = c;
        for (size_t i = c + 1; i < n; i++)
            if (fabs(A[i * n + c]) > fabs(A[p * n + c]))
                p = i;
        for (size_t j = 0; j < n; j++) {
            double t = A[c * n + j];
            A[c * n + j] = A[p * n + j];
            A[p * n + j] = t;
        }
        double t = r[c];
        r[c] = r[p];
        r[p] = t;
        for (size_t i = c + 1; i < n; i++) {
            double f = A[i * n + c] / A[c * n + c];
            for (size_t j = c; j < n; j++)
                A[i * n + j] -= f * A[c * n + j];
            r[i] -= f * r[c];
        }
    }
    for (size_t c = n; c-- > 0;) {
        for (size_t j = c + 1; j < n; j++)
            r[c] -= A[c * n + j] * r[j];
        r[c] /= A[c * n + c];
    }
}

/* The least-squares coefficients of output column `col` from the normal
 * equations [X 1]^T [X 1] b = [X 1]^T y; b has k + 1 entries (W, then B). */
static void normal_equations(const dlfs_matrix *X, const dlfs_matrix *y, size_t col, double *b)
{
    size_t n = X->rows, k = X->cols, p = k + 1;
    double *G = calloc(p * p, sizeof *G);
    assert_non_null(G);
    for (size_t j = 0; j < p; j++)
        b[j] = 0.0;
    for (size_t i = 0; i < n; i++) {
        for (size_t a = 0; a < p; a++) {
            double xa = a < k ? AT(*X, i, a) : 1.0;
            for (size_t c = 0; c < p; c++)
                G[a * p + c] += xa * (c < k ? AT(*X, i, c) : 1.0);
            b[a] += xa * AT(*y, i, col);
        }
    }
    solve(p, G, b);
    free(G);
}

/* Noisy data: dgels agrees with the normal equations, and two outputs are
 * fitted independently, each as if alone. */
static void test_noisy_two_outputs(void **state)
{
    (void)state;
    enum { N = 300, K = 4, M = 2 };
    dlfs_matrix X, y, y0;
    assert_int_equal(dlfs_matrix_alloc(&X, N, K), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&y, N, M), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&y0, N, 1), DLFS_OK);
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 2019);
    fill_uniform(&X, &rng);
    for (size_t i = 0; i < N; i++) {
        AT(y, i, 0) = 1.5 * AT(X, i, 0) - 2 * AT(X, i, 3) + 4 + 0.3 * dlfs_rng_normal(&rng);
        AT(y, i, 1) = -AT(X, i, 1) + 0.25 * AT(X, i, 2) - 1 + 0.5 * dlfs_rng_normal(&rng);
        AT(y0, i, 0) = AT(y, i, 0);
    }
    dlfs_linreg model, single;
    assert_int_equal(dlfs_linreg_alloc(&model, K, M), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&single, K, 1), DLFS_OK);
    assert_int_equal(dlfs_ols_fit(&model, &X, &y), DLFS_OK);
    assert_int_equal(dlfs_ols_fit(&single, &X, &y0), DLFS_OK);

    double b[K + 1];
    for (size_t c = 0; c < M; c++) {
        normal_equations(&X, &y, c, b);
        for (size_t j = 0; j < K; j++)
            assert_close(AT(model.W, j, c), b[j], 1e-10);
        assert_close(model.B.data[c], b[K], 1e-10);
    }
    for (size_t j = 0; j < K; j++)
        assert_close(AT(single.W, j, 0), AT(model.W, j, 0), 1e-12);
    assert_close(single.B.data[0], model.B.data[0], 1e-12);
    /* Near the true coefficients, though not equal (noise). */
    assert_close(AT(model.W, 0, 0), 1.5, 0.1);
    assert_close(AT(model.W, 1, 1), -1.0, 0.2);
    assert_true(AT(model.W, 0, 0) != 1.5);

    dlfs_linreg_free(&model);
    dlfs_linreg_free(&single);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
    dlfs_matrix_free(&y0);
}

/* Designs whose columns are dependent: a duplicate column, a combination of
 * two others, a constant (a multiple of the intercept column), a zero column. */
static void test_rank_deficient(void **state)
{
    (void)state;
    enum { N = 30, K = 3 };
    dlfs_matrix X, y;
    assert_int_equal(dlfs_matrix_alloc(&X, N, K), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&y, N, 1), DLFS_OK);
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 11);
    dlfs_linreg model;
    assert_int_equal(dlfs_linreg_alloc(&model, K, 1), DLFS_OK);
    for (int kind = 0; kind < 4; kind++) {
        fill_uniform(&X, &rng);
        for (size_t i = 0; i < N; i++) {
            double *r = X.data + i * X.ld;
            switch (kind) {
            case 0: r[2] = r[0]; break;
            case 1: r[2] = 0.3 * r[0] - 1.7 * r[1]; break;
            case 2: r[1] = 3.0; break;
            default: r[1] = 0.0; break;
            }
            AT(y, i, 0) = r[0] + 2 * r[1] - r[2] + dlfs_rng_normal(&rng);
        }
        fill_sentinel(&model);
        dlfs_status st = dlfs_ols_fit(&model, &X, &y);
        if (st != DLFS_ELAPACK)
            fail_msg("kind %d: status %d, detail \"%s\"", kind, (int)st, dlfs_error_detail());
        assert_non_null(strstr(dlfs_error_detail(), "rank-deficient"));
        assert_true(is_sentinel(&model));
    }
    dlfs_linreg_free(&model);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    double xv[12] = {2, 0, 1, 0, 3, 1, 1, 1, 4, 5, 2, 0};  /* [X 1] is nonsingular */
    double yv[4] = {1, 2, 3, 5};
    dlfs_matrix X = dlfs_matrix_view(xv, 4, 3, 3), y = dlfs_matrix_view(yv, 4, 1, 1);
    dlfs_linreg model;
    assert_int_equal(dlfs_linreg_alloc(&model, 3, 1), DLFS_OK);
    fill_sentinel(&model);

    /* Too few rows: 3 rows, 4 unknowns. */
    dlfs_matrix X3 = dlfs_matrix_view(xv, 3, 3, 3), y3 = dlfs_matrix_view(yv, 3, 1, 1);
    assert_int_equal(dlfs_ols_fit(&model, &X3, &y3), DLFS_EINVAL);
    /* Row counts differ. */
    assert_int_equal(dlfs_ols_fit(&model, &X, &y3), DLFS_ESHAPE);
    /* X has 2 columns, the model 3 inputs. */
    dlfs_matrix X2 = dlfs_matrix_view(xv, 4, 2, 3);
    assert_int_equal(dlfs_ols_fit(&model, &X2, &y), DLFS_ESHAPE);
    /* y has 2 columns, the model 1 output. */
    double y2v[8] = {0};
    dlfs_matrix y2 = dlfs_matrix_view(y2v, 4, 2, 2);
    assert_int_equal(dlfs_ols_fit(&model, &X, &y2), DLFS_ESHAPE);
    /* Empty. */
    dlfs_matrix X0 = dlfs_matrix_view(xv, 0, 3, 3), y0 = dlfs_matrix_view(yv, 0, 1, 1);
    assert_int_equal(dlfs_ols_fit(&model, &X0, &y0), DLFS_EEMPTY);
    /* Not finite. */
    xv[4] = NAN;
    assert_int_equal(dlfs_ols_fit(&model, &X, &y), DLFS_ENONFINITE);
    assert_non_null(strstr(dlfs_error_detail(), "X"));
    xv[4] = 3;
    yv[3] = INFINITY;
    assert_int_equal(dlfs_ols_fit(&model, &X, &y), DLFS_ENONFINITE);
    yv[3] = 5;
    assert_true(is_sentinel(&model));

    /* NULL. */
    assert_int_equal(dlfs_ols_fit(NULL, &X, &y), DLFS_ENULL);
    assert_int_equal(dlfs_ols_fit(&model, NULL, &y), DLFS_ENULL);
    assert_int_equal(dlfs_ols_fit(&model, &X, NULL), DLFS_ENULL);
    dlfs_matrix nodata = dlfs_matrix_view(NULL, 4, 3, 3);
    assert_int_equal(dlfs_ols_fit(&model, &nodata, &y), DLFS_ENULL);
    assert_true(is_sentinel(&model));
    dlfs_linreg_free(&model);
    assert_int_equal(dlfs_ols_fit(&model, &X, &y), DLFS_ENULL);  /* freed model */

    /* The same data is fine once the arguments are right. */
    assert_int_equal(dlfs_linreg_alloc(&model, 3, 1), DLFS_OK);
    assert_int_equal(dlfs_ols_fit(&model, &X, &y), DLFS_OK);
    dlfs_linreg_free(&model);
}

/* All 506 rows, raw features: the well-known full-data OLS fit of Boston
 * (training MSE 21.8948, RMSE 4.6792), the coefficients scikit-learn gives. */
static void test_boston(void **state)
{
    (void)state;
    static const double coef[13] = {
        -0.10801136, 0.04642046, 0.02055863, 2.68673382, -17.76661123, 3.80986521, 0.00069222,
        -1.47556685, 0.30604948, -0.01233459, -0.95274723, 0.00931168, -0.52475838};
    dlfs_dataset ds;
    dlfs_csv_error err;
    dlfs_status st = dlfs_csv_read(BOSTON, "medv", 0, &ds, &err);
    if (st)
        fail_msg("%s", err.message);
    dlfs_linreg model;
    assert_int_equal(dlfs_linreg_alloc(&model, 13, 1), DLFS_OK);
    assert_int_equal(dlfs_ols_fit(&model, &ds.X, &ds.y), DLFS_OK);

    double sse = 0.0;
    for (size_t i = 0; i < ds.X.rows; i++) {
        double p = model.B.data[0];
        for (size_t j = 0; j < 13; j++)
            p += AT(ds.X, i, j) * AT(model.W, j, 0);
        double e = p - AT(ds.y, i, 0);
        sse += e * e;
    }
    double rmse = sqrt(sse / (double)ds.X.rows);
    assert_close(rmse, 4.679, 1e-3);
    assert_close(rmse, 4.6791913, 1e-6);
    assert_close(model.B.data[0], 36.45948839, 1e-6);
    for (size_t j = 0; j < 13; j++)
        assert_close(AT(model.W, j, 0), coef[j], 1e-7);

    dlfs_linreg_free(&model);
    dlfs_dataset_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_recovery),
        cmocka_unit_test(test_extreme_scales),
        cmocka_unit_test(test_noisy_two_outputs),
        cmocka_unit_test(test_rank_deficient),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_boston),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
