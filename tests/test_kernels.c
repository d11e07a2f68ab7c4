/* tests/test_kernels.c - bias-add, sigmoid (against libm), its derivative, the
 * loss, its gradient and row sums; the training step's one-pass and AVX-512
 * paths against their plain versions; the batch gather. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dlfs.h>
#include "internal.h"
#include "kernels.h"
#include "testutil.h"

/* ---- bias-add --------------------------------------------------------------- */

static void test_bias_add(void **state)
{
    (void)state;
    double in[6] = {1, 2, 3, 4, 5, 6}, bias[3] = {10, 20, 30};
    double out[2 * 4];
    tu_fill_value(out, 8, -1.0);
    dlfs_matrix In = dlfs_matrix_view(in, 2, 3, 3);
    dlfs_matrix Bi = dlfs_matrix_view(bias, 1, 3, 3);
    dlfs_matrix Out = dlfs_matrix_view(out, 2, 3, 4);   /* ld 4: padding stays -1 */
    assert_int_equal(dlfs_bias_add(&Out, &In, &Bi), DLFS_OK);
    const double want[8] = {11, 22, 33, -1, 14, 25, 36, -1};
    assert_memory_equal(out, want, sizeof want);

    /* in place */
    assert_int_equal(dlfs_bias_add(&In, &In, &Bi), DLFS_OK);
    const double want_in[6] = {11, 22, 33, 14, 25, 36};
    assert_memory_equal(in, want_in, sizeof want_in);

    /* errors leave out untouched */
    double out0[8];
    memcpy(out0, out, sizeof out);
    dlfs_matrix B2 = dlfs_matrix_view(bias, 1, 2, 2);
    assert_int_equal(dlfs_bias_add(&Out, &In, &B2), DLFS_ESHAPE);
    dlfs_matrix B21 = dlfs_matrix_view(in, 2, 3, 3);
    assert_int_equal(dlfs_bias_add(&Out, &In, &B21), DLFS_ESHAPE);
    dlfs_matrix Out13 = dlfs_matrix_view(out, 1, 3, 4);
    assert_int_equal(dlfs_bias_add(&Out13, &In, &Bi), DLFS_ESHAPE);
    assert_int_equal(dlfs_bias_add(NULL, &In, &Bi), DLFS_ENULL);
    assert_int_equal(dlfs_bias_add(&Out, NULL, &Bi), DLFS_ENULL);
    assert_int_equal(dlfs_bias_add(&Out, &In, NULL), DLFS_ENULL);
    dlfs_matrix E = dlfs_matrix_view(in, 0, 3, 3);
    assert_int_equal(dlfs_bias_add(&Out, &E, &Bi), DLFS_EEMPTY);
    assert_memory_equal(out, out0, sizeof out0);
}

/* One output column (m = 1), strided: the column is walked down the rows. */
static void test_bias_add_one_column(void **state)
{
    (void)state;
    double in[4 * 3], out[4 * 2], bias = 0.5;
    tu_fill_value(in, 12, NAN);
    tu_fill_value(out, 8, 7.0);
    for (size_t i = 0; i < 4; i++)
        in[i * 3] = (double)i - 1.0;
    dlfs_matrix In = dlfs_matrix_view(in, 4, 1, 3), Out = dlfs_matrix_view(out, 4, 1, 2);
    dlfs_matrix Bi = dlfs_matrix_view(&bias, 1, 1, 1);
    assert_int_equal(dlfs_bias_add(&Out, &In, &Bi), DLFS_OK);
    const double want[8] = {-0.5, 7, 0.5, 7, 1.5, 7, 2.5, 7};
    assert_memory_equal(out, want, sizeof want);
    /* in place, contiguous */
    double col[3] = {1, 2, 3};
    dlfs_matrix C = dlfs_matrix_view(col, 3, 1, 1);
    assert_int_equal(dlfs_bias_add(&C, &C, &Bi), DLFS_OK);
    assert_true(col[0] == 1.5 && col[1] == 2.5 && col[2] == 3.5);
}

/* ---- sigmoid ------------------------------------------------------------------ */

static double sigmoid_of(double x)
{
    double in = x, out = -1.0;
    dlfs_matrix I = dlfs_matrix_view(&in, 1, 1, 1), O = dlfs_matrix_view(&out, 1, 1, 1);
    assert_int_equal(dlfs_sigmoid(&O, &I), DLFS_OK);
    return out;
}

static void test_sigmoid_values(void **state)
{
    (void)state;
    assert_true(sigmoid_of(0.0) == 0.5);
    assert_true(sigmoid_of(-0.0) == 0.5);
    /* no overflow for very negative x: exactly 0, not NaN */
    assert_true(sigmoid_of(-1000.0) == 0.0);
    assert_true(sigmoid_of(-1e308) == 0.0);
    assert_true(sigmoid_of(-DBL_MAX) == 0.0);
    assert_true(sigmoid_of(1000.0) == 1.0);
    assert_true(sigmoid_of(DBL_MAX) == 1.0);
    assert_true(sigmoid_of(-INFINITY) == 0.0);
    assert_true(sigmoid_of(INFINITY) == 1.0);
    assert_true(isnan(sigmoid_of(NAN)));
    assert_true(isnan(sigmoid_of(-NAN)));
    /* sigmoid(ln 3) = 3/4, sigmoid(-ln 3) = 1/4 */
    assert_true(tu_ulp_diff(sigmoid_of(log(3.0)), 0.75) <= 2);
    assert_true(tu_ulp_diff(sigmoid_of(-log(3.0)), 0.25) <= 2);
    /* symmetry: sigmoid(-x) = 1 - sigmoid(x) */
    for (double x = -30.0; x <= 30.0; x += 0.37)
        assert_true(fabs(sigmoid_of(-x) - (1.0 - sigmoid_of(x))) <= 2 * DBL_EPSILON);
    /* a negative x far enough out is a tiny positive number, not 0 */
    const double s = sigmoid_of(-700.0);
    assert_true(s > 0.0 && s < 1e-300);
}

static void test_sigmoid_matrix(void **state)
{
    (void)state;
    /* 2 x 3 inside rows of 4 with NaN padding; in place and out of place. */
    double buf[8] = {0.0, 1000.0, -1000.0, NAN, 2.0, -2.0, 0.5, NAN};
    double out[8];
    tu_fill_value(out, 8, 9.0);
    dlfs_matrix In = dlfs_matrix_view(buf, 2, 3, 4), Out = dlfs_matrix_view(out, 2, 3, 4);
    assert_int_equal(dlfs_sigmoid(&Out, &In), DLFS_OK);
    for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; j < 3; j++)
            assert_true(tu_ulp_diff(out[i * 4 + j], dlfs__sigmoid_ref(buf[i * 4 + j])) <= 4);
    assert_true(out[3] == 9.0 && out[7] == 9.0);
    assert_int_equal(dlfs_sigmoid(&In, &In), DLFS_OK);
    assert_memory_equal(buf, out, 3 * sizeof(double));
    assert_memory_equal(buf + 4, out + 4, 3 * sizeof(double));
    assert_true(isnan(buf[3]) && isnan(buf[7]));

    double out0[8];
    memcpy(out0, out, sizeof out);
    dlfs_matrix Small = dlfs_matrix_view(out, 2, 2, 4);
    assert_int_equal(dlfs_sigmoid(&Small, &In), DLFS_ESHAPE);
    assert_int_equal(dlfs_sigmoid(NULL, &In), DLFS_ENULL);
    assert_int_equal(dlfs_sigmoid(&Out, NULL), DLFS_ENULL);
    assert_memory_equal(out, out0, sizeof out0);
}

/* Which sigmoid a sweep checks: the library's choice for this CPU, or the
 * plain-C path that CPUs without AVX-512 take. */
static int sweep_portable;

/* Runs the sigmoid on xs[0..n) and counts the results more than 4 ULP from
 * the libm formula; reports the worst. */
static size_t sigmoid_sweep(const double *xs, size_t n, uint64_t *worst, double *worst_x)
{
    double *out = malloc(n * sizeof *out);
    assert_non_null(out);
    dlfs_matrix In = dlfs_matrix_view((double *)xs, 1, n, n), Out = dlfs_matrix_view(out, 1, n, n);
    if (sweep_portable)
        dlfs__sigmoid_portable(out, xs, n);
    else
        assert_int_equal(dlfs_sigmoid(&Out, &In), DLFS_OK);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        const uint64_t u = tu_ulp_diff(out[i], dlfs__sigmoid_ref(xs[i]));
        if (u > *worst) {
            *worst = u;
            *worst_x = xs[i];
        }
        bad += u > 4;
    }
    free(out);
    return bad;
}

static void sigmoid_vs_libm(int portable)
{
    sweep_portable = portable;
    /* dense sweep of [-750, 750], 1.5 million points, plus random points */
    const size_t n = 1500001;
    double *xs = malloc(n * sizeof *xs);
    assert_non_null(xs);
    for (size_t i = 0; i < n; i++)
        xs[i] = -750.0 + 1e-3 * (double)i;
    uint64_t worst = 0;
    double worst_x = 0.0;
    size_t bad = sigmoid_sweep(xs, n, &worst, &worst_x);

    dlfs_rng rng;
    dlfs_rng_seed(&rng, 99);
    for (size_t i = 0; i < n; i++) {
        /* log-uniform magnitudes from 1e-8 to 1e3, both signs */
        const double mag = pow(10.0, -8.0 + 11.0 * dlfs_rng_uniform(&rng));
        xs[i] = dlfs_rng_below(&rng, 2) ? mag : -mag;
    }
    bad += sigmoid_sweep(xs, n, &worst, &worst_x);

    const double extremes[] = {
        1e308, -1e308, DBL_MAX, -DBL_MAX, DBL_MIN, -DBL_MIN, DBL_TRUE_MIN, -DBL_TRUE_MIN,
        1e-310, -1e-310, 0.0, -0.0, INFINITY, -INFINITY, 708.39, -708.39, 709.8, -709.8,
        744.44, -744.44, 745.13, -745.13, 746.0, -746.0, 36.7368005696771, -36.7368005696771,
        -708.0, -708.00000000000011, -707.99999999999989, 40.0, 40.000000000000007,
        1e-17, -1e-17, 1e-9, -1e-9,
    };
    bad += sigmoid_sweep(extremes, TU_LEN(extremes), &worst, &worst_x);
    print_message("%s sigmoid vs libm: worst %llu ULP at x = %.17g\n",
                  sweep_portable ? "portable" : "dispatched", (unsigned long long)worst, worst_x);
    assert_int_equal(bad, 0);
    assert_true(worst <= 4);
    free(xs);
}

static void test_sigmoid_vs_libm(void **state)
{
    (void)state;
    sigmoid_vs_libm(0);
}

static void test_sigmoid_portable_vs_libm(void **state)
{
    (void)state;
    sigmoid_vs_libm(1);
}

/* exp on [-746, 0]: 2 ULP for normal results; subnormal results (x below
 * about -708.4) within a few DBL_TRUE_MIN of libm. */
static int exp_neg_close(double x, uint64_t *worst, double *worst_x)
{
    const double got = dlfs__exp_neg(x), want = exp(x);
    if (fabs(want) < DBL_MIN)
        return fabs(got - want) <= 3 * DBL_TRUE_MIN;
    const uint64_t u = tu_ulp_diff(got, want);
    if (u > *worst) {
        *worst = u;
        *worst_x = x;
    }
    return u <= 2;
}

static void test_exp_neg_vs_libm(void **state)
{
    (void)state;
    uint64_t worst = 0;
    double worst_x = 0.0;
    size_t bad = 0, tried = 0;
    for (size_t i = 0; i <= 3730000; i++, tried++)
        bad += !exp_neg_close(-2e-4 * (double)i, &worst, &worst_x);
    /* around each multiple of ln 2 and halfway between, where the reduction turns */
    for (int k = 0; k <= 1076; k++) {
        for (int h = 0; h < 2; h++) {
            const double c = -((double)k + 0.5 * h) * 0.69314718055994530942;
            /* c and its two neighbours on either side */
            double lo = c, hi = nextafter(c, 0.0);
            for (int d = 0; d < 3; d++, lo = nextafter(lo, -INFINITY)) {
                if (lo >= -746.0) {
                    bad += !exp_neg_close(lo, &worst, &worst_x);
                    tried++;
                }
            }
            for (int d = 0; d < 2; d++, hi = nextafter(hi, 0.0)) {
                if (hi >= -746.0 && hi <= 0.0) {
                    bad += !exp_neg_close(hi, &worst, &worst_x);
                    tried++;
                }
            }
        }
    }
    const double special[] = {0.0, -0.0, -DBL_TRUE_MIN, -DBL_MIN, -1e-300, -1e-17, -DBL_EPSILON,
                              -708.3964185322641, -708.4, -709.0, -744.44, -745.1332191019411,
                              -745.2, -746.0, -1.0, -0.5};
    for (size_t i = 0; i < TU_LEN(special); i++, tried++)
        bad += !exp_neg_close(special[i], &worst, &worst_x);
    print_message("exp_neg vs libm: %zu points, worst %llu ULP (normal results) at x = %.17g\n",
                  tried, (unsigned long long)worst, worst_x);
    assert_int_equal(bad, 0);
    assert_true(dlfs__exp_neg(0.0) == 1.0);
    assert_true(dlfs__exp_neg(-800.0) == 0.0);
    assert_true(dlfs__exp_neg(-1e308) == 0.0);
    assert_true(dlfs__exp_neg(-INFINITY) == 0.0);
    assert_true(isnan(dlfs__exp_neg(NAN)));
    assert_true(isnan(dlfs__exp_neg(-NAN)));   /* a sign bit set: no integer overflow either */
}

/* ---- sigmoid derivative ------------------------------------------------------- */

static void test_sigmoid_backward(void **state)
{
    (void)state;
    double dout[4] = {1, 2, 3, 4}, s[4] = {0.5, 0.25, 0.75, 1.0}, dx[6];
    tu_fill_value(dx, 6, -5.0);
    dlfs_matrix D = dlfs_matrix_view(dout, 2, 2, 2), S = dlfs_matrix_view(s, 2, 2, 2);
    dlfs_matrix DX = dlfs_matrix_view(dx, 2, 2, 3);
    assert_int_equal(dlfs_sigmoid_backward(&DX, &D, &S), DLFS_OK);
    const double want[6] = {0.25, 0.375, -5.0, 0.5625, 0.0, -5.0};
    assert_memory_equal(dx, want, sizeof want);
    /* in place on dout */
    assert_int_equal(dlfs_sigmoid_backward(&D, &D, &S), DLFS_OK);
    const double want_d[4] = {0.25, 0.375, 0.5625, 0.0};
    assert_memory_equal(dout, want_d, sizeof want_d);

    double dx0[6];
    memcpy(dx0, dx, sizeof dx);
    dlfs_matrix S12 = dlfs_matrix_view(s, 1, 2, 2);
    assert_int_equal(dlfs_sigmoid_backward(&DX, &D, &S12), DLFS_ESHAPE);
    dlfs_matrix DX21 = dlfs_matrix_view(dx, 2, 1, 3);
    assert_int_equal(dlfs_sigmoid_backward(&DX21, &D, &S), DLFS_ESHAPE);
    assert_int_equal(dlfs_sigmoid_backward(NULL, &D, &S), DLFS_ENULL);
    assert_int_equal(dlfs_sigmoid_backward(&DX, NULL, &S), DLFS_ENULL);
    assert_int_equal(dlfs_sigmoid_backward(&DX, &D, NULL), DLFS_ENULL);
    assert_memory_equal(dx, dx0, sizeof dx0);
}

/* ---- loss and its gradient ---------------------------------------------------- */

static void test_mse_hand(void **state)
{
    (void)state;
    double p[4] = {1, 2, 3, 4}, y[4] = {0, 2, 5, 1}, g[4];
    dlfs_matrix P = dlfs_matrix_view(p, 2, 2, 2), Y = dlfs_matrix_view(y, 2, 2, 2);
    dlfs_matrix G = dlfs_matrix_view(g, 2, 2, 2);
    double loss = -1.0;
    /* (y - p) = [-1 0; 2 -3]: squares sum to 14 over 4 elements */
    assert_int_equal(dlfs_mse(&P, &Y, &loss), DLFS_OK);
    assert_true(loss == 3.5);
    loss = -1.0;
    assert_int_equal(dlfs_mse_grad(&G, &P, &Y, &loss), DLFS_OK);
    assert_true(loss == 3.5);
    /* -2 (y - p) / 4 */
    const double want[4] = {0.5, 0.0, -1.0, 1.5};
    for (size_t i = 0; i < 4; i++)
        assert_true(g[i] == want[i]);

    /* one row, one column */
    double p1 = 2.0, y1 = -1.0, g1 = 0.0;
    dlfs_matrix P1 = dlfs_matrix_view(&p1, 1, 1, 1), Y1 = dlfs_matrix_view(&y1, 1, 1, 1);
    dlfs_matrix G1 = dlfs_matrix_view(&g1, 1, 1, 1);
    assert_int_equal(dlfs_mse_grad(&G1, &P1, &Y1, &loss), DLFS_OK);
    assert_true(loss == 9.0);
    assert_true(g1 == 6.0);
}

static void test_mse_grad_random(void **state)
{
    (void)state;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 7);
    const size_t shapes[][2] = {{1, 1}, {23, 1}, {23, 3}, {5, 17}, {100, 2}};
    for (size_t s = 0; s < TU_LEN(shapes); s++) {
        const size_t r = shapes[s][0], c = shapes[s][1], ld = c + 2;
        double *p = calloc(r * ld, sizeof *p), *y = calloc(r * ld, sizeof *y), *g = calloc(r * ld, sizeof *g);
        assert_true(p && y && g);
        dlfs_matrix P = dlfs_matrix_view(p, r, c, ld), Y = dlfs_matrix_view(y, r, c, ld);
        dlfs_matrix G = dlfs_matrix_view(g, r, c, ld);
        tu_fill_normal(&P, &rng, 3.0);
        tu_fill_normal(&Y, &rng, 3.0);
        for (size_t i = 0; i < r; i++)
            g[i * ld + c] = g[i * ld + c + 1] = 42.0;
        double l1 = -1, l2 = -2;
        assert_int_equal(dlfs_mse(&P, &Y, &l1), DLFS_OK);
        assert_int_equal(dlfs_mse_grad(&G, &P, &Y, &l2), DLFS_OK);
        /* the loss: the same from both calls, and from a plain long double sum */
        long double sum = 0.0L;
        double gmax = 0.0;
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < c; j++) {
                const double d = y[i * ld + j] - p[i * ld + j];
                sum += (long double)d * d;
                if (fabs(d) > gmax)
                    gmax = fabs(d);
            }
        const double ref = (double)(sum / (long double)(r * c));
        assert_true(fabs(l1 - l2) <= 1e-15 * l1);
        assert_true(fabs(l1 - ref) <= 1e-14 * ref);
        /* dL/dP = -2 (y - p) / (r*c) elementwise, on the gradient's own scale */
        const double scale = 2.0 * gmax / (double)(r * c);
        for (size_t i = 0; i < r; i++) {
            for (size_t j = 0; j < c; j++) {
                const double want = -2.0 * (y[i * ld + j] - p[i * ld + j]) / (double)(r * c);
                assert_true(fabs(g[i * ld + j] - want) <= 1e-15 * scale);
            }
            assert_true(g[i * ld + c] == 42.0 && g[i * ld + c + 1] == 42.0);
        }
        free(p);
        free(y);
        free(g);
    }
}

static void test_mse_errors(void **state)
{
    (void)state;
    double p[6] = {1, 2, 3, 4, 5, 6}, y[6] = {0}, g[6];
    tu_fill_value(g, 6, 8.0);
    dlfs_matrix P = dlfs_matrix_view(p, 2, 3, 3), Y = dlfs_matrix_view(y, 2, 3, 3);
    dlfs_matrix G = dlfs_matrix_view(g, 2, 3, 3);
    dlfs_matrix Y32 = dlfs_matrix_view(y, 3, 2, 2), G32 = dlfs_matrix_view(g, 3, 2, 2);
    double loss = 123.0;
    assert_int_equal(dlfs_mse(&P, &Y32, &loss), DLFS_ESHAPE);
    assert_int_equal(dlfs_mse(NULL, &Y, &loss), DLFS_ENULL);
    assert_int_equal(dlfs_mse(&P, NULL, &loss), DLFS_ENULL);
    assert_int_equal(dlfs_mse(&P, &Y, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_mse_grad(&G, &P, &Y32, &loss), DLFS_ESHAPE);
    assert_int_equal(dlfs_mse_grad(&G32, &P, &Y, &loss), DLFS_ESHAPE);
    assert_int_equal(dlfs_mse_grad(NULL, &P, &Y, &loss), DLFS_ENULL);
    assert_int_equal(dlfs_mse_grad(&G, &P, &Y, NULL), DLFS_ENULL);
    dlfs_matrix E = dlfs_matrix_view(p, 0, 3, 3);
    assert_int_equal(dlfs_mse(&E, &Y, &loss), DLFS_EEMPTY);
    assert_int_equal(dlfs_mse_grad(&G, &E, &Y, &loss), DLFS_EEMPTY);
    assert_true(loss == 123.0);
    for (size_t i = 0; i < 6; i++)
        assert_true(g[i] == 8.0);
}

/* ---- row sums ----------------------------------------------------------------- */

static void test_row_sum(void **state)
{
    (void)state;
    /* 3 x 3 inside rows of 4 (padding 1000 must not be summed) */
    double in[12] = {1, 2, 3, 1000, 4, 5, 6, 1000, 7, 8, 9, 1000};
    double sums[3] = {-1, -1, -1};
    dlfs_matrix In = dlfs_matrix_view(in, 3, 3, 4), S = dlfs_matrix_view(sums, 1, 3, 3);
    assert_int_equal(dlfs_row_sum(&S, &In), DLFS_OK);
    const double want[3] = {12, 15, 18};
    assert_memory_equal(sums, want, sizeof want);

    /* one row: the sums are that row */
    dlfs_matrix Row = dlfs_matrix_view(in + 4, 1, 3, 4);
    assert_int_equal(dlfs_row_sum(&S, &Row), DLFS_OK);
    const double want1[3] = {4, 5, 6};
    assert_memory_equal(sums, want1, sizeof want1);

    dlfs_matrix S2 = dlfs_matrix_view(sums, 1, 2, 2), S31 = dlfs_matrix_view(sums, 3, 1, 1);
    assert_int_equal(dlfs_row_sum(&S2, &In), DLFS_ESHAPE);
    assert_int_equal(dlfs_row_sum(&S31, &In), DLFS_ESHAPE);
    assert_int_equal(dlfs_row_sum(NULL, &In), DLFS_ENULL);
    assert_int_equal(dlfs_row_sum(&S, NULL), DLFS_ENULL);
    assert_memory_equal(sums, want1, sizeof want1);
}

/* Row sums for widths on either side of the vector lengths (1, 8, 64) and
 * heights on either side of 8 and 16, gap-free or with NaN padding that must
 * not be summed, against a plain long double sum. */
static void test_row_sum_widths(void **state)
{
    (void)state;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 41);
    const size_t widths[] = {1, 2, 3, 7, 8, 9, 13, 15, 16, 17, 63, 64, 65, 100};
    const size_t heights[] = {1, 2, 5, 8, 9, 16, 17, 23, 40};
    for (size_t w = 0; w < TU_LEN(widths); w++)
        for (size_t h = 0; h < TU_LEN(heights); h++)
            for (size_t gap = 0; gap <= 3; gap += 3) {
                const size_t c = widths[w], r = heights[h], ld = c + gap;
                double *in = malloc(r * ld * sizeof *in), sums[104];
                assert_non_null(in);
                tu_fill_value(in, r * ld, NAN);
                dlfs_matrix In = dlfs_matrix_view(in, r, c, ld);
                tu_fill_normal(&In, &rng, 10.0);
                tu_fill_value(sums, TU_LEN(sums), -9.0);
                dlfs_matrix S = dlfs_matrix_view(sums, 1, c, c);
                assert_int_equal(dlfs_row_sum(&S, &In), DLFS_OK);
                for (size_t j = 0; j < c; j++) {
                    long double ref = 0.0L, mag = 0.0L;
                    for (size_t i = 0; i < r; i++) {
                        ref += in[i * ld + j];
                        mag += fabs(in[i * ld + j]);
                    }
                    assert_true(fabs(sums[j] - (double)ref) <= 1e-15 * (double)mag);
                }
                for (size_t j = c; j < TU_LEN(sums); j++)
                    assert_true(sums[j] == -9.0);   /* nothing written past the c sums */
                free(in);
            }
}

/* ---- the step's one-pass and AVX-512 paths, against their plain versions ------ */

/* Widths around the vector length (8), the chapter's 13, and either side of
 * the one-pass limit (64); heights 1, 2, 3 and the chapter's batch of 23. */
static const size_t pass_widths[] = {1, 2, 3, 7, 8, 9, 13, 15, 16, 17, 31, 63, 64, 65, 100};
static const size_t pass_heights[] = {1, 2, 3, 23};

/* dlfs__bias_sigmoid gives bit for bit what dlfs__bias_add then dlfs__sigmoid
 * give, gap-free (the one-pass walk) or not, in place or not, and writes
 * nothing outside the matrices. */
static void test_bias_sigmoid_matches_two_passes(void **state)
{
    (void)state;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 13);
    for (size_t w = 0; w < TU_LEN(pass_widths); w++)
        for (size_t hh = 0; hh < TU_LEN(pass_heights); hh++)
            for (int gap = 0; gap <= 1; gap++)
                for (int in_place = 0; in_place <= 1; in_place++) {
                    const size_t c = pass_widths[w], r = pass_heights[hh], ld = c + 3 * (size_t)gap;
                    const size_t len = r * ld + 8;
                    double *m1 = malloc(len * sizeof *m1), *n1 = malloc(len * sizeof *n1);
                    double *o1 = malloc(len * sizeof *o1), *n1_ref = malloc(len * sizeof *n1);
                    double *o1_ref = malloc(len * sizeof *o1), *bias = malloc(c * sizeof *bias);
                    assert_true(m1 && n1 && o1 && n1_ref && o1_ref && bias);
                    tu_fill_value(m1, len, 77.0);
                    dlfs_matrix M1 = dlfs_matrix_view(m1, r, c, ld);
                    tu_fill_normal(&M1, &rng, 8.0);
                    for (size_t j = 0; j < c; j++)
                        bias[j] = 3.0 * dlfs_rng_normal(&rng);
                    tu_fill_value(n1_ref, len, -1.0);
                    tu_fill_value(o1_ref, len, -2.0);
                    dlfs_matrix N1r = dlfs_matrix_view(n1_ref, r, c, ld), O1r = dlfs_matrix_view(o1_ref, r, c, ld);
                    dlfs__bias_add(&N1r, &M1, bias);
                    dlfs__sigmoid(&O1r, &N1r);
                    dlfs__hidden_bias hb;
                    dlfs__hidden_bias_ready(&hb, bias, c);
                    if (in_place) {
                        /* n1 is m1 and o1 is m1: the layer overwritten as it goes */
                        dlfs__bias_sigmoid(&M1, &M1, &M1, &hb);
                        for (size_t i = 0; i < r; i++) {
                            assert_memory_equal(m1 + i * ld, o1_ref + i * ld, c * sizeof(double));
                            for (size_t j = c; j < ld; j++)
                                assert_true(m1[i * ld + j] == 77.0);
                        }
                        for (size_t k = r * ld; k < len; k++)
                            assert_true(m1[k] == 77.0);
                    } else {
                        /* the two passes (hb without the one-pass copy), then
                         * the walk where it applies */
                        dlfs__hidden_bias two_pass = hb;
                        two_pass.one_pass = 0;
                        const dlfs__hidden_bias *hbs[2] = {&two_pass, &hb};
                        for (int pi = 0; pi < 2; pi++) {
                            tu_fill_value(n1, len, -1.0);
                            tu_fill_value(o1, len, -2.0);
                            dlfs_matrix N1 = dlfs_matrix_view(n1, r, c, ld), O1 = dlfs_matrix_view(o1, r, c, ld);
                            dlfs__bias_sigmoid(&N1, &O1, &M1, hbs[pi]);
                            assert_memory_equal(n1, n1_ref, len * sizeof(double));
                            assert_memory_equal(o1, o1_ref, len * sizeof(double));
                        }
                    }
                    free(m1), free(n1), free(o1), free(n1_ref), free(o1_ref), free(bias);
                }
}

/* A hidden bias made ready keeps the bias; its one-pass copy is the row's
 * biases over and over for c + 8 values, and nothing past them (inside the
 * copy or after the struct); there is none beyond DLFS__HIDDEN_BIAS_MAX
 * columns, and none on a CPU whose one-pass walk takes none. */
static void test_hidden_bias_ready(void **state)
{
    (void)state;
    double bias[DLFS__HIDDEN_BIAS_MAX + 2];
    struct { dlfs__hidden_bias hb; double after[16]; } buf;
    double *const pattern = buf.hb.pattern;
    const size_t len = TU_LEN(buf.hb.pattern);
    assert_true(len == DLFS__HIDDEN_BIAS_MAX + 8);
    for (size_t j = 0; j < TU_LEN(bias); j++)
        bias[j] = 0.5 + (double)j;
    dlfs__hidden_bias_ready(&buf.hb, bias, 13);
    const int built = buf.hb.one_pass;
    for (size_t c = 1; c <= DLFS__HIDDEN_BIAS_MAX + 2; c++) {
        tu_fill_value(pattern, len, -7.0);
        tu_fill_value(buf.after, TU_LEN(buf.after), -7.0);
        buf.hb.bias = NULL;
        buf.hb.one_pass = -1;
        dlfs__hidden_bias_ready(&buf.hb, bias, c);
        assert_ptr_equal(buf.hb.bias, bias);
        for (size_t i = 0; i < TU_LEN(buf.after); i++)
            assert_true(buf.after[i] == -7.0);
        if (!built || c > DLFS__HIDDEN_BIAS_MAX) {
            assert_int_equal(buf.hb.one_pass, 0);
            for (size_t i = 0; i < len; i++)
                assert_true(pattern[i] == -7.0);
            continue;
        }
        assert_int_equal(buf.hb.one_pass, 1);
        for (size_t i = 0; i < c + 8; i++)
            assert_true(pattern[i] == bias[i % c]);
        for (size_t i = c + 8; i < len; i++)
            assert_true(pattern[i] == -7.0);
    }
}

/* The output layer in one pass gives bit for bit what dlfs__bias_add then
 * dlfs__mse_grad give: P, dL/dP and the loss, for one output (the one-pass
 * walk, every length around the vector width and the chapter's 23) and for
 * several or strided ones (the two passes), in place or not, and writes
 * nothing outside the matrices. */
static void test_bias_mse_grad_matches_two_passes(void **state)
{
    (void)state;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 29);
    const size_t heights[] = {1, 2, 7, 8, 9, 15, 16, 17, 23, 64, 299};
    const size_t widths[] = {1, 2, 3};
    for (size_t hh = 0; hh < TU_LEN(heights); hh++)
        for (size_t w = 0; w < TU_LEN(widths); w++)
            for (int gap = 0; gap <= 1; gap++)
                for (int in_place = 0; in_place <= 1; in_place++) {
                    const size_t r = heights[hh], c = widths[w], ld = c + 2 * (size_t)gap;
                    const size_t len = r * ld + 8;
                    double *m = malloc(len * sizeof *m), *y = malloc(len * sizeof *y);
                    double *p = malloc(len * sizeof *p), *g = malloc(len * sizeof *g);
                    double *p_ref = malloc(len * sizeof *p_ref), *g_ref = malloc(len * sizeof *g_ref);
                    double bias[3];
                    assert_true(m && y && p && g && p_ref && g_ref);
                    tu_fill_value(m, len, 11.0);
                    tu_fill_value(y, len, 12.0);
                    dlfs_matrix M = dlfs_matrix_view(m, r, c, ld), Y = dlfs_matrix_view(y, r, c, ld);
                    tu_fill_normal(&M, &rng, 4.0);
                    tu_fill_normal(&Y, &rng, 9.0);
                    for (size_t j = 0; j < c; j++)
                        bias[j] = 2.0 * dlfs_rng_normal(&rng);

                    tu_fill_value(p_ref, len, -1.0);
                    tu_fill_value(g_ref, len, -2.0);
                    dlfs_matrix Pr = dlfs_matrix_view(p_ref, r, c, ld), Gr = dlfs_matrix_view(g_ref, r, c, ld);
                    dlfs__bias_add(&Pr, &M, bias);
                    const double loss_ref = dlfs__mse_grad(&Gr, &Pr, &Y);

                    tu_fill_value(p, len, -1.0);
                    tu_fill_value(g, len, -2.0);
                    dlfs_matrix P = dlfs_matrix_view(p, r, c, ld), G = dlfs_matrix_view(g, r, c, ld);
                    double loss;
                    if (in_place) {
                        /* P is M, as the two passes allow */
                        loss = dlfs__bias_mse_grad(&G, &M, &M, bias, &Y, 0);
                        for (size_t i = 0; i < r; i++)
                            assert_memory_equal(m + i * ld, p_ref + i * ld, c * sizeof(double));
                        for (size_t k = r * ld; k < len; k++)
                            assert_true(m[k] == 11.0);
                    } else {
                        /* the summed loss's dL/dP: exactly -2 (y - P); the loss still the mean */
                        loss = dlfs__bias_mse_grad(&G, &P, &M, bias, &Y, 1);
                        assert_true(loss == loss_ref);
                        for (size_t i = 0; i < r; i++)
                            for (size_t j = 0; j < c; j++)
                                assert_true(g[i * ld + j] ==
                                            -2.0 * (y[i * ld + j] - p_ref[i * ld + j]));
                        loss = dlfs__bias_mse_grad(&G, &P, &M, bias, &Y, 0);
                        assert_memory_equal(p, p_ref, len * sizeof(double));
                    }
                    assert_memory_equal(g, g_ref, len * sizeof(double));
                    assert_true(loss == loss_ref);
                    free(m), free(y), free(p), free(g), free(p_ref), free(g_ref);
                }
}

/* The extremes go through the one-pass walk as through the plain sigmoid. */
static void test_bias_sigmoid_extremes(void **state)
{
    (void)state;
    double m1[3 * 13], n1[3 * 13], o1[3 * 13], bias[13] = {0};
    const double xs[] = {0.0, -0.0, 1e308, -1e308, INFINITY, -INFINITY, NAN, 745.13, -745.13,
                         -708.39, 36.7368005696771, -1e-310, 1e-17};
    for (size_t i = 0; i < TU_LEN(m1); i++)
        m1[i] = xs[i % TU_LEN(xs)];
    dlfs_matrix M1 = dlfs_matrix_view(m1, 3, 13, 13), N1 = dlfs_matrix_view(n1, 3, 13, 13);
    dlfs_matrix O1 = dlfs_matrix_view(o1, 3, 13, 13);
    dlfs__hidden_bias hb;
    dlfs__hidden_bias_ready(&hb, bias, 13);
    dlfs__bias_sigmoid(&N1, &O1, &M1, &hb);
    for (size_t i = 0; i < TU_LEN(m1); i++) {
        if (isnan(m1[i])) {
            assert_true(isnan(n1[i]) && isnan(o1[i]));
            continue;
        }
        assert_true(n1[i] == m1[i]);
        assert_true(tu_ulp_diff(o1[i], dlfs__sigmoid_ref(m1[i])) <= 4);
    }
}

/* The flat AVX-512 sigmoid derivative against the plain formula, bit for bit. */
static void test_sigmoid_backward_shapes(void **state)
{
    (void)state;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 17);
    for (size_t w = 0; w < TU_LEN(pass_widths); w++)
        for (size_t hh = 0; hh < TU_LEN(pass_heights); hh++)
            for (int gap = 0; gap <= 1; gap++) {
                const size_t c = pass_widths[w], r = pass_heights[hh], ld = c + 2 * (size_t)gap;
                const size_t len = r * ld + 8;
                double *g = malloc(len * sizeof *g), *sg = malloc(len * sizeof *sg), *d = malloc(len * sizeof *d);
                assert_true(g && sg && d);
                tu_fill_value(g, len, 5.0);
                tu_fill_value(sg, len, 0.5);
                tu_fill_value(d, len, -3.0);
                dlfs_matrix G = dlfs_matrix_view(g, r, c, ld), S = dlfs_matrix_view(sg, r, c, ld);
                dlfs_matrix D = dlfs_matrix_view(d, r, c, ld);
                tu_fill_normal(&G, &rng, 2.0);
                for (size_t i = 0; i < r; i++)
                    for (size_t j = 0; j < c; j++)
                        sg[i * ld + j] = dlfs_rng_uniform(&rng);
                dlfs__sigmoid_backward(&D, &G, &S);
                for (size_t i = 0; i < r; i++) {
                    for (size_t j = 0; j < c; j++) {
                        const double gv = g[i * ld + j], sv = sg[i * ld + j];
                        assert_true(d[i * ld + j] == gv * sv * (1.0 - sv));
                    }
                    for (size_t j = c; j < ld; j++)
                        assert_true(d[i * ld + j] == -3.0);
                }
                for (size_t k = r * ld; k < len; k++)
                    assert_true(d[k] == -3.0);
                /* in place on the incoming gradient, as the network does */
                dlfs__sigmoid_backward(&G, &G, &S);
                for (size_t i = 0; i < r; i++)
                    for (size_t j = 0; j < c; j++)
                        assert_true(g[i * ld + j] == d[i * ld + j]);
                free(g), free(sg), free(d);
            }
}

/* The loss and its gradient on gap-free matrices (the AVX-512 walk) against
 * a long double sum and the formula. */
static void test_mse_grad_flat(void **state)
{
    (void)state;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 19);
    const size_t lens[] = {1, 2, 7, 8, 9, 15, 16, 17, 23, 64, 299, 1000};
    for (size_t s = 0; s < TU_LEN(lens); s++) {
        const size_t n = lens[s];
        double *p = malloc((n + 8) * sizeof *p), *y = malloc(n * sizeof *y), *g = malloc((n + 8) * sizeof *g);
        assert_true(p && y && g);
        tu_fill_value(g, n + 8, 42.0);
        dlfs_matrix P = dlfs_matrix_view(p, n, 1, 1), Y = dlfs_matrix_view(y, n, 1, 1), G = dlfs_matrix_view(g, n, 1, 1);
        tu_fill_normal(&P, &rng, 5.0);
        tu_fill_normal(&Y, &rng, 5.0);
        const double loss = dlfs__mse_grad(&G, &P, &Y);
        long double sum = 0.0L;
        for (size_t i = 0; i < n; i++) {
            const double d = y[i] - p[i];
            sum += (long double)d * d;
            assert_true(g[i] == (-2.0 / (double)n) * d);
        }
        for (size_t i = n; i < n + 8; i++)
            assert_true(g[i] == 42.0);
        const double ref = (double)(sum / (long double)n);
        assert_true(fabs(loss - ref) <= 1e-14 * ref);
        assert_true(fabs(loss - dlfs__mse(&P, &Y)) <= 1e-14 * ref);
        free(p), free(y), free(g);
    }
}

/* A batch gathered by index: for every width of X and of y, each row a copy
 * of its source row, nothing written past the batch's columns or rows. */
static void test_gather_batch(void **state)
{
    (void)state;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 23);
    const size_t y_widths[] = {1, 2, 5};
    for (size_t w = 0; w < TU_LEN(pass_widths); w++)
        for (size_t v = 0; v < TU_LEN(y_widths); v++)
            for (size_t gap = 0; gap <= 1; gap++) {     /* y gap-free or not */
                const size_t k = pass_widths[w], m = y_widths[v], n = 40, bs = 1 + (w * 3 + v) % 23;
                const size_t x_ld = k + 1, y_ld = m + gap, xb_ld = k + 2, yb_ld = m + 2 * gap;
                double *X = malloc(n * x_ld * sizeof *X), *y = malloc(n * y_ld * sizeof *y);
                double *xb = malloc((bs * xb_ld + 8) * sizeof *xb), *yb = malloc((bs * yb_ld + 8) * sizeof *yb);
                size_t idx[23];
                assert_true(X && y && xb && yb);
                tu_fill_value(X, n * x_ld, NAN);
                tu_fill_value(y, n * y_ld, NAN);
                dlfs_matrix Xm = dlfs_matrix_view(X, n, k, x_ld), Ym = dlfs_matrix_view(y, n, m, y_ld);
                tu_fill_normal(&Xm, &rng, 1.0);
                tu_fill_normal(&Ym, &rng, 1.0);
                tu_fill_value(xb, bs * xb_ld + 8, -7.0);
                tu_fill_value(yb, bs * yb_ld + 8, -8.0);
                for (size_t i = 0; i < bs; i++)
                    idx[i] = (size_t)dlfs_rng_below(&rng, n);
                idx[0] = n - 1;                       /* the last row of the source, too */
                dlfs_matrix Xb = dlfs_matrix_view(xb, 0, k, xb_ld), Yb = dlfs_matrix_view(yb, 0, m, yb_ld);
                dlfs__gather_batch(&Xb, &Yb, &Xm, &Ym, idx, bs);
                assert_int_equal(Xb.rows, bs);
                assert_int_equal(Yb.rows, bs);
                for (size_t i = 0; i < bs; i++) {
                    assert_memory_equal(xb + i * xb_ld, X + idx[i] * x_ld, k * sizeof(double));
                    assert_memory_equal(yb + i * yb_ld, y + idx[i] * y_ld, m * sizeof(double));
                    for (size_t j = k; j < xb_ld; j++)
                        assert_true(xb[i * xb_ld + j] == -7.0);
                    for (size_t j = m; j < yb_ld; j++)
                        assert_true(yb[i * yb_ld + j] == -8.0);
                }
                for (size_t q = bs * xb_ld; q < bs * xb_ld + 8; q++)
                    assert_true(xb[q] == -7.0);
                for (size_t q = bs * yb_ld; q < bs * yb_ld + 8; q++)
                    assert_true(yb[q] == -8.0);
                free(X), free(y), free(xb), free(yb);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bias_add),
        cmocka_unit_test(test_bias_add_one_column),
        cmocka_unit_test(test_sigmoid_values),
        cmocka_unit_test(test_sigmoid_matrix),
        cmocka_unit_test(test_sigmoid_vs_libm),
        cmocka_unit_test(test_sigmoid_portable_vs_libm),
        cmocka_unit_test(test_exp_neg_vs_libm),
        cmocka_unit_test(test_sigmoid_backward),
        cmocka_unit_test(test_mse_hand),
        cmocka_unit_test(test_mse_grad_random),
        cmocka_unit_test(test_mse_errors),
        cmocka_unit_test(test_row_sum),
        cmocka_unit_test(test_row_sum_widths),
        cmocka_unit_test(test_bias_sigmoid_matches_two_passes),
        cmocka_unit_test(test_bias_sigmoid_extremes),
        cmocka_unit_test(test_hidden_bias_ready),
        cmocka_unit_test(test_bias_mse_grad_matches_two_passes),
        cmocka_unit_test(test_sigmoid_backward_shapes),
        cmocka_unit_test(test_mse_grad_flat),
        cmocka_unit_test(test_gather_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
