/* tests/test_nn.c - the one-hidden-layer network, step by step: forward values by
 * hand, gradients by finite differences, update, predict, and every error path. */
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

static double sig(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

static int close_to(double got, double want, double tol)
{
    return fabs(got - want) <= tol * (fabs(want) > 1.0 ? fabs(want) : 1.0);
}

/* ---- forward and backward on a 2 x 2 example, by hand ---------------------- */

static void test_forward_by_hand(void **state)
{
    (void)state;
    for (size_t be = 0; be < TU_LEN(backends); be++) {
        dlfs_nn model, grad;
        assert_int_equal(dlfs_nn_alloc(&model, 2, 2, 1), DLFS_OK);
        assert_int_equal(dlfs_nn_alloc(&grad, 2, 2, 1), DLFS_OK);
        model.backend = backends[be];
        /* W1 = [0.5 -1; 0.25 0], B1 = [-1 1], W2 = [2; -4], B2 = 0.5 */
        const double w1[4] = {0.5, -1, 0.25, 0}, b1[2] = {-1, 1}, w2[2] = {2, -4}, b2 = 0.5;
        memcpy(model.W1.data, w1, sizeof w1);
        memcpy(model.B1.data, b1, sizeof b1);
        memcpy(model.W2.data, w2, sizeof w2);
        model.B2.data[0] = b2;
        double x[4] = {1, 2, 3, 4}, y[2] = {1, 0};
        dlfs_matrix X = dlfs_matrix_view(x, 2, 2, 2), Y = dlfs_matrix_view(y, 2, 1, 1);
        dlfs_nn_forward_info info;
        assert_int_equal(dlfs_nn_forward_info_alloc(&info, 3, 2, 1), DLFS_OK);
        double loss = -1.0;
        assert_int_equal(dlfs_nn_forward(&model, &X, &Y, &info, &loss), DLFS_OK);
        assert_ptr_equal(info.X.data, x);
        assert_ptr_equal(info.y.data, y);
        assert_int_equal(info.M1.rows, 2);
        assert_int_equal(info.P.rows, 2);

        /* M1 = X.W1 = [1 -1; 2.5 -3] (exact) */
        const double m1[4] = {1, -1, 2.5, -3};
        assert_memory_equal(info.M1.data, m1, sizeof m1);
        /* N1 = M1 + B1 = [0 0; 1.5 -2] */
        const double n1[4] = {0, 0, 1.5, -2};
        assert_memory_equal(info.N1.data, n1, sizeof n1);
        /* O1 = sigmoid(N1) */
        const double o1[4] = {0.5, 0.5, sig(1.5), sig(-2)};
        assert_true(info.O1.data[0] == 0.5 && info.O1.data[1] == 0.5);
        assert_true(close_to(info.O1.data[2], o1[2], 1e-15));
        assert_true(close_to(info.O1.data[3], o1[3], 1e-15));
        /* M2 = O1.W2: row 0 is 0.5*2 - 0.5*4 = -1 */
        const double m2[2] = {-1, 2 * o1[2] - 4 * o1[3]};
        assert_true(info.M2.data[0] == -1.0);
        assert_true(close_to(info.M2.data[1], m2[1], 1e-15));
        /* P = M2 + B2 */
        const double p[2] = {m2[0] + b2, m2[1] + b2};
        assert_true(info.P.data[0] == -0.5);
        assert_true(close_to(info.P.data[1], p[1], 1e-15));
        /* L = mean((y - P)^2), dL/dP = -2 (y - P) / 2 */
        const double want_loss = ((y[0] - p[0]) * (y[0] - p[0]) + (y[1] - p[1]) * (y[1] - p[1])) / 2;
        assert_true(close_to(loss, want_loss, 1e-15));
        assert_true(loss == info.loss);
        const double dp[2] = {p[0] - y[0], p[1] - y[1]};
        assert_true(info.dL_dP.data[0] == -1.5);
        assert_true(close_to(info.dL_dP.data[1], dp[1], 1e-15));

        /* keep the forward values: the backward pass may only write dL_dN1 */
        double saved[2 * 2 * 3 + 2 * 3];
        memcpy(saved, info.M1.data, 4 * sizeof(double));
        memcpy(saved + 4, info.N1.data, 4 * sizeof(double));
        memcpy(saved + 8, info.O1.data, 4 * sizeof(double));
        memcpy(saved + 12, info.M2.data, 2 * sizeof(double));
        memcpy(saved + 14, info.P.data, 2 * sizeof(double));
        memcpy(saved + 16, info.dL_dP.data, 2 * sizeof(double));

        assert_int_equal(dlfs_nn_gradients(&model, &info, &grad), DLFS_OK);
        /* the backward pass written out one scalar at a time */
        double dw2[2] = {0}, db2 = 0, dn1[4], dw1[4] = {0}, db1[2] = {0};
        for (int i = 0; i < 2; i++) {
            db2 += dp[i];
            for (int j = 0; j < 2; j++) {
                dw2[j] += o1[i * 2 + j] * dp[i];
                const double do1 = dp[i] * w2[j];
                dn1[i * 2 + j] = do1 * o1[i * 2 + j] * (1 - o1[i * 2 + j]);
            }
        }
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                db1[j] += dn1[i * 2 + j];
                for (int a = 0; a < 2; a++)
                    dw1[a * 2 + j] += x[i * 2 + a] * dn1[i * 2 + j];
            }
        for (int j = 0; j < 2; j++) {
            assert_true(close_to(grad.W2.data[j], dw2[j], 1e-14));
            assert_true(close_to(grad.B1.data[j], db1[j], 1e-14));
            assert_true(close_to(grad.W1.data[j], dw1[j], 1e-14));
            assert_true(close_to(grad.W1.data[2 + j], dw1[2 + j], 1e-14));
        }
        assert_true(close_to(grad.B2.data[0], db2, 1e-14));
        for (int e = 0; e < 4; e++)
            assert_true(close_to(info.dL_dN1.data[e], dn1[e], 1e-14));

        assert_memory_equal(saved, info.M1.data, 4 * sizeof(double));
        assert_memory_equal(saved + 4, info.N1.data, 4 * sizeof(double));
        assert_memory_equal(saved + 8, info.O1.data, 4 * sizeof(double));
        assert_memory_equal(saved + 12, info.M2.data, 2 * sizeof(double));
        assert_memory_equal(saved + 14, info.P.data, 2 * sizeof(double));
        assert_memory_equal(saved + 16, info.dL_dP.data, 2 * sizeof(double));

        /* predict gives forward's P */
        double pp[2];
        dlfs_matrix PP = dlfs_matrix_view(pp, 2, 1, 1);
        assert_int_equal(dlfs_nn_predict(&model, &X, &PP), DLFS_OK);
        assert_true(pp[0] == info.P.data[0]);
        assert_true(close_to(pp[1], info.P.data[1], 1e-15));

        dlfs_nn_forward_info_free(&info);
        assert_null(info.block);
        dlfs_nn_free(&model);
        dlfs_nn_free(&grad);
        assert_null(model.params);
    }
}

/* ---- finite-difference gradient checks ------------------------------------ */

struct fd_ctx {
    const dlfs_nn *model;
    dlfs_matrix X, y;
    dlfs_nn_forward_info *info;
};

static double fd_loss(void *p)
{
    struct fd_ctx *c = p;
    double loss = NAN;
    assert_int_equal(dlfs_nn_forward(c->model, &c->X, &c->y, c->info, &loss), DLFS_OK);
    return loss;
}

/* One gradient check of all four parameter groups; returns the worst error. */
static double grad_check(size_t B, size_t k, size_t h, size_t m, dlfs_backend backend, uint64_t seed)
{
    dlfs_rng rng;
    dlfs_rng_seed(&rng, seed);
    dlfs_nn model, grad;
    assert_int_equal(dlfs_nn_alloc(&model, k, h, m), DLFS_OK);
    assert_int_equal(dlfs_nn_alloc(&grad, k, h, m), DLFS_OK);
    model.backend = backend;
    assert_int_equal(dlfs_nn_init(&model, &rng, DLFS_INIT_NORMAL), DLFS_OK);

    const size_t ldx = k + 1, ldy = m + 2;
    double *x = malloc(B * ldx * sizeof *x), *y = malloc(B * ldy * sizeof *y);
    assert_true(x && y);
    tu_fill_value(x, B * ldx, NAN);
    tu_fill_value(y, B * ldy, NAN);
    dlfs_matrix X = dlfs_matrix_view(x, B, k, ldx), Y = dlfs_matrix_view(y, B, m, ldy);
    tu_fill_normal(&X, &rng, 1.0);
    tu_fill_normal(&Y, &rng, 2.0);

    dlfs_nn_forward_info info;
    assert_int_equal(dlfs_nn_forward_info_alloc(&info, B + 2, h, m), DLFS_OK);
    double loss;
    assert_int_equal(dlfs_nn_forward(&model, &X, &Y, &info, &loss), DLFS_OK);
    assert_true(isfinite(loss) && loss > 0.0);
    double mse;
    assert_int_equal(dlfs_mse(&info.P, &Y, &mse), DLFS_OK);
    assert_true(fabs(mse - loss) <= 1e-15 * loss);
    assert_int_equal(dlfs_nn_gradients(&model, &info, &grad), DLFS_OK);

    struct fd_ctx ctx = {.model = &model, .X = X, .y = Y, .info = &info};
    const double err[4] = {
        tu_grad_check(fd_loss, &ctx, model.W1.data, grad.W1.data, k * h),
        tu_grad_check(fd_loss, &ctx, model.B1.data, grad.B1.data, h),
        tu_grad_check(fd_loss, &ctx, model.W2.data, grad.W2.data, h * m),
        tu_grad_check(fd_loss, &ctx, model.B2.data, grad.B2.data, m),
    };
    double worst = 0.0;
    for (int g = 0; g < 4; g++) {
        if (!(err[g] < 1e-6))
            print_error("nn B=%zu k=%zu h=%zu m=%zu %s: group %d rel err %g\n", B, k, h, m,
                        dlfs_backend_name(backend), g, err[g]);
        assert_true(err[g] < 1e-6);
        worst = err[g] > worst ? err[g] : worst;
    }
    dlfs_nn_forward_info_free(&info);
    dlfs_nn_free(&model);
    dlfs_nn_free(&grad);
    free(x);
    free(y);
    return worst;
}

static void test_gradients_finite_differences(void **state)
{
    (void)state;
    /* (B, k, h, m) */
    const size_t shapes[][4] = {
        {1, 3, 4, 1}, {1, 1, 1, 1}, {23, 13, 13, 1}, {6, 5, 1, 1}, {7, 4, 5, 3},
        {5, 1, 3, 1}, {23, 13, 13, 3}, {23, 1, 1, 3}, {3, 20, 40, 2},
    };
    double worst = 0.0;
    for (size_t s = 0; s < TU_LEN(shapes); s++)
        for (size_t be = 0; be < TU_LEN(backends); be++) {
            const double e = grad_check(shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3],
                                        backends[be], 2000 + s);
            worst = e > worst ? e : worst;
        }
    print_message("nn gradients: worst relative error %.3g over %zu checks\n", worst,
                  2 * TU_LEN(shapes));
}

/* The batch may be a block of a larger array, and smaller than capacity. */
static void test_predict_matches_forward(void **state)
{
    (void)state;
    for (size_t be = 0; be < TU_LEN(backends); be++) {
        dlfs_rng rng;
        dlfs_rng_seed(&rng, 4);
        dlfs_nn model;
        assert_int_equal(dlfs_nn_alloc(&model, 5, 7, 2), DLFS_OK);
        model.backend = backends[be];
        assert_int_equal(dlfs_nn_init(&model, &rng, DLFS_INIT_NORMAL), DLFS_OK);
        double big[30 * 8];
        dlfs_matrix Big = dlfs_matrix_view(big, 30, 8, 8);
        tu_fill_normal(&Big, &rng, 1.0);
        dlfs_matrix X, Y;
        assert_int_equal(dlfs_matrix_block(&Big, 4, 1, 17, 5, &X), DLFS_OK);
        assert_int_equal(dlfs_matrix_block(&Big, 4, 6, 17, 2, &Y), DLFS_OK);
        dlfs_nn_forward_info info;
        assert_int_equal(dlfs_nn_forward_info_alloc(&info, 23, 7, 2), DLFS_OK);
        assert_int_equal(dlfs_nn_forward(&model, &X, &Y, &info, NULL), DLFS_OK);
        double p[17 * 3];
        tu_fill_value(p, TU_LEN(p), -3.0);
        dlfs_matrix P = dlfs_matrix_view(p, 17, 2, 3);
        assert_int_equal(dlfs_nn_predict(&model, &X, &P), DLFS_OK);
        assert_true(tu_rel_err(&P, &info.P) <= 1e-15);
        for (size_t i = 0; i < 17; i++) {
            assert_true(p[i * 3 + 2] == -3.0);   /* P's padding untouched */
            if (backends[be] == DLFS_BACKEND_NAIVE)
                assert_memory_equal(p + i * 3, info.P.data + i * 2, 2 * sizeof(double));
        }
        dlfs_nn_forward_info_free(&info);
        dlfs_nn_free(&model);
    }
}

static void test_layout_and_update(void **state)
{
    (void)state;
    dlfs_nn model, grad;
    assert_int_equal(dlfs_nn_alloc(&model, 2, 3, 2), DLFS_OK);
    assert_int_equal(dlfs_nn_alloc(&grad, 2, 3, 2), DLFS_OK);
    /* W1 (2x3), B1 (1x3), W2 (3x2), B2 (1x2) in one block */
    assert_int_equal(model.n_params, 6 + 3 + 6 + 2);
    assert_ptr_equal(model.W1.data, model.params);
    assert_ptr_equal(model.B1.data, model.params + 6);
    assert_ptr_equal(model.W2.data, model.params + 9);
    assert_ptr_equal(model.B2.data, model.params + 15);
    assert_int_equal(model.W2.rows, 3);
    assert_int_equal(model.W2.cols, 2);
    assert_int_equal(model.backend, DLFS_BACKEND_BLAS);
    for (size_t i = 0; i < model.n_params; i++) {
        assert_true(model.params[i] == 0.0);
        model.params[i] = (double)i;
        grad.params[i] = (double)(i % 4) - 1.5;
    }
    assert_int_equal(dlfs_nn_update(&model, &grad, 0.25), DLFS_OK);
    for (size_t i = 0; i < model.n_params; i++)
        assert_true(model.params[i] == (double)i - 0.25 * ((double)(i % 4) - 1.5));

    double *saved = tu_dup_doubles(model.params, model.n_params);
    assert_int_equal(dlfs_nn_update(&model, &grad, NAN), DLFS_EINVAL);
    assert_int_equal(dlfs_nn_update(&model, &grad, INFINITY), DLFS_EINVAL);
    assert_int_equal(dlfs_nn_update(&model, &grad, -INFINITY), DLFS_EINVAL);
    assert_int_equal(dlfs_nn_update(NULL, &grad, 0.1), DLFS_ENULL);
    assert_int_equal(dlfs_nn_update(&model, NULL, 0.1), DLFS_ENULL);
    dlfs_nn other;
    assert_int_equal(dlfs_nn_alloc(&other, 2, 4, 2), DLFS_OK);
    assert_int_equal(dlfs_nn_update(&model, &other, 0.1), DLFS_ESHAPE);
    dlfs_nn empty = {0};
    assert_int_equal(dlfs_nn_update(&model, &empty, 0.1), DLFS_ENULL);
    assert_int_equal(dlfs_nn_update(&empty, &grad, 0.1), DLFS_ENULL);
    assert_memory_equal(model.params, saved, model.n_params * sizeof *saved);
    free(saved);
    dlfs_nn_free(&other);
    dlfs_nn_free(&model);
    dlfs_nn_free(&grad);
}

/* ---- allocation, init, copy ------------------------------------------------ */

static void test_alloc_errors(void **state)
{
    (void)state;
    dlfs_nn model;
    double junk;
    assert_int_equal(dlfs_nn_alloc(NULL, 2, 2, 1), DLFS_ENULL);
    const size_t bad[][4] = {
        {0, 1, 1, DLFS_EEMPTY}, {1, 0, 1, DLFS_EEMPTY}, {1, 1, 0, DLFS_EEMPTY},
        {SIZE_MAX / 2, 3, 1, DLFS_EOVERFLOW},   /* k*h */
        {1, SIZE_MAX / 2, 3, DLFS_EOVERFLOW},   /* h*m */
        {1, SIZE_MAX / 2, 1, DLFS_EOVERFLOW},   /* the sum */
        {SIZE_MAX / 8, 1, 1, DLFS_EOVERFLOW},   /* the count fits, the bytes do not */
    };
    for (size_t i = 0; i < TU_LEN(bad); i++) {
        model = (dlfs_nn){.k = 9, .h = 9, .m = 9, .params = &junk, .n_params = 9};
        assert_int_equal(dlfs_nn_alloc(&model, bad[i][0], bad[i][1], bad[i][2]), (dlfs_status)bad[i][3]);
        assert_null(model.params);
        assert_int_equal(model.n_params, 0);
        assert_int_equal(model.h, 0);
        dlfs_nn_free(&model);
    }
    dlfs_nn_free(NULL);

    dlfs_nn_forward_info info;
    assert_int_equal(dlfs_nn_forward_info_alloc(NULL, 2, 2, 1), DLFS_ENULL);
    assert_int_equal(dlfs_nn_forward_info_alloc(&info, 0, 2, 1), DLFS_EEMPTY);
    assert_null(info.block);
    assert_int_equal(dlfs_nn_forward_info_alloc(&info, 2, 0, 1), DLFS_EEMPTY);
    assert_int_equal(dlfs_nn_forward_info_alloc(&info, 2, 2, 0), DLFS_EEMPTY);
    assert_int_equal(dlfs_nn_forward_info_alloc(&info, SIZE_MAX / 2, 3, 1), DLFS_EOVERFLOW);
    /* the count fits, the bytes do not */
    assert_int_equal(dlfs_nn_forward_info_alloc(&info, SIZE_MAX / 8, 1, 1), DLFS_EOVERFLOW);
    assert_null(info.block);
    assert_int_equal(info.capacity, 0);
    dlfs_nn_forward_info_free(&info);
    dlfs_nn_forward_info_free(NULL);
}

static void test_init_and_copy(void **state)
{
    (void)state;
    dlfs_nn a, b;
    assert_int_equal(dlfs_nn_alloc(&a, 4, 3, 2), DLFS_OK);
    assert_int_equal(dlfs_nn_alloc(&b, 4, 3, 2), DLFS_OK);
    /* normal: W1, B1, W2, B2 in that order, all N(0, 1) */
    dlfs_rng rng, twin;
    dlfs_rng_seed(&rng, 6);
    twin = rng;
    assert_int_equal(dlfs_nn_init(&a, &rng, DLFS_INIT_NORMAL), DLFS_OK);
    for (size_t i = 0; i < a.n_params; i++)
        assert_true(a.params[i] == dlfs_rng_normal(&twin));
    /* scaled: biases zero, weights not */
    assert_int_equal(dlfs_nn_init(&b, &rng, DLFS_INIT_SCALED), DLFS_OK);
    for (size_t j = 0; j < 3; j++)
        assert_true(b.B1.data[j] == 0.0);
    assert_true(b.B2.data[0] == 0.0 && b.B2.data[1] == 0.0);
    assert_true(b.W1.data[0] != 0.0 && b.W2.data[0] != 0.0);

    a.backend = DLFS_BACKEND_NAIVE;
    assert_int_equal(dlfs_nn_copy(&b, &a), DLFS_OK);
    assert_memory_equal(b.params, a.params, a.n_params * sizeof(double));
    assert_int_equal(b.backend, DLFS_BACKEND_NAIVE);

    double *saved = tu_dup_doubles(a.params, a.n_params);
    assert_int_equal(dlfs_nn_init(&a, NULL, DLFS_INIT_NORMAL), DLFS_ENULL);
    assert_int_equal(dlfs_nn_init(&a, &rng, (dlfs_init)3), DLFS_EINVAL);
    assert_int_equal(dlfs_nn_init(NULL, &rng, DLFS_INIT_NORMAL), DLFS_ENULL);
    dlfs_nn c;
    assert_int_equal(dlfs_nn_alloc(&c, 4, 2, 2), DLFS_OK);
    assert_int_equal(dlfs_nn_copy(&a, &c), DLFS_ESHAPE);
    assert_int_equal(dlfs_nn_copy(&a, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_nn_copy(NULL, &a), DLFS_ENULL);
    dlfs_nn unalloc = {0};
    assert_int_equal(dlfs_nn_copy(&a, &unalloc), DLFS_ENULL);
    assert_int_equal(dlfs_nn_init(&unalloc, &rng, DLFS_INIT_NORMAL), DLFS_ENULL);
    assert_memory_equal(a.params, saved, a.n_params * sizeof *saved);
    free(saved);
    dlfs_nn_free(&a);
    dlfs_nn_free(&b);
    dlfs_nn_free(&c);
}

/* Each matrix of a forward info starts on a 64-byte line (the elementwise
 * passes rely on it for speed) and none overlaps the next. */
static void test_info_lines(void **state)
{
    (void)state;
    const size_t shapes[][3] = {{1, 1, 1}, {23, 13, 1}, {5, 3, 2}, {7, 9, 3}, {256, 512, 1}};
    for (size_t i = 0; i < TU_LEN(shapes); i++) {
        const size_t B = shapes[i][0], h = shapes[i][1], m = shapes[i][2];
        dlfs_nn_forward_info info;
        assert_int_equal(dlfs_nn_forward_info_alloc(&info, B, h, m), DLFS_OK);
        const dlfs_matrix *ms[] = {&info.M1, &info.N1, &info.O1, &info.dL_dN1, &info.M2, &info.P, &info.dL_dP};
        for (size_t j = 0; j < TU_LEN(ms); j++) {
            assert_int_equal((uintptr_t)ms[j]->data % 64, 0);
            assert_true(ms[j]->data >= info.block);
            assert_int_equal(ms[j]->ld, ms[j]->cols);
            if (j + 1 < TU_LEN(ms))
                assert_true(ms[j]->data + B * ms[j]->cols <= ms[j + 1]->data);
        }
        dlfs_nn_forward_info_free(&info);
    }
}

/* ---- every error of forward, gradients and predict ------------------------- */

/* Doubles of an info block in use: from its start to the end of its last
 * matrix (dL_dP), padding between the matrices included. */
static size_t info_doubles(const dlfs_nn_forward_info *info)
{
    return (size_t)(info->dL_dP.data - info->block) + info->capacity * info->dL_dP.cols;
}

static void test_forward_errors(void **state)
{
    (void)state;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 21);
    dlfs_nn model;
    assert_int_equal(dlfs_nn_alloc(&model, 3, 4, 2), DLFS_OK);
    assert_int_equal(dlfs_nn_init(&model, &rng, DLFS_INIT_NORMAL), DLFS_OK);
    double x[10 * 3], y[10 * 2];
    dlfs_matrix Xall = dlfs_matrix_view(x, 10, 3, 3), Yall = dlfs_matrix_view(y, 10, 2, 2);
    tu_fill_normal(&Xall, &rng, 1.0);
    tu_fill_normal(&Yall, &rng, 1.0);
    dlfs_matrix X = dlfs_matrix_view(x, 8, 3, 3), Y = dlfs_matrix_view(y, 8, 2, 2);

    dlfs_nn_forward_info info;
    assert_int_equal(dlfs_nn_forward_info_alloc(&info, 8, 4, 2), DLFS_OK);
    assert_int_equal(dlfs_nn_forward(&model, &X, &Y, &info, NULL), DLFS_OK);
    /* and a backward pass, so the scratch in the block holds values too */
    dlfs_nn grad;
    assert_int_equal(dlfs_nn_alloc(&grad, 3, 4, 2), DLFS_OK);
    assert_int_equal(dlfs_nn_gradients(&model, &info, &grad), DLFS_OK);
    dlfs_nn_free(&grad);
    const dlfs_nn_forward_info info0 = info;
    const size_t nd = info_doubles(&info);
    double *block0 = tu_dup_doubles(info.block, nd);
    double loss = -7.0;

    dlfs_nn unalloc = {0};
    dlfs_nn badbe = model;
    badbe.backend = (dlfs_backend)9;
    dlfs_nn_forward_info noinfo = {0}, info_h5, info_m1;
    assert_int_equal(dlfs_nn_forward_info_alloc(&info_h5, 8, 5, 2), DLFS_OK);
    assert_int_equal(dlfs_nn_forward_info_alloc(&info_m1, 8, 4, 1), DLFS_OK);

    assert_int_equal(dlfs_nn_forward(NULL, &X, &Y, &info, &loss), DLFS_ENULL);
    assert_int_equal(dlfs_nn_forward(&unalloc, &X, &Y, &info, &loss), DLFS_ENULL);
    assert_int_equal(dlfs_nn_forward(&badbe, &X, &Y, &info, &loss), DLFS_EINVAL);
    assert_int_equal(dlfs_nn_forward(&model, NULL, &Y, &info, &loss), DLFS_ENULL);
    assert_int_equal(dlfs_nn_forward(&model, &X, NULL, &info, &loss), DLFS_ENULL);
    assert_int_equal(dlfs_nn_forward(&model, &X, &Y, NULL, &loss), DLFS_ENULL);
    assert_int_equal(dlfs_nn_forward(&model, &X, &Y, &noinfo, &loss), DLFS_ENULL);
    assert_int_equal(dlfs_nn_forward(&model, &X, &Y, &info_h5, &loss), DLFS_ESHAPE);
    assert_int_equal(dlfs_nn_forward(&model, &X, &Y, &info_m1, &loss), DLFS_ESHAPE);
    dlfs_matrix X0 = dlfs_matrix_view(x, 0, 3, 3), Y0 = dlfs_matrix_view(y, 0, 2, 2);
    assert_int_equal(dlfs_nn_forward(&model, &X0, &Y0, &info, &loss), DLFS_EEMPTY);
    assert_int_equal(dlfs_nn_forward(&model, &Xall, &Yall, &info, &loss), DLFS_ESHAPE);
    assert_non_null(strstr(dlfs_error_detail(), "capacity"));
    dlfs_matrix X2 = dlfs_matrix_view(x, 8, 2, 3);
    assert_int_equal(dlfs_nn_forward(&model, &X2, &Y, &info, &loss), DLFS_ESHAPE);
    dlfs_matrix Y1 = dlfs_matrix_view(y, 8, 1, 2);
    assert_int_equal(dlfs_nn_forward(&model, &X, &Y1, &info, &loss), DLFS_ESHAPE);
    dlfs_matrix Y7 = dlfs_matrix_view(y, 7, 2, 2);
    assert_int_equal(dlfs_nn_forward(&model, &X, &Y7, &info, &loss), DLFS_ESHAPE);
    const double keep = x[6 * 3 + 2];
    x[6 * 3 + 2] = NAN;
    assert_int_equal(dlfs_nn_forward(&model, &X, &Y, &info, &loss), DLFS_ENONFINITE);
    assert_non_null(strstr(dlfs_error_detail(), "row 6, column 2"));
    x[6 * 3 + 2] = INFINITY;
    assert_int_equal(dlfs_nn_forward(&model, &X, &Y, &info, &loss), DLFS_ENONFINITE);
    x[6 * 3 + 2] = keep;
    y[3 * 2 + 1] = -INFINITY;
    assert_int_equal(dlfs_nn_forward(&model, &X, &Y, &info, &loss), DLFS_ENONFINITE);
    assert_non_null(strstr(dlfs_error_detail(), "row 3, column 1"));

    assert_true(loss == -7.0);
    assert_memory_equal(&info0, &info, sizeof info);
    assert_memory_equal(block0, info.block, nd * sizeof *block0);
    free(block0);
    dlfs_nn_forward_info_free(&info_h5);
    dlfs_nn_forward_info_free(&info_m1);
    dlfs_nn_forward_info_free(&info);
    dlfs_nn_free(&model);
}

static void test_gradients_errors(void **state)
{
    (void)state;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 23);
    dlfs_nn model, grad, grad_wrong, other, grad_other;
    assert_int_equal(dlfs_nn_alloc(&model, 3, 4, 1), DLFS_OK);
    assert_int_equal(dlfs_nn_alloc(&grad, 3, 4, 1), DLFS_OK);
    assert_int_equal(dlfs_nn_alloc(&grad_wrong, 3, 5, 1), DLFS_OK);
    assert_int_equal(dlfs_nn_alloc(&other, 2, 4, 1), DLFS_OK);
    assert_int_equal(dlfs_nn_alloc(&grad_other, 2, 4, 1), DLFS_OK);
    assert_int_equal(dlfs_nn_init(&model, &rng, DLFS_INIT_NORMAL), DLFS_OK);
    tu_fill_value(grad.params, grad.n_params, 5.0);
    double x[4 * 3], y[4];
    dlfs_matrix X = dlfs_matrix_view(x, 4, 3, 3), Y = dlfs_matrix_view(y, 4, 1, 1);
    tu_fill_normal(&X, &rng, 1.0);
    tu_fill_normal(&Y, &rng, 1.0);
    dlfs_nn_forward_info info, fresh, noinfo = {0};
    assert_int_equal(dlfs_nn_forward_info_alloc(&info, 4, 4, 1), DLFS_OK);
    assert_int_equal(dlfs_nn_forward_info_alloc(&fresh, 4, 4, 1), DLFS_OK);

    assert_int_equal(dlfs_nn_gradients(&model, &fresh, &grad), DLFS_EINVAL);
    assert_int_equal(dlfs_nn_forward(&model, &X, &Y, &info, NULL), DLFS_OK);
    assert_int_equal(dlfs_nn_gradients(NULL, &info, &grad), DLFS_ENULL);
    assert_int_equal(dlfs_nn_gradients(&model, NULL, &grad), DLFS_ENULL);
    assert_int_equal(dlfs_nn_gradients(&model, &noinfo, &grad), DLFS_ENULL);
    assert_int_equal(dlfs_nn_gradients(&model, &info, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_nn_gradients(&model, &info, &grad_wrong), DLFS_ESHAPE);
    assert_int_equal(dlfs_nn_gradients(&other, &info, &grad_other), DLFS_EINVAL);
    dlfs_nn badbe = model;
    badbe.backend = (dlfs_backend)5;
    assert_int_equal(dlfs_nn_gradients(&badbe, &info, &grad), DLFS_EINVAL);
    for (size_t i = 0; i < grad.n_params; i++)
        assert_true(grad.params[i] == 5.0);
    assert_int_equal(dlfs_nn_gradients(&model, &info, &grad), DLFS_OK);
    assert_true(grad.params[0] != 5.0);
    dlfs_nn_forward_info_free(&info);
    dlfs_nn_forward_info_free(&fresh);
    dlfs_nn_free(&model);
    dlfs_nn_free(&grad);
    dlfs_nn_free(&grad_wrong);
    dlfs_nn_free(&other);
    dlfs_nn_free(&grad_other);
}

static void test_predict_errors(void **state)
{
    (void)state;
    dlfs_nn model;
    assert_int_equal(dlfs_nn_alloc(&model, 2, 3, 1), DLFS_OK);
    double x[6] = {1, 2, 3, 4, 5, 6}, p[3] = {9, 9, 9};
    dlfs_matrix X = dlfs_matrix_view(x, 3, 2, 2), P = dlfs_matrix_view(p, 3, 1, 1);
    dlfs_nn unalloc = {0};
    assert_int_equal(dlfs_nn_predict(NULL, &X, &P), DLFS_ENULL);
    assert_int_equal(dlfs_nn_predict(&unalloc, &X, &P), DLFS_ENULL);
    assert_int_equal(dlfs_nn_predict(&model, NULL, &P), DLFS_ENULL);
    assert_int_equal(dlfs_nn_predict(&model, &X, NULL), DLFS_ENULL);
    dlfs_matrix X3 = dlfs_matrix_view(x, 2, 3, 3);
    assert_int_equal(dlfs_nn_predict(&model, &X3, &P), DLFS_ESHAPE);
    dlfs_matrix P2 = dlfs_matrix_view(p, 2, 1, 1);
    assert_int_equal(dlfs_nn_predict(&model, &X, &P2), DLFS_ESHAPE);
    dlfs_matrix P12 = dlfs_matrix_view(p, 1, 2, 2), X1 = dlfs_matrix_view(x, 1, 2, 2);
    assert_int_equal(dlfs_nn_predict(&model, &X1, &P12), DLFS_ESHAPE);
    dlfs_matrix X0 = dlfs_matrix_view(x, 0, 2, 2);
    assert_int_equal(dlfs_nn_predict(&model, &X0, &P), DLFS_EEMPTY);
    x[4] = -INFINITY;
    assert_int_equal(dlfs_nn_predict(&model, &X, &P), DLFS_ENONFINITE);
    assert_non_null(strstr(dlfs_error_detail(), "row 2, column 0"));
    x[4] = 5;
    model.backend = (dlfs_backend)4;
    assert_int_equal(dlfs_nn_predict(&model, &X, &P), DLFS_EINVAL);
    assert_true(p[0] == 9 && p[1] == 9 && p[2] == 9);
    model.backend = DLFS_BACKEND_NAIVE;
    model.B2.data[0] = 0.25;
    assert_int_equal(dlfs_nn_predict(&model, &X, &P), DLFS_OK);
    /* zero weights: P = 0.5 * 0 + B2 */
    assert_true(p[0] == 0.25 && p[1] == 0.25 && p[2] == 0.25);
    dlfs_nn_free(&model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_by_hand),
        cmocka_unit_test(test_gradients_finite_differences),
        cmocka_unit_test(test_predict_matches_forward),
        cmocka_unit_test(test_layout_and_update),
        cmocka_unit_test(test_info_lines),
        cmocka_unit_test(test_alloc_errors),
        cmocka_unit_test(test_init_and_copy),
        cmocka_unit_test(test_forward_errors),
        cmocka_unit_test(test_gradients_errors),
        cmocka_unit_test(test_predict_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
