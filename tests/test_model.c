/* tests/test_model.c - the model handle: allocation by kind, one training
 * entry for every kind (the loop's results equal the step-by-step models',
 * the closed form equals dlfs_ols_fit), the per-kind defaults, prediction in
 * blocks (bit-identical to the step-by-step predict block by block, one
 * workspace per call), the standardiser and the names it carries, copies,
 * and the errors of each function.
 *
 * Linked with the counting allocator of alloc_wrap.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dlfs.h>
#include "alloc_wrap.h"
#include "testutil.h"

static dlfs_train_options short_run(const dlfs_model *model, size_t iterations)
{
    dlfs_train_options o;
    assert_int_equal(dlfs_model_train_options_default(model, &o), DLFS_OK);
    o.iterations = iterations;
    o.batch_size = 8;
    return o;
}

/* ---- kinds and allocation ------------------------------------------------------ */

static void test_alloc_and_kinds(void **state)
{
    (void)state;
    dlfs_model m;
    assert_int_equal(dlfs_model_alloc(&m, DLFS_MODEL_NN, 3, 4, 2), DLFS_OK);
    assert_int_equal(m.kind, DLFS_MODEL_NN);
    assert_int_equal(m.nn.n_params, 3 * 4 + 4 + 4 * 2 + 2);
    assert_null(m.linreg.params);
    assert_int_equal(dlfs_model_get_backend(&m), DLFS_BACKEND_BLAS);
    size_t n;
    assert_ptr_equal(dlfs_model_params(&m, &n), m.nn.params);
    assert_int_equal(n, m.nn.n_params);
    dlfs_model_free(&m);
    assert_int_equal(m.kind, 0);
    assert_null(dlfs_model_params(&m, &n));
    assert_int_equal(n, 0);
    dlfs_model_free(&m);   /* twice is fine */
    dlfs_model_free(NULL);

    assert_int_equal(dlfs_model_alloc(&m, DLFS_MODEL_OLS, 5, 0, 1), DLFS_OK);
    assert_non_null(m.linreg.params);
    assert_int_equal(m.linreg.n_params, 6);
    dlfs_model_free(&m);

    /* errors leave an empty model */
    memset(&m, 0x5a, sizeof m);
    assert_int_equal(dlfs_model_alloc(&m, DLFS_MODEL_LINREG, 3, 4, 1), DLFS_EINVAL);
    assert_non_null(strstr(dlfs_error_detail(), "no hidden layer"));
    assert_int_equal(m.kind, 0);
    assert_null(m.linreg.params);
    assert_int_equal(dlfs_model_alloc(&m, DLFS_MODEL_ANY, 3, 0, 1), DLFS_EINVAL);
    assert_int_equal(dlfs_model_alloc(&m, (dlfs_model_kind)9, 3, 0, 1), DLFS_EINVAL);
    assert_int_equal(dlfs_model_alloc(&m, DLFS_MODEL_NN, 3, 0, 1), DLFS_EEMPTY);
    assert_int_equal(dlfs_model_alloc(&m, DLFS_MODEL_LINREG, 0, 0, 1), DLFS_EEMPTY);
    assert_int_equal(dlfs_model_alloc(&m, DLFS_MODEL_NN, SIZE_MAX / 2, 4, 1), DLFS_EOVERFLOW);
    assert_int_equal(dlfs_model_alloc(NULL, DLFS_MODEL_NN, 3, 4, 1), DLFS_ENULL);

    /* names both ways */
    static const char *const names[] = {"linreg", "nn", "ols"};
    for (int k = DLFS_MODEL_LINREG; k <= DLFS_MODEL_OLS; k++) {
        dlfs_model_kind parsed = DLFS_MODEL_ANY;
        assert_string_equal(dlfs_model_kind_name((dlfs_model_kind)k), names[k - 1]);
        assert_int_equal(dlfs_model_kind_parse(names[k - 1], &parsed), DLFS_OK);
        assert_int_equal(parsed, k);
    }
    assert_null(dlfs_model_kind_name(DLFS_MODEL_ANY));
    dlfs_model_kind kind = DLFS_MODEL_NN;
    assert_int_equal(dlfs_model_kind_parse("svm", &kind), DLFS_EINVAL);
    assert_non_null(strstr(dlfs_error_detail(), "'svm'"));
    assert_int_equal(kind, DLFS_MODEL_NN);
    assert_int_equal(dlfs_model_kind_parse(NULL, &kind), DLFS_ENULL);
    assert_int_equal(dlfs_model_kind_parse("nn", NULL), DLFS_ENULL);
}

/* Every function refuses NULL and an empty (never allocated) model. */
static void test_empty_model_refused(void **state)
{
    (void)state;
    dlfs_model empty = {0};
    dlfs_train_options o;
    dlfs_train_options_default(&o);
    dlfs_matrix X, y, P;
    tu_make_data(4, 2, 1, 1, &X, &y);
    assert_int_equal(dlfs_matrix_alloc(&P, 4, 1), DLFS_OK);
    assert_int_equal(dlfs_model_set_backend(&empty, DLFS_BACKEND_NAIVE), DLFS_EINVAL);
    assert_int_equal(dlfs_model_init(&empty, 1, DLFS_INIT_NORMAL), DLFS_EINVAL);
    assert_int_equal(dlfs_model_train_options_default(&empty, &o), DLFS_EINVAL);
    assert_int_equal(dlfs_model_train(&empty, &X, &y, &o, NULL), DLFS_EINVAL);
    assert_non_null(strstr(dlfs_error_detail(), "dlfs_model_train: model is empty"));
    assert_int_equal(dlfs_model_predict(&empty, &X, &P), DLFS_EINVAL);
    assert_int_equal(dlfs_model_set_standardizer(&empty, NULL), DLFS_EINVAL);
    assert_int_equal(dlfs_model_set_names(&empty, NULL, "t"), DLFS_EINVAL);
    assert_int_equal(dlfs_model_block_rows(&empty), 0);
    assert_int_equal(dlfs_model_set_backend(NULL, DLFS_BACKEND_NAIVE), DLFS_ENULL);
    assert_int_equal(dlfs_model_train(NULL, &X, &y, &o, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_model_predict(NULL, &X, &P), DLFS_ENULL);
    assert_int_equal(dlfs_model_get_backend(NULL), DLFS_BACKEND_BLAS);
    dlfs_model m;
    assert_int_equal(dlfs_model_alloc(&m, DLFS_MODEL_LINREG, 2, 0, 1), DLFS_OK);
    assert_int_equal(dlfs_model_train_options_default(&m, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_model_set_backend(&m, (dlfs_backend)7), DLFS_EINVAL);
    assert_int_equal(dlfs_model_get_backend(&m), DLFS_BACKEND_BLAS);
    assert_int_equal(dlfs_model_init(&m, 1, (dlfs_init)9), DLFS_EINVAL);
    dlfs_model_free(&m);
    dlfs_matrix_free(&P);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

/* ---- defaults ---------------------------------------------------------------------- */

static void test_defaults_by_kind(void **state)
{
    (void)state;
    dlfs_model lr, nn, ols;
    dlfs_train_options o;
    assert_int_equal(dlfs_model_alloc(&lr, DLFS_MODEL_LINREG, 13, 0, 1), DLFS_OK);
    assert_int_equal(dlfs_model_alloc(&nn, DLFS_MODEL_NN, 13, 13, 1), DLFS_OK);
    assert_int_equal(dlfs_model_alloc(&ols, DLFS_MODEL_OLS, 13, 0, 1), DLFS_OK);

    assert_int_equal(dlfs_model_train_options_default(&lr, &o), DLFS_OK);
    assert_int_equal(o.iterations, 1000);
    assert_int_equal(o.epochs, 0);
    assert_int_equal(o.batch_size, 23);
    assert_true(o.learning_rate == 0.023);
    assert_int_equal(o.seed, 180708);

    assert_int_equal(dlfs_model_train_options_default(&nn, &o), DLFS_OK);
    assert_int_equal(o.iterations, 10000);
    assert_int_equal(o.epochs, 0);
    assert_int_equal(o.batch_size, 23);
    assert_true(o.learning_rate == 0.0115);
    assert_int_equal(o.seed, 180807);
    assert_int_equal(o.init, DLFS_INIT_NORMAL);
    assert_true(o.init_weights != 0);

    assert_int_equal(dlfs_model_train_options_default(&ols, &o), DLFS_OK);
    assert_int_equal(o.iterations, 1000);

    /* epochs on top of the defaults: refused until iterations is cleared */
    dlfs_matrix X, y;
    tu_make_data(40, 13, 1, 2, &X, &y);
    assert_int_equal(dlfs_model_train_options_default(&nn, &o), DLFS_OK);
    o.epochs = 2;
    assert_int_equal(dlfs_model_train(&nn, &X, &y, &o, NULL), DLFS_EINVAL);
    assert_non_null(strstr(dlfs_error_detail(), "both set"));
    o.iterations = 0;
    dlfs_train_result r;
    assert_int_equal(dlfs_model_train(&nn, &X, &y, &o, &r), DLFS_OK);
    assert_int_equal(r.iterations, 4);   /* 2 passes of ceil(40 / 23) = 2 batches */

    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
    dlfs_model_free(&lr);
    dlfs_model_free(&nn);
    dlfs_model_free(&ols);
}

/* ---- training ------------------------------------------------------------------ */

/* The handle trains exactly as the step-by-step models do: same weights, bit
 * for bit, for both backends. */
static void test_train_equals_step_by_step(void **state)
{
    (void)state;
    dlfs_matrix X, y;
    tu_make_data(61, 5, 1, 3, &X, &y);
    for (int be = 0; be < 2; be++) {
        dlfs_model a, b;
        assert_int_equal(dlfs_model_alloc(&a, DLFS_MODEL_NN, 5, 6, 1), DLFS_OK);
        assert_int_equal(dlfs_model_set_backend(&a, (dlfs_backend)be), DLFS_OK);
        assert_int_equal(a.nn.backend, be);
        assert_int_equal(dlfs_model_get_backend(&a), be);
        dlfs_train_options o = short_run(&a, 50);
        dlfs_train_result ra, rb;
        assert_int_equal(dlfs_model_train(&a, &X, &y, &o, &ra), DLFS_OK);
        dlfs_nn nn;
        assert_int_equal(dlfs_nn_alloc(&nn, 5, 6, 1), DLFS_OK);
        nn.backend = (dlfs_backend)be;
        assert_int_equal(dlfs_nn_train(&nn, &X, &y, &o, &rb), DLFS_OK);
        assert_memory_equal(a.nn.params, nn.params, nn.n_params * sizeof(double));
        assert_true(ra.final_loss == rb.final_loss);
        assert_int_equal(ra.iterations, 50);
        dlfs_nn_free(&nn);

        assert_int_equal(dlfs_model_alloc(&b, DLFS_MODEL_LINREG, 5, 0, 1), DLFS_OK);
        assert_int_equal(dlfs_model_set_backend(&b, (dlfs_backend)be), DLFS_OK);
        o = short_run(&b, 40);
        assert_int_equal(dlfs_model_train(&b, &X, &y, &o, NULL), DLFS_OK);
        dlfs_linreg lr;
        assert_int_equal(dlfs_linreg_alloc(&lr, 5, 1), DLFS_OK);
        lr.backend = (dlfs_backend)be;
        assert_int_equal(dlfs_linreg_train(&lr, &X, &y, &o, NULL), DLFS_OK);
        assert_memory_equal(b.linreg.params, lr.params, lr.n_params * sizeof(double));
        dlfs_linreg_free(&lr);
        dlfs_model_free(&a);
        dlfs_model_free(&b);
    }
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

/* OLS through the handle: the closed form, opt not read, and the gradient-
 * trained regression approaching it. */
static void test_train_ols(void **state)
{
    (void)state;
    dlfs_matrix X, y;
    tu_make_data(200, 4, 1, 4, &X, &y);
    dlfs_model ols, lr;
    assert_int_equal(dlfs_model_alloc(&ols, DLFS_MODEL_OLS, 4, 0, 1), DLFS_OK);
    dlfs_train_result r;
    memset(&r, 0x5a, sizeof r);
    assert_int_equal(dlfs_model_train(&ols, &X, &y, NULL, &r), DLFS_OK);
    assert_int_equal(r.iterations, 0);
    assert_true(isnan(r.final_loss));
    dlfs_linreg ref;
    assert_int_equal(dlfs_linreg_alloc(&ref, 4, 1), DLFS_OK);
    assert_int_equal(dlfs_ols_fit(&ref, &X, &y), DLFS_OK);
    assert_memory_equal(ols.linreg.params, ref.params, ref.n_params * sizeof(double));
    assert_int_equal(dlfs_model_init(&ols, 1, DLFS_INIT_NORMAL), DLFS_EINVAL);

    assert_int_equal(dlfs_model_alloc(&lr, DLFS_MODEL_LINREG, 4, 0, 1), DLFS_OK);
    /* full batches: gradient descent proper, which converges to the closed form */
    dlfs_train_options o = short_run(&lr, 0);
    o.iterations = 0;
    o.epochs = 2000;
    o.batch_size = 200;
    o.learning_rate = 0.1;
    assert_int_equal(dlfs_model_train(&lr, &X, &y, &o, NULL), DLFS_OK);
    for (size_t i = 0; i < ref.n_params; i++)
        assert_close(lr.linreg.params[i], ref.params[i], 1e-9);

    /* a shape error names the closed form's function */
    dlfs_matrix bad;
    assert_int_equal(dlfs_matrix_alloc(&bad, 200, 3), DLFS_OK);
    assert_int_equal(dlfs_model_train(&ols, &bad, &y, NULL, NULL), DLFS_ESHAPE);
    assert_memory_equal(ols.linreg.params, ref.params, ref.n_params * sizeof(double));
    dlfs_matrix_free(&bad);
    dlfs_linreg_free(&ref);
    dlfs_model_free(&ols);
    dlfs_model_free(&lr);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

static void test_init(void **state)
{
    (void)state;
    dlfs_model m;
    dlfs_nn nn;
    assert_int_equal(dlfs_model_alloc(&m, DLFS_MODEL_NN, 3, 5, 2), DLFS_OK);
    assert_int_equal(dlfs_nn_alloc(&nn, 3, 5, 2), DLFS_OK);
    assert_int_equal(dlfs_model_init(&m, 42, DLFS_INIT_SCALED), DLFS_OK);
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 42);
    assert_int_equal(dlfs_nn_init(&nn, &rng, DLFS_INIT_SCALED), DLFS_OK);
    assert_memory_equal(m.nn.params, nn.params, nn.n_params * sizeof(double));
    dlfs_nn_free(&nn);
    dlfs_model_free(&m);
}

/* ---- prediction ------------------------------------------------------------------ */

/* A wide hidden layer makes blocks of a few rows: 1 MiB / (8 * 16384) = 8.
 * The handle's prediction of 30 rows (blocks of 8, 8, 8, 6) equals, bit for
 * bit, dlfs_nn_predict called on those blocks, and allocates one workspace. */
static void test_predict_blocks(void **state)
{
    (void)state;
    const size_t k = 3, h = 16384, n = 30;
    dlfs_model m;
    assert_int_equal(dlfs_model_alloc(&m, DLFS_MODEL_NN, k, h, 1), DLFS_OK);
    assert_int_equal(dlfs_model_init(&m, 7, DLFS_INIT_SCALED), DLFS_OK);
    assert_int_equal(dlfs_model_block_rows(&m), 8);
    dlfs_matrix X, y, P, Q;
    tu_make_data(n, k, 1, 5, &X, &y);
    assert_int_equal(dlfs_matrix_alloc(&P, n, 1), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&Q, n, 1), DLFS_OK);

    const size_t before = alloc_attempts;
    assert_int_equal(dlfs_model_predict(&m, &X, &P), DLFS_OK);
    assert_int_equal(alloc_attempts - before, 1);
    for (size_t row = 0; row < n; row += 8) {
        const size_t count = n - row < 8 ? n - row : 8;
        dlfs_matrix Xb, Qb;
        assert_int_equal(dlfs_matrix_block(&X, row, 0, count, k, &Xb), DLFS_OK);
        assert_int_equal(dlfs_matrix_block(&Q, row, 0, count, 1, &Qb), DLFS_OK);
        assert_int_equal(dlfs_nn_predict(&m.nn, &Xb, &Qb), DLFS_OK);
    }
    assert_memory_equal(P.data, Q.data, n * sizeof(double));

    /* the linear kinds: one block of up to 131072 rows, no workspace at all */
    dlfs_model lr;
    assert_int_equal(dlfs_model_alloc(&lr, DLFS_MODEL_LINREG, k, 0, 1), DLFS_OK);
    assert_int_equal(dlfs_model_init(&lr, 8, DLFS_INIT_NORMAL), DLFS_OK);
    assert_int_equal(dlfs_model_block_rows(&lr), 131072);
    const size_t before_lr = alloc_attempts;
    assert_int_equal(dlfs_model_predict(&lr, &X, &P), DLFS_OK);
    assert_int_equal(alloc_attempts - before_lr, 0);
    assert_int_equal(dlfs_linreg_predict(&lr.linreg, &X, &Q), DLFS_OK);
    assert_memory_equal(P.data, Q.data, n * sizeof(double));

    /* a failed workspace leaves P as it was */
    tu_fill_value(P.data, n, 3.0);
    fail_at = alloc_attempts + 1;
    assert_int_equal(dlfs_model_predict(&m, &X, &P), DLFS_ENOMEM);
    fail_at = 0;
    for (size_t i = 0; i < n; i++)
        assert_true(P.data[i] == 3.0);

    dlfs_model_free(&lr);
    dlfs_model_free(&m);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
    dlfs_matrix_free(&P);
    dlfs_matrix_free(&Q);
}

static void test_predict_errors(void **state)
{
    (void)state;
    dlfs_model m;
    assert_int_equal(dlfs_model_alloc(&m, DLFS_MODEL_NN, 3, 4, 1), DLFS_OK);
    dlfs_matrix X, y, P, P2;
    tu_make_data(5, 3, 1, 6, &X, &y);
    assert_int_equal(dlfs_matrix_alloc(&P, 5, 1), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&P2, 4, 1), DLFS_OK);
    assert_int_equal(dlfs_model_predict(&m, &X, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_model_predict(&m, NULL, &P), DLFS_ENULL);
    assert_int_equal(dlfs_model_predict(&m, &X, &P2), DLFS_ESHAPE);
    assert_non_null(strstr(dlfs_error_detail(), "P is 4 x 1, expected 5 x 1"));
    assert_int_equal(dlfs_model_predict(&m, &y, &P), DLFS_ESHAPE);
    assert_non_null(strstr(dlfs_error_detail(), "X has 1 columns"));
    X.data[7] = NAN;
    tu_fill_value(P.data, 5, 3.0);
    assert_int_equal(dlfs_model_predict(&m, &X, &P), DLFS_ENONFINITE);
    for (size_t i = 0; i < 5; i++)
        assert_true(P.data[i] == 3.0);
    dlfs_model_free(&m);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
    dlfs_matrix_free(&P);
    dlfs_matrix_free(&P2);
}

/* ---- what a trained model carries ------------------------------------------------- */

/* With a standardiser, prediction takes raw rows: the same bits as
 * standardising a copy and predicting without one; X is not modified. */
static void test_standardizer(void **state)
{
    (void)state;
    dlfs_matrix X, y, Xs, P, Q;
    tu_make_data(40, 4, 1, 9, &X, &y);
    for (size_t i = 0; i < 40 * 4; i++)
        X.data[i] = 10.0 + 3.0 * X.data[i];
    dlfs_standardizer s = {0};
    assert_int_equal(dlfs_standardizer_fit(&s, &X), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&Xs, 40, 4), DLFS_OK);
    assert_int_equal(dlfs_matrix_copy(&Xs, &X), DLFS_OK);
    assert_int_equal(dlfs_standardizer_apply(&s, &Xs), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&P, 40, 1), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&Q, 40, 1), DLFS_OK);

    dlfs_model m;
    assert_int_equal(dlfs_model_alloc(&m, DLFS_MODEL_NN, 4, 3, 1), DLFS_OK);
    dlfs_train_options o = short_run(&m, 30);
    assert_int_equal(dlfs_model_train(&m, &Xs, &y, &o, NULL), DLFS_OK);
    assert_int_equal(dlfs_model_predict(&m, &Xs, &Q), DLFS_OK);
    assert_int_equal(dlfs_model_set_standardizer(&m, &s), DLFS_OK);
    assert_true(m.has_scaler);
    double *X_before = tu_dup_doubles(X.data, 40 * 4);
    assert_int_equal(dlfs_model_predict(&m, &X, &P), DLFS_OK);
    assert_memory_equal(P.data, Q.data, 40 * sizeof(double));
    assert_memory_equal(X.data, X_before, 40 * 4 * sizeof(double));
    free(X_before);

    /* a bad standardiser leaves the model's as it was */
    dlfs_standardizer bad = s;
    double sd0 = s.sd[0];
    s.sd[0] = 0.0;
    assert_int_equal(dlfs_model_set_standardizer(&m, &bad), DLFS_EINVAL);
    s.sd[0] = NAN;
    assert_int_equal(dlfs_model_set_standardizer(&m, &bad), DLFS_ENONFINITE);
    s.sd[0] = sd0;
    bad.k = 3;
    assert_int_equal(dlfs_model_set_standardizer(&m, &bad), DLFS_ESHAPE);
    assert_true(m.has_scaler);
    assert_true(m.scaler.sd[0] == sd0);
    /* NULL removes it */
    assert_int_equal(dlfs_model_set_standardizer(&m, NULL), DLFS_OK);
    assert_false(m.has_scaler);
    assert_null(m.scaler.mean);
    assert_int_equal(dlfs_model_predict(&m, &Xs, &P), DLFS_OK);
    assert_memory_equal(P.data, Q.data, 40 * sizeof(double));

    dlfs_standardizer_free(&s);
    dlfs_model_free(&m);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&Xs);
    dlfs_matrix_free(&y);
    dlfs_matrix_free(&P);
    dlfs_matrix_free(&Q);
}

static void test_names_and_copy(void **state)
{
    (void)state;
    dlfs_model m, c = {0};
    assert_int_equal(dlfs_model_alloc(&m, DLFS_MODEL_LINREG, 2, 0, 1), DLFS_OK);
    assert_int_equal(dlfs_model_init(&m, 3, DLFS_INIT_NORMAL), DLFS_OK);
    const char *names[] = {"rm", "lstat"};
    assert_int_equal(dlfs_model_set_names(&m, names, "medv"), DLFS_OK);
    assert_string_equal(m.feature_names[1], "lstat");
    assert_string_equal(m.target_name, "medv");
    /* errors keep the old names */
    const char *holey[] = {"rm", NULL};
    assert_int_equal(dlfs_model_set_names(&m, holey, "price"), DLFS_ENULL);
    char *longname = malloc(DLFS_MODEL_NAME_MAX + 2);
    memset(longname, 'a', DLFS_MODEL_NAME_MAX + 1);
    longname[DLFS_MODEL_NAME_MAX + 1] = '\0';
    assert_int_equal(dlfs_model_set_names(&m, names, longname), DLFS_EINVAL);
    free(longname);
    assert_string_equal(m.target_name, "medv");
    assert_string_equal(m.feature_names[0], "rm");

    assert_int_equal(dlfs_model_set_backend(&m, DLFS_BACKEND_NAIVE), DLFS_OK);
    assert_int_equal(dlfs_model_copy(&c, &m), DLFS_OK);
    assert_int_equal(c.kind, DLFS_MODEL_LINREG);
    assert_int_equal(dlfs_model_get_backend(&c), DLFS_BACKEND_NAIVE);
    assert_ptr_not_equal(c.linreg.params, m.linreg.params);
    assert_memory_equal(c.linreg.params, m.linreg.params, 3 * sizeof(double));
    assert_string_equal(c.feature_names[1], "lstat");
    assert_ptr_not_equal(c.feature_names, m.feature_names);
    /* copying over an allocated model replaces it */
    assert_int_equal(dlfs_model_copy(&c, &m), DLFS_OK);
    /* names removed */
    assert_int_equal(dlfs_model_set_names(&m, NULL, NULL), DLFS_OK);
    assert_null(m.feature_names);
    assert_null(m.target_name);
    dlfs_model empty = {0};
    assert_int_equal(dlfs_model_copy(&c, &empty), DLFS_EINVAL);
    assert_int_equal(dlfs_model_copy(NULL, &m), DLFS_ENULL);
    dlfs_model_free(&c);
    dlfs_model_free(&m);
}

/* A closed-form fit saves as a regression and loads back as one. */
static void test_ols_file(void **state)
{
    (void)state;
    dlfs_matrix X, y;
    tu_make_data(50, 3, 1, 10, &X, &y);
    dlfs_model ols, back;
    assert_int_equal(dlfs_model_alloc(&ols, DLFS_MODEL_OLS, 3, 0, 1), DLFS_OK);
    assert_int_equal(dlfs_model_train(&ols, &X, &y, NULL, NULL), DLFS_OK);
    void *buf;
    size_t len;
    assert_int_equal(dlfs_model_encode(&ols, &buf, &len), DLFS_OK);
    assert_int_equal(dlfs_model_load_buffer(&back, buf, len, DLFS_MODEL_LINREG), DLFS_OK);
    assert_int_equal(back.kind, DLFS_MODEL_LINREG);
    assert_memory_equal(back.linreg.params, ols.linreg.params, 4 * sizeof(double));
    free(buf);
    dlfs_model_free(&back);
    dlfs_model_free(&ols);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_and_kinds),
        cmocka_unit_test(test_empty_model_refused),
        cmocka_unit_test(test_defaults_by_kind),
        cmocka_unit_test(test_train_equals_step_by_step),
        cmocka_unit_test(test_train_ols),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_predict_blocks),
        cmocka_unit_test(test_predict_errors),
        cmocka_unit_test(test_standardizer),
        cmocka_unit_test(test_names_and_copy),
        cmocka_unit_test(test_ols_file),
    };
    return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
