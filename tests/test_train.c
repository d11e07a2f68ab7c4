/* tests/test_train.c - mini-batch gradient descent for both models: backends
 * agree, runs are reproducible, batches are the chapter's, callbacks, the
 * divergence guard, option checks, no allocation inside the loop, every
 * allocation failure, two trainings in two threads, and checkpoints: a run
 * stopped and resumed ends bit for bit as the uninterrupted one, a resume
 * that does not match is refused before anything changes, checkpoints
 * allocate nothing inside the loop, and a path that cannot be written fails
 * before the first iteration.
 *
 * Every allocation made by the library goes through the counting allocator
 * of alloc_wrap.h, which can make the n-th one fail. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include <dlfs/dlfs.h>
#include "alloc_wrap.h"
#include "testutil.h"

/* ---- data and helpers -------------------------------------------------------- */

static void free_data(dlfs_matrix *X, dlfs_matrix *y)
{
    dlfs_matrix_free(X);
    dlfs_matrix_free(y);
}

static dlfs_train_options options(size_t iterations, size_t batch, double lr, uint64_t seed)
{
    dlfs_train_options o;
    dlfs_train_options_default(&o);
    o.iterations = iterations;
    o.batch_size = batch;
    o.learning_rate = lr;
    o.seed = seed;
    return o;
}

static int all_finite(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* ---- options and their arithmetic ---------------------------------------------- */

static void test_defaults_and_iterations(void **state)
{
    (void)state;
    dlfs_train_options o;
    memset(&o, 0x5a, sizeof o);
    dlfs_train_options_default(&o);
    assert_int_equal(o.iterations, 1000);
    assert_int_equal(o.batch_size, 23);
    assert_true(o.learning_rate == 0.023);
    assert_int_equal(o.seed, 180708);
    assert_int_equal(o.init, DLFS_INIT_NORMAL);
    assert_true(o.init_weights != 0);
    assert_null(o.loss_history);
    assert_null(o.on_loss);
    assert_null(o.X_val);
    assert_int_equal(o.eval_every, 0);
    dlfs_train_options_default(NULL);

    size_t it = 0;
    o.iterations = 17;
    assert_int_equal(dlfs_train_iterations(&o, 10, &it), DLFS_OK);
    assert_int_equal(it, 17);
    /* both set is a contradiction, refused with a detail that says what to do */
    o.epochs = 5;
    it = 77;
    assert_int_equal(dlfs_train_iterations(&o, 10, &it), DLFS_EINVAL);
    assert_int_equal(it, 77);
    assert_non_null(strstr(dlfs_error_detail(), "both set"));
    o.iterations = 0;
    o.batch_size = 4;
    o.epochs = 3;
    assert_int_equal(dlfs_train_iterations(&o, 10, &it), DLFS_OK);
    assert_int_equal(it, 9);    /* ceil(10 / 4) = 3 batches a pass */
    assert_int_equal(dlfs_train_iterations(&o, 12, &it), DLFS_OK);
    assert_int_equal(it, 9);    /* 12 / 4 = 3 exactly */
    assert_int_equal(dlfs_train_iterations(&o, 13, &it), DLFS_OK);
    assert_int_equal(it, 12);
    assert_int_equal(dlfs_train_iterations(&o, 3, &it), DLFS_OK);
    assert_int_equal(it, 3);    /* a batch larger than the data: one batch a pass */
    o.batch_size = 23;
    o.epochs = 10;
    assert_int_equal(dlfs_train_iterations(&o, 354, &it), DLFS_OK);
    assert_int_equal(it, 160);  /* ceil(354 / 23) = 16 */

    it = 77;
    o.batch_size = 0;
    assert_int_equal(dlfs_train_iterations(&o, 10, &it), DLFS_EINVAL);
    o.batch_size = 4;
    o.epochs = 0;
    assert_int_equal(dlfs_train_iterations(&o, 10, &it), DLFS_EINVAL);
    o.epochs = 2;
    assert_int_equal(dlfs_train_iterations(&o, 0, &it), DLFS_EEMPTY);
    o.epochs = SIZE_MAX;
    assert_int_equal(dlfs_train_iterations(&o, 10, &it), DLFS_EOVERFLOW);
    assert_int_equal(it, 77);
    assert_int_equal(dlfs_train_iterations(NULL, 10, &it), DLFS_ENULL);
    assert_int_equal(dlfs_train_iterations(&o, 10, NULL), DLFS_ENULL);
}

/* ---- the two backends train alike ----------------------------------------------- */

static void test_blas_vs_naive(void **state)
{
    (void)state;
    dlfs_matrix X, y;
    tu_make_data(200, 13, 1, 1, &X, &y);
    dlfs_train_options o = options(400, 23, 0.01, 42);

    dlfs_linreg lb, ln;
    assert_int_equal(dlfs_linreg_alloc(&lb, 13, 1), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&ln, 13, 1), DLFS_OK);
    ln.backend = DLFS_BACKEND_NAIVE;
    assert_int_equal(dlfs_linreg_train(&lb, &X, &y, &o, NULL), DLFS_OK);
    assert_int_equal(dlfs_linreg_train(&ln, &X, &y, &o, NULL), DLFS_OK);
    const double el = tu_rel_err_n(lb.params, ln.params, lb.n_params);

    dlfs_nn nb, nn;
    assert_int_equal(dlfs_nn_alloc(&nb, 13, 13, 1), DLFS_OK);
    assert_int_equal(dlfs_nn_alloc(&nn, 13, 13, 1), DLFS_OK);
    nn.backend = DLFS_BACKEND_NAIVE;
    o.learning_rate = 0.0115;
    o.seed = 43;
    assert_int_equal(dlfs_nn_train(&nb, &X, &y, &o, NULL), DLFS_OK);
    assert_int_equal(dlfs_nn_train(&nn, &X, &y, &o, NULL), DLFS_OK);
    const double en = tu_rel_err_n(nb.params, nn.params, nb.n_params);
    print_message("blas vs naive after 400 iterations: linreg %.3g, nn %.3g (relative)\n", el, en);
    assert_true(el <= 1e-9);
    assert_true(en <= 1e-9);
    /* training moved the weights: the comparison is not of two initialisations */
    dlfs_nn init;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 43);
    assert_int_equal(dlfs_nn_alloc(&init, 13, 13, 1), DLFS_OK);
    assert_int_equal(dlfs_nn_init(&init, &rng, DLFS_INIT_NORMAL), DLFS_OK);
    assert_true(tu_rel_err_n(nb.params, init.params, nb.n_params) > 1e-3);

    dlfs_nn_free(&init);
    dlfs_linreg_free(&lb);
    dlfs_linreg_free(&ln);
    dlfs_nn_free(&nb);
    dlfs_nn_free(&nn);
    free_data(&X, &y);
}

/* ---- determinism ---------------------------------------------------------------- */

static void test_determinism(void **state)
{
    (void)state;
    dlfs_matrix X, y;
    tu_make_data(150, 6, 2, 2, &X, &y);
    double h1[300], h2[300];
    dlfs_train_options o = options(300, 16, 0.01, 7);

    dlfs_nn a, b;
    assert_int_equal(dlfs_nn_alloc(&a, 6, 9, 2), DLFS_OK);
    assert_int_equal(dlfs_nn_alloc(&b, 6, 9, 2), DLFS_OK);
    o.loss_history = h1;
    o.loss_history_len = 300;
    assert_int_equal(dlfs_nn_train(&a, &X, &y, &o, NULL), DLFS_OK);
    o.loss_history = h2;
    assert_int_equal(dlfs_nn_train(&b, &X, &y, &o, NULL), DLFS_OK);
    assert_memory_equal(a.params, b.params, a.n_params * sizeof(double));
    assert_memory_equal(h1, h2, sizeof h1);
    /* another seed, other weights */
    o.seed = 8;
    assert_int_equal(dlfs_nn_train(&b, &X, &y, &o, NULL), DLFS_OK);
    assert_true(memcmp(a.params, b.params, a.n_params * sizeof(double)) != 0);
    assert_true(tu_rel_err_n(a.params, b.params, a.n_params) > 1e-3);

    dlfs_linreg la, lb;
    assert_int_equal(dlfs_linreg_alloc(&la, 6, 2), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&lb, 6, 2), DLFS_OK);
    o = options(300, 16, 0.01, 7);
    assert_int_equal(dlfs_linreg_train(&la, &X, &y, &o, NULL), DLFS_OK);
    assert_int_equal(dlfs_linreg_train(&lb, &X, &y, &o, NULL), DLFS_OK);
    assert_memory_equal(la.params, lb.params, la.n_params * sizeof(double));
    o.seed = 8;
    assert_int_equal(dlfs_linreg_train(&lb, &X, &y, &o, NULL), DLFS_OK);
    assert_true(memcmp(la.params, lb.params, la.n_params * sizeof(double)) != 0);

    dlfs_nn_free(&a);
    dlfs_nn_free(&b);
    dlfs_linreg_free(&la);
    dlfs_linreg_free(&lb);
    free_data(&X, &y);
}

/* ---- the batches are the chapter's, short last batch included -------------------
 *
 * The loop run by hand with the public step functions: seed, initialise,
 * permute, then batches perm[0..4), perm[4..8), perm[8..10) of 10 rows.
 * Training for those 3 iterations must give the same losses and weights, bit
 * for bit. */

static void gather(dlfs_matrix *dst, const dlfs_matrix *src, const size_t *idx, size_t rows)
{
    dst->rows = rows;
    for (size_t i = 0; i < rows; i++)
        memcpy(dst->data + i * dst->ld, src->data + idx[i] * src->ld, src->cols * sizeof(double));
}

static void hand_run_linreg(dlfs_linreg *model, const dlfs_matrix *X, const dlfs_matrix *y,
                            const dlfs_train_options *o, size_t iters, double *losses, size_t *rows_used)
{
    const size_t n = X->rows, bs = o->batch_size;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, o->seed);
    if (o->init_weights)
        assert_int_equal(dlfs_linreg_init(model, &rng, o->init), DLFS_OK);
    size_t perm[64];
    assert_true(n <= 64);
    assert_int_equal(dlfs_rng_permutation(&rng, perm, n), DLFS_OK);
    dlfs_linreg grad;
    dlfs_linreg_forward_info info;
    dlfs_matrix Xb, yb;
    assert_int_equal(dlfs_linreg_alloc(&grad, model->k, model->m), DLFS_OK);
    assert_int_equal(dlfs_linreg_forward_info_alloc(&info, bs, model->m), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&Xb, bs, model->k), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&yb, bs, model->m), DLFS_OK);
    size_t start = 0;
    for (size_t it = 0; it < iters; it++) {
        assert_true(start < n);   /* one pass only */
        const size_t rows = n - start < bs ? n - start : bs;
        gather(&Xb, X, perm + start, rows);
        gather(&yb, y, perm + start, rows);
        rows_used[it] = rows;
        start += rows;
        assert_int_equal(dlfs_linreg_forward(model, &Xb, &yb, &info, &losses[it]), DLFS_OK);
        assert_int_equal(dlfs_linreg_gradients(model, &info, &grad), DLFS_OK);
        assert_int_equal(dlfs_linreg_update(model, &grad, o->learning_rate), DLFS_OK);
    }
    dlfs_linreg_free(&grad);
    dlfs_linreg_forward_info_free(&info);
    free_data(&Xb, &yb);
}

static void hand_run_nn(dlfs_nn *model, const dlfs_matrix *X, const dlfs_matrix *y,
                        const dlfs_train_options *o, size_t iters, double *losses, size_t *rows_used)
{
    const size_t n = X->rows, bs = o->batch_size;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, o->seed);
    if (o->init_weights)
        assert_int_equal(dlfs_nn_init(model, &rng, o->init), DLFS_OK);
    size_t perm[64];
    assert_true(n <= 64);
    assert_int_equal(dlfs_rng_permutation(&rng, perm, n), DLFS_OK);
    dlfs_nn grad;
    dlfs_nn_forward_info info;
    dlfs_matrix Xb, yb;
    assert_int_equal(dlfs_nn_alloc(&grad, model->k, model->h, model->m), DLFS_OK);
    assert_int_equal(dlfs_nn_forward_info_alloc(&info, bs, model->h, model->m), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&Xb, bs, model->k), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&yb, bs, model->m), DLFS_OK);
    size_t start = 0;
    for (size_t it = 0; it < iters; it++) {
        assert_true(start < n);
        const size_t rows = n - start < bs ? n - start : bs;
        gather(&Xb, X, perm + start, rows);
        gather(&yb, y, perm + start, rows);
        rows_used[it] = rows;
        start += rows;
        assert_int_equal(dlfs_nn_forward(model, &Xb, &yb, &info, &losses[it]), DLFS_OK);
        assert_int_equal(dlfs_nn_gradients(model, &info, &grad), DLFS_OK);
        assert_int_equal(dlfs_nn_update(model, &grad, o->learning_rate), DLFS_OK);
    }
    dlfs_nn_free(&grad);
    dlfs_nn_forward_info_free(&info);
    free_data(&Xb, &yb);
}

static void test_batches_by_hand(void **state)
{
    (void)state;
    const dlfs_backend backends[] = {DLFS_BACKEND_BLAS, DLFS_BACKEND_NAIVE};
    dlfs_matrix X, y;
    tu_make_data(10, 3, 2, 3, &X, &y);
    for (size_t be = 0; be < 2; be++) {
        for (int init = 1; init >= 0; init--) {
            dlfs_train_options o = options(3, 4, 0.05, 99);
            o.init_weights = init;
            double losses[3], hand[3];
            size_t rows[3];
            o.loss_history = losses;
            o.loss_history_len = 3;

            dlfs_linreg a, b;
            assert_int_equal(dlfs_linreg_alloc(&a, 3, 2), DLFS_OK);
            assert_int_equal(dlfs_linreg_alloc(&b, 3, 2), DLFS_OK);
            a.backend = b.backend = backends[be];
            for (size_t i = 0; i < a.n_params; i++)   /* start values when not initialised */
                a.params[i] = b.params[i] = 0.1 * (double)i - 0.3;
            dlfs_train_result r;
            assert_int_equal(dlfs_linreg_train(&a, &X, &y, &o, &r), DLFS_OK);
            assert_int_equal(r.iterations, 3);
            hand_run_linreg(&b, &X, &y, &o, 3, hand, rows);
            assert_int_equal(rows[0], 4);
            assert_int_equal(rows[1], 4);
            assert_int_equal(rows[2], 2);
            assert_memory_equal(losses, hand, sizeof hand);
            assert_memory_equal(a.params, b.params, a.n_params * sizeof(double));
            assert_true(r.final_loss == hand[2]);

            dlfs_nn na, nb;
            assert_int_equal(dlfs_nn_alloc(&na, 3, 5, 2), DLFS_OK);
            assert_int_equal(dlfs_nn_alloc(&nb, 3, 5, 2), DLFS_OK);
            na.backend = nb.backend = backends[be];
            for (size_t i = 0; i < na.n_params; i++)
                na.params[i] = nb.params[i] = 0.05 * (double)(i % 7) - 0.1;
            assert_int_equal(dlfs_nn_train(&na, &X, &y, &o, &r), DLFS_OK);
            hand_run_nn(&nb, &X, &y, &o, 3, hand, rows);
            assert_int_equal(rows[2], 2);
            assert_memory_equal(losses, hand, sizeof hand);
            assert_memory_equal(na.params, nb.params, na.n_params * sizeof(double));

            dlfs_linreg_free(&a);
            dlfs_linreg_free(&b);
            dlfs_nn_free(&na);
            dlfs_nn_free(&nb);
        }
    }
    free_data(&X, &y);
}

/* Epochs: 10 rows in batches of 4 are 3 iterations a pass. */
static void test_epochs(void **state)
{
    (void)state;
    dlfs_matrix X, y;
    tu_make_data(10, 3, 1, 4, &X, &y);
    dlfs_train_options o = options(0, 4, 0.05, 5);
    o.epochs = 4;
    dlfs_linreg a;
    assert_int_equal(dlfs_linreg_alloc(&a, 3, 1), DLFS_OK);
    dlfs_train_result r;
    assert_int_equal(dlfs_linreg_train(&a, &X, &y, &o, &r), DLFS_OK);
    assert_int_equal(r.iterations, 12);
    assert_int_equal(r.stopped_early, 0);
    /* the same as asking for 12 iterations */
    dlfs_linreg b;
    assert_int_equal(dlfs_linreg_alloc(&b, 3, 1), DLFS_OK);
    o.iterations = 12;
    o.epochs = 0;
    assert_int_equal(dlfs_linreg_train(&b, &X, &y, &o, NULL), DLFS_OK);
    assert_memory_equal(a.params, b.params, a.n_params * sizeof(double));

    /* a batch larger than the data: every iteration uses all rows */
    dlfs_nn nn;
    assert_int_equal(dlfs_nn_alloc(&nn, 3, 4, 1), DLFS_OK);
    o = options(0, 50, 0.05, 5);
    o.epochs = 5;
    assert_int_equal(dlfs_nn_train(&nn, &X, &y, &o, &r), DLFS_OK);
    assert_int_equal(r.iterations, 5);
    assert_true(all_finite(nn.params, nn.n_params));
    dlfs_nn_free(&nn);
    dlfs_linreg_free(&a);
    dlfs_linreg_free(&b);
    free_data(&X, &y);
}

/* ---- loss history and callbacks --------------------------------------------------- */

struct loss_log {
    size_t calls;
    size_t last_it;
    double losses[64];
    size_t stop_at;   /* return nonzero at this iteration (SIZE_MAX: never) */
};

static int log_loss(size_t it, double loss, void *user)
{
    struct loss_log *log = user;
    if (it != log->calls)   /* iterations arrive in order, each once */
        log->last_it = SIZE_MAX;
    else
        log->last_it = it;
    if (it < 64)
        log->losses[it] = loss;
    log->calls++;
    return it == log->stop_at;
}

static void test_loss_history_and_stop(void **state)
{
    (void)state;
    dlfs_matrix X, y;
    tu_make_data(60, 4, 1, 5, &X, &y);
    double hist[40];
    tu_fill_value(hist, 40, -1.0);
    struct loss_log log = {.stop_at = SIZE_MAX};
    dlfs_train_options o = options(30, 8, 0.02, 11);
    o.loss_history = hist;
    o.loss_history_len = 25;   /* shorter than the run: the rest is not written */
    o.on_loss = log_loss;
    o.user = &log;

    dlfs_nn nn;
    assert_int_equal(dlfs_nn_alloc(&nn, 4, 6, 1), DLFS_OK);
    dlfs_train_result r;
    assert_int_equal(dlfs_nn_train(&nn, &X, &y, &o, &r), DLFS_OK);
    assert_int_equal(r.iterations, 30);
    assert_int_equal(r.stopped_early, 0);
    assert_true(isnan(r.final_val_loss));
    assert_int_equal(log.calls, 30);
    assert_int_equal(log.last_it, 29);
    for (size_t i = 0; i < 25; i++) {
        assert_true(isfinite(hist[i]) && hist[i] >= 0.0);
        assert_true(hist[i] == log.losses[i]);
    }
    for (size_t i = 25; i < 40; i++)
        assert_true(hist[i] == -1.0);
    assert_true(r.final_loss == log.losses[29]);
    /* the loss goes down over a few passes */
    assert_true(log.losses[29] + log.losses[28] < log.losses[0] + log.losses[1]);

    /* stop after iteration 4: five updates, as a five-iteration run */
    struct loss_log stop = {.stop_at = 4};
    o.user = &stop;
    o.loss_history = NULL;
    o.loss_history_len = 0;
    assert_int_equal(dlfs_nn_train(&nn, &X, &y, &o, &r), DLFS_OK);
    assert_int_equal(r.iterations, 5);
    assert_int_equal(r.stopped_early, 1);
    assert_int_equal(stop.calls, 5);
    dlfs_nn five;
    assert_int_equal(dlfs_nn_alloc(&five, 4, 6, 1), DLFS_OK);
    dlfs_train_options o5 = options(5, 8, 0.02, 11);
    assert_int_equal(dlfs_nn_train(&five, &X, &y, &o5, NULL), DLFS_OK);
    assert_memory_equal(nn.params, five.params, nn.n_params * sizeof(double));

    /* the same for the regression */
    dlfs_linreg lr, lr5;
    assert_int_equal(dlfs_linreg_alloc(&lr, 4, 1), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&lr5, 4, 1), DLFS_OK);
    struct loss_log stop2 = {.stop_at = 4};
    o.user = &stop2;
    assert_int_equal(dlfs_linreg_train(&lr, &X, &y, &o, &r), DLFS_OK);
    assert_int_equal(r.iterations, 5);
    assert_int_equal(r.stopped_early, 1);
    assert_int_equal(dlfs_linreg_train(&lr5, &X, &y, &o5, NULL), DLFS_OK);
    assert_memory_equal(lr.params, lr5.params, lr.n_params * sizeof(double));

    dlfs_nn_free(&nn);
    dlfs_nn_free(&five);
    dlfs_linreg_free(&lr);
    dlfs_linreg_free(&lr5);
    free_data(&X, &y);
}

/* The validation callback sees the loss of the model as it is after that
 * iteration's update: the test recomputes it with predict. */
struct eval_log {
    const dlfs_nn *nn;
    const dlfs_linreg *lr;
    const dlfs_matrix *X_val, *y_val;
    size_t calls;
    size_t its[16];
    double max_err;
    size_t stop_at;
    double last;
};

static int log_eval(size_t it, double val_loss, void *user)
{
    struct eval_log *e = user;
    if (e->calls < 16)
        e->its[e->calls] = it;
    e->calls++;
    e->last = val_loss;
    double p[64], want = NAN;
    dlfs_matrix P = dlfs_matrix_view(p, e->X_val->rows, e->y_val->cols, e->y_val->cols);
    dlfs_status st = e->nn ? dlfs_nn_predict(e->nn, e->X_val, &P) : dlfs_linreg_predict(e->lr, e->X_val, &P);
    if (st == DLFS_OK)
        st = dlfs_mse(&P, e->y_val, &want);
    const double err = st == DLFS_OK ? fabs(val_loss - want) / want : INFINITY;
    if (!(err <= e->max_err))
        e->max_err = err;
    return it == e->stop_at;
}

static void test_validation_callback(void **state)
{
    (void)state;
    dlfs_matrix X, y, Xv, yv;
    tu_make_data(40, 3, 2, 6, &X, &y);
    tu_make_data(30, 3, 2, 7, &Xv, &yv);
    dlfs_nn nn;
    dlfs_linreg lr;
    assert_int_equal(dlfs_nn_alloc(&nn, 3, 4, 2), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&lr, 3, 2), DLFS_OK);

    for (int model = 0; model < 2; model++) {
        struct eval_log e = {.X_val = &Xv, .y_val = &yv, .stop_at = SIZE_MAX};
        if (model)
            e.lr = &lr;
        else
            e.nn = &nn;
        dlfs_train_options o = options(10, 8, 0.05, 12);
        o.X_val = &Xv;
        o.y_val = &yv;
        o.eval_every = 3;
        o.on_eval = log_eval;
        o.user = &e;
        dlfs_train_result r;
        assert_int_equal(model ? dlfs_linreg_train(&lr, &X, &y, &o, &r) : dlfs_nn_train(&nn, &X, &y, &o, &r),
                         DLFS_OK);
        /* every 3 iterations (after iterations 2, 5, 8) and after the last (9) */
        assert_int_equal(e.calls, 4);
        assert_int_equal(e.its[0], 2);
        assert_int_equal(e.its[1], 5);
        assert_int_equal(e.its[2], 8);
        assert_int_equal(e.its[3], 9);
        assert_true(e.max_err <= 1e-12);
        assert_true(r.final_val_loss == e.last);

        /* a last iteration that is also a multiple of K is evaluated once */
        e.calls = 0;
        o.iterations = 9;
        assert_int_equal(model ? dlfs_linreg_train(&lr, &X, &y, &o, &r) : dlfs_nn_train(&nn, &X, &y, &o, &r),
                         DLFS_OK);
        assert_int_equal(e.calls, 3);
        assert_int_equal(e.its[2], 8);

        /* eval_every 0: never */
        e.calls = 0;
        o.eval_every = 0;
        assert_int_equal(model ? dlfs_linreg_train(&lr, &X, &y, &o, &r) : dlfs_nn_train(&nn, &X, &y, &o, &r),
                         DLFS_OK);
        assert_int_equal(e.calls, 0);
        assert_true(isnan(r.final_val_loss));

        /* the eval callback stops training */
        e.calls = 0;
        e.stop_at = 5;
        o.eval_every = 3;
        o.iterations = 100;
        assert_int_equal(model ? dlfs_linreg_train(&lr, &X, &y, &o, &r) : dlfs_nn_train(&nn, &X, &y, &o, &r),
                         DLFS_OK);
        assert_int_equal(e.calls, 2);
        assert_int_equal(r.iterations, 6);
        assert_int_equal(r.stopped_early, 1);
    }
    dlfs_nn_free(&nn);
    dlfs_linreg_free(&lr);
    free_data(&X, &y);
    free_data(&Xv, &yv);
}

/* ---- the regression recovers exact coefficients ----------------------------------- */

static void test_linreg_recovers_coefficients(void **state)
{
    (void)state;
    const size_t n = 300, k = 4, m = 2;
    const double W[4 * 2] = {1.5, -2, 0.25, 3, -0.75, 0.5, 2, -1};
    const double B[2] = {0.3, -4};
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 13);
    dlfs_matrix X, y;
    assert_int_equal(dlfs_matrix_alloc(&X, n, k), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&y, n, m), DLFS_OK);
    tu_fill_normal(&X, &rng, 1.0);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            double v = B[j];
            for (size_t a = 0; a < k; a++)
                v += X.data[i * k + a] * W[a * m + j];
            y.data[i * m + j] = v;
        }
    dlfs_linreg model;
    assert_int_equal(dlfs_linreg_alloc(&model, k, m), DLFS_OK);
    dlfs_train_options o = options(4000, 25, 0.05, 14);
    dlfs_train_result r;
    assert_int_equal(dlfs_linreg_train(&model, &X, &y, &o, &r), DLFS_OK);
    dlfs_matrix Wt = dlfs_matrix_view((double *)W, k, m, m), Bt = dlfs_matrix_view((double *)B, 1, m, m);
    const double ew = tu_max_abs_diff(&model.W, &Wt), eb = tu_max_abs_diff(&model.B, &Bt);
    print_message("noise-free linear data: max |W - W*| = %.3g, max |B - B*| = %.3g, final loss %.3g\n",
                  ew, eb, r.final_loss);
    assert_true(ew < 1e-8);
    assert_true(eb < 1e-8);
    assert_true(r.final_loss < 1e-16);
    dlfs_linreg_free(&model);
    free_data(&X, &y);
}

/* ---- the divergence guard ----------------------------------------------------------- */

static void test_divergence_guard(void **state)
{
    (void)state;
    dlfs_matrix X, y;
    tu_make_data(100, 5, 1, 8, &X, &y);
    double hist[200];
    for (int model = 0; model < 2; model++) {
        dlfs_train_options o = options(200, 10, 1e6, 15);
        tu_fill_value(hist, 200, -1.0);
        o.loss_history = hist;
        o.loss_history_len = 200;
        dlfs_train_result r;
        dlfs_nn nn, nn2;
        dlfs_linreg lr, lr2;
        assert_int_equal(dlfs_nn_alloc(&nn, 5, 7, 1), DLFS_OK);
        assert_int_equal(dlfs_nn_alloc(&nn2, 5, 7, 1), DLFS_OK);
        assert_int_equal(dlfs_linreg_alloc(&lr, 5, 1), DLFS_OK);
        assert_int_equal(dlfs_linreg_alloc(&lr2, 5, 1), DLFS_OK);
        const dlfs_status st = model ? dlfs_linreg_train(&lr, &X, &y, &o, &r) : dlfs_nn_train(&nn, &X, &y, &o, &r);
        assert_int_equal(st, DLFS_EDIVERGED);
        assert_non_null(strstr(dlfs_error_detail(), "iteration"));
        const size_t f = r.failed_iteration;
        print_message("%s with lr 1e6: diverged at iteration %zu\n", model ? "linreg" : "nn", f);
        assert_true(f < 200);
        assert_int_equal(r.iterations, f);
        const double *p = model ? lr.params : nn.params;
        const size_t np = model ? lr.n_params : nn.n_params;
        assert_true(all_finite(p, np));
        /* losses of the completed iterations are recorded, finite; none after */
        for (size_t i = 0; i < f; i++)
            assert_true(isfinite(hist[i]));
        for (size_t i = f; i < 200; i++)
            assert_true(hist[i] == -1.0);
        /* the weights are those of a run stopped after f iterations */
        const double *p2;
        if (f > 0) {
            o.iterations = f;
            o.loss_history = NULL;
            o.loss_history_len = 0;
            assert_int_equal(model ? dlfs_linreg_train(&lr2, &X, &y, &o, NULL) : dlfs_nn_train(&nn2, &X, &y, &o, NULL),
                             DLFS_OK);
        } else {
            dlfs_rng rng;
            dlfs_rng_seed(&rng, o.seed);
            assert_int_equal(model ? dlfs_linreg_init(&lr2, &rng, o.init) : dlfs_nn_init(&nn2, &rng, o.init),
                             DLFS_OK);
        }
        p2 = model ? lr2.params : nn2.params;
        assert_memory_equal(p, p2, np * sizeof(double));
        dlfs_nn_free(&nn);
        dlfs_nn_free(&nn2);
        dlfs_linreg_free(&lr);
        dlfs_linreg_free(&lr2);
    }
    free_data(&X, &y);
}

/* A gradient can overflow while the loss is still finite: huge inputs with
 * small weights. Caught at iteration 0, before the update. */
static void test_divergence_in_gradient(void **state)
{
    (void)state;
    dlfs_matrix X, y;
    assert_int_equal(dlfs_matrix_alloc(&X, 10, 2), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&y, 10, 1), DLFS_OK);   /* y = 0 */
    for (size_t i = 0; i < 10; i++) {
        X.data[i * 2] = 1e200;          /* finite, so accepted as data */
        X.data[i * 2 + 1] = (double)i;
    }
    dlfs_train_options o = options(5, 10, 0.01, 1);
    o.init_weights = 0;
    dlfs_train_result r;

    /* linreg: W = 0, B = 1e150: P = 1e150, L = 1e300, dL/dW = X^T dL/dP = inf */
    dlfs_linreg lr;
    assert_int_equal(dlfs_linreg_alloc(&lr, 2, 1), DLFS_OK);
    lr.B.data[0] = 1e150;
    double *lr0 = tu_dup_doubles(lr.params, lr.n_params);
    assert_int_equal(dlfs_linreg_train(&lr, &X, &y, &o, &r), DLFS_EDIVERGED);
    assert_int_equal(r.failed_iteration, 0);
    assert_int_equal(r.iterations, 0);
    assert_memory_equal(lr.params, lr0, lr.n_params * sizeof(double));

    /* nn: W1 = 0, W2 = 1, B2 = 1e150: P = 1e150 + O1.W2, L finite, dL/dW1 = inf */
    dlfs_nn nn;
    assert_int_equal(dlfs_nn_alloc(&nn, 2, 3, 1), DLFS_OK);
    tu_fill_value(nn.W2.data, 3, 1.0);
    nn.B2.data[0] = 1e150;
    double *nn0 = tu_dup_doubles(nn.params, nn.n_params);
    assert_int_equal(dlfs_nn_train(&nn, &X, &y, &o, &r), DLFS_EDIVERGED);
    assert_int_equal(r.failed_iteration, 0);
    assert_int_equal(r.iterations, 0);
    assert_memory_equal(nn.params, nn0, nn.n_params * sizeof(double));

    free(lr0);
    free(nn0);
    dlfs_linreg_free(&lr);
    dlfs_nn_free(&nn);
    free_data(&X, &y);
}

/* ---- invalid options are refused before the weights are touched -------------------- */

static void test_invalid_options(void **state)
{
    (void)state;
    dlfs_matrix X, y, Xv, yv;
    tu_make_data(20, 3, 1, 9, &X, &y);
    tu_make_data(5, 3, 1, 10, &Xv, &yv);
    dlfs_nn nn;
    dlfs_linreg lr;
    assert_int_equal(dlfs_nn_alloc(&nn, 3, 4, 1), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&lr, 3, 1), DLFS_OK);
    for (size_t i = 0; i < nn.n_params; i++)
        nn.params[i] = 1.0 + (double)i;
    for (size_t i = 0; i < lr.n_params; i++)
        lr.params[i] = -1.0 - (double)i;
    double *nn0 = tu_dup_doubles(nn.params, nn.n_params), *lr0 = tu_dup_doubles(lr.params, lr.n_params);
    double hist[4] = {-1, -1, -1, -1};

    enum { N_CASES = 17 };
    for (int c = 0; c < N_CASES; c++) {
        for (int model = 0; model < 2; model++) {
            dlfs_train_options o = options(50, 4, 0.01, 1);
            o.loss_history = hist;
            o.loss_history_len = 4;
            dlfs_matrix Xc = X, yc = y;
            dlfs_status want = DLFS_EINVAL;
            const char *detail = NULL;
            double *poke = NULL, saved = 0;
            switch (c) {
            case 0: o.batch_size = 0; break;
            case 1: o.learning_rate = 0.0; break;
            case 2: o.learning_rate = -0.01; break;
            case 3: o.learning_rate = NAN; break;
            case 4: o.learning_rate = INFINITY; break;
            case 5: o.iterations = 0; o.epochs = 0; break;
            case 6: poke = &X.data[3 * 3 + 1]; saved = *poke; *poke = NAN;
                    want = DLFS_ENONFINITE; detail = "row 3, column 1"; break;
            case 7: poke = &y.data[7]; saved = *poke; *poke = -INFINITY;
                    want = DLFS_ENONFINITE; detail = "row 7, column 0"; break;
            case 8: o.X_val = &Xv; o.y_val = &yv; o.eval_every = 1;
                    poke = &Xv.data[4 * 3 + 2]; saved = *poke; *poke = INFINITY;
                    want = DLFS_ENONFINITE; detail = "row 4, column 2"; break;
            case 9: Xc.cols = 2; want = DLFS_ESHAPE; break;
            case 10: yc.rows = 19; want = DLFS_ESHAPE; break;
            case 11: o.X_val = &Xv; want = DLFS_ENULL; break;
            case 12: o.X_val = &Xv; o.y_val = &y; o.eval_every = 1; want = DLFS_ESHAPE; break;
            case 13: o.loss_history = NULL; want = DLFS_ENULL; break;
            case 14: o.init = (dlfs_init)7; break;
            case 15: Xc.rows = yc.rows = 0; want = DLFS_EEMPTY; break;
            case 16: nn.backend = lr.backend = (dlfs_backend)9; break;
            }
            dlfs_train_result r;
            memset(&r, 0x11, sizeof r);
            const dlfs_status st = model ? dlfs_linreg_train(&lr, &Xc, &yc, &o, &r)
                                         : dlfs_nn_train(&nn, &Xc, &yc, &o, &r);
            if (st != want)
                print_error("case %d, %s: got %s\n", c, model ? "linreg" : "nn", dlfs_strerror(st));
            assert_int_equal(st, want);
            if (detail)
                assert_non_null(strstr(dlfs_error_detail(), detail));
            assert_int_equal(r.iterations, 0);
            if (poke)
                *poke = saved;
            nn.backend = lr.backend = DLFS_BACKEND_BLAS;
            assert_memory_equal(nn.params, nn0, nn.n_params * sizeof(double));
            assert_memory_equal(lr.params, lr0, lr.n_params * sizeof(double));
            for (int i = 0; i < 4; i++)
                assert_true(hist[i] == -1.0);
        }
    }
    /* NULLs and unallocated models */
    dlfs_train_options o = options(5, 4, 0.01, 1);
    dlfs_nn nn_empty = {0};
    dlfs_linreg lr_empty = {0};
    assert_int_equal(dlfs_nn_train(NULL, &X, &y, &o, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_nn_train(&nn_empty, &X, &y, &o, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_nn_train(&nn, NULL, &y, &o, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_nn_train(&nn, &X, NULL, &o, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_nn_train(&nn, &X, &y, NULL, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_train(NULL, &X, &y, &o, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_train(&lr_empty, &X, &y, &o, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_train(&lr, NULL, &y, &o, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_train(&lr, &X, NULL, &o, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_train(&lr, &X, &y, NULL, NULL), DLFS_ENULL);
    assert_memory_equal(nn.params, nn0, nn.n_params * sizeof(double));
    assert_memory_equal(lr.params, lr0, lr.n_params * sizeof(double));

    /* and the valid options do train */
    assert_int_equal(dlfs_nn_train(&nn, &X, &y, &o, NULL), DLFS_OK);
    assert_true(memcmp(nn.params, nn0, nn.n_params * sizeof(double)) != 0);
    free(nn0);
    free(lr0);
    dlfs_nn_free(&nn);
    dlfs_linreg_free(&lr);
    free_data(&X, &y);
    free_data(&Xv, &yv);
}

/* ---- nothing is allocated inside the loop ------------------------------------------- */

struct alloc_watch {
    size_t at_first;   /* allocation count seen at iteration 0 */
    size_t calls;
    int changed;
    int allocate_at;   /* control: allocate in the callback at this iteration (-1: never) */
};

static int watch_loss(size_t it, double loss, void *user)
{
    (void)loss;
    struct alloc_watch *w = user;
    if ((int)it == w->allocate_at)
        __wrap_free(__wrap_malloc(16));
    const size_t now = atomic_load(&alloc_attempts);
    if (it == 0)
        w->at_first = now;
    else if (now != w->at_first)
        w->changed = 1;
    w->calls++;
    return 0;
}

static int watch_eval(size_t it, double loss, void *user)
{
    (void)it;
    (void)loss;
    struct alloc_watch *w = user;
    if (atomic_load(&alloc_attempts) != w->at_first)
        w->changed = 1;
    return 0;
}

static void test_no_allocation_in_loop(void **state)
{
    (void)state;
    dlfs_matrix X, y, Xv, yv;
    tu_make_data(100, 13, 1, 16, &X, &y);
    tu_make_data(30, 13, 1, 17, &Xv, &yv);
    dlfs_nn nn;
    dlfs_linreg lr;
    assert_int_equal(dlfs_nn_alloc(&nn, 13, 13, 1), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&lr, 13, 1), DLFS_OK);
    size_t runs = 0;
    for (int model = 0; model < 2; model++)
        for (int val = 0; val < 2; val++)
            for (int be = 0; be < 4; be++) {   /* blas, naive, xsmm, auto */
                if (!dlfs_backend_available((dlfs_backend)be))
                    continue;
                nn.backend = lr.backend = (dlfs_backend)be;
                struct alloc_watch w = {.allocate_at = -1};
                dlfs_train_options o = options(200, 23, 0.005, 18);
                o.on_loss = watch_loss;
                o.user = &w;
                if (val) {
                    o.X_val = &Xv;
                    o.y_val = &yv;
                    o.eval_every = 7;
                    o.on_eval = watch_eval;
                }
                const size_t before = atomic_load(&alloc_attempts);
                const dlfs_status st = model ? dlfs_linreg_train(&lr, &X, &y, &o, NULL)
                                             : dlfs_nn_train(&nn, &X, &y, &o, NULL);
                assert_int_equal(st, DLFS_OK);
                assert_int_equal(w.calls, 200);
                /* the workspace was allocated (the counter works) ... */
                assert_true(w.at_first >= before + 4);
                /* ... and nothing after iteration 0, nor while cleaning up */
                assert_int_equal(w.changed, 0);
                assert_int_equal(atomic_load(&alloc_attempts), w.at_first);
                runs++;
            }
    assert_int_equal(runs, dlfs_have_xsmm() ? 16 : 12);

    /* control: an allocation in the loop is seen */
    struct alloc_watch w = {.allocate_at = 50};
    dlfs_train_options o = options(100, 23, 0.005, 18);
    o.on_loss = watch_loss;
    o.user = &w;
    assert_int_equal(dlfs_nn_train(&nn, &X, &y, &o, NULL), DLFS_OK);
    assert_int_equal(w.changed, 1);

    dlfs_nn_free(&nn);
    dlfs_linreg_free(&lr);
    free_data(&X, &y);
    free_data(&Xv, &yv);
}

/* ---- every allocation failure ----------------------------------------------------------- */

struct op_ctx {
    dlfs_nn *nn;
    dlfs_linreg *lr;
    const dlfs_matrix *X, *y, *Xv, *yv;
    dlfs_nn out_nn;
    dlfs_linreg out_lr;
    dlfs_nn_forward_info out_nn_info;
    dlfs_linreg_forward_info out_lr_info;
    dlfs_matrix out_m;
    double p[512];
};

/* An operation that allocates, and a check that its failure left no trace in
 * its outputs. */
struct op {
    const char *name;
    dlfs_status (*run)(struct op_ctx *c);
    void (*cleanup)(struct op_ctx *c);   /* after success */
    int (*empty)(const struct op_ctx *c); /* after failure: outputs empty */
};

static dlfs_status run_nn_train(struct op_ctx *c)
{
    dlfs_train_options o = options(30, 23, 0.01, 19);
    return dlfs_nn_train(c->nn, c->X, c->y, &o, NULL);
}

static dlfs_status run_nn_train_val(struct op_ctx *c)
{
    dlfs_train_options o = options(30, 23, 0.01, 19);
    o.X_val = c->Xv;
    o.y_val = c->yv;
    o.eval_every = 5;
    return dlfs_nn_train(c->nn, c->X, c->y, &o, NULL);
}

static dlfs_status run_lr_train(struct op_ctx *c)
{
    dlfs_train_options o = options(30, 23, 0.01, 19);
    return dlfs_linreg_train(c->lr, c->X, c->y, &o, NULL);
}

static dlfs_status run_lr_train_val(struct op_ctx *c)
{
    dlfs_train_options o = options(30, 23, 0.01, 19);
    o.X_val = c->Xv;
    o.y_val = c->yv;
    o.eval_every = 5;
    return dlfs_linreg_train(c->lr, c->X, c->y, &o, NULL);
}

static dlfs_status run_nn_alloc(struct op_ctx *c)
{
    return dlfs_nn_alloc(&c->out_nn, 13, 13, 1);
}

static dlfs_status run_lr_alloc(struct op_ctx *c)
{
    return dlfs_linreg_alloc(&c->out_lr, 13, 1);
}

static dlfs_status run_nn_info_alloc(struct op_ctx *c)
{
    return dlfs_nn_forward_info_alloc(&c->out_nn_info, 23, 13, 1);
}

static dlfs_status run_lr_info_alloc(struct op_ctx *c)
{
    return dlfs_linreg_forward_info_alloc(&c->out_lr_info, 23, 1);
}

static dlfs_status run_matrix_alloc(struct op_ctx *c)
{
    return dlfs_matrix_alloc(&c->out_m, 7, 3);
}

static dlfs_status run_nn_predict(struct op_ctx *c)
{
    dlfs_matrix P = dlfs_matrix_view(c->p, c->X->rows, 1, 1);
    return dlfs_nn_predict(c->nn, c->X, &P);
}

static void cleanup_none(struct op_ctx *c)
{
    (void)c;
}

static void cleanup_outputs(struct op_ctx *c)
{
    dlfs_nn_free(&c->out_nn);
    dlfs_linreg_free(&c->out_lr);
    dlfs_nn_forward_info_free(&c->out_nn_info);
    dlfs_linreg_forward_info_free(&c->out_lr_info);
    dlfs_matrix_free(&c->out_m);
}

/* The training runs have no outputs but the weights, compared separately. */
static int empty_always(const struct op_ctx *c)
{
    (void)c;
    return 1;
}

static int empty_outputs(const struct op_ctx *c)
{
    /* only the output of the operation that failed is checked: the others
     * still hold the junk put there before the call */
    return (!c->out_nn.params && c->out_nn.n_params == 0 && c->out_nn.h == 0)
           || (!c->out_lr.params && c->out_lr.n_params == 0)
           || (!c->out_nn_info.block && c->out_nn_info.capacity == 0)
           || (!c->out_lr_info.block && c->out_lr_info.capacity == 0)
           || (!c->out_m.data && c->out_m.rows == 0);
}

static int p_untouched(const struct op_ctx *c)
{
    for (size_t i = 0; i < c->X->rows; i++)
        if (c->p[i] != -2.0)
            return 0;
    return 1;
}

static void test_allocation_failures(void **state)
{
    (void)state;
    dlfs_matrix X, y, Xv, yv;
    tu_make_data(100, 13, 1, 20, &X, &y);
    tu_make_data(30, 13, 1, 21, &Xv, &yv);
    dlfs_nn nn;
    dlfs_linreg lr;
    assert_int_equal(dlfs_nn_alloc(&nn, 13, 13, 1), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&lr, 13, 1), DLFS_OK);
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 22);
    assert_int_equal(dlfs_nn_init(&nn, &rng, DLFS_INIT_NORMAL), DLFS_OK);
    assert_int_equal(dlfs_linreg_init(&lr, &rng, DLFS_INIT_NORMAL), DLFS_OK);

    const struct op ops[] = {
        {"dlfs_nn_train", run_nn_train, cleanup_none, empty_always},
        {"dlfs_nn_train (validation)", run_nn_train_val, cleanup_none, empty_always},
        {"dlfs_linreg_train", run_lr_train, cleanup_none, empty_always},
        {"dlfs_linreg_train (validation)", run_lr_train_val, cleanup_none, empty_always},
        {"dlfs_nn_alloc", run_nn_alloc, cleanup_outputs, empty_outputs},
        {"dlfs_linreg_alloc", run_lr_alloc, cleanup_outputs, empty_outputs},
        {"dlfs_nn_forward_info_alloc", run_nn_info_alloc, cleanup_outputs, empty_outputs},
        {"dlfs_linreg_forward_info_alloc", run_lr_info_alloc, cleanup_outputs, empty_outputs},
        {"dlfs_matrix_alloc", run_matrix_alloc, cleanup_outputs, empty_outputs},
        {"dlfs_nn_predict", run_nn_predict, cleanup_none, p_untouched},
    };
    size_t paths = 0;
    for (size_t k = 0; k < TU_LEN(ops); k++) {
        struct op_ctx *c = calloc(1, sizeof *c);
        assert_non_null(c);
        *c = (struct op_ctx){.nn = &nn, .lr = &lr, .X = &X, .y = &y, .Xv = &Xv, .yv = &yv};
        /* a successful run first: how many allocations it makes, and that
         * it frees them all */
        double *nn0 = tu_dup_doubles(nn.params, nn.n_params), *lr0 = tu_dup_doubles(lr.params, lr.n_params);
        long live0 = atomic_load(&live_blocks);
        atomic_store(&alloc_attempts, 0);
        assert_int_equal(ops[k].run(c), DLFS_OK);
        const size_t count = atomic_load(&alloc_attempts);
        ops[k].cleanup(c);
        assert_int_equal(atomic_load(&live_blocks), live0);
        assert_true(count >= 1);
        /* the training runs changed the weights: put them back */
        memcpy(nn.params, nn0, nn.n_params * sizeof(double));
        memcpy(lr.params, lr0, lr.n_params * sizeof(double));

        for (size_t n = 1; n <= count; n++) {
            tu_fill_value(c->p, TU_LEN(c->p), -2.0);
            /* junk in the outputs: a failed alloc must reset them to empty */
            c->out_nn = (dlfs_nn){.params = c->p, .n_params = 3, .h = 1};
            c->out_lr = (dlfs_linreg){.params = c->p, .n_params = 3};
            c->out_nn_info = (dlfs_nn_forward_info){.block = c->p, .capacity = 5};
            c->out_lr_info = (dlfs_linreg_forward_info){.block = c->p, .capacity = 5};
            c->out_m = dlfs_matrix_view(c->p, 1, 1, 1);
            live0 = atomic_load(&live_blocks);
            atomic_store(&alloc_attempts, 0);
            atomic_store(&fail_at, n);
            const dlfs_status st = ops[k].run(c);
            atomic_store(&fail_at, 0);
            if (st != DLFS_ENOMEM)
                print_error("%s: allocation %zu of %zu failed, got %s\n", ops[k].name, n, count,
                            dlfs_strerror(st));
            assert_int_equal(st, DLFS_ENOMEM);
            assert_true(strlen(dlfs_error_detail()) > 0);
            /* nothing leaked, nothing written */
            assert_int_equal(atomic_load(&live_blocks), live0);
            assert_memory_equal(nn.params, nn0, nn.n_params * sizeof(double));
            assert_memory_equal(lr.params, lr0, lr.n_params * sizeof(double));
            assert_true(ops[k].empty(c));
            paths++;
        }
        print_message("%-32s %zu allocations, each made to fail\n", ops[k].name, count);
        free(nn0);
        free(lr0);
        free(c);
    }
    print_message("allocation failure paths tried: %zu\n", paths);
    /* a training run: the permutation, the batch, the gradient
     * model and the forward info (and the validation's info); six single ones */
    assert_true(paths >= 2 * 4 + 2 * 5 + 6);
    dlfs_nn_free(&nn);
    dlfs_linreg_free(&lr);
    free_data(&X, &y);
    free_data(&Xv, &yv);
}

/* ---- two trainings at once ------------------------------------------------------------------ */

struct job {
    dlfs_nn nn;
    dlfs_matrix X, y;
    dlfs_train_options o;
    dlfs_status st;
};

static void *run_job(void *arg)
{
    struct job *j = arg;
    j->st = dlfs_nn_train(&j->nn, &j->X, &j->y, &j->o, NULL);
    return NULL;
}

static void setup_job(struct job *j, size_t n, size_t k, size_t h, size_t bs, uint64_t seed)
{
    tu_make_data(n, k, 1, seed, &j->X, &j->y);
    assert_int_equal(dlfs_nn_alloc(&j->nn, k, h, 1), DLFS_OK);
    j->o = options(1500, bs, 0.005, seed + 1);
    j->st = DLFS_EINVAL;
}

static void test_two_threads(void **state)
{
    (void)state;
    struct job par[2], seq[2];
    /* the chapter's size, and one large enough for threaded BLAS products */
    setup_job(&par[0], 300, 13, 13, 23, 30);
    setup_job(&par[1], 400, 64, 96, 128, 31);
    setup_job(&seq[0], 300, 13, 13, 23, 30);
    setup_job(&seq[1], 400, 64, 96, 128, 31);
    par[1].o.iterations = seq[1].o.iterations = 150;

    run_job(&seq[0]);
    run_job(&seq[1]);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, run_job, &par[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(seq[i].st, DLFS_OK);
        assert_int_equal(par[i].st, DLFS_OK);
        assert_memory_equal(par[i].nn.params, seq[i].nn.params, seq[i].nn.n_params * sizeof(double));
        dlfs_nn_free(&par[i].nn);
        dlfs_nn_free(&seq[i].nn);
        free_data(&par[i].X, &par[i].y);
        free_data(&seq[i].X, &seq[i].y);
    }
}

/* ---- checkpoints and resuming ------------------------------------------------------------ */

/* 53 rows in batches of 10: six batches a pass, the last of 3 rows. */
enum { CK_ROWS = 53, CK_K = 4, CK_H = 6, CK_BATCH = 10, CK_N = 40 };

static const char *ck_kind_name(dlfs_model_kind kind)
{
    return kind == DLFS_MODEL_NN ? "nn" : "linreg";
}

/* out (512 bytes) = dir/name */
static void ck_join(char *out, const char *dir, const char *name)
{
    const int len = snprintf(out, 512, "%s/%s", dir, name);
    assert_true(len > 0 && len < 512);
}

static int ck_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void ck_copy_file(const char *from, const char *to)
{
    size_t len;
    unsigned char *b = tu_read_file(from, &len);
    tu_write_file(to, b, len);
    free(b);
}

static double *ck_params(const dlfs_model *m, size_t *np)
{
    return (double *)dlfs_model_params(m, np);
}

/* A model of kind (k inputs, h hidden units for the network, m outputs)
 * whose parameters are garbage from `fill` (0: left zero). */
static void ck_model_shape(dlfs_model *model, dlfs_model_kind kind, size_t k, size_t h, size_t m,
                           double fill)
{
    assert_int_equal(dlfs_model_alloc(model, kind, k, kind == DLFS_MODEL_NN ? h : 0, m), DLFS_OK);
    size_t np;
    double *p = ck_params(model, &np);
    if (fill != 0.0)
        for (size_t i = 0; i < np; i++)
            p[i] = fill + 0.125 * (double)i;
}

static void ck_model(dlfs_model *model, dlfs_model_kind kind, double fill)
{
    ck_model_shape(model, kind, CK_K, CK_H, 1, fill);
}

static dlfs_train_options ck_options(dlfs_model_kind kind, size_t iterations)
{
    return options(iterations, CK_BATCH, kind == DLFS_MODEL_NN ? 0.02 : 0.01, 4242);
}

/* What the callbacks do and saw. */
struct ck_cb {
    size_t stop_at;       /* return stop_flags after the stop_at-th iteration (0: never) */
    int stop_flags;       /* (0: DLFS_TRAIN_STOP) */
    size_t ckpt_at;       /* return DLFS_TRAIN_CHECKPOINT after the ckpt_at-th (0: never) */
    const char *path;     /* the run's checkpoint file, for the checks below */
    size_t every;         /* nonzero: check that the file holds the last multiple of every */
    const char *copy_to;  /* nonzero: copy the file there in the callback of iteration copy_at */
    size_t copy_at;
    size_t eval_stop_at;  /* on_eval: stop after the eval_stop_at-th iteration (0: never) */
    size_t calls, first_it, last_it;
    size_t bad;           /* checks that failed in a callback */
    size_t bad_it, bad_got;
};

static int ck_on_loss(size_t it, double loss, void *user)
{
    (void)loss;
    struct ck_cb *c = user;
    if (c->calls++ == 0)
        c->first_it = it;
    c->last_it = it;
    /* The file as it stands now: the last checkpoint is the previous iteration's. */
    if (c->path && c->every && it >= c->every) {
        dlfs_checkpoint k;
        const size_t want = it / c->every * c->every;
        if (dlfs_checkpoint_load(&k, c->path) != DLFS_OK || k.iteration != want) {
            if (!c->bad++) {
                c->bad_it = it;
                c->bad_got = k.iteration;
            }
        }
        dlfs_checkpoint_free(&k);
    }
    if (c->copy_to && it == c->copy_at)
        ck_copy_file(c->path, c->copy_to);
    if (c->stop_at && it + 1 == c->stop_at)
        return c->stop_flags ? c->stop_flags : DLFS_TRAIN_STOP;
    if (c->ckpt_at && it + 1 == c->ckpt_at)
        return DLFS_TRAIN_CHECKPOINT;
    return 0;
}

static int ck_on_eval(size_t it, double val_loss, void *user)
{
    (void)val_loss;
    const struct ck_cb *c = user;
    return c->eval_stop_at && it + 1 == c->eval_stop_at;
}

/* The file holds a checkpoint of `kind` at `iteration` of `total` whose
 * weights are want's. */
static void ck_check_file(const char *path, dlfs_model_kind kind, size_t iteration, size_t total,
                          const double *want)
{
    dlfs_checkpoint c;
    size_t np;
    const dlfs_status st = dlfs_checkpoint_load(&c, path);
    if (st)
        print_error("loading %s: %s\n", path, dlfs_error_detail());
    assert_int_equal(st, DLFS_OK);
    assert_int_equal(c.model.kind, kind);
    assert_int_equal(c.iteration, iteration);
    assert_int_equal(c.iterations, total);
    assert_int_equal(c.ranks, 1);
    assert_int_equal(c.rows, CK_ROWS);
    assert_int_equal(c.batch_size, CK_BATCH);
    assert_int_equal(c.seed, 4242);
    assert_true(c.position <= c.rows);
    const double *p = dlfs_model_params(&c.model, &np);
    if (want)
        assert_memory_equal(p, want, np * sizeof(double));
    dlfs_checkpoint_free(&c);
}

/* A fresh handle, its weights garbage, resumes `path`'s checkpoint with
 * options o (o.resume set here): the weights must be want's bit for bit. */
static void ck_resume_equals(dlfs_model_kind kind, const char *path, dlfs_train_options o,
                             const dlfs_matrix *X, const dlfs_matrix *y, size_t total,
                             const double *want, const char *what)
{
    dlfs_checkpoint c;
    dlfs_model b;
    dlfs_train_result r;
    size_t np;
    struct ck_cb cb = {0};
    assert_int_equal(dlfs_checkpoint_load(&c, path), DLFS_OK);
    ck_model(&b, kind, 7.5);
    o.resume = &c;
    o.on_loss = ck_on_loss;
    o.user = &cb;
    const dlfs_status st = dlfs_model_train(&b, X, y, &o, &r);
    if (st)
        print_error("%s %s: %s\n", ck_kind_name(kind), what, dlfs_error_detail());
    assert_int_equal(st, DLFS_OK);
    assert_int_equal(r.iterations, total);
    assert_int_equal(r.stopped_early, 0);
    assert_int_equal(cb.calls, total - c.iteration);
    if (cb.calls)   /* the callbacks count from the run's start */
        assert_int_equal(cb.first_it, c.iteration);
    const double *p = dlfs_model_params(&b, &np);
    if (memcmp(p, want, np * sizeof(double)) != 0)
        print_error("%s %s: the resumed weights differ from the uninterrupted run's\n",
                    ck_kind_name(kind), what);
    assert_memory_equal(p, want, np * sizeof(double));
    dlfs_checkpoint_free(&c);
    dlfs_model_free(&b);
}

/* The uninterrupted run of o: its weights, malloc'd. */
static double *ck_reference(dlfs_model_kind kind, const dlfs_train_options *o,
                            const dlfs_matrix *X, const dlfs_matrix *y, size_t total)
{
    dlfs_model ref;
    dlfs_train_result r;
    size_t np;
    ck_model(&ref, kind, 0.0);
    assert_int_equal(dlfs_model_train(&ref, X, y, o, &r), DLFS_OK);
    assert_int_equal(r.iterations, total);
    const double *p = dlfs_model_params(&ref, &np);
    double *w = tu_dup_doubles(p, np);
    dlfs_model_free(&ref);
    return w;
}

/* A run of o with checkpoint_path = path stopped by its callback after the
 * s-th iteration: it stopped there and wrote its checkpoint there. */
static void ck_stop_at(dlfs_model_kind kind, dlfs_train_options o, const char *path, size_t s,
                       const dlfs_matrix *X, const dlfs_matrix *y, size_t total)
{
    dlfs_model a;
    dlfs_train_result r;
    size_t np;
    struct ck_cb cb = {.stop_at = s};
    ck_model(&a, kind, 0.0);
    o.checkpoint_path = path;
    o.on_loss = ck_on_loss;
    o.user = &cb;
    assert_int_equal(dlfs_model_train(&a, X, y, &o, &r), DLFS_OK);
    assert_int_equal(r.stopped_early, 1);
    assert_int_equal(r.iterations, s);
    assert_int_equal(cb.calls, s - (o.resume ? o.resume->iteration : 0));
    ck_check_file(path, kind, s, total, dlfs_model_params(&a, &np));
    dlfs_model_free(&a);
}

static void check_resume(dlfs_model_kind kind)
{
    dlfs_matrix X, y;
    char dir[64], path[512], path2[512], aside[512];
    tu_make_data(CK_ROWS, CK_K, 1, 61, &X, &y);
    tu_make_dir(dir, "train");
    ck_join(path, dir, "run.ckpt");
    ck_join(path2, dir, "again.ckpt");
    ck_join(aside, dir, "aside.ckpt");
    const dlfs_train_options o = ck_options(kind, CK_N);
    double *want = ck_reference(kind, &o, &X, &y, CK_N);

    /* Stopped after the s-th iteration, then resumed in a fresh handle: the
     * last of a pass (6, 12), the first of the next (7, 13), the very first,
     * one in a pass, the last but one, and the last (a stop there still
     * writes one). */
    static const size_t stops[] = {1, 5, 6, 7, 12, 13, 18, CK_N - 1, CK_N};
    for (size_t i = 0; i < TU_LEN(stops); i++) {
        char what[64];
        snprintf(what, sizeof what, "stopped at %zu", stops[i]);
        unlink(path);
        ck_stop_at(kind, o, path, stops[i], &X, &y, CK_N);
        dlfs_train_options oc = o;
        oc.checkpoint_path = path2;
        ck_resume_equals(kind, path, oc, &X, &y, CK_N, want, what);
        /* no checkpoint at a run's natural end (train.h) */
        assert_false(ck_exists(path2));
        assert_int_equal(tu_count_entries(dir), 1);
    }

    /* Stopped twice: after 13, then (resumed) after 29. */
    unlink(path);
    ck_stop_at(kind, o, path, 13, &X, &y, CK_N);
    {
        dlfs_checkpoint c;
        assert_int_equal(dlfs_checkpoint_load(&c, path), DLFS_OK);
        dlfs_train_options oc = o;
        oc.resume = &c;
        ck_stop_at(kind, oc, path2, 29, &X, &y, CK_N);
        dlfs_checkpoint_free(&c);
        ck_resume_equals(kind, path2, o, &X, &y, CK_N, want, "stopped at 13 and 29");
        unlink(path2);
    }

    /* The step-by-step entry points resume as the handle does. */
    {
        dlfs_checkpoint c;
        dlfs_model b;
        dlfs_train_result r;
        size_t np;
        assert_int_equal(dlfs_checkpoint_load(&c, path), DLFS_OK);
        ck_model(&b, kind, -3.0);
        dlfs_train_options oc = o;
        oc.resume = &c;
        assert_int_equal(kind == DLFS_MODEL_NN ? dlfs_nn_train(&b.nn, &X, &y, &oc, &r)
                                               : dlfs_linreg_train(&b.linreg, &X, &y, &oc, &r),
                         DLFS_OK);
        assert_int_equal(r.iterations, CK_N);
        const double *pb = dlfs_model_params(&b, &np);
        assert_memory_equal(pb, want, np * sizeof(double));
        dlfs_checkpoint_free(&c);
        dlfs_model_free(&b);
    }

    /* Every 7 iterations, never stopped: at each iteration the file holds
     * the last multiple of 7; after the run too (35: none at the natural
     * end, 40). */
    unlink(path);
    {
        dlfs_model a;
        dlfs_train_result r;
        struct ck_cb cb = {.path = path, .every = 7, .copy_to = aside, .copy_at = 14};
        dlfs_train_options o7 = o;
        o7.checkpoint_path = path;
        o7.checkpoint_every = 7;
        o7.on_loss = ck_on_loss;
        o7.user = &cb;
        ck_model(&a, kind, 0.0);
        assert_int_equal(dlfs_model_train(&a, &X, &y, &o7, &r), DLFS_OK);
        if (cb.bad)
            print_error("%s every 7: at iteration %zu the file held iteration %zu\n",
                        ck_kind_name(kind), cb.bad_it, cb.bad_got);
        assert_int_equal(cb.bad, 0);
        assert_int_equal(r.iterations, CK_N);
        assert_int_equal(r.stopped_early, 0);
        ck_check_file(path, kind, 35, CK_N, NULL);
        ck_check_file(aside, kind, 14, CK_N, NULL);
        ck_resume_equals(kind, path, o, &X, &y, CK_N, want, "every 7, from 35");
        ck_resume_equals(kind, aside, o, &X, &y, CK_N, want, "every 7, from 14");
        /* the checkpoint count is not part of the run */
        ck_resume_equals(kind, aside, o7, &X, &y, CK_N, want, "every 7, from 14, every 7");
        dlfs_model_free(&a);
    }

    /* A count that divides the total leaves a checkpoint at the end: resumed
     * into the same total it does nothing more; into twice the total, it is
     * the run of twice the total. */
    unlink(path);
    {
        dlfs_model a;
        dlfs_train_result r;
        struct ck_cb cb = {.path = path, .every = 8};
        dlfs_train_options o8 = o;
        o8.checkpoint_path = path;
        o8.checkpoint_every = 8;
        o8.on_loss = ck_on_loss;
        o8.user = &cb;
        ck_model(&a, kind, 0.0);
        assert_int_equal(dlfs_model_train(&a, &X, &y, &o8, &r), DLFS_OK);
        assert_int_equal(cb.bad, 0);
        assert_int_equal(r.iterations, CK_N);
        ck_check_file(path, kind, CK_N, CK_N, want);
        dlfs_model_free(&a);
    }
    ck_resume_equals(kind, path, o, &X, &y, CK_N, want, "finished, same total");
    {
        const dlfs_train_options o2 = ck_options(kind, 2 * CK_N);
        double *want2 = ck_reference(kind, &o2, &X, &y, 2 * CK_N);
        ck_resume_equals(kind, path, o2, &X, &y, 2 * CK_N, want2, "extended from 40 to 80");
        ck_resume_equals(kind, aside, o2, &X, &y, 2 * CK_N, want2, "extended from 14 to 80");
        free(want2);
    }

    /* By epochs: 7 passes of 6 batches, stopped after 12 (a pass's end). */
    {
        dlfs_train_options oe = o;
        oe.iterations = 0;
        oe.epochs = 7;
        double *want_e = ck_reference(kind, &oe, &X, &y, 42);
        unlink(path);
        ck_stop_at(kind, oe, path, 12, &X, &y, 42);
        ck_resume_equals(kind, path, oe, &X, &y, 42, want_e, "epochs, stopped at 12");
        free(want_e);
    }

    free(want);
    free_data(&X, &y);
    tu_remove_tree(dir);
}

static void test_resume_bit_identical(void **state)
{
    (void)state;
    check_resume(DLFS_MODEL_LINREG);
    check_resume(DLFS_MODEL_NN);
}

/* DLFS_TRAIN_CHECKPOINT writes one now and goes on; a stop with it, or any
 * other nonzero answer, or on_eval's stop, stops with one. */
static void check_checkpoint_flag(dlfs_model_kind kind)
{
    dlfs_matrix X, y, Xv, yv;
    char dir[64], path[512], aside[512];
    tu_make_data(CK_ROWS, CK_K, 1, 62, &X, &y);
    tu_make_data(20, CK_K, 1, 63, &Xv, &yv);
    tu_make_dir(dir, "train");
    ck_join(path, dir, "run.ckpt");
    ck_join(aside, dir, "aside.ckpt");
    const dlfs_train_options o = ck_options(kind, CK_N);
    double *want = ck_reference(kind, &o, &X, &y, CK_N);
    dlfs_model a;
    dlfs_train_result r;
    size_t np;

    /* asked for after the 17th: the file holds 17 in the 18th's callback */
    {
        struct ck_cb cb = {.ckpt_at = 17, .path = path, .copy_to = aside, .copy_at = 17};
        dlfs_train_options oc = o;
        oc.checkpoint_path = path;
        oc.on_loss = ck_on_loss;
        oc.user = &cb;
        ck_model(&a, kind, 0.0);
        assert_false(ck_exists(path));
        assert_int_equal(dlfs_model_train(&a, &X, &y, &oc, &r), DLFS_OK);
        assert_int_equal(r.iterations, CK_N);
        assert_int_equal(r.stopped_early, 0);
        assert_int_equal(cb.calls, CK_N);
        const double *pa = dlfs_model_params(&a, &np);
        assert_memory_equal(pa, want, np * sizeof(double));
        ck_check_file(aside, kind, 17, CK_N, NULL);
        /* none since (nor at the natural end): the file is still the 17th's */
        {
            size_t la, lp;
            unsigned char *ba = tu_read_file(aside, &la), *bp = tu_read_file(path, &lp);
            assert_int_equal(lp, la);
            assert_memory_equal(bp, ba, la);
            free(ba);
            free(bp);
        }
        ck_resume_equals(kind, aside, o, &X, &y, CK_N, want, "asked for at 17");
        dlfs_model_free(&a);
    }

    /* stop | checkpoint; any other nonzero answer; on_eval's stop */
    static const int answers[] = {DLFS_TRAIN_STOP | DLFS_TRAIN_CHECKPOINT, 4, -1, 0};
    for (size_t i = 0; i < TU_LEN(answers); i++) {
        const size_t s = 9 + i;
        struct ck_cb cb = {.stop_at = answers[i] ? s : 0, .stop_flags = answers[i],
                           .eval_stop_at = answers[i] ? 0 : s};
        dlfs_train_options oc = o;
        oc.checkpoint_path = path;
        oc.on_loss = ck_on_loss;
        oc.user = &cb;
        if (!answers[i]) {
            oc.X_val = &Xv;
            oc.y_val = &yv;
            oc.eval_every = 1;
            oc.on_eval = ck_on_eval;
        }
        unlink(path);
        ck_model(&a, kind, 0.0);
        assert_int_equal(dlfs_model_train(&a, &X, &y, &oc, &r), DLFS_OK);
        assert_int_equal(r.iterations, s);
        assert_int_equal(r.stopped_early, 1);
        ck_check_file(path, kind, s, CK_N, dlfs_model_params(&a, &np));
        ck_resume_equals(kind, path, o, &X, &y, CK_N, want, "stopped by an answer");
        dlfs_model_free(&a);
    }

    /* without a checkpoint path the flag is nothing */
    {
        struct ck_cb cb = {.ckpt_at = 5};
        dlfs_train_options oc = o;
        oc.on_loss = ck_on_loss;
        oc.user = &cb;
        ck_model(&a, kind, 0.0);
        assert_int_equal(dlfs_model_train(&a, &X, &y, &oc, &r), DLFS_OK);
        assert_int_equal(r.iterations, CK_N);
        assert_int_equal(r.stopped_early, 0);
        const double *pa = dlfs_model_params(&a, &np);
        assert_memory_equal(pa, want, np * sizeof(double));
        dlfs_model_free(&a);
    }

    free(want);
    free_data(&X, &y);
    free_data(&Xv, &yv);
    tu_remove_tree(dir);
}

static void test_checkpoint_flag(void **state)
{
    (void)state;
    check_checkpoint_flag(DLFS_MODEL_LINREG);
    check_checkpoint_flag(DLFS_MODEL_NN);
}

/* ---- a checkpoint that does not match the run -------------------------------------------- */

struct ck_file_state {
    unsigned char *bytes;
    size_t len;
    struct stat sb;
};

static void ck_file_state(const char *path, struct ck_file_state *f)
{
    f->bytes = tu_read_file(path, &f->len);
    assert_int_equal(stat(path, &f->sb), 0);
}

static void ck_file_unchanged(const char *path, const struct ck_file_state *f)
{
    struct ck_file_state now;
    ck_file_state(path, &now);
    assert_int_equal(now.len, f->len);
    assert_memory_equal(now.bytes, f->bytes, f->len);
    assert_int_equal(now.sb.st_ino, f->sb.st_ino);   /* not replaced by a rename */
    assert_int_equal(now.sb.st_size, f->sb.st_size);
    assert_int_equal(now.sb.st_mtim.tv_sec, f->sb.st_mtim.tv_sec);
    assert_int_equal(now.sb.st_mtim.tv_nsec, f->sb.st_mtim.tv_nsec);
    free(now.bytes);
}

enum {
    MM_BATCH, MM_LR, MM_SEED, MM_INIT, MM_BACKEND, MM_ROWS, MM_COLS, MM_HIDDEN, MM_OUTPUTS,
    MM_KIND, MM_TOTAL, MM_EPOCHS, MM_RANKS, MM_COUNT
};

static void check_mismatch(dlfs_model_kind kind)
{
    dlfs_matrix X, y, X5, y5, X2, y2;
    char dir[64], path[512], target[512], fresh[512];
    tu_make_data(CK_ROWS, CK_K, 1, 64, &X, &y);
    tu_make_data(CK_ROWS, CK_K + 1, 1, 65, &X5, &y5);
    tu_make_data(CK_ROWS, CK_K, 2, 66, &X2, &y2);
    tu_make_dir(dir, "train");
    ck_join(path, dir, "run.ckpt");
    ck_join(target, dir, "target.ckpt");
    ck_join(fresh, dir, "fresh.ckpt");
    const dlfs_train_options o = ck_options(kind, CK_N);
    ck_stop_at(kind, o, path, 12, &X, &y, CK_N);
    /* a checkpoint file already at the run's checkpoint path: left alone */
    ck_copy_file(path, target);
    struct ck_file_state before;
    ck_file_state(target, &before);
    const dlfs_matrix X52 = dlfs_matrix_view(X.data, CK_ROWS - 1, CK_K, X.ld);
    const dlfs_matrix y52 = dlfs_matrix_view(y.data, CK_ROWS - 1, 1, y.ld);

    static const char *const names[MM_COUNT] = {
        [MM_BATCH] = "batch size", [MM_LR] = "learning rate", [MM_SEED] = "seed",
        [MM_INIT] = "init", [MM_BACKEND] = "backend", [MM_ROWS] = "training rows",
        [MM_COLS] = "inputs k", [MM_HIDDEN] = "hidden units", [MM_OUTPUTS] = "outputs m",
        [MM_KIND] = "model", [MM_TOTAL] = "iteration 12", [MM_EPOCHS] = "iteration 12",
        [MM_RANKS] = "ranks",
    };
    size_t tried = 0;
    for (int which = 0; which < MM_COUNT; which++)
        for (int where = 0; where < 3; where++) {   /* no path, the existing file, a new one */
            if (which == MM_HIDDEN && kind != DLFS_MODEL_NN)
                continue;
            dlfs_checkpoint c;
            assert_int_equal(dlfs_checkpoint_load(&c, path), DLFS_OK);
            dlfs_train_options om = o;
            const dlfs_matrix *Xm = &X, *ym = &y;
            dlfs_model_kind km = kind;
            size_t k = CK_K, h = CK_H, m = 1;
            switch (which) {
            case MM_BATCH: om.batch_size = CK_BATCH + 1; break;
            case MM_LR: om.learning_rate = nextafter(om.learning_rate, 1.0); break;
            case MM_SEED: om.seed += 1; break;
            case MM_INIT: om.init = DLFS_INIT_SCALED; break;
            case MM_BACKEND: break;   /* below */
            case MM_ROWS: Xm = &X52; ym = &y52; break;
            case MM_COLS: Xm = &X5; ym = &y5; k = CK_K + 1; break;
            case MM_HIDDEN: h = CK_H + 1; break;
            case MM_OUTPUTS: Xm = &X2; ym = &y2; m = 2; break;
            case MM_KIND: km = kind == DLFS_MODEL_NN ? DLFS_MODEL_LINREG : DLFS_MODEL_NN; break;
            case MM_TOTAL: om.iterations = 11; break;
            case MM_EPOCHS: om.iterations = 0; om.epochs = 1; break;   /* 6 < 12 */
            case MM_RANKS: c.ranks = 2; break;
            }
            dlfs_model b;
            size_t np;
            ck_model_shape(&b, km, k, h, m, 2.5);
            if (which == MM_BACKEND)
                assert_int_equal(dlfs_model_set_backend(&b, DLFS_BACKEND_NAIVE), DLFS_OK);
            const double *p_now = dlfs_model_params(&b, &np);
            double *p0 = tu_dup_doubles(p_now, np);
            struct ck_cb cb = {0};
            om.resume = &c;
            om.on_loss = ck_on_loss;
            om.user = &cb;
            om.checkpoint_path = where == 0 ? NULL : where == 1 ? target : fresh;
            om.checkpoint_every = 1;
            dlfs_train_result r;
            const dlfs_status st = dlfs_model_train(&b, Xm, ym, &om, &r);
            /* the field is named in what follows the function's name */
            const char *detail = dlfs_error_detail(), *body = strstr(detail, "_train: ");
            body = body ? body + 8 : detail;
            if (st != DLFS_EMISMATCH || !strstr(body, names[which]))
                print_error("%s, %s differs: %s, \"%s\" (expected DLFS_EMISMATCH naming \"%s\")\n",
                            ck_kind_name(kind), names[which], dlfs_strerror(st), detail,
                            names[which]);
            assert_int_equal(st, DLFS_EMISMATCH);
            assert_non_null(strstr(body, names[which]));
            if (which == MM_KIND) {   /* both kinds named */
                assert_non_null(strstr(body, dlfs_model_kind_name(kind)));
                assert_non_null(strstr(body, dlfs_model_kind_name(km)));
            }
            assert_int_equal(r.iterations, 0);
            assert_int_equal(r.stopped_early, 0);
            assert_int_equal(cb.calls, 0);
            assert_memory_equal(dlfs_model_params(&b, NULL), p0, np * sizeof(double));
            ck_file_unchanged(target, &before);
            assert_false(ck_exists(fresh));
            assert_int_equal(tu_count_entries(dir), 2);   /* run.ckpt, target.ckpt: no temporary left */
            free(p0);
            dlfs_model_free(&b);
            dlfs_checkpoint_free(&c);
            tried++;
        }
    assert_int_equal(tried, 3 * (MM_COUNT - (kind != DLFS_MODEL_NN)));

    /* and the checkpoint that matches does resume (the cases above were
     * refused for their one difference) */
    {
        double *want = ck_reference(kind, &o, &X, &y, CK_N);
        ck_resume_equals(kind, path, o, &X, &y, CK_N, want, "matching");
        free(want);
    }
    free(before.bytes);
    free_data(&X, &y);
    free_data(&X5, &y5);
    free_data(&X2, &y2);
    tu_remove_tree(dir);
}

static void test_resume_mismatch(void **state)
{
    (void)state;
    check_mismatch(DLFS_MODEL_LINREG);
    check_mismatch(DLFS_MODEL_NN);
}

/* ---- checkpoints allocate nothing inside the loop ------------------------------------------ */

/* watch_loss for a run that may start past iteration 0 (resumed): the count
 * at the first callback, and whether a later one saw it change. */
static int ck_watch_loss(size_t it, double loss, void *user)
{
    (void)it;
    (void)loss;
    struct alloc_watch *w = user;
    const size_t now = atomic_load(&alloc_attempts);
    if (w->calls == 0)
        w->at_first = now;
    else if (now != w->at_first)
        w->changed = 1;
    w->calls++;
    return 0;
}

/* Allocation attempts of a run of o (checkpointing after every iteration),
 * all freed; nothing allocated after the first iteration's callback. */
static size_t ck_run_allocations(dlfs_model *model, const dlfs_matrix *X, const dlfs_matrix *y,
                                 dlfs_train_options o, size_t calls)
{
    struct alloc_watch w = {.allocate_at = -1};
    o.on_loss = ck_watch_loss;
    o.user = &w;
    const long live0 = atomic_load(&live_blocks);
    const size_t before = atomic_load(&alloc_attempts);
    assert_int_equal(dlfs_model_train(model, X, y, &o, NULL), DLFS_OK);
    const size_t after = atomic_load(&alloc_attempts);
    assert_int_equal(w.calls, calls);
    assert_int_equal(w.changed, 0);
    assert_int_equal(after, w.at_first);   /* nor while cleaning up */
    assert_int_equal(atomic_load(&live_blocks), live0);
    return after - before;
}

static void test_checkpoint_no_allocation_in_loop(void **state)
{
    (void)state;
    dlfs_matrix X, y;
    char dir[64], path[512];
    tu_make_data(CK_ROWS, CK_K, 1, 67, &X, &y);
    tu_make_dir(dir, "train");
    ck_join(path, dir, "run.ckpt");
    for (int kind = DLFS_MODEL_LINREG; kind <= DLFS_MODEL_NN; kind++) {
        dlfs_model a;
        ck_model(&a, (dlfs_model_kind)kind, 0.0);
        dlfs_train_options o = ck_options((dlfs_model_kind)kind, CK_N);
        o.checkpoint_path = path;
        o.checkpoint_every = 1;
        const size_t n1 = ck_run_allocations(&a, &X, &y, o, CK_N);
        o.iterations = 2 * CK_N;
        const size_t n2 = ck_run_allocations(&a, &X, &y, o, 2 * CK_N);
        assert_true(n1 >= 5);   /* the counter sees the run's scratch and the writer's */
        assert_int_equal(n2, n1);
        /* without checkpoints the run allocates less: the writer is counted */
        dlfs_train_options plain = o;
        plain.checkpoint_path = NULL;
        const size_t n0 = ck_run_allocations(&a, &X, &y, plain, 2 * CK_N);
        assert_true(n0 < n1);
        /* a resumed run (from the 80 just written) extended to 120 and 200 */
        dlfs_checkpoint c;
        assert_int_equal(dlfs_checkpoint_load(&c, path), DLFS_OK);
        assert_int_equal(c.iteration, 2 * CK_N);
        o.resume = &c;
        o.iterations = 3 * CK_N;
        const size_t r1 = ck_run_allocations(&a, &X, &y, o, CK_N);
        o.iterations = 5 * CK_N;
        const size_t r2 = ck_run_allocations(&a, &X, &y, o, 3 * CK_N);
        assert_int_equal(r1, n1);
        assert_int_equal(r2, n1);
        print_message("%s: %zu allocations with checkpoints after every iteration, %zu without\n",
                      ck_kind_name((dlfs_model_kind)kind), n1, n0);
        dlfs_checkpoint_free(&c);
        dlfs_model_free(&a);
    }
    free_data(&X, &y);
    tu_remove_tree(dir);
}

/* Every allocation of a checkpointing run (fresh, and resumed) made to fail:
 * DLFS_ENOMEM before anything changed, no file written. */
static void test_checkpoint_allocation_failures(void **state)
{
    (void)state;
    dlfs_matrix X, y;
    char dir[64], path[512], out[512];
    tu_make_data(CK_ROWS, CK_K, 1, 68, &X, &y);
    tu_make_dir(dir, "train");
    ck_join(path, dir, "run.ckpt");
    ck_join(out, dir, "out.ckpt");
    size_t paths = 0;
    for (int kind = DLFS_MODEL_LINREG; kind <= DLFS_MODEL_NN; kind++) {
        const dlfs_train_options o = ck_options((dlfs_model_kind)kind, CK_N);
        unlink(path);
        ck_stop_at((dlfs_model_kind)kind, o, path, 12, &X, &y, CK_N);
        dlfs_checkpoint c;
        assert_int_equal(dlfs_checkpoint_load(&c, path), DLFS_OK);
        for (int resumed = 0; resumed < 2; resumed++) {
            dlfs_model a;
            size_t np;
            ck_model(&a, (dlfs_model_kind)kind, 1.5);
            const double *p_now = dlfs_model_params(&a, &np);
            double *p0 = tu_dup_doubles(p_now, np);
            dlfs_train_options of = o;
            of.checkpoint_path = out;
            of.checkpoint_every = 3;
            of.resume = resumed ? &c : NULL;
            atomic_store(&alloc_attempts, 0);
            assert_int_equal(dlfs_model_train(&a, &X, &y, &of, NULL), DLFS_OK);
            const size_t count = atomic_load(&alloc_attempts);
            assert_true(count >= 5);
            assert_true(ck_exists(out));
            unlink(out);
            for (size_t n = 1; n <= count; n++) {
                memcpy(ck_params(&a, NULL), p0, np * sizeof(double));
                const long live0 = atomic_load(&live_blocks);
                atomic_store(&alloc_attempts, 0);
                atomic_store(&fail_at, n);
                dlfs_train_result r;
                const dlfs_status st = dlfs_model_train(&a, &X, &y, &of, &r);
                atomic_store(&fail_at, 0);
                if (st != DLFS_ENOMEM)
                    print_error("%s%s: allocation %zu of %zu failed, got %s\n",
                                ck_kind_name((dlfs_model_kind)kind), resumed ? " resumed" : "",
                                n, count, dlfs_strerror(st));
                assert_int_equal(st, DLFS_ENOMEM);
                assert_int_equal(r.iterations, 0);
                assert_int_equal(atomic_load(&live_blocks), live0);
                assert_memory_equal(dlfs_model_params(&a, NULL), p0, np * sizeof(double));
                assert_false(ck_exists(out));
                assert_int_equal(tu_count_entries(dir), 1);
                paths++;
            }
            free(p0);
            dlfs_model_free(&a);
        }
        dlfs_checkpoint_free(&c);
    }
    print_message("checkpointing runs: %zu allocation failure paths tried\n", paths);
    free_data(&X, &y);
    tu_remove_tree(dir);
}

/* ---- a checkpoint that cannot be written ------------------------------------------------- */

static void test_checkpoint_bad_directory(void **state)
{
    (void)state;
    dlfs_matrix X, y;
    char dir[64], path[512], file[512], under_file[512], missing[512];
    tu_make_data(CK_ROWS, CK_K, 1, 69, &X, &y);
    tu_make_dir(dir, "train");
    ck_join(path, dir, "run.ckpt");
    ck_join(file, dir, "a-file");
    ck_join(under_file, dir, "a-file/run.ckpt");
    ck_join(missing, dir, "missing/sub/run.ckpt");
    tu_write_file(file, "x", 1);
    for (int kind = DLFS_MODEL_LINREG; kind <= DLFS_MODEL_NN; kind++) {
        const dlfs_train_options o = ck_options((dlfs_model_kind)kind, CK_N);
        unlink(path);
        ck_stop_at((dlfs_model_kind)kind, o, path, 12, &X, &y, CK_N);
        dlfs_checkpoint c;
        assert_int_equal(dlfs_checkpoint_load(&c, path), DLFS_OK);
        const char *const bad[] = {missing, under_file};
        for (size_t b = 0; b < TU_LEN(bad); b++)
            for (int every = 0; every < 2; every++)
                for (int resumed = 0; resumed < 2; resumed++) {
                    dlfs_model a;
                    size_t np;
                    ck_model(&a, (dlfs_model_kind)kind, 1.5);
                    const double *p_now = dlfs_model_params(&a, &np);
                    double *p0 = tu_dup_doubles(p_now, np);
                    struct ck_cb cb = {0};
                    dlfs_train_options ob = o;
                    ob.checkpoint_path = bad[b];
                    ob.checkpoint_every = (size_t)every;
                    ob.resume = resumed ? &c : NULL;
                    ob.on_loss = ck_on_loss;
                    ob.user = &cb;
                    dlfs_train_result r;
                    const dlfs_status st = dlfs_model_train(&a, &X, &y, &ob, &r);
                    if (st != DLFS_EIO || cb.calls != 0)
                        print_error("%s, checkpoint path %s, every %d%s: %s after %zu "
                                    "iterations (%zu callbacks): %s\n",
                                    ck_kind_name((dlfs_model_kind)kind), bad[b], every,
                                    resumed ? ", resumed" : "", dlfs_strerror(st), r.iterations,
                                    cb.calls, dlfs_error_detail());
                    assert_int_equal(st, DLFS_EIO);
                    assert_non_null(strstr(dlfs_error_detail(), bad[b] == missing ? "missing" : "a-file"));
                    assert_int_equal(cb.calls, 0);   /* before any iteration */
                    assert_int_equal(r.iterations, 0);
                    assert_memory_equal(dlfs_model_params(&a, NULL), p0, np * sizeof(double));
                    free(p0);
                    dlfs_model_free(&a);
                }
        assert_int_equal(tu_count_entries(dir), 2);   /* run.ckpt, a-file */
        dlfs_checkpoint_free(&c);
    }
    free_data(&X, &y);
    tu_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_iterations),
        cmocka_unit_test(test_blas_vs_naive),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_batches_by_hand),
        cmocka_unit_test(test_epochs),
        cmocka_unit_test(test_loss_history_and_stop),
        cmocka_unit_test(test_validation_callback),
        cmocka_unit_test(test_linreg_recovers_coefficients),
        cmocka_unit_test(test_divergence_guard),
        cmocka_unit_test(test_divergence_in_gradient),
        cmocka_unit_test(test_invalid_options),
        cmocka_unit_test(test_no_allocation_in_loop),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_two_threads),
        cmocka_unit_test(test_resume_bit_identical),
        cmocka_unit_test(test_checkpoint_flag),
        cmocka_unit_test(test_resume_mismatch),
        cmocka_unit_test(test_checkpoint_no_allocation_in_loop),
        cmocka_unit_test(test_checkpoint_allocation_failures),
        cmocka_unit_test(test_checkpoint_bad_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
