/* src/kernels.c - the chapter's elementwise steps as plain loops.
 *
 * Bias-add, sigmoid, the sigmoid's derivative, the loss and row sums. The inner
 * loops are written so the compiler vectorises them: no calls into libm on the
 * hot path (the sigmoid has its own exp), no branches the compiler cannot turn
 * into blends. The unchecked dlfs__ versions trust their arguments; the public
 * dlfs_ versions validate shapes first.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <dlfs/matrix.h>
#include "internal.h"

/* ---- exp on (-inf, 0] without libm, so the loop vectorises ---------------
 *
 * exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2, |r| <= ln2/2.
 * exp(r) by its Taylor series to r^13 (truncation below 5e-18 relative);
 * ln 2 is split in two so r is exact to double rounding. 2^n is applied in two
 * halves so results down to the subnormals are right; x < -746 gives 0.
 * Tested against libm's exp: within 2 ULP over the whole range.
 */
static inline double as_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static inline uint64_t as_u64(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline double exp_neg(double x)
{
    static const double log2e = 1.4426950408889634074;
    static const double ln2_hi = 6.93147180369123816490e-01; /* 32 leading bits of ln 2 */
    static const double ln2_lo = 1.90821492927058770002e-10; /* ln 2 - ln2_hi */
    static const double shifter = 0x1.8p52;                  /* rounds to an integer */

    x = x < -746.0 ? -746.0 : x;  /* written so that NaN passes through */
    const double t = x * log2e + shifter;
    const double kd = t - shifter;                       /* n as a double */
    const int64_t n = (int64_t)(as_u64(t) - as_u64(shifter)); /* n in [-1077, 0] */
    const double r = (x - kd * ln2_hi) - kd * ln2_lo;

    double p = 1.0 / 6227020800.0;                       /* 1/13! */
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;

    /* 2^n = 2^n1 * 2^n2 with both halves normal numbers: n1, n2 >= -539. */
    const uint64_t m = (uint64_t)(n + 1078);             /* in [1, 1078] */
    const int64_t n1 = (int64_t)(m >> 1) - 539;
    const int64_t n2 = n - n1;
    const double s1 = as_double((uint64_t)(n1 + 1023) << 52);
    const double s2 = as_double((uint64_t)(n2 + 1023) << 52);
    return p * s1 * s2;
}

/* sigmoid(x) with e = exp(-|x|) <= 1, so nothing overflows:
 *     x >= 0:  1 / (1 + e)        x < 0:  e / (1 + e)              */
static inline double sigmoid1(double x)
{
    const double e = exp_neg(-fabs(x));
    const double num = x >= 0.0 ? 1.0 : e;
    return num / (1.0 + e);
}

double dlfs__exp_neg(double x)
{
    return exp_neg(x);
}

double dlfs__sigmoid_ref(double x)
{
    if (x >= 0.0)
        return 1.0 / (1.0 + exp(-x));
    const double e = exp(x);
    return e / (1.0 + e);
}

/* ---- unchecked kernels --------------------------------------------------- */

void dlfs__bias_add(dlfs_matrix *out, const dlfs_matrix *in, const double *bias)
{
    for (size_t i = 0; i < in->rows; i++) {
        const double *a = in->data + i * in->ld;
        double *o = out->data + i * out->ld;
        for (size_t j = 0; j < in->cols; j++)
            o[j] = a[j] + bias[j];
    }
}

void dlfs__sigmoid(dlfs_matrix *out, const dlfs_matrix *in)
{
    for (size_t i = 0; i < in->rows; i++) {
        const double *a = in->data + i * in->ld;
        double *o = out->data + i * out->ld;
        for (size_t j = 0; j < in->cols; j++)
            o[j] = sigmoid1(a[j]);
    }
}

void dlfs__sigmoid_backward(dlfs_matrix *dx, const dlfs_matrix *dout, const dlfs_matrix *s)
{
    for (size_t i = 0; i < dout->rows; i++) {
        const double *g = dout->data + i * dout->ld;
        const double *si = s->data + i * s->ld;
        double *d = dx->data + i * dx->ld;
        for (size_t j = 0; j < dout->cols; j++)
            d[j] = g[j] * si[j] * (1.0 - si[j]);
    }
}

double dlfs__mse(const dlfs_matrix *p, const dlfs_matrix *y)
{
    double sum = 0.0;
    for (size_t i = 0; i < p->rows; i++) {
        const double *pi = p->data + i * p->ld, *yi = y->data + i * y->ld;
        for (size_t j = 0; j < p->cols; j++) {
            const double d = yi[j] - pi[j];
            sum += d * d;
        }
    }
    return sum / ((double)p->rows * (double)p->cols);
}

double dlfs__mse_grad(dlfs_matrix *dl_dp, const dlfs_matrix *p, const dlfs_matrix *y)
{
    const double count = (double)p->rows * (double)p->cols;
    const double scale = -2.0 / count;
    double sum = 0.0;
    for (size_t i = 0; i < p->rows; i++) {
        const double *pi = p->data + i * p->ld, *yi = y->data + i * y->ld;
        double *gi = dl_dp->data + i * dl_dp->ld;
        for (size_t j = 0; j < p->cols; j++) {
            const double d = yi[j] - pi[j];
            sum += d * d;
            gi[j] = scale * d;      /* dL/dP = -2 (y - P) / (B*m) */
        }
    }
    return sum / count;
}

void dlfs__row_sum(double *sums, const dlfs_matrix *in)
{
    for (size_t j = 0; j < in->cols; j++)
        sums[j] = 0.0;
    for (size_t i = 0; i < in->rows; i++) {
        const double *a = in->data + i * in->ld;
        for (size_t j = 0; j < in->cols; j++)
            sums[j] += a[j];
    }
}

/* ---- checked public versions --------------------------------------------- */

static dlfs_status same_shape(const char *fn, const char *na, const dlfs_matrix *a,
                              const char *nb, const dlfs_matrix *b)
{
    if (a->rows != b->rows || a->cols != b->cols)
        return dlfs__fail(DLFS_ESHAPE, "%s: %s is %zu x %zu but %s is %zu x %zu",
                          fn, na, a->rows, a->cols, nb, b->rows, b->cols);
    return DLFS_OK;
}

dlfs_status dlfs_bias_add(dlfs_matrix *out, const dlfs_matrix *in, const dlfs_matrix *bias)
{
    dlfs_status st;
    if ((st = dlfs_matrix_check(out, "dlfs_bias_add: out")) ||
        (st = dlfs_matrix_check(in, "dlfs_bias_add: in")) ||
        (st = dlfs_matrix_check(bias, "dlfs_bias_add: bias")) ||
        (st = same_shape("dlfs_bias_add", "out", out, "in", in)))
        return st;
    if (bias->rows != 1 || bias->cols != in->cols)
        return dlfs__fail(DLFS_ESHAPE, "dlfs_bias_add: bias is %zu x %zu, expected 1 x %zu",
                          bias->rows, bias->cols, in->cols);
    dlfs__bias_add(out, in, bias->data);
    return DLFS_OK;
}

dlfs_status dlfs_sigmoid(dlfs_matrix *out, const dlfs_matrix *in)
{
    dlfs_status st;
    if ((st = dlfs_matrix_check(out, "dlfs_sigmoid: out")) ||
        (st = dlfs_matrix_check(in, "dlfs_sigmoid: in")) ||
        (st = same_shape("dlfs_sigmoid", "out", out, "in", in)))
        return st;
    dlfs__sigmoid(out, in);
    return DLFS_OK;
}

dlfs_status dlfs_sigmoid_backward(dlfs_matrix *dout_din, const dlfs_matrix *dout,
                                  const dlfs_matrix *s)
{
    dlfs_status st;
    if ((st = dlfs_matrix_check(dout_din, "dlfs_sigmoid_backward: dout_din")) ||
        (st = dlfs_matrix_check(dout, "dlfs_sigmoid_backward: dout")) ||
        (st = dlfs_matrix_check(s, "dlfs_sigmoid_backward: s")) ||
        (st = same_shape("dlfs_sigmoid_backward", "dout_din", dout_din, "dout", dout)) ||
        (st = same_shape("dlfs_sigmoid_backward", "s", s, "dout", dout)))
        return st;
    dlfs__sigmoid_backward(dout_din, dout, s);
    return DLFS_OK;
}

dlfs_status dlfs_mse(const dlfs_matrix *p, const dlfs_matrix *y, double *loss)
{
    dlfs_status st;
    if ((st = dlfs_matrix_check(p, "dlfs_mse: p")) ||
        (st = dlfs_matrix_check(y, "dlfs_mse: y")) ||
        (st = same_shape("dlfs_mse", "p", p, "y", y)))
        return st;
    if (!loss)
        return dlfs__fail(DLFS_ENULL, "dlfs_mse: loss is NULL");
    *loss = dlfs__mse(p, y);
    return DLFS_OK;
}

dlfs_status dlfs_mse_grad(dlfs_matrix *dl_dp, const dlfs_matrix *p, const dlfs_matrix *y,
                          double *loss)
{
    dlfs_status st;
    if ((st = dlfs_matrix_check(dl_dp, "dlfs_mse_grad: dl_dp")) ||
        (st = dlfs_matrix_check(p, "dlfs_mse_grad: p")) ||
        (st = dlfs_matrix_check(y, "dlfs_mse_grad: y")) ||
        (st = same_shape("dlfs_mse_grad", "p", p, "y", y)) ||
        (st = same_shape("dlfs_mse_grad", "dl_dp", dl_dp, "p", p)))
        return st;
    if (!loss)
        return dlfs__fail(DLFS_ENULL, "dlfs_mse_grad: loss is NULL");
    *loss = dlfs__mse_grad(dl_dp, p, y);
    return DLFS_OK;
}

dlfs_status dlfs_row_sum(dlfs_matrix *sums, const dlfs_matrix *in)
{
    dlfs_status st;
    if ((st = dlfs_matrix_check(sums, "dlfs_row_sum: sums")) ||
        (st = dlfs_matrix_check(in, "dlfs_row_sum: in")))
        return st;
    if (sums->rows != 1 || sums->cols != in->cols)
        return dlfs__fail(DLFS_ESHAPE, "dlfs_row_sum: sums is %zu x %zu, expected 1 x %zu",
                          sums->rows, sums->cols, in->cols);
    dlfs__row_sum(sums->data, in);
    return DLFS_OK;
}
