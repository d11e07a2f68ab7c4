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

/* ---- exp on (-inf, 0] without libm, so the loops vectorise ---------------
 *
 * exp(x) = 2^n exp(r), n = round(x / ln 2), r = x - n ln 2, |r| <= ln2/2, with
 * ln 2 split in two so r is exact to rounding. exp(r) is the rational form of
 * the classic fdlibm exp (its minimax polynomial c(r) in r^2, error < 2^-59):
 *     c = r - r^2 (P1 + r^2 (P2 + ... + r^2 P5)),  exp(r) = (2 + 2r - c) / (2 - c).
 * Keeping numerator and denominator apart lets the sigmoid use one division.
 * 2^n is applied in two halves so results down to the subnormals are right;
 * x < -746 gives 0. NaN passes through.
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

/* The constants every exp path here shares: 1 / ln 2, ln 2 in two parts, and
 * fdlibm's P1..P5. */
#define EXP_LOG2E 1.4426950408889634074
#define EXP_LN2_HI 6.93147180369123816490e-01   /* 32 leading bits of ln 2 */
#define EXP_LN2_LO 1.90821492927058770002e-10   /* ln 2 - EXP_LN2_HI */
#define EXP_P1 1.66666666666666019037e-01
#define EXP_P2 -2.77777777770155933842e-03
#define EXP_P3 6.61375632143793436117e-05
#define EXP_P4 -1.65339022054652515390e-06
#define EXP_P5 4.13813679705723846039e-08

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

/* ---- AVX-512 paths ---------------------------------------------------------
 *
 * The chapter's matrices are tiny (23 x 13), so a pass over one costs about as
 * much in its remainders and call as in its body. These paths keep every load
 * and store in the loops a full, unmasked vector; a masked store, slower than
 * a plain one on some CPUs (a few percent in a loop on this Zen 4), is used at
 * most once, for the last few values of a pass. Rows shorter than a
 * vector use masked loads, which cost nothing extra.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(DLFS_NO_MULTIVERSION)
#include <immintrin.h>
#define DLFS_HAVE_AVX512_PATH 1

static inline __mmask8 tail_mask(size_t left)
{
    return left >= 8 ? (__mmask8)0xff : (__mmask8)((1u << left) - 1u);
}

/* Column sums, eight columns to a register. For c >= 8 the blocks are full
 * vectors, the last one starting at c - 8 and overlapping the one before it
 * (the overlapped sums come out equal and are written twice). Two blocks and
 * two rows go at once, into four registers, so the additions do not wait on
 * each other. */
__attribute__((target("avx512f")))
static void row_sum_avx512(double *sums, const dlfs_matrix *in)
{
    const size_t r = in->rows, c = in->cols, ld = in->ld;
    const double *a = in->data;
    if (c < 8) {
        const __mmask8 k = tail_mask(c);
        __m512d x = _mm512_setzero_pd(), y = x;
        size_t i = 0;
        for (; i + 2 <= r; i += 2) {
            x = _mm512_add_pd(x, _mm512_maskz_loadu_pd(k, a + i * ld));
            y = _mm512_add_pd(y, _mm512_maskz_loadu_pd(k, a + (i + 1) * ld));
        }
        if (i < r)
            x = _mm512_add_pd(x, _mm512_maskz_loadu_pd(k, a + i * ld));
        _mm512_mask_storeu_pd(sums, k, _mm512_add_pd(x, y));
        return;
    }
    for (size_t j = 0; j < c; j += 16) {
        const size_t j0 = j + 8 <= c ? j : c - 8, j1 = j + 16 <= c ? j + 8 : c - 8;
        __m512d x0 = _mm512_setzero_pd(), x1 = x0, y0 = x0, y1 = x0;
        size_t i = 0;
        for (; i + 2 <= r; i += 2) {
            const double *a0 = a + i * ld, *a1 = a0 + ld;
            x0 = _mm512_add_pd(x0, _mm512_loadu_pd(a0 + j0));
            x1 = _mm512_add_pd(x1, _mm512_loadu_pd(a0 + j1));
            y0 = _mm512_add_pd(y0, _mm512_loadu_pd(a1 + j0));
            y1 = _mm512_add_pd(y1, _mm512_loadu_pd(a1 + j1));
        }
        if (i < r) {
            x0 = _mm512_add_pd(x0, _mm512_loadu_pd(a + i * ld + j0));
            x1 = _mm512_add_pd(x1, _mm512_loadu_pd(a + i * ld + j1));
        }
        _mm512_storeu_pd(sums + j0, _mm512_add_pd(x0, y0));
        _mm512_storeu_pd(sums + j1, _mm512_add_pd(x1, y1));
    }
}

/* The sum of r contiguous values (one column, gap-free), eight lanes in two
 * registers: a plain sum is a chain of r dependent additions. */
__attribute__((target("avx512f")))
static double column_sum_avx512(const double *a, size_t r)
{
    __m512d x = _mm512_setzero_pd(), y = x;
    size_t i = 0;
    for (; i + 16 <= r; i += 16) {
        x = _mm512_add_pd(x, _mm512_loadu_pd(a + i));
        y = _mm512_add_pd(y, _mm512_loadu_pd(a + i + 8));
    }
    if (i + 8 <= r) {
        x = _mm512_add_pd(x, _mm512_loadu_pd(a + i));
        i += 8;
    }
    if (i < r)
        y = _mm512_add_pd(y, _mm512_maskz_loadu_pd(tail_mask(r - i), a + i));
    return _mm512_reduce_add_pd(_mm512_add_pd(x, y));
}

/* The sigmoid of eight values anywhere on the line, with AVX-512's own tools
 * and no branch on the sign; sigmoid8() below sends it the rare vectors it
 * cannot take. x is clamped to [-746, 40] (beyond, the sigmoid is 0 or 1 to
 * double precision; min and max are ordered so a NaN passes). Then
 * exp(-x) = 2^-n e^r with n = round(x / ln 2), r = n ln 2 - x, and e^r from the
 * rational form above with numerator and denominator halved, which saves an
 * operation:
 *     a = 1 + r/2 + r^2 (p/2),  d = a - r,  e^r = a / d,  p = P1 + ... + r^8 P5,
 * so that
 *     sigmoid(x) = 1 / (1 + exp(-x)) = t / (t + a),   t = 2^n d,
 * which neither overflows nor loses a subnormal result: vscalefpd scales d in
 * one correctly rounded step. vrndscalepd rounds. */
__attribute__((target("avx512f")))
static inline __m512d sigmoid8_wide(__m512d x)
{
    const __m512d log2e = _mm512_set1_pd(EXP_LOG2E);
    const __m512d ln2_hi = _mm512_set1_pd(EXP_LN2_HI), ln2_lo = _mm512_set1_pd(EXP_LN2_LO);
    /* P1..P5, halved (exactly) */
    const __m512d H1 = _mm512_set1_pd(0.5 * EXP_P1), H2 = _mm512_set1_pd(0.5 * EXP_P2);
    const __m512d H3 = _mm512_set1_pd(0.5 * EXP_P3), H4 = _mm512_set1_pd(0.5 * EXP_P4);
    const __m512d H5 = _mm512_set1_pd(0.5 * EXP_P5);
    const __m512d half = _mm512_set1_pd(0.5), one = _mm512_set1_pd(1.0);
    const __m512d lowest = _mm512_set1_pd(-746.0), highest = _mm512_set1_pd(40.0);

    /* vminpd and vmaxpd return their second operand when either is a NaN */
    const __m512d xc = _mm512_max_pd(lowest, _mm512_min_pd(highest, x));
    const __m512d n = _mm512_roundscale_pd(_mm512_mul_pd(xc, log2e),
                                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512d r = _mm512_fmsub_pd(n, ln2_hi, xc);                /* n ln 2 - x, in two parts */
    r = _mm512_fmadd_pd(n, ln2_lo, r);
    const __m512d r2 = _mm512_mul_pd(r, r);
    __m512d p = _mm512_fmadd_pd(r2, H5, H4);
    p = _mm512_fmadd_pd(r2, p, H3);
    p = _mm512_fmadd_pd(r2, p, H2);
    p = _mm512_fmadd_pd(r2, p, H1);
    const __m512d a = _mm512_fmadd_pd(r2, p, _mm512_fmadd_pd(r, half, one));
    const __m512d t = _mm512_scalef_pd(_mm512_sub_pd(a, r), n);
    return _mm512_div_pd(t, _mm512_add_pd(t, a));
}

/* 2^(j/16) for j = 0..15, correctly rounded. */
static const double exp2_sixteenths[16] = {
    0x1p+0,               0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
    0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0,
    0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f09p+0,
    0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0,
};

/* The sigmoid of eight values, the short way: a sixteenth-step table for 2^q
 * makes the reduced argument small enough for two polynomial terms, and the
 * chain from x to the division is shorter. For x >= -708 (every lane, or the
 * vector goes to sigmoid8_wide), clamped above at 40:
 *     q = round(-16 x / ln 2) / 16,  r = q ln 2 + x  (|r| <= ln2/32; two parts),
 *     exp(-x) = 2^q e^-r,  e^-r = a / d  with
 *     a = 2 - r + r^2 p,  d = a + 2r,  p = P1 + r^2 P2'
 * (the rational form above, numerator and denominator doubled, which spares a
 * multiplication; its P2 refitted to |r| <= ln2/32: a / d is e^-r to within
 * 2^-56 relative),
 * and 2^q = 2^floor(q) 2^(j/16), j = 16 (q - floor(q)):
 *     sigmoid(x) = 1 / (1 + 2^q a / d) = d / (d + a V),   V = 2^q.
 * Adding 1.5 * 2^48 to -x / ln 2 rounds it to a sixteenth and leaves 16 q mod
 * 16 in the sum's four lowest bits, which vpermt2pd uses as the table index;
 * vscalefpd multiplies by 2^floor(q). V <= 2^1022 for x >= -708, so nothing
 * overflows, and every result is a normal number. A NaN passes through min
 * and the rest. */
__attribute__((target("avx512f")))
static inline __m512d sigmoid8(__m512d x)
{
    const __m512d low = _mm512_set1_pd(-708.0), highest = _mm512_set1_pd(40.0);
    if (__builtin_expect(_mm512_cmp_pd_mask(x, low, _CMP_LT_OQ) != 0, 0))
        return sigmoid8_wide(x);
    const __m512d m_log2e = _mm512_set1_pd(-EXP_LOG2E);
    const __m512d ln2_hi = _mm512_set1_pd(EXP_LN2_HI), ln2_lo = _mm512_set1_pd(EXP_LN2_LO);
    const __m512d shifter = _mm512_set1_pd(0x1.8p48);
    const __m512d P1 = _mm512_set1_pd(EXP_P1);
    const __m512d P2 = _mm512_set1_pd(-2.7777500325118797e-03);   /* EXP_P2 refitted, see above */
    const __m512d two = _mm512_set1_pd(2.0);
    const __m512d tab_lo = _mm512_loadu_pd(exp2_sixteenths), tab_hi = _mm512_loadu_pd(exp2_sixteenths + 8);

    const __m512d xc = _mm512_min_pd(highest, x);
    const __m512d s = _mm512_fmadd_pd(xc, m_log2e, shifter);
    const __m512d q = _mm512_sub_pd(s, shifter);
    __m512d r = _mm512_fmadd_pd(q, ln2_hi, xc);
    r = _mm512_fmadd_pd(q, ln2_lo, r);
    const __m512d r2 = _mm512_mul_pd(r, r);
    const __m512d p = _mm512_fmadd_pd(r2, P2, P1);
    const __m512d a = _mm512_fmadd_pd(r2, p, _mm512_sub_pd(two, r));
    const __m512d d = _mm512_add_pd(a, _mm512_add_pd(r, r));
    const __m512d V = _mm512_scalef_pd(_mm512_permutex2var_pd(tab_lo, _mm512_castpd_si512(s), tab_hi), q);
    return _mm512_div_pd(d, _mm512_fmadd_pd(a, V, d));
}

/* The sigmoid of n contiguous values; out may be in. */
__attribute__((target("avx512f")))
static void sigmoid_avx512(double *out, const double *in, size_t n)
{
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        _mm512_storeu_pd(out + j, sigmoid8(_mm512_loadu_pd(in + j)));
    if (j < n) {
        const __mmask8 k = tail_mask(n - j);
        _mm512_mask_storeu_pd(out + j, k, sigmoid8(_mm512_maskz_loadu_pd(k, in + j)));
    }
}

/* n1 = m1 + bias and o1 = sigmoid(n1) for a gap-free rows x c matrix walked as
 * one long row of n values, eight at a time. The value at flat position p takes
 * bias[p mod c]; pattern[] (see dlfs__bias_pattern) holds the bias over and
 * over, so the eight biases of a vector starting at p are pattern[off .. off + 8)
 * with off = p mod c. Any of the three matrices may be the same array. */
__attribute__((target("avx512f")))
static void bias_sigmoid_flat_avx512(double *n1, double *o1, const double *m1, const double *pattern,
                                     size_t n, size_t c)
{
    const size_t step = 8 % c;
    size_t j = 0, off = 0;
    for (; j + 8 <= n; j += 8) {
        const __m512d x = _mm512_add_pd(_mm512_loadu_pd(m1 + j), _mm512_loadu_pd(pattern + off));
        _mm512_storeu_pd(n1 + j, x);
        _mm512_storeu_pd(o1 + j, sigmoid8(x));
        off += step;
        off = off >= c ? off - c : off;
    }
    if (j < n) {
        const __mmask8 k = tail_mask(n - j);
        const __m512d x = _mm512_add_pd(_mm512_maskz_loadu_pd(k, m1 + j), _mm512_loadu_pd(pattern + off));
        _mm512_mask_storeu_pd(n1 + j, k, x);
        _mm512_mask_storeu_pd(o1 + j, k, sigmoid8(x));
    }
}

/* d = g * s * (1 - s) over n contiguous values; d may be g. */
__attribute__((target("avx512f")))
static void sigmoid_backward_avx512(double *d, const double *g, const double *s, size_t n)
{
    const __m512d one = _mm512_set1_pd(1.0);
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        const __m512d sj = _mm512_loadu_pd(s + j);
        _mm512_storeu_pd(d + j, _mm512_mul_pd(_mm512_mul_pd(_mm512_loadu_pd(g + j), sj),
                                              _mm512_sub_pd(one, sj)));
    }
    if (j < n) {
        const __mmask8 k = tail_mask(n - j);
        const __m512d sj = _mm512_maskz_loadu_pd(k, s + j);
        _mm512_mask_storeu_pd(d + j, k, _mm512_mul_pd(_mm512_mul_pd(_mm512_maskz_loadu_pd(k, g + j), sj),
                                                      _mm512_sub_pd(one, sj)));
    }
}

/* The loss pass over n contiguous values: q = m + *b, stored to p (the output
 * layer and the loss in one pass), or, with b NULL, q = m (p unused). Sets
 * g = scale (y - q) and returns the sum of (y - q)^2. */
__attribute__((target("avx512f")))
static double loss_grad_avx512(double *g, double *p, const double *m, const double *b, const double *y,
                               size_t n, double scale)
{
    const __m512d sc = _mm512_set1_pd(scale), bv = _mm512_set1_pd(b ? *b : 0.0);
    __m512d acc = _mm512_setzero_pd();
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m512d q = _mm512_loadu_pd(m + j);
        if (b) {
            q = _mm512_add_pd(q, bv);
            _mm512_storeu_pd(p + j, q);
        }
        const __m512d d = _mm512_sub_pd(_mm512_loadu_pd(y + j), q);
        acc = _mm512_fmadd_pd(d, d, acc);
        _mm512_storeu_pd(g + j, _mm512_mul_pd(sc, d));
    }
    if (j < n) {
        const __mmask8 k = tail_mask(n - j);
        __m512d q = _mm512_maskz_loadu_pd(k, m + j);
        if (b) {
            q = _mm512_maskz_add_pd(k, q, bv);  /* 0 past the end, as the loads give */
            _mm512_mask_storeu_pd(p + j, k, q);
        }
        const __m512d d = _mm512_sub_pd(_mm512_maskz_loadu_pd(k, y + j), q);
        acc = _mm512_fmadd_pd(d, d, acc);
        _mm512_mask_storeu_pd(g + j, k, _mm512_mul_pd(sc, d));
    }
    return _mm512_reduce_add_pd(acc);
}

/* Copies rows idx[0..bs) of src (8 <= c <= 64 columns) into dst: full
 * vectors, the last one starting at c - 8 and overlapping the one before it
 * (harmless: source and destination are different arrays). The fields go into
 * locals, as the intrinsics' stores may alias anything and would otherwise
 * have them read again after every store. */
__attribute__((target("avx512f")))
static void gather_rows_avx512(dlfs_matrix *dst, const dlfs_matrix *src, const size_t *idx, size_t bs)
{
    const size_t c = src->cols, src_ld = src->ld, dst_ld = dst->ld;
    const double *from = src->data;
    double *to = dst->data;
    for (size_t i = 0; i < bs; i++) {
        const double *f = from + idx[i] * src_ld;
        double *t = to + i * dst_ld;
        for (size_t j = 0; j + 8 < c; j += 8)
            _mm512_storeu_pd(t + j, _mm512_loadu_pd(f + j));
        _mm512_storeu_pd(t + c - 8, _mm512_loadu_pd(f + c - 8));
    }
}

static inline int have_avx512(void)
{
    return __builtin_cpu_supports("avx512f");
}
#endif

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
    if (have_avx512()) {
        for (size_t i = 0; i < w.rows; i++)
            sigmoid_avx512(out->data + i * out->ld, in->data + i * in->ld, w.cols);
        return;
    }
#endif
    for (size_t i = 0; i < w.rows; i++)
        dlfs__sigmoid_portable(out->data + i * out->ld, in->data + i * in->ld, w.cols);
}

const double *dlfs__bias_pattern(double *pattern, const double *bias, size_t c)
{
#ifdef DLFS_HAVE_AVX512_PATH
    if (c <= DLFS__BIAS_PATTERN_MAX && have_avx512()) {
        if (c >= 8) {                 /* the bias, then its first eight again */
            memcpy(pattern, bias, c * sizeof *pattern);
            memcpy(pattern + c, bias, 8 * sizeof *pattern);
            return pattern;
        }
        for (size_t i = 0, b = 0; i < c + 8; i++) {
            pattern[i] = bias[b];
            b = b + 1 == c ? 0 : b + 1;
        }
        return pattern;
    }
#endif
    (void)pattern, (void)bias, (void)c;
    return NULL;
}

DLFS_MULTIVERSION
void dlfs__bias_sigmoid(dlfs_matrix *n1, dlfs_matrix *o1, const dlfs_matrix *m1, const double *bias,
                        const double *pattern)
{
#ifdef DLFS_HAVE_AVX512_PATH
    const shape w = walk(m1, n1, o1);
    if (pattern && w.rows == 1) {    /* a pattern: at most 64 columns and AVX-512 */
        bias_sigmoid_flat_avx512(n1->data, o1->data, m1->data, pattern, w.cols, m1->cols);
        return;
    }
#else
    (void)pattern;
#endif
    dlfs__bias_add(n1, m1, bias);        /* the two passes it stands for */
    dlfs__sigmoid(o1, n1);
}

DLFS_MULTIVERSION
void dlfs__sigmoid_backward(dlfs_matrix *dx, const dlfs_matrix *dout, const dlfs_matrix *s)
{
    const shape w = walk(dout, s, dx);
#ifdef DLFS_HAVE_AVX512_PATH
    if (w.rows == 1 && have_avx512()) {
        sigmoid_backward_avx512(dx->data, dout->data, s->data, w.cols);
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

DLFS_MULTIVERSION
double dlfs__mse_grad(dlfs_matrix *dl_dp, const dlfs_matrix *p, const dlfs_matrix *y)
{
    const double count = (double)p->rows * (double)p->cols;
    const double scale = -2.0 / count;      /* dL/dP = -2 (y - P) / (B*m) */
    const shape w = walk(p, y, dl_dp);
#ifdef DLFS_HAVE_AVX512_PATH
    if (w.rows == 1 && have_avx512())
        return loss_grad_avx512(dl_dp->data, NULL, p->data, NULL, y->data, w.cols, scale) / count;
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

DLFS_MULTIVERSION
double dlfs__bias_mse_grad(dlfs_matrix *dl_dp, dlfs_matrix *p, const dlfs_matrix *m, const double *bias,
                           const dlfs_matrix *y)
{
#ifdef DLFS_HAVE_AVX512_PATH
    if (m->cols == 1 && walk(m, p, dl_dp).rows == 1 && y->ld == 1 && have_avx512()) {
        const double count = (double)m->rows;
        return loss_grad_avx512(dl_dp->data, p->data, m->data, bias, y->data, m->rows, -2.0 / count) / count;
    }
#endif
    dlfs__bias_add(p, m, bias);        /* the two passes it stands for */
    return dlfs__mse_grad(dl_dp, p, y);
}

DLFS_MULTIVERSION
void dlfs__row_sum(double *restrict sums, const dlfs_matrix *in)
{
    const size_t r = in->rows, c = in->cols, ld = in->ld;
    const double *restrict a = in->data;
#ifdef DLFS_HAVE_AVX512_PATH
    if (c > 1 && c < 64 && have_avx512()) {
        row_sum_avx512(sums, in);
        return;
    }
    if (c == 1 && ld == 1 && have_avx512()) {
        sums[0] = column_sum_avx512(a, r);
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
    int x_done = 0;
    Xb->rows = yb->rows = bs;
#ifdef DLFS_HAVE_AVX512_PATH
    if ((x_done = X->cols >= 8 && X->cols <= 64 && have_avx512()))
        gather_rows_avx512(Xb, X, idx, bs);
#endif
    if (!x_done)
        gather_rows(Xb, X, idx, bs);
    /* The target, one value per row. A plain loop: on the chapter's batch it
     * takes two thirds of the time vgatherqpd does on this Zen 4. */
    gather_rows(yb, y, idx, bs);
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
