/* src/kernels.c - the chapter's elementwise steps as plain loops.
 *
 * Bias-add, sigmoid, the sigmoid's derivative, the loss, row sums, the batch
 * gather and the parameter update. The inner loops are written so the compiler
 * vectorises them: no calls into libm on the hot path (the sigmoid has its own
 * exp), no branches the compiler cannot turn into blends. Where the CPU has
 * AVX-512, the dispatch below hands the chapter's shapes to the hand-written
 * paths of kernels_avx512.c. The unchecked dlfs__ versions trust their
 * arguments; the public dlfs_ versions validate shapes first.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <dlfs/kernels.h>
#include <dlfs/matrix.h>
#include "exp_constants.h"
#include "internal.h"
#include "kernels.h"
#include "kernels_avx512.h"

/* ---- exp on (-inf, 0] without libm, so the loops vectorise ---------------
 *
 * exp(x) = 2^n exp(r), n = round(x / ln 2), r = x - n ln 2, |r| <= ln2/2, with
 * ln 2 split in two so r is exact to rounding. exp(r) is the rational form of
 * the classic fdlibm exp (its minimax polynomial c(r) in r^2, error < 2^-59):
 *     c = r - r^2 (P1 + r^2 (P2 + ... + r^2 P5)),  exp(r) = (2 + 2r - c) / (2 - c).
 * Keeping numerator and denominator apart lets the sigmoid use one division.
 * 2^n is applied in two halves so results down to the subnormals are right;
 * x < -746 gives 0. NaN passes through. The constants (exp_constants.h) are
 * shared with the AVX-512 sigmoid of kernels_avx512.c.
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

/* exp(x) = *num / *den for x <= 0, with *den in [1.6, 2.4]. */
static inline void exp_neg_ratio(double x, double *num, double *den)
{
    static const double log2e = EXP_LOG2E, ln2_hi = EXP_LN2_HI, ln2_lo = EXP_LN2_LO;
    static const double shifter = 0x1.8p52;                  /* adding it rounds to an integer */
    static const double P1 = EXP_P1, P2 = EXP_P2, P3 = EXP_P3, P4 = EXP_P4, P5 = EXP_P5;

    x = x < -746.0 ? -746.0 : x;                              /* written so NaN passes */
    const double t = x * log2e + shifter;
    const double kd = t - shifter;                            /* n, as a double */
    const int64_t n = (int64_t)(as_u64(t) - as_u64(shifter)); /* n in [-1077, 0] */
    const double r = (x - kd * ln2_hi) - kd * ln2_lo;
    const double r2 = r * r;
    const double c = r - r2 * (P1 + r2 * (P2 + r2 * (P3 + r2 * (P4 + r2 * P5))));

    /* 2^n = 2^n1 2^n2 with both halves normal: n1, n2 >= -539. */
    const int64_t n1 = (int64_t)((uint64_t)(n + 1078) >> 1) - 539;
    /* In unsigned arithmetic: for a NaN x, n is garbage and n - n1 would
     * overflow int64 (undefined); the result is NaN whatever the scale. */
    const uint64_t n2 = (uint64_t)n - (uint64_t)n1;
    const double s1 = as_double((uint64_t)(n1 + 1023) << 52);
    const double s2 = as_double((n2 + 1023) << 52);
    *num = ((2.0 + 2.0 * r) - c) * s1 * s2;
    *den = 2.0 - c;
}

static inline double exp_neg(double x)
{
    double num, den;
    exp_neg_ratio(x, &num, &den);
    return num / den;
}

/* sigmoid(x) with e = exp(-|x|) = a / d <= 1, so nothing overflows:
 *     x >= 0:  1 / (1 + e) = d / (d + a)      x < 0:  e / (1 + e) = a / (d + a)  */
static inline double sigmoid1(double x)
{
    double a, d;
    exp_neg_ratio(-fabs(x), &a, &d);
    const double num = x >= 0.0 ? d : a;
    return num / (d + a);
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

/* ---- unchecked kernels ---------------------------------------------------
 *
 * Loops that do the same to every element walk a gap-free matrix (ld == cols)
 * as one long row, so short rows (the chapter's 13 columns) do not each pay
 * for a vector remainder.
 */
typedef struct shape { size_t rows, cols; } shape;

static inline shape walk(const dlfs_matrix *a, const dlfs_matrix *b, const dlfs_matrix *c)
{
    const int flat = a->ld == a->cols && b->ld == b->cols && (!c || c->ld == c->cols);
    return flat ? (shape){1, a->rows * a->cols} : (shape){a->rows, a->cols};
}

DLFS_MULTIVERSION
void dlfs__bias_add(dlfs_matrix *out, const dlfs_matrix *in, const double *bias)
{
    if (in->cols == 1) {             /* one output: walk down the column */
        const double b = bias[0];
        for (size_t i = 0; i < in->rows; i++)
            out->data[i * out->ld] = in->data[i * in->ld] + b;
        return;
    }
    for (size_t i = 0; i < in->rows; i++) {
        const double *a = in->data + i * in->ld;
        double *o = out->data + i * out->ld;
        for (size_t j = 0; j < in->cols; j++)
            o[j] = a[j] + bias[j];
    }
}

DLFS_MULTIVERSION
void dlfs__sigmoid_portable(double *out, const double *in, size_t n)
{
    for (size_t j = 0; j < n; j++)
        out[j] = sigmoid1(in[j]);
}

DLFS_MULTIVERSION
void dlfs__sigmoid(dlfs_matrix *out, const dlfs_matrix *in)
{
    const shape w = walk(in, out, NULL);
#ifdef DLFS_HAVE_AVX512_PATH
    if (dlfs__have_avx512()) {
        for (size_t i = 0; i < w.rows; i++)
            dlfs__sigmoid_avx512(out->data + i * out->ld, in->data + i * in->ld, w.cols);
        return;
    }
#endif
    for (size_t i = 0; i < w.rows; i++)
        dlfs__sigmoid_portable(out->data + i * out->ld, in->data + i * in->ld, w.cols);
}

void dlfs__hidden_bias_ready(dlfs__hidden_bias *hb, const double *bias, size_t c)
{
    hb->bias = bias;
    hb->one_pass = 0;
#ifdef DLFS_HAVE_AVX512_PATH
    if (c <= DLFS__HIDDEN_BIAS_MAX && dlfs__have_avx512()) {
        double *pattern = hb->pattern;
        hb->one_pass = 1;
        if (c >= 8) {                 /* the bias, then its first eight again */
            memcpy(pattern, bias, c * sizeof *pattern);
            memcpy(pattern + c, bias, 8 * sizeof *pattern);
            return;
        }
        for (size_t i = 0, b = 0; i < c + 8; i++) {
            pattern[i] = bias[b];
            b = b + 1 == c ? 0 : b + 1;
        }
    }
#else
    (void)c;
#endif
}

DLFS_MULTIVERSION
void dlfs__bias_sigmoid(dlfs_matrix *n1, dlfs_matrix *o1, const dlfs_matrix *m1,
                        const dlfs__hidden_bias *hb)
{
#ifdef DLFS_HAVE_AVX512_PATH
    const shape w = walk(m1, n1, o1);
    if (hb->one_pass && w.rows == 1) {    /* at most 64 columns, and AVX-512 */
        dlfs__bias_sigmoid_flat_avx512(n1->data, o1->data, m1->data, hb->pattern, w.cols, m1->cols);
        return;
    }
#endif
    dlfs__bias_add(n1, m1, hb->bias);     /* the two passes it stands for */
    dlfs__sigmoid(o1, n1);
}

DLFS_MULTIVERSION
void dlfs__sigmoid_backward(dlfs_matrix *dx, const dlfs_matrix *dout, const dlfs_matrix *s)
{
    const shape w = walk(dout, s, dx);
#ifdef DLFS_HAVE_AVX512_PATH
    if (w.rows == 1 && dlfs__have_avx512()) {
        dlfs__sigmoid_backward_avx512(dx->data, dout->data, s->data, w.cols);
        return;
    }
#endif
    for (size_t i = 0; i < w.rows; i++) {
        const double *g = dout->data + i * dout->ld;
        const double *si = s->data + i * s->ld;
        double *d = dx->data + i * dx->ld;
        for (size_t j = 0; j < w.cols; j++)
            d[j] = g[j] * si[j] * (1.0 - si[j]);
    }
}

DLFS_MULTIVERSION
double dlfs__mse(const dlfs_matrix *p, const dlfs_matrix *y)
{
    const shape w = walk(p, y, NULL);
    double sum = 0.0;
    for (size_t i = 0; i < w.rows; i++) {
        const double *pi = p->data + i * p->ld, *yi = y->data + i * y->ld;
        for (size_t j = 0; j < w.cols; j++) {
            const double d = yi[j] - pi[j];
            sum += d * d;
        }
    }
    return sum / ((double)p->rows * (double)p->cols);
}

/* The loss (mean of squares) and dL/dP = scale (y - P). */
DLFS_MULTIVERSION
static double loss_grad(dlfs_matrix *dl_dp, const dlfs_matrix *p, const dlfs_matrix *y, double scale)
{
    const double count = (double)p->rows * (double)p->cols;
    const shape w = walk(p, y, dl_dp);
#ifdef DLFS_HAVE_AVX512_PATH
    if (w.rows == 1 && dlfs__have_avx512())
        return dlfs__loss_grad_avx512(dl_dp->data, NULL, p->data, NULL, y->data, w.cols, scale) / count;
#endif
    double sum = 0.0;
    for (size_t i = 0; i < w.rows; i++) {
        const double *pi = p->data + i * p->ld, *yi = y->data + i * y->ld;
        double *gi = dl_dp->data + i * dl_dp->ld;
        for (size_t j = 0; j < w.cols; j++) {
            const double d = yi[j] - pi[j];
            sum += d * d;
            gi[j] = scale * d;
        }
    }
    return sum / count;
}

/* dL/dP's factor: -2 / (bs m) for the mean loss, -2 for the summed one. */
static double grad_scale(const dlfs_matrix *p, int summed)
{
    return summed ? -2.0 : -2.0 / ((double)p->rows * (double)p->cols);
}

double dlfs__mse_grad(dlfs_matrix *dl_dp, const dlfs_matrix *p, const dlfs_matrix *y)
{
    return loss_grad(dl_dp, p, y, grad_scale(p, 0));   /* dL/dP = -2 (y - P) / (bs*m) */
}

DLFS_MULTIVERSION
double dlfs__bias_mse_grad(dlfs_matrix *dl_dp, dlfs_matrix *p, const dlfs_matrix *m, const double *bias,
                           const dlfs_matrix *y, int summed)
{
#ifdef DLFS_HAVE_AVX512_PATH
    if (m->cols == 1 && walk(m, p, dl_dp).rows == 1 && y->ld == 1 && dlfs__have_avx512()) {
        const double count = (double)m->rows;
        return dlfs__loss_grad_avx512(dl_dp->data, p->data, m->data, bias, y->data, m->rows,
                                      grad_scale(m, summed)) / count;
    }
#endif
    dlfs__bias_add(p, m, bias);        /* the two passes it stands for */
    return loss_grad(dl_dp, p, y, grad_scale(p, summed));
}

DLFS_MULTIVERSION
void dlfs__row_sum(double *restrict sums, const dlfs_matrix *in)
{
    const size_t r = in->rows, c = in->cols, ld = in->ld;
    const double *restrict a = in->data;
#ifdef DLFS_HAVE_AVX512_PATH
    if (c > 1 && c < 64 && dlfs__have_avx512()) {
        dlfs__row_sum_avx512(sums, in);
        return;
    }
    if (c == 1 && ld == 1 && dlfs__have_avx512()) {
        sums[0] = dlfs__column_sum_avx512(a, r);
        return;
    }
#endif
    if (c == 1) {                    /* one output: a plain sum down the column */
        double s = 0.0;
        for (size_t i = 0; i < r; i++)
            s += a[i * ld];
        sums[0] = s;
        return;
    }
    for (size_t j = 0; j < c; j++)
        sums[j] = a[j];
    for (size_t i = 1; i < r; i++)
        for (size_t j = 0; j < c; j++)
            sums[j] += a[i * ld + j];
}

/* The rows idx[0..bs) of src into the first bs rows of dst. */
static void gather_rows(dlfs_matrix *dst, const dlfs_matrix *src, const size_t *idx, size_t bs)
{
    const size_t c = src->cols;
    if (c == 1) {                     /* one column: one value per row */
        for (size_t i = 0; i < bs; i++)
            dst->data[i * dst->ld] = src->data[idx[i] * src->ld];
        return;
    }
    for (size_t i = 0; i < bs; i++) {
        const double *restrict from = src->data + idx[i] * src->ld;
        double *restrict to = dst->data + i * dst->ld;
        if (c >= 64) {               /* long rows: the library copy is fastest */
            memcpy(to, from, c * sizeof(double));
            continue;
        }
        for (size_t j = 0; j < c; j++)  /* short rows: no call per row */
            to[j] = from[j];
    }
}

DLFS_MULTIVERSION
void dlfs__gather_batch(dlfs_matrix *Xb, dlfs_matrix *yb, const dlfs_matrix *X, const dlfs_matrix *y,
                        const size_t *idx, size_t bs)
{
    Xb->rows = yb->rows = bs;
    /* The target, one value per row. A plain loop: on the chapter's batch it
     * takes two thirds of the time vgatherqpd does on this Zen 4. It goes
     * first so that the AVX-512 copy of X below is the last thing done, a
     * jump rather than a call (it lives in another file and is not inlined). */
    gather_rows(yb, y, idx, bs);
#ifdef DLFS_HAVE_AVX512_PATH
    if (X->cols >= 8 && X->cols <= 64 && dlfs__have_avx512()) {
        dlfs__gather_rows_avx512(Xb, X, idx, bs);
        return;
    }
#endif
    gather_rows(Xb, X, idx, bs);
}

DLFS_MULTIVERSION
void dlfs__sgd_update(double *restrict params, const double *restrict grads, size_t n, double lr)
{
    for (size_t i = 0; i < n; i++)
        params[i] -= lr * grads[i];
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
