/* tests/test_linreg.c - linear regression, step by step: forward values by hand,
 * gradients by finite differences, update, predict, and every error path. */
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

static const dlfs_backend backends[] = {DLFS_BACKEND_BLAS, DLFS_BACKEND_NAIVE};

/* ---- forward on a 2 x 2 example, by hand ---------------------------------- */

static void test_forward_by_hand(void **state)
{
    (void)state;
    for (size_t be = 0; be < TU_LEN(backends); be++) {
        dlfs_linreg model, grad;
        assert_int_equal(dlfs_linreg_alloc(&model, 2, 1), DLFS_OK);
        assert_int_equal(dlfs_linreg_alloc(&grad, 2, 1), DLFS_OK);
        model.backend = backends[be];
        /* W = [0.5; -1], B = 0.25 */
        model.W.data[0] = 0.5;
        model.W.data[1] = -1.0;
        model.B.data[0] = 0.25;
        double x[4] = {1, 2, 3, 4}, y[2] = {0, 1};
        dlfs_matrix X = dlfs_matrix_view(x, 2, 2, 2), Y = dlfs_matrix_view(y, 2, 1, 1);
        dlfs_linreg_forward_info info;
        assert_int_equal(dlfs_linreg_forward_info_alloc(&info, 4, 1), DLFS_OK);
        assert_int_equal(info.capacity, 4);
        double loss = -1.0;
        assert_int_equal(dlfs_linreg_forward(&model, &X, &Y, &info, &loss), DLFS_OK);

        /* the batch is kept as views of the caller's memory */
        assert_ptr_equal(info.X.data, x);
        assert_ptr_equal(info.y.data, y);
        assert_int_equal(info.N.rows, 2);
        assert_int_equal(info.P.rows, 2);
        /* N = X.W = [1*0.5 - 2; 3*0.5 - 4] */
        assert_true(info.N.data[0] == -1.5 && info.N.data[1] == -2.5);
        /* P = N + B */
        assert_true(info.P.data[0] == -1.25 && info.P.data[1] == -2.25);
        /* L = ((0 + 1.25)^2 + (1 + 2.25)^2) / 2 */
        assert_true(loss == 6.0625);
        assert_true(info.loss == 6.0625);
        /* dL/dP = -2 (y - P) / 2 */
        assert_true(info.dL_dP.data[0] == -1.25 && info.dL_dP.data[1] == -3.25);

        assert_int_equal(dlfs_linreg_gradients(&model, &info, &grad), DLFS_OK);
        /* dL/dW = X^T . dL/dP = [1*-1.25 + 3*-3.25; 2*-1.25 + 4*-3.25] */
        assert_true(grad.W.data[0] == -11.0 && grad.W.data[1] == -15.5);
        /* dL/dB = -1.25 - 3.25 */
        assert_true(grad.B.data[0] == -4.5);

        /* predict gives forward's P */
        double p[2] = {0, 0};
        dlfs_matrix P = dlfs_matrix_view(p, 2, 1, 1);
        assert_int_equal(dlfs_linreg_predict(&model, &X, &P), DLFS_OK);
        assert_true(p[0] == -1.25 && p[1] == -2.25);

        /* loss may be NULL */
        assert_int_equal(dlfs_linreg_forward(&model, &X, &Y, &info, NULL), DLFS_OK);
        assert_true(info.loss == 6.0625);

        dlfs_linreg_forward_info_free(&info);
        assert_null(info.block);
        dlfs_linreg_free(&model);
        dlfs_linreg_free(&grad);
        assert_null(model.params);
    }
}

/* ---- finite-difference gradient checks ------------------------------------ */

struct fd_ctx {
    const dlfs_linreg *model;
    dlfs_matrix X, y;
    dlfs_linreg_forward_info *info;
};

static double fd_loss(void *p)
{
    struct fd_ctx *c = p;
    double loss = NAN;
    assert_int_equal(dlfs_linreg_forward(c->model, &c->X, &c->y, c->info, &loss), DLFS_OK);
    return loss;
}

/* One gradient check at batch B, k inputs, m outputs. X and y are stored
 * with ld > cols and NaN padding, so reading past a row would show. */
static double grad_check(size_t B, size_t k, size_t m, dlfs_backend backend, uint64_t seed)
{
    dlfs_rng rng;
    dlfs_rng_seed(&rng, seed);
    dlfs_linreg model, grad;
    assert_int_equal(dlfs_linreg_alloc(&model, k, m), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&grad, k, m), DLFS_OK);
    model.backend = backend;
    assert_int_equal(dlfs_linreg_init(&model, &rng, DLFS_INIT_NORMAL), DLFS_OK);

    const size_t ldx = k + 2, ldy = m + 1;
    double *x = malloc(B * ldx * sizeof *x), *y = malloc(B * ldy * sizeof *y);
    assert_true(x && y);
    tu_fill_value(x, B * ldx, NAN);
    tu_fill_value(y, B * ldy, NAN);
    dlfs_matrix X = dlfs_matrix_view(x, B, k, ldx), Y = dlfs_matrix_view(y, B, m, ldy);
    tu_fill_normal(&X, &rng, 1.0);
    tu_fill_normal(&Y, &rng, 2.0);

    dlfs_linreg_forward_info info;
    assert_int_equal(dlfs_linreg_forward_info_alloc(&info, B + 3, m), DLFS_OK);
    double loss;
    assert_int_equal(dlfs_linreg_forward(&model, &X, &Y, &info, &loss), DLFS_OK);
    assert_true(isfinite(loss) && loss > 0.0);
    double mse;
    assert_int_equal(dlfs_mse(&info.P, &Y, &mse), DLFS_OK);
    assert_true(fabs(mse - loss) <= 1e-15 * loss);
    assert_int_equal(dlfs_linreg_gradients(&model, &info, &grad), DLFS_OK);

    struct fd_ctx ctx = {.model = &model, .X = X, .y = Y, .info = &info};
    const double err_w = tu_grad_check(fd_loss, &ctx, model.W.data, grad.W.data, k * m);
    const double err_b = tu_grad_check(fd_loss, &ctx, model.B.data, grad.B.data, m);
    if (!(err_w < 1e-6 && err_b < 1e-6))
        print_error("linreg B=%zu k=%zu m=%zu %s: rel err W %g, B %g\n", B, k, m,
                    dlfs_backend_name(backend), err_w, err_b);
    assert_true(err_w < 1e-6);
    assert_true(err_b < 1e-6);

    dlfs_linreg_forward_info_free(&info);
    dlfs_linreg_free(&model);
    dlfs_linreg_free(&grad);
    free(x);
    free(y);
    return err_w > err_b ? err_w : err_b;
}

static void test_gradients_finite_differences(void **state)
{
    (void)state;
    /* (B, k, m) */
    const size_t shapes[][3] = {
        {1, 3, 1}, {1, 1, 1}, {23, 13, 1}, {23, 1, 1}, {5, 1, 3}, {7, 4, 3}, {23, 13, 3}, {2, 30, 2},
    };
    double worst = 0.0;
    for (size_t s = 0; s < TU_LEN(shapes); s++)
        for (size_t be = 0; be < TU_LEN(backends); be++) {
            const double e = grad_check(shapes[s][0], shapes[s][1], shapes[s][2], backends[be], 1000 + s);
            worst = e > worst ? e : worst;
        }
    print_message("linreg gradients: worst relative error %.3g over %zu checks\n",
                  worst, 2 * TU_LEN(shapes));
}

/* The batch may be a block of a larger array, and smaller than capacity. */
static void test_predict_matches_forward(void **state)
{
    (void)state;
    for (size_t be = 0; be < TU_LEN(backends); be++) {
        dlfs_rng rng;
        dlfs_rng_seed(&rng, 3);
        dlfs_linreg model;
        assert_int_equal(dlfs_linreg_alloc(&model, 5, 2), DLFS_OK);
        model.backend = backends[be];
        assert_int_equal(dlfs_linreg_init(&model, &rng, DLFS_INIT_NORMAL), DLFS_OK);
        double big[30 * 8];
        dlfs_matrix Big = dlfs_matrix_view(big, 30, 8, 8);
        tu_fill_normal(&Big, &rng, 1.0);
        dlfs_matrix X, Y;
        assert_int_equal(dlfs_matrix_block(&Big, 4, 1, 17, 5, &X), DLFS_OK);
        assert_int_equal(dlfs_matrix_block(&Big, 4, 6, 17, 2, &Y), DLFS_OK);
        dlfs_linreg_forward_info info;
        assert_int_equal(dlfs_linreg_forward_info_alloc(&info, 23, 2), DLFS_OK);
        assert_int_equal(dlfs_linreg_forward(&model, &X, &Y, &info, NULL), DLFS_OK);
        double p[17 * 2];
        dlfs_matrix P = dlfs_matrix_view(p, 17, 2, 2);
        assert_int_equal(dlfs_linreg_predict(&model, &X, &P), DLFS_OK);
        assert_true(tu_rel_err(&P, &info.P) <= 1e-15);
        if (backends[be] == DLFS_BACKEND_NAIVE)
            assert_memory_equal(p, info.P.data, sizeof p);
        dlfs_linreg_forward_info_free(&info);
        dlfs_linreg_free(&model);
    }
}

static void test_update(void **state)
{
    (void)state;
    dlfs_linreg model, grad;
    assert_int_equal(dlfs_linreg_alloc(&model, 2, 1), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&grad, 2, 1), DLFS_OK);
    assert_int_equal(model.n_params, 3);
    /* params are W then B in one block */
    assert_ptr_equal(model.W.data, model.params);
    assert_ptr_equal(model.B.data, model.params + 2);
    const double p0[3] = {1, 2, 3}, g[3] = {0.5, -1, 4};
    memcpy(model.params, p0, sizeof p0);
    memcpy(grad.params, g, sizeof g);
    assert_int_equal(dlfs_linreg_update(&model, &grad, 0.5), DLFS_OK);
    const double want[3] = {0.75, 2.5, 1};
    assert_memory_equal(model.params, want, sizeof want);
    assert_memory_equal(grad.params, g, sizeof g);   /* the gradient is not consumed */

    /* errors leave the parameters alone */
    assert_int_equal(dlfs_linreg_update(&model, &grad, NAN), DLFS_EINVAL);
    assert_int_equal(dlfs_linreg_update(&model, &grad, INFINITY), DLFS_EINVAL);
    assert_int_equal(dlfs_linreg_update(&model, &grad, -INFINITY), DLFS_EINVAL);
    assert_int_equal(dlfs_linreg_update(NULL, &grad, 0.1), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_update(&model, NULL, 0.1), DLFS_ENULL);
    dlfs_linreg other;
    assert_int_equal(dlfs_linreg_alloc(&other, 3, 1), DLFS_OK);
    assert_int_equal(dlfs_linreg_update(&model, &other, 0.1), DLFS_ESHAPE);
    dlfs_linreg empty = {0};
    assert_int_equal(dlfs_linreg_update(&model, &empty, 0.1), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_update(&empty, &grad, 0.1), DLFS_ENULL);
    assert_memory_equal(model.params, want, sizeof want);
    dlfs_linreg_free(&other);
    dlfs_linreg_free(&model);
    dlfs_linreg_free(&grad);
}

/* ---- allocation, init, copy ------------------------------------------------ */

static void test_alloc_errors(void **state)
{
    (void)state;
    dlfs_linreg model;
    double junk;
    assert_int_equal(dlfs_linreg_alloc(NULL, 2, 1), DLFS_ENULL);
    const size_t bad[][3] = {
        {0, 1, DLFS_EEMPTY}, {3, 0, DLFS_EEMPTY}, {0, 0, DLFS_EEMPTY},
        {SIZE_MAX / 2, 3, DLFS_EOVERFLOW}, {SIZE_MAX, 1, DLFS_EOVERFLOW},
        {SIZE_MAX / 8, 1, DLFS_EOVERFLOW},   /* the count fits, the bytes do not */
    };
    for (size_t i = 0; i < TU_LEN(bad); i++) {
        model = (dlfs_linreg){.k = 9, .m = 9, .params = &junk, .n_params = 9};
        assert_int_equal(dlfs_linreg_alloc(&model, bad[i][0], bad[i][1]), (dlfs_status)bad[i][2]);
        assert_null(model.params);
        assert_int_equal(model.n_params, 0);
        assert_int_equal(model.k, 0);
        dlfs_linreg_free(&model);   /* an emptied model frees cleanly */
    }
    dlfs_linreg_free(NULL);

    dlfs_linreg_forward_info info;
    assert_int_equal(dlfs_linreg_forward_info_alloc(NULL, 2, 1), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_forward_info_alloc(&info, 0, 1), DLFS_EEMPTY);
    assert_null(info.block);
    assert_int_equal(dlfs_linreg_forward_info_alloc(&info, 2, 0), DLFS_EEMPTY);
    assert_int_equal(dlfs_linreg_forward_info_alloc(&info, SIZE_MAX / 2, 2), DLFS_EOVERFLOW);
    assert_null(info.block);
    assert_int_equal(info.capacity, 0);
    assert_int_equal(dlfs_linreg_forward_info_alloc(&info, SIZE_MAX / 24 + 1, 1), DLFS_EOVERFLOW);
    dlfs_linreg_forward_info_free(&info);
    dlfs_linreg_forward_info_free(NULL);
}

static void test_init_and_copy(void **state)
{
    (void)state;
    dlfs_linreg a, b;
    assert_int_equal(dlfs_linreg_alloc(&a, 4, 2), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&b, 4, 2), DLFS_OK);
    for (size_t i = 0; i < a.n_params; i++)
        assert_true(a.params[i] == 0.0);
    assert_int_equal(a.backend, DLFS_BACKEND_BLAS);

    /* normal: W then B, each from N(0, 1) in the generator's order */
    dlfs_rng rng, twin;
    dlfs_rng_seed(&rng, 5);
    twin = rng;
    assert_int_equal(dlfs_linreg_init(&a, &rng, DLFS_INIT_NORMAL), DLFS_OK);
    for (size_t i = 0; i < a.n_params; i++)
        assert_true(a.params[i] == dlfs_rng_normal(&twin));
    /* scaled: B zero, W nonzero */
    assert_int_equal(dlfs_linreg_init(&b, &rng, DLFS_INIT_SCALED), DLFS_OK);
    assert_true(b.B.data[0] == 0.0 && b.B.data[1] == 0.0);
    assert_true(b.W.data[0] != 0.0);

    /* copy: parameters and backend */
    a.backend = DLFS_BACKEND_NAIVE;
    assert_int_equal(dlfs_linreg_copy(&b, &a), DLFS_OK);
    assert_memory_equal(b.params, a.params, a.n_params * sizeof(double));
    assert_int_equal(b.backend, DLFS_BACKEND_NAIVE);

    /* errors leave the parameters alone */
    double *saved = tu_dup_doubles(a.params, a.n_params);
    assert_int_equal(dlfs_linreg_init(&a, NULL, DLFS_INIT_NORMAL), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_init(&a, &rng, (dlfs_init)3), DLFS_EINVAL);
    assert_int_equal(dlfs_linreg_init(NULL, &rng, DLFS_INIT_NORMAL), DLFS_ENULL);
    dlfs_linreg c;
    assert_int_equal(dlfs_linreg_alloc(&c, 4, 3), DLFS_OK);
    assert_int_equal(dlfs_linreg_copy(&a, &c), DLFS_ESHAPE);
    assert_int_equal(dlfs_linreg_copy(&a, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_copy(NULL, &a), DLFS_ENULL);
    dlfs_linreg unalloc = {0};
    assert_int_equal(dlfs_linreg_copy(&a, &unalloc), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_init(&unalloc, &rng, DLFS_INIT_NORMAL), DLFS_ENULL);
    assert_memory_equal(a.params, saved, a.n_params * sizeof *saved);
    free(saved);
    dlfs_linreg_free(&a);
    dlfs_linreg_free(&b);
    dlfs_linreg_free(&c);
}

/* Each matrix of a forward info starts on a 64-byte line and none overlaps
 * the next. */
static void test_info_lines(void **state)
{
    (void)state;
    const size_t shapes[][2] = {{1, 1}, {23, 1}, {5, 3}, {256, 2}};
    for (size_t i = 0; i < TU_LEN(shapes); i++) {
        const size_t B = shapes[i][0], m = shapes[i][1];
        dlfs_linreg_forward_info info;
        assert_int_equal(dlfs_linreg_forward_info_alloc(&info, B, m), DLFS_OK);
        const dlfs_matrix *ms[] = {&info.N, &info.P, &info.dL_dP};
        for (size_t j = 0; j < TU_LEN(ms); j++) {
            assert_int_equal((uintptr_t)ms[j]->data % 64, 0);
            assert_true(ms[j]->data >= info.block);
            if (j + 1 < TU_LEN(ms))
                assert_true(ms[j]->data + B * m <= ms[j + 1]->data);
        }
        dlfs_linreg_forward_info_free(&info);
    }
}

/* ---- every error of forward, gradients and predict ------------------------- */

/* The info struct and its whole block, to see that a failed call wrote nothing. */
struct info_snapshot {
    dlfs_linreg_forward_info info;
    double block[64];
};

/* Doubles of the block in use: from its start to the end of its last matrix. */
static size_t info_doubles(const dlfs_linreg_forward_info *info)
{
    const size_t n = (size_t)(info->dL_dP.data - info->block) + info->capacity * info->dL_dP.cols;
    assert_true(n <= 64);
    return n;
}

static void snap(struct info_snapshot *s, const dlfs_linreg_forward_info *info)
{
    s->info = *info;
    memcpy(s->block, info->block, info_doubles(info) * sizeof(double));
}

static void assert_unchanged(const struct info_snapshot *s, const dlfs_linreg_forward_info *info)
{
    assert_memory_equal(&s->info, info, sizeof *info);
    assert_memory_equal(s->block, info->block, info_doubles(info) * sizeof(double));
}

static void test_forward_errors(void **state)
{
    (void)state;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 17);
    dlfs_linreg model;
    assert_int_equal(dlfs_linreg_alloc(&model, 3, 2), DLFS_OK);
    assert_int_equal(dlfs_linreg_init(&model, &rng, DLFS_INIT_NORMAL), DLFS_OK);
    double x[10 * 3], y[10 * 2];
    dlfs_matrix Xall = dlfs_matrix_view(x, 10, 3, 3), Yall = dlfs_matrix_view(y, 10, 2, 2);
    tu_fill_normal(&Xall, &rng, 1.0);
    tu_fill_normal(&Yall, &rng, 1.0);
    dlfs_matrix X = dlfs_matrix_view(x, 8, 3, 3), Y = dlfs_matrix_view(y, 8, 2, 2);

    dlfs_linreg_forward_info info;
    assert_int_equal(dlfs_linreg_forward_info_alloc(&info, 8, 2), DLFS_OK);
    /* a valid pass first, so the info holds values that a failure must keep */
    assert_int_equal(dlfs_linreg_forward(&model, &X, &Y, &info, NULL), DLFS_OK);
    struct info_snapshot s;
    snap(&s, &info);
    double loss = -7.0;

    dlfs_linreg unalloc = {0};
    dlfs_linreg badbe = model;
    badbe.backend = (dlfs_backend)9;
    dlfs_linreg_forward_info noinfo = {0};
    dlfs_linreg_forward_info info_m3;
    assert_int_equal(dlfs_linreg_forward_info_alloc(&info_m3, 8, 3), DLFS_OK);

    assert_int_equal(dlfs_linreg_forward(NULL, &X, &Y, &info, &loss), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_forward(&unalloc, &X, &Y, &info, &loss), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_forward(&badbe, &X, &Y, &info, &loss), DLFS_EINVAL);
    assert_int_equal(dlfs_linreg_forward(&model, NULL, &Y, &info, &loss), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_forward(&model, &X, NULL, &info, &loss), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_forward(&model, &X, &Y, NULL, &loss), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_forward(&model, &X, &Y, &noinfo, &loss), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_forward(&model, &X, &Y, &info_m3, &loss), DLFS_ESHAPE);

    /* zero rows */
    dlfs_matrix X0 = dlfs_matrix_view(x, 0, 3, 3), Y0 = dlfs_matrix_view(y, 0, 2, 2);
    assert_int_equal(dlfs_linreg_forward(&model, &X0, &Y0, &info, &loss), DLFS_EEMPTY);
    /* rows beyond capacity */
    assert_int_equal(dlfs_linreg_forward(&model, &Xall, &Yall, &info, &loss), DLFS_ESHAPE);
    assert_non_null(strstr(dlfs_error_detail(), "capacity"));
    /* wrong columns, wrong y */
    dlfs_matrix X2 = dlfs_matrix_view(x, 8, 2, 3);
    assert_int_equal(dlfs_linreg_forward(&model, &X2, &Y, &info, &loss), DLFS_ESHAPE);
    dlfs_matrix Y1 = dlfs_matrix_view(y, 8, 1, 2);
    assert_int_equal(dlfs_linreg_forward(&model, &X, &Y1, &info, &loss), DLFS_ESHAPE);
    dlfs_matrix Y7 = dlfs_matrix_view(y, 7, 2, 2);
    assert_int_equal(dlfs_linreg_forward(&model, &X, &Y7, &info, &loss), DLFS_ESHAPE);
    /* NaN or Inf in X or y */
    const double keep = x[5 * 3 + 1];
    x[5 * 3 + 1] = NAN;
    assert_int_equal(dlfs_linreg_forward(&model, &X, &Y, &info, &loss), DLFS_ENONFINITE);
    assert_non_null(strstr(dlfs_error_detail(), "row 5, column 1"));
    x[5 * 3 + 1] = -INFINITY;
    assert_int_equal(dlfs_linreg_forward(&model, &X, &Y, &info, &loss), DLFS_ENONFINITE);
    x[5 * 3 + 1] = keep;
    y[7 * 2 + 0] = INFINITY;
    assert_int_equal(dlfs_linreg_forward(&model, &X, &Y, &info, &loss), DLFS_ENONFINITE);
    assert_non_null(strstr(dlfs_error_detail(), "row 7, column 0"));
    y[7 * 2 + 0] = 0.5;

    assert_true(loss == -7.0);
    assert_unchanged(&s, &info);
    dlfs_linreg_forward_info_free(&info_m3);
    dlfs_linreg_forward_info_free(&info);
    dlfs_linreg_free(&model);
}

static void test_gradients_errors(void **state)
{
    (void)state;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 19);
    dlfs_linreg model, grad, grad_wrong, other;
    assert_int_equal(dlfs_linreg_alloc(&model, 3, 1), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&grad, 3, 1), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&grad_wrong, 3, 2), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&other, 4, 1), DLFS_OK);
    assert_int_equal(dlfs_linreg_init(&model, &rng, DLFS_INIT_NORMAL), DLFS_OK);
    tu_fill_value(grad.params, grad.n_params, 5.0);
    double x[4 * 3], y[4];
    dlfs_matrix X = dlfs_matrix_view(x, 4, 3, 3), Y = dlfs_matrix_view(y, 4, 1, 1);
    tu_fill_normal(&X, &rng, 1.0);
    tu_fill_normal(&Y, &rng, 1.0);
    dlfs_linreg_forward_info info, fresh, noinfo = {0};
    assert_int_equal(dlfs_linreg_forward_info_alloc(&info, 4, 1), DLFS_OK);
    assert_int_equal(dlfs_linreg_forward_info_alloc(&fresh, 4, 1), DLFS_OK);

    /* before any forward pass the info holds nothing to differentiate */
    assert_int_equal(dlfs_linreg_gradients(&model, &fresh, &grad), DLFS_EINVAL);
    assert_int_equal(dlfs_linreg_forward(&model, &X, &Y, &info, NULL), DLFS_OK);
    assert_int_equal(dlfs_linreg_gradients(NULL, &info, &grad), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_gradients(&model, NULL, &grad), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_gradients(&model, &noinfo, &grad), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_gradients(&model, &info, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_gradients(&model, &info, &grad_wrong), DLFS_ESHAPE);
    /* an info filled by another model (k = 3) does not fit a k = 4 model */
    dlfs_linreg grad4;
    assert_int_equal(dlfs_linreg_alloc(&grad4, 4, 1), DLFS_OK);
    assert_int_equal(dlfs_linreg_gradients(&other, &info, &grad4), DLFS_EINVAL);
    for (size_t i = 0; i < grad.n_params; i++)
        assert_true(grad.params[i] == 5.0);

    assert_int_equal(dlfs_linreg_gradients(&model, &info, &grad), DLFS_OK);
    assert_true(grad.params[0] != 5.0);
    dlfs_linreg_free(&grad4);
    dlfs_linreg_forward_info_free(&info);
    dlfs_linreg_forward_info_free(&fresh);
    dlfs_linreg_free(&model);
    dlfs_linreg_free(&grad);
    dlfs_linreg_free(&grad_wrong);
    dlfs_linreg_free(&other);
}

static void test_predict_errors(void **state)
{
    (void)state;
    dlfs_linreg model;
    assert_int_equal(dlfs_linreg_alloc(&model, 2, 1), DLFS_OK);
    double x[6] = {1, 2, 3, 4, 5, 6}, p[3] = {9, 9, 9};
    dlfs_matrix X = dlfs_matrix_view(x, 3, 2, 2), P = dlfs_matrix_view(p, 3, 1, 1);
    dlfs_linreg unalloc = {0};
    assert_int_equal(dlfs_linreg_predict(NULL, &X, &P), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_predict(&unalloc, &X, &P), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_predict(&model, NULL, &P), DLFS_ENULL);
    assert_int_equal(dlfs_linreg_predict(&model, &X, NULL), DLFS_ENULL);
    dlfs_matrix X3 = dlfs_matrix_view(x, 2, 3, 3);
    assert_int_equal(dlfs_linreg_predict(&model, &X3, &P), DLFS_ESHAPE);
    dlfs_matrix P2 = dlfs_matrix_view(p, 2, 1, 1);
    assert_int_equal(dlfs_linreg_predict(&model, &X, &P2), DLFS_ESHAPE);
    dlfs_matrix P12 = dlfs_matrix_view(p, 1, 2, 2);
    dlfs_matrix X1 = dlfs_matrix_view(x, 1, 2, 2);
    assert_int_equal(dlfs_linreg_predict(&model, &X1, &P12), DLFS_ESHAPE);
    dlfs_matrix X0 = dlfs_matrix_view(x, 0, 2, 2);
    assert_int_equal(dlfs_linreg_predict(&model, &X0, &P), DLFS_EEMPTY);
    x[3] = NAN;
    assert_int_equal(dlfs_linreg_predict(&model, &X, &P), DLFS_ENONFINITE);
    assert_non_null(strstr(dlfs_error_detail(), "row 1, column 1"));
    model.backend = (dlfs_backend)4;
    x[3] = 4;
    assert_int_equal(dlfs_linreg_predict(&model, &X, &P), DLFS_EINVAL);
    assert_true(p[0] == 9 && p[1] == 9 && p[2] == 9);
    model.backend = DLFS_BACKEND_BLAS;
    assert_int_equal(dlfs_linreg_predict(&model, &X, &P), DLFS_OK);
    assert_true(p[0] == 0 && p[1] == 0 && p[2] == 0);   /* zero parameters */
    dlfs_linreg_free(&model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_by_hand),
        cmocka_unit_test(test_gradients_finite_differences),
        cmocka_unit_test(test_predict_matches_forward),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_alloc_errors),
        cmocka_unit_test(test_init_and_copy),
        cmocka_unit_test(test_info_lines),
        cmocka_unit_test(test_forward_errors),
        cmocka_unit_test(test_gradients_errors),
        cmocka_unit_test(test_predict_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
