/* tests/test_book.c - the summed loss, the NumPy generator in training, and
 * the chapter's experiment run exactly as its NumPy code runs it, against
 * the figures that code printed.
 *
 * The reference figures were printed by scripts/book_reference.py (the
 * chapter's NumPy code, written out) with NumPy 1.24.2 and scikit-learn
 * 1.2.1 on Debian; this test needs neither.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfs/dlfs.h>
#include "model_passes.h"
#include "testutil.h"

/* ---- The summed loss's gradient -------------------------------------------- */

struct fd_ctx {
    dlfs_model *model;
    const dlfs_matrix *X, *y;
    dlfs_linreg_forward_info *lr;
    dlfs_nn_forward_info *nn;
};

/* The summed loss: the mean the forward pass reports, times the batch's rows. */
static double summed_loss(void *p)
{
    struct fd_ctx *c = p;
    if (c->model->kind == DLFS_MODEL_NN) {
        dlfs__nn_forward(&c->model->nn, c->X, c->y, c->nn, 1, NULL);
        return c->nn->loss * (double)c->X->rows;
    }
    dlfs__linreg_forward(&c->model->linreg, c->X, c->y, c->lr, 1, NULL);
    return c->lr->loss * (double)c->X->rows;
}

static void check_summed_gradient(dlfs_model_kind kind)
{
    const size_t n = 17, k = 5, h = 7;
    dlfs_matrix X, y;
    tu_make_data(n, k, 1, 99, &X, &y);
    dlfs_model model, grad;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 5);
    assert_int_equal(dlfs_model_alloc(&model, kind, k, kind == DLFS_MODEL_NN ? h : 0, 1), DLFS_OK);
    assert_int_equal(dlfs_model_alloc(&grad, kind, k, kind == DLFS_MODEL_NN ? h : 0, 1), DLFS_OK);
    assert_int_equal(dlfs_model_init(&model, 5, DLFS_INIT_SCALED), DLFS_OK);
    dlfs_linreg_forward_info lr = {0};
    dlfs_nn_forward_info nn = {0};
    struct fd_ctx c = {&model, &X, &y, &lr, &nn};
    if (kind == DLFS_MODEL_NN) {
        assert_int_equal(dlfs_nn_forward_info_alloc(&nn, n, h, 1), DLFS_OK);
        dlfs__nn_forward(&model.nn, &X, &y, &nn, 1, NULL);
        dlfs__nn_gradients(&model.nn, &nn, &grad.nn, NULL);
    } else {
        assert_int_equal(dlfs_linreg_forward_info_alloc(&lr, n, 1), DLFS_OK);
        dlfs__linreg_forward(&model.linreg, &X, &y, &lr, 1, NULL);
        dlfs__linreg_gradients(&model.linreg, &lr, &grad.linreg, NULL);
    }
    size_t np;
    double *p = (double *)dlfs_model_params(&model, &np);
    const double *g = dlfs_model_params(&grad, NULL);
    const double err = tu_grad_check(summed_loss, &c, p, g, np);
    printf("# %s, summed loss: gradient against finite differences %.3g\n",
           dlfs_model_kind_name(kind), err);
    assert_true(err < 1e-6);
    dlfs_nn_forward_info_free(&nn);
    dlfs_linreg_forward_info_free(&lr);
    dlfs_model_free(&model);
    dlfs_model_free(&grad);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

static void test_summed_gradient(void **state)
{
    (void)state;
    check_summed_gradient(DLFS_MODEL_LINREG);
    check_summed_gradient(DLFS_MODEL_NN);
}

/* Weights after training the regression on n rows in batches of 23. */
static void train_linreg(size_t n, dlfs_loss_reduction red, double lr, double *out)
{
    dlfs_matrix X, y;
    tu_make_data(n, 4, 1, 7, &X, &y);
    dlfs_model model;
    assert_int_equal(dlfs_model_alloc(&model, DLFS_MODEL_LINREG, 4, 0, 1), DLFS_OK);
    dlfs_train_options opt;
    dlfs_train_options_default(&opt);
    opt.iterations = 200;
    opt.loss_reduction = red;
    opt.learning_rate = lr;
    assert_int_equal(dlfs_model_train(&model, &X, &y, &opt, NULL), DLFS_OK);
    memcpy(out, dlfs_model_params(&model, NULL), 5 * sizeof(double));
    dlfs_model_free(&model);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

/* With full batches the summed loss at rate r / batch is the mean loss at
 * rate r, to rounding; with a short last batch per pass it is not: that
 * batch's step per row differs. */
static void test_summed_equals_mean_at_full_batches(void **state)
{
    (void)state;
    double mean[5], sum[5];
    train_linreg(69, DLFS_LOSS_MEAN, 0.023, mean);   /* 3 full batches a pass */
    train_linreg(69, DLFS_LOSS_SUM, 0.001, sum);
    const double d_full = tu_rel_err_n(sum, mean, 5);
    train_linreg(75, DLFS_LOSS_MEAN, 0.023, mean);   /* 3 full and one of 6 */
    train_linreg(75, DLFS_LOSS_SUM, 0.001, sum);
    const double d_short = tu_rel_err_n(sum, mean, 5);
    printf("# summed against mean loss: %.3g relative with full batches, %.3g with a "
           "short last batch\n", d_full, d_short);
    assert_true(d_full < 1e-12);
    assert_true(d_short > 1e-6);
}

/* ---- The NumPy generator in training ---------------------------------------- */

/* The chapter's code draws the weights first, with randn, in the parameter
 * block's order: the first regression weight is the first randn of 180708,
 * and its bias the cached second value of the 14th pair. */
static void test_numpy_weights(void **state)
{
    (void)state;
    dlfs_matrix X, y;
    tu_make_data(30, 13, 1, 3, &X, &y);
    dlfs_model model;
    assert_int_equal(dlfs_model_alloc(&model, DLFS_MODEL_LINREG, 13, 0, 1), DLFS_OK);
    dlfs_train_options opt;
    dlfs_train_options_default(&opt);
    opt.iterations = 1;
    opt.learning_rate = 1e-300;   /* the weights move by nothing representable */
    opt.generator = DLFS_GENERATOR_NUMPY;
    opt.loss_reduction = DLFS_LOSS_SUM;
    assert_int_equal(dlfs_model_train(&model, &X, &y, &opt, NULL), DLFS_OK);
    const double *p = dlfs_model_params(&model, NULL);
    assert_true(p[0] == 0x1.db184a47f01bdp-1);
    assert_true(p[1] == -0x1.b43a7858726c0p-4);
    assert_true(p[13] == -0x1.b95365abeff91p-3);   /* -0.2154910986992005 */

    /* What the NumPy generator cannot do is refused, naming it. */
    opt.seed = (uint64_t)1 << 32;
    assert_int_equal(dlfs_model_train(&model, &X, &y, &opt, NULL), DLFS_EINVAL);
    assert_non_null(strstr(dlfs_error_detail(), "below 2^32"));
    opt.seed = 180708;
    opt.init = DLFS_INIT_SCALED;
    assert_int_equal(dlfs_model_train(&model, &X, &y, &opt, NULL), DLFS_EINVAL);
    opt.init = DLFS_INIT_NORMAL;
    opt.checkpoint_path = "/tmp/never-written.ckpt";
    assert_int_equal(dlfs_model_train(&model, &X, &y, &opt, NULL), DLFS_EINVAL);
    opt.checkpoint_path = NULL;
    opt.generator = (dlfs_generator)7;
    assert_int_equal(dlfs_model_train(&model, &X, &y, &opt, NULL), DLFS_EINVAL);
    opt.generator = DLFS_GENERATOR_NUMPY;
    opt.loss_reduction = (dlfs_loss_reduction)9;
    assert_int_equal(dlfs_model_train(&model, &X, &y, &opt, NULL), DLFS_EINVAL);
    dlfs_model_free(&model);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

/* ---- The chapter's experiment, exactly ----------------------------------------- */

/* What the chapter's NumPy code printed (17 significant digits). */
struct reference {
    dlfs_model_kind kind;
    double mae, rmse;
    double loss0, loss1, loss_last;   /* batch losses of iterations 0, 1 and the last */
};

static const struct reference refs[] = {
    {DLFS_MODEL_OLS, 3.5670558182093983, 5.047566790461465, 0, 0, 0},
    {DLFS_MODEL_LINREG, 3.5644381172615454, 5.049680281687752, 813.2098258057695,
     707.3600829629215, 12.46628339805241},
    {DLFS_MODEL_NN, 2.540922147848149, 3.951747893892683, 800.4843778389348,
     712.9146927717804, 3.4794673745287312},
};

/* The rows as the chapter's code prepares them: every feature column
 * standardised on all 506 rows, then scikit-learn's split with
 * random_state 80718, training rows and test rows in its order. */
struct book_rows {
    dlfs_dataset ds;
    dlfs_matrix X_train, y_train, X_test, y_test;
};

static void copy_rows(const dlfs_matrix *src, const size_t *idx, size_t n, dlfs_matrix *dst)
{
    assert_int_equal(dlfs_matrix_alloc(dst, n, src->cols), DLFS_OK);
    for (size_t i = 0; i < n; i++)
        memcpy(dst->data + i * dst->ld, src->data + idx[i] * src->ld, src->cols * sizeof(double));
}

static void book_rows(struct book_rows *b)
{
    dlfs_csv_error err;
    assert_int_equal(dlfs_csv_read(DLFS_SOURCE_ROOT "/data/boston_housing.csv", "medv", 0,
                                   &b->ds, &err), DLFS_OK);
    dlfs_standardizer s;
    assert_int_equal(dlfs_standardizer_fit(&s, &b->ds.X), DLFS_OK);
    assert_int_equal(dlfs_standardizer_apply(&s, &b->ds.X), DLFS_OK);
    dlfs_standardizer_free(&s);
    const size_t n = b->ds.X.rows;
    size_t idx[506], n_test;
    assert_int_equal(n, 506);
    assert_int_equal(dlfs_nprandom_split(n, 0.3, 80718, idx, &n_test), DLFS_OK);
    assert_int_equal(n_test, 152);
    copy_rows(&b->ds.X, idx + n_test, n - n_test, &b->X_train);
    copy_rows(&b->ds.y, idx + n_test, n - n_test, &b->y_train);
    copy_rows(&b->ds.X, idx, n_test, &b->X_test);
    copy_rows(&b->ds.y, idx, n_test, &b->y_test);
}

static void book_rows_free(struct book_rows *b)
{
    dlfs_dataset_free(&b->ds);
    dlfs_matrix_free(&b->X_train);
    dlfs_matrix_free(&b->y_train);
    dlfs_matrix_free(&b->X_test);
    dlfs_matrix_free(&b->y_test);
}

static double rel(double a, double b)
{
    return fabs(a - b) / fabs(b);
}

/* One model trained as the chapter's code trains it, scored on its test rows. */
static double check_book_model(const struct book_rows *b, const struct reference *r)
{
    dlfs_model model;
    assert_int_equal(dlfs_model_alloc(&model, r->kind, 13, r->kind == DLFS_MODEL_NN ? 13 : 0, 1),
                     DLFS_OK);
    double history[10000];
    size_t iters = 0;
    if (r->kind == DLFS_MODEL_OLS) {
        assert_int_equal(dlfs_model_train(&model, &b->X_train, &b->y_train, NULL, NULL), DLFS_OK);
    } else {
        dlfs_train_options opt;
        assert_int_equal(dlfs_model_train_options_default(&model, &opt), DLFS_OK);
        opt.generator = DLFS_GENERATOR_NUMPY;
        opt.loss_reduction = DLFS_LOSS_SUM;
        opt.learning_rate = r->kind == DLFS_MODEL_NN ? 0.0005 : 0.001;
        opt.loss_history = history;
        opt.loss_history_len = 10000;
        iters = opt.iterations;
        assert_int_equal(dlfs_model_train(&model, &b->X_train, &b->y_train, &opt, NULL), DLFS_OK);
    }
    dlfs_matrix P;
    dlfs_metrics m;
    assert_int_equal(dlfs_matrix_alloc(&P, 152, 1), DLFS_OK);
    assert_int_equal(dlfs_model_predict(&model, &b->X_test, &P), DLFS_OK);
    assert_int_equal(dlfs_metrics_compute(&P, &b->y_test, &m), DLFS_OK);
    double worst = fmax(rel(m.mae, r->mae), rel(m.rmse, r->rmse));
    printf("# %-6s MAE %.17g (NumPy %.17g), RMSE %.17g (NumPy %.17g)\n",
           dlfs_model_kind_name(r->kind), m.mae, r->mae, m.rmse, r->rmse);
    if (iters) {
        const double dl = fmax(fmax(rel(history[0], r->loss0), rel(history[1], r->loss1)),
                               rel(history[iters - 1], r->loss_last));
        printf("#        batch losses of iterations 0, 1, %zu within %.3g of NumPy's\n",
               iters - 1, dl);
        assert_true(dl < 1e-9);
    }
    printf("#        largest relative difference %.3g\n", worst);
    assert_true(worst < 1e-9);
    dlfs_matrix_free(&P);
    dlfs_model_free(&model);
    return worst;
}

static void test_book_experiment(void **state)
{
    (void)state;
    struct book_rows b;
    book_rows(&b);
    double worst = 0;
    for (size_t i = 0; i < TU_LEN(refs); i++)
        worst = fmax(worst, check_book_model(&b, &refs[i]));
    printf("# book mode against the chapter's NumPy code: largest relative difference %.3g\n",
           worst);
    book_rows_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summed_gradient),
        cmocka_unit_test(test_summed_equals_mean_at_full_batches),
        cmocka_unit_test(test_numpy_weights),
        cmocka_unit_test(test_book_experiment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
