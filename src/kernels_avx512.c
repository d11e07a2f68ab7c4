/* src/kernels_avx512.c - the AVX-512 paths of the elementwise loops.
 *
 * The chapter's matrices are tiny (23 x 13), so a pass over one costs about as
 * much in its remainders and call as in its body. These paths keep every load
 * and store in the loops a full, unmasked vector; a masked store, slower than
 * a plain one on some CPUs (a few percent in a loop on this Zen 4), is used at
 * most once, for the last few values of a pass. Rows shorter than a
 * vector use masked loads, which cost nothing extra.
 */
#include <stddef.h>

#include <dlfs/matrix.h>
#include "exp_constants.h"
#include "kernels_avx512.h"

#ifdef DLFS_HAVE_AVX512_PATH
#include <immintrin.h>

static inline __mmask8 tail_mask(size_t left)
{
    return left >= 8 ? (__mmask8)0xff : (__mmask8)((1u << left) - 1u);
}

/* Column sums, eight columns to a register. For c >= 8 the blocks are full
 * vectors, the last one starting at c - 8 and overlapping the one before it
 * (the overlapped sums come out equal and are written twice). Two blocks and
 * two rows go at once, into four registers, so the additions do not wait on
 * each other. */
DLFS__AVX512
void dlfs__row_sum_avx512(double *sums, const dlfs_matrix *in)
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
DLFS__AVX512
double dlfs__column_sum_avx512(const double *a, size_t r)
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
 * rational form of kernels.c's exp_neg_ratio() with numerator and denominator
 * halved, which saves an operation:
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
 * (exp_neg_ratio()'s rational form, numerator and denominator doubled, which
 * spares a multiplication; its P2 refitted to |r| <= ln2/32: a / d is e^-r to
 * within 2^-56 relative),
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
DLFS__AVX512
void dlfs__sigmoid_avx512(double *out, const double *in, size_t n)
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
 * bias[p mod c]; pattern[] (see dlfs__hidden_bias in kernels.h) holds the
 * bias over and over, so the eight biases of a vector starting at p are
 * pattern[off .. off + 8) with off = p mod c. Any of the three matrices may be the same array. */
DLFS__AVX512
void dlfs__bias_sigmoid_flat_avx512(double *n1, double *o1, const double *m1, const double *pattern,
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
DLFS__AVX512
void dlfs__sigmoid_backward_avx512(double *d, const double *g, const double *s, size_t n)
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
DLFS__AVX512
double dlfs__loss_grad_avx512(double *g, double *p, const double *m, const double *b, const double *y,
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
DLFS__AVX512
void dlfs__gather_rows_avx512(dlfs_matrix *dst, const dlfs_matrix *src, const size_t *idx, size_t bs)
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
#else
/* No AVX-512 path on this compiler or target; ISO C wants something declared. */
typedef int dlfs__no_avx512_path;
#endif
