/* tests/test_xsmm.c - the xsmm and auto backends: libxsmm's kernels against the
 * naive loop for every product the models' steps make, dlfs_gemm on them, the
 * chapter's training on Boston against blas, and what a build without
 * libxsmm says.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dlfs/dlfs.h>
#include "model_passes.h"
#include "testutil.h"
#include "xsmm.h"

static const dlfs_backend fast[2] = {DLFS_BACKEND_XSMM, DLFS_BACKEND_AUTO};

/* ---- which backends this build has --------------------------------------------- */

static void test_availability(void **state)
{
    (void)state;
    dlfs_backend b;
    assert_int_equal(dlfs_backend_parse("xsmm", &b), DLFS_OK);
    assert_int_equal(b, DLFS_BACKEND_XSMM);
    assert_int_equal(dlfs_backend_parse("auto", &b), DLFS_OK);
    assert_int_equal(b, DLFS_BACKEND_AUTO);
    assert_string_equal(dlfs_backend_name(DLFS_BACKEND_AUTO), "auto");
    assert_string_equal(dlfs_backend_name(DLFS_BACKEND_XSMM), "xsmm");
    assert_int_equal(dlfs_backend_parse("XSMM", &b), DLFS_EINVAL);
    assert_non_null(strstr(dlfs_error_detail(), "blas, naive, xsmm or auto"));
    assert_true(dlfs_backend_available(DLFS_BACKEND_BLAS));
    assert_true(dlfs_backend_available(DLFS_BACKEND_NAIVE));
    assert_true(dlfs_backend_available(DLFS_BACKEND_AUTO));
    assert_int_equal(dlfs_backend_available(DLFS_BACKEND_XSMM), dlfs_have_xsmm());
    assert_false(dlfs_backend_available((dlfs_backend)9));
    assert_false(dlfs_backend_available((dlfs_backend)-1));
    for (int b = 0; b < 4; b++)
        assert_int_equal(dlfs_backend_init((dlfs_backend)b),
                         dlfs_backend_available((dlfs_backend)b) ? DLFS_OK : DLFS_EINVAL);
    assert_int_equal(dlfs_backend_init(DLFS_BACKEND_AUTO), DLFS_OK);   /* again: nothing */
    assert_int_equal(dlfs_backend_init((dlfs_backend)9), DLFS_EINVAL);
    assert_non_null(strstr(dlfs_error_detail(), "unknown backend 9"));
    print_message("this build %s libxsmm\n", dlfs_have_xsmm() ? "has" : "does not have");
}

/* Built without libxsmm: xsmm refused wherever a backend is used, saying why,
 * with nothing changed; auto is blas. Built with it: the chapter's step has
 * its kernels, and only the transposed product with several outputs has none. */
static void test_without_or_with_libxsmm(void **state)
{
    (void)state;
    dlfs_model model;
    assert_int_equal(dlfs_model_alloc(&model, DLFS_MODEL_NN, 13, 13, 1), DLFS_OK);
    if (!dlfs_have_xsmm()) {
        assert_int_equal(dlfs_model_set_backend(&model, DLFS_BACKEND_XSMM), DLFS_EINVAL);
        assert_non_null(strstr(dlfs_error_detail(), "built without libxsmm"));
        assert_int_equal(dlfs_model_get_backend(&model), DLFS_BACKEND_BLAS);
        assert_int_equal(dlfs_backend_init(DLFS_BACKEND_XSMM), DLFS_EINVAL);
        assert_non_null(strstr(dlfs_error_detail(), "built without libxsmm"));

        double a[4] = {1, 2, 3, 4}, c[4] = {9, 9, 9, 9};
        dlfs_matrix A = dlfs_matrix_view(a, 2, 2, 2), C = dlfs_matrix_view(c, 2, 2, 2);
        assert_int_equal(dlfs_gemm(DLFS_BACKEND_XSMM, DLFS_NO_TRANS, DLFS_NO_TRANS, 1, &A, &A,
                                   0, &C), DLFS_EINVAL);
        assert_non_null(strstr(dlfs_error_detail(), "built without libxsmm"));
        for (int i = 0; i < 4; i++)
            assert_true(c[i] == 9);

        /* a model whose backend field says xsmm (set directly) does not train */
        dlfs_matrix X, y;
        tu_make_data(40, 13, 1, 3, &X, &y);
        dlfs_train_options o;
        dlfs_train_options_default(&o);
        o.iterations = 5;
        model.nn.backend = DLFS_BACKEND_XSMM;
        assert_int_equal(dlfs_model_train(&model, &X, &y, &o, NULL), DLFS_EINVAL);
        assert_non_null(strstr(dlfs_error_detail(), "built without libxsmm"));
        dlfs_matrix_free(&X);
        dlfs_matrix_free(&y);
    } else {
        dlfs_nn_forward_info info;
        dlfs_nn grad;
        assert_int_equal(dlfs_nn_forward_info_alloc(&info, 23, 13, 1), DLFS_OK);
        assert_int_equal(dlfs_nn_alloc(&grad, 13, 13, 1), DLFS_OK);
        model.nn.backend = DLFS_BACKEND_XSMM;
        dlfs__step_mm s;
        dlfs__step_mm_nn(&s, &model.nn, &info, &grad, 13, 23);
        assert_non_null(s.fwd1.fn);
        assert_non_null(s.fwd2.fn);
        assert_non_null(s.grad2.fn);
        assert_non_null(s.back.fn);   /* W2^T of one column read as a row */
        assert_non_null(s.grad1.fn);
        model.nn.backend = DLFS_BACKEND_BLAS;
        dlfs__step_mm_nn(&s, &model.nn, &info, &grad, 13, 23);
        assert_null(s.fwd1.fn);
        assert_null(s.grad1.fn);
        dlfs_nn_free(&grad);
        dlfs_nn_forward_info_free(&info);

        dlfs_nn three;
        assert_int_equal(dlfs_nn_alloc(&three, 5, 4, 3), DLFS_OK);
        assert_int_equal(dlfs_nn_forward_info_alloc(&info, 7, 4, 3), DLFS_OK);
        assert_int_equal(dlfs_nn_alloc(&grad, 5, 4, 3), DLFS_OK);
        three.backend = DLFS_BACKEND_XSMM;
        dlfs__step_mm_nn(&s, &three, &info, &grad, 5, 7);
        assert_non_null(s.fwd2.fn);
        assert_null(s.back.fn);       /* dL/dP . W2^T with m = 3: cblas_dgemm */
        dlfs_nn_free(&three);
        dlfs_nn_free(&grad);
        dlfs_nn_forward_info_free(&info);
    }
    /* auto with or without libxsmm: never refused */
    assert_int_equal(dlfs_model_set_backend(&model, DLFS_BACKEND_AUTO), DLFS_OK);
    dlfs_model_free(&model);
}

/* ---- the steps' products against the naive loop ---------------------------------- */

typedef struct step_case {
    size_t rows, k, h, m;
    size_t pad;   /* X is a view: its leading dimension is k + pad */
    const char *what;
} step_case;

static const step_case step_cases[] = {
    {23, 13, 13, 1, 0, "the chapter's batch"},
    {9, 13, 13, 1, 0, "the chapter's short last batch"},
    {1, 13, 13, 1, 0, "a batch of one row"},
    {23, 13, 1, 1, 0, "h = 1"},
    {23, 5, 7, 3, 0, "m = 3"},
    {1, 4, 3, 2, 0, "one row, m = 2"},
    {23, 13, 13, 1, 6, "X a view, ld 19"},
    {17, 6, 4, 2, 3, "X a view, m = 2"},
    {1, 1, 1, 1, 0, "1 x 1 x 1"},
    {64, 64, 128, 1, 0, "the medium size"},
    {64, 64, 128, 4, 1, "medium, m = 4, X a view"},
};

/* A batch of `rows` rows as a view into a block of ld = k + pad columns,
 * padding NaN (a kernel reading past the width would show). */
static double *make_batch(const step_case *c, dlfs_rng *rng, dlfs_matrix *X, dlfs_matrix *y)
{
    const size_t ld = c->k + c->pad;
    double *block = malloc(c->rows * ld * sizeof *block);
    assert_non_null(block);
    for (size_t i = 0; i < c->rows * ld; i++)
        block[i] = (i % ld) < c->k ? dlfs_rng_normal(rng) : NAN;
    *X = dlfs_matrix_view(block, c->rows, c->k, ld);
    assert_int_equal(dlfs_matrix_alloc(y, c->rows, c->m), DLFS_OK);
    tu_fill_normal(y, rng, 2.0);
    return block;
}

static void expect_close(const dlfs_matrix *a, const dlfs_matrix *b, const char *name,
                         const step_case *c, dlfs_backend be, double *worst)
{
    const double e = tu_rel_err(a, b);
    if (!(e <= 1e-12))
        print_error("%s, %s on %s: %s off by %.3g\n", c->what, dlfs_backend_name(be),
                    "the naive loop", name, e);
    assert_true(e <= 1e-12);
    if (e > *worst)
        *worst = e;
}

static void check_nn_step(const step_case *c, dlfs_backend be, dlfs_rng *rng, double *worst)
{
    dlfs_nn model, ref, grad, ref_grad;
    dlfs_nn_forward_info info, ref_info;
    dlfs_matrix X, y;
    double *block = make_batch(c, rng, &X, &y);
    assert_int_equal(dlfs_nn_alloc(&model, c->k, c->h, c->m), DLFS_OK);
    assert_int_equal(dlfs_nn_init(&model, rng, DLFS_INIT_NORMAL), DLFS_OK);
    assert_int_equal(dlfs_nn_alloc(&ref, c->k, c->h, c->m), DLFS_OK);
    assert_int_equal(dlfs_nn_copy(&ref, &model), DLFS_OK);
    model.backend = be;
    ref.backend = DLFS_BACKEND_NAIVE;
    assert_int_equal(dlfs_nn_alloc(&grad, c->k, c->h, c->m), DLFS_OK);
    assert_int_equal(dlfs_nn_alloc(&ref_grad, c->k, c->h, c->m), DLFS_OK);
    /* room for more rows than the batch, as in training */
    assert_int_equal(dlfs_nn_forward_info_alloc(&info, c->rows + 5, c->h, c->m), DLFS_OK);
    assert_int_equal(dlfs_nn_forward_info_alloc(&ref_info, c->rows, c->h, c->m), DLFS_OK);

    dlfs__step_mm s;
    dlfs__step_mm_nn(&s, &model, &info, &grad, X.ld, c->rows);
    if (be == DLFS_BACKEND_XSMM)
        assert_true(s.fwd1.fn && s.fwd2.fn && s.grad2.fn && s.grad1.fn);
    dlfs__nn_forward(&model, &X, &y, &info, 0, &s);
    dlfs__nn_gradients(&model, &info, &grad, &s);
    dlfs__nn_forward(&ref, &X, &y, &ref_info, 0, NULL);
    dlfs__nn_gradients(&ref, &ref_info, &ref_grad, NULL);

    expect_close(&info.M1, &ref_info.M1, "M1 = X.W1", c, be, worst);
    expect_close(&info.O1, &ref_info.O1, "O1", c, be, worst);
    expect_close(&info.M2, &ref_info.M2, "M2 = O1.W2", c, be, worst);
    expect_close(&info.dL_dN1, &ref_info.dL_dN1, "dL/dN1 (from dL/dP.W2^T)", c, be, worst);
    expect_close(&grad.W2, &ref_grad.W2, "dL/dW2 = O1^T.dL/dP", c, be, worst);
    expect_close(&grad.W1, &ref_grad.W1, "dL/dW1 = X^T.dL/dN1", c, be, worst);
    expect_close(&grad.B1, &ref_grad.B1, "dL/dB1", c, be, worst);
    assert_true(fabs(info.loss - ref_info.loss) <= 1e-12 * fabs(ref_info.loss));

    dlfs_nn_free(&model);
    dlfs_nn_free(&ref);
    dlfs_nn_free(&grad);
    dlfs_nn_free(&ref_grad);
    dlfs_nn_forward_info_free(&info);
    dlfs_nn_forward_info_free(&ref_info);
    dlfs_matrix_free(&y);
    free(block);
}

static void check_linreg_step(const step_case *c, dlfs_backend be, dlfs_rng *rng,
                              double *worst)
{
    dlfs_linreg model, ref, grad, ref_grad;
    dlfs_linreg_forward_info info, ref_info;
    dlfs_matrix X, y;
    double *block = make_batch(c, rng, &X, &y);
    assert_int_equal(dlfs_linreg_alloc(&model, c->k, c->m), DLFS_OK);
    assert_int_equal(dlfs_linreg_init(&model, rng, DLFS_INIT_NORMAL), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&ref, c->k, c->m), DLFS_OK);
    assert_int_equal(dlfs_linreg_copy(&ref, &model), DLFS_OK);
    model.backend = be;
    ref.backend = DLFS_BACKEND_NAIVE;
    assert_int_equal(dlfs_linreg_alloc(&grad, c->k, c->m), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&ref_grad, c->k, c->m), DLFS_OK);
    assert_int_equal(dlfs_linreg_forward_info_alloc(&info, c->rows + 5, c->m), DLFS_OK);
    assert_int_equal(dlfs_linreg_forward_info_alloc(&ref_info, c->rows, c->m), DLFS_OK);

    dlfs__step_mm s;
    dlfs__step_mm_linreg(&s, &model, &info, &grad, X.ld, c->rows);
    if (be == DLFS_BACKEND_XSMM)
        assert_true(s.fwd1.fn && s.grad1.fn);
    dlfs__linreg_forward(&model, &X, &y, &info, 0, &s);
    dlfs__linreg_gradients(&model, &info, &grad, &s);
    dlfs__linreg_forward(&ref, &X, &y, &ref_info, 0, NULL);
    dlfs__linreg_gradients(&ref, &ref_info, &ref_grad, NULL);

    expect_close(&info.N, &ref_info.N, "N = X.W", c, be, worst);
    expect_close(&grad.W, &ref_grad.W, "dL/dW = X^T.dL/dP", c, be, worst);
    expect_close(&grad.B, &ref_grad.B, "dL/dB", c, be, worst);

    dlfs_linreg_free(&model);
    dlfs_linreg_free(&ref);
    dlfs_linreg_free(&grad);
    dlfs_linreg_free(&ref_grad);
    dlfs_linreg_forward_info_free(&info);
    dlfs_linreg_forward_info_free(&ref_info);
    dlfs_matrix_free(&y);
    free(block);
}

static void test_step_products(void **state)
{
    (void)state;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 2026);
    double worst = 0.0;
    for (size_t b = 0; b < 2; b++) {
        if (!dlfs_backend_available(fast[b]))
            continue;
        for (size_t i = 0; i < TU_LEN(step_cases); i++) {
            check_nn_step(&step_cases[i], fast[b], &rng, &worst);
            check_linreg_step(&step_cases[i], fast[b], &rng, &worst);
        }
    }
    print_message("%zu step shapes, xsmm and auto against the naive loop: worst relative "
                  "difference %.3g\n", TU_LEN(step_cases), worst);
}

/* ---- dlfs_gemm on xsmm and auto ------------------------------------------------- */

/* An r x c matrix stored with ld = c + pad, its padding set to `fill`. */
static double *make_view(size_t r, size_t c, size_t pad, double fill, dlfs_rng *rng,
                         dlfs_matrix *m)
{
    double *d = malloc(r * (c + pad) * sizeof *d);
    assert_non_null(d);
    for (size_t i = 0; i < r * (c + pad); i++)
        d[i] = (i % (c + pad)) < c ? 2.0 * dlfs_rng_uniform(rng) - 1.0 : fill;
    *m = dlfs_matrix_view(d, r, c, c + pad);
    return d;
}

static void test_gemm(void **state)
{
    (void)state;
    static const size_t dims[][3] = {  /* r, c, n */
        {23, 13, 13}, {23, 1, 13}, {13, 1, 23}, {23, 13, 1}, {13, 13, 23}, {1, 1, 1},
        {1, 13, 13}, {9, 13, 13}, {7, 3, 5}, {64, 128, 64}, {33, 17, 1},
    };
    static const double ab[][2] = {{1, 0}, {1, 1}, {-0.5, 0.25}, {2, 0}};
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 77);
    double worst = 0.0;
    size_t n_cases = 0;
    for (size_t b = 0; b < 2; b++) {
        if (!dlfs_backend_available(fast[b]))
            continue;
        for (size_t d = 0; d < TU_LEN(dims); d++)
            for (int ta = 0; ta < 2; ta++)
                for (int tb = 0; tb < 2; tb++)
                    for (size_t s = 0; s < TU_LEN(ab); s++)
                        for (size_t pad = 0; pad < 2; pad++) {
            const size_t r = dims[d][0], c = dims[d][1], n = dims[d][2];
            dlfs_matrix A, B, C, R;
            double *a = make_view(ta ? n : r, ta ? r : n, 3 * pad, NAN, &rng, &A);
            double *bb = make_view(tb ? c : n, tb ? n : c, 2 * pad, NAN, &rng, &B);
            /* beta 0: C holds NaN, which must not come through; its padding is
             * a sentinel that must stay. */
            double *cc = make_view(r, c, 4 * pad, 7.0, &rng, &C);
            double *rr = make_view(r, c, 0, 0.0, &rng, &R);
            const double alpha = ab[s][0], beta = ab[s][1];
            for (size_t i = 0; i < r; i++)
                for (size_t j = 0; j < c; j++) {
                    if (beta == 0)
                        C.data[i * C.ld + j] = NAN;
                    R.data[i * R.ld + j] = C.data[i * C.ld + j];
                }
            assert_int_equal(dlfs_gemm(DLFS_BACKEND_NAIVE, (dlfs_transpose)ta,
                                       (dlfs_transpose)tb, alpha, &A, &B, beta, &R), DLFS_OK);
            assert_int_equal(dlfs_gemm(fast[b], (dlfs_transpose)ta, (dlfs_transpose)tb, alpha,
                                       &A, &B, beta, &C), DLFS_OK);
            const double e = tu_rel_err(&C, &R);
            if (!(e <= 1e-12))
                print_error("%s %c%c %zux%zux%zu alpha %g beta %g pad %zu: off by %.3g\n",
                            dlfs_backend_name(fast[b]), ta ? 'T' : 'N', tb ? 'T' : 'N', r, c,
                            n, alpha, beta, pad, e);
            assert_true(e <= 1e-12);
            worst = fmax(worst, e);
            for (size_t i = 0; i < r; i++)
                for (size_t j = c; j < C.ld; j++)
                    assert_true(C.data[i * C.ld + j] == 7.0);
            n_cases++;
            free(a);
            free(bb);
            free(cc);
            free(rr);
        }
    }
    print_message("dlfs_gemm, %zu products on xsmm and auto against the naive loop: worst "
                  "relative difference %.3g\n", n_cases, worst);
}

/* ---- training on Boston ----------------------------------------------------------- */

static int setup(void **state)
{
    tu_boston *b = malloc(sizeof *b);
    *state = b;
    return b ? tu_boston_load(b, DLFS_SOURCE_ROOT "/data/boston_housing.csv") : -1;
}

static int teardown(void **state)
{
    tu_boston *b = *state;
    if (b)
        tu_boston_free(b);
    free(b);
    return 0;
}

/* The chapter's run (354 rows in batches of 23: each pass ends with a batch
 * of 9) on a backend, its kernels made ahead (dlfs_model_prepare) or by
 * training itself; the parameters into params. */
static void train_chapter(const tu_boston *b, dlfs_model_kind kind, dlfs_backend be,
                          int prepare, double *params, size_t *n_params)
{
    dlfs_model model;
    assert_int_equal(dlfs_model_alloc(&model, kind, 13, kind == DLFS_MODEL_NN ? 13 : 0, 1),
                     DLFS_OK);
    assert_int_equal(dlfs_model_set_backend(&model, be), DLFS_OK);
    dlfs_train_options o;
    assert_int_equal(dlfs_model_train_options_default(&model, &o), DLFS_OK);
    if (prepare) {
        assert_int_equal(dlfs_backend_init(be), DLFS_OK);
        assert_int_equal(dlfs_model_prepare(&model, b->X_train.rows, &o), DLFS_OK);
    }
    dlfs_train_result r;
    assert_int_equal(dlfs_model_train(&model, &b->X_train, &b->y_train, &o, &r), DLFS_OK);
    const double *p = dlfs_model_params(&model, n_params);
    memcpy(params, p, *n_params * sizeof *params);
    dlfs_model_free(&model);
}

static void test_boston_training(void **state)
{
    const tu_boston *b = *state;
    for (int m = 0; m < 2; m++) {
        const dlfs_model_kind kind = m ? DLFS_MODEL_NN : DLFS_MODEL_LINREG;
        double ref[256], got[256], again[256];
        size_t n_ref, n_got, n_again;
        train_chapter(b, kind, DLFS_BACKEND_BLAS, 0, ref, &n_ref);
        for (size_t i = 0; i < 2; i++) {
            if (!dlfs_backend_available(fast[i]))
                continue;
            train_chapter(b, kind, fast[i], 0, got, &n_got);
            train_chapter(b, kind, fast[i], 1, again, &n_again);
            assert_int_equal(n_got, n_ref);
            const double e = tu_rel_err_n(got, ref, n_ref);
            print_message("%s on Boston, %s against blas: %.3g relative\n",
                          dlfs_model_kind_name(kind), dlfs_backend_name(fast[i]), e);
            assert_true(e <= 1e-9);
            if (!dlfs_have_xsmm())   /* auto is then blas, to the bit */
                assert_memory_equal(got, ref, n_ref * sizeof *ref);
            /* reruns are the same bits, the kernels made ahead or not */
            assert_memory_equal(got, again, n_got * sizeof *got);
        }
    }
}

/* dlfs_model_prepare refuses what training would, and changes nothing. */
static void test_prepare(void **state)
{
    (void)state;
    dlfs_model model, empty = {0};
    dlfs_train_options o;
    assert_int_equal(dlfs_model_alloc(&model, DLFS_MODEL_NN, 13, 13, 1), DLFS_OK);
    assert_int_equal(dlfs_model_train_options_default(&model, &o), DLFS_OK);
    assert_int_equal(dlfs_model_prepare(NULL, 354, &o), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "dlfs_model_prepare"));
    assert_int_equal(dlfs_model_prepare(&empty, 354, &o), DLFS_EINVAL);
    assert_int_equal(dlfs_model_prepare(&model, 0, &o), DLFS_EINVAL);
    assert_non_null(strstr(dlfs_error_detail(), "rows"));
    assert_int_equal(dlfs_model_prepare(&model, 354, NULL), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "opt"));
    o.batch_size = 0;
    assert_int_equal(dlfs_model_prepare(&model, 354, &o), DLFS_EINVAL);
    assert_non_null(strstr(dlfs_error_detail(), "batch_size"));
    o.batch_size = 23;
    size_t n;
    const double *p = dlfs_model_params(&model, &n);
    double before[256];
    memcpy(before, p, n * sizeof *p);
    for (int be = 0; be < 4; be++) {
        assert_int_equal(dlfs_model_set_backend(&model, (dlfs_backend)be),
                         dlfs_backend_available((dlfs_backend)be) ? DLFS_OK : DLFS_EINVAL);
        /* batches larger than the rows, one row, a short last batch */
        assert_int_equal(dlfs_model_prepare(&model, 354, &o), DLFS_OK);
        assert_int_equal(dlfs_model_prepare(&model, 1, &o), DLFS_OK);
        assert_int_equal(dlfs_model_prepare(&model, 9, &o), DLFS_OK);
    }
    assert_memory_equal(before, dlfs_model_params(&model, NULL), n * sizeof *p);
    dlfs_model_free(&model);
    /* a closed-form fit has nothing to make */
    assert_int_equal(dlfs_model_alloc(&model, DLFS_MODEL_OLS, 13, 0, 1), DLFS_OK);
    assert_int_equal(dlfs_model_prepare(&model, 354, NULL), DLFS_OK);
    dlfs_model_free(&model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_availability),
        cmocka_unit_test(test_without_or_with_libxsmm),
        cmocka_unit_test(test_step_products),
        cmocka_unit_test(test_gemm),
        cmocka_unit_test(test_prepare),
        cmocka_unit_test_setup_teardown(test_boston_training, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
