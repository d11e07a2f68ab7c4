/* src/nprandom.c - NumPy's legacy generator (MT19937, 53-bit doubles, the polar
 * normal with its kept deviate, masked bounded integers, permutations) and
 * scikit-learn's train_test_split on it.
 *
 * Built with -ffp-contract=off (src/meson.build): the library's other files
 * allow fused multiply-adds, and a fused x1*x1 + x2*x2 rounds once instead of
 * twice, which changes r2 in about one pair in six and so the normal deviates
 * NumPy gives. That sum is also written below so that it cannot be fused
 * whatever the flags.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/nprandom.h>
#include "internal.h"

/* The standard's way to say it; GCC ignores it (and warns), hence the flag. */
#if !defined(__GNUC__) || defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

enum { N = DLFS_NPRANDOM_N, M = 397 };

#define MATRIX_A 0x9908b0dfu
#define UPPER_MASK 0x80000000u
#define LOWER_MASK 0x7fffffffu

/* The largest seed NumPy's legacy seeding takes as an integer. */
#define SEED_MAX UINT64_C(0xffffffff)

static dlfs_status check_seed(const char *fn, uint64_t seed)
{
    if (seed > SEED_MAX)
        return dlfs__fail(DLFS_EINVAL,
                          "%s: seed %" PRIu64 " is not in 0..4294967295 (NumPy's legacy "
                          "generator takes a 32-bit seed)", fn, seed);
    return DLFS_OK;
}

/* init_genrand */
static void seed32(dlfs_nprandom *g, uint32_t s)
{
    g->mt[0] = s;
    for (uint32_t i = 1; i < N; i++) {
        s = 1812433253u * (s ^ (s >> 30)) + i;
        g->mt[i] = s;
    }
    g->pos = N;
    g->has_gauss = 0;
    g->gauss = 0.0;
}

dlfs_status dlfs_nprandom_seed(dlfs_nprandom *g, uint64_t seed)
{
    dlfs_status st;
    if (!g)
        return dlfs__fail(DLFS_ENULL, "dlfs_nprandom_seed: g is NULL");
    if ((st = check_seed("dlfs_nprandom_seed", seed)))
        return st;
    seed32(g, (uint32_t)seed);
    return DLFS_OK;
}

/* The next N words of the state. */
static void regenerate(dlfs_nprandom *g)
{
    uint32_t *mt = g->mt, y;
    int i;
    for (i = 0; i < N - M; i++) {
        y = (mt[i] & UPPER_MASK) | (mt[i + 1] & LOWER_MASK);
        mt[i] = mt[i + M] ^ (y >> 1) ^ (-(y & 1u) & MATRIX_A);
    }
    for (; i < N - 1; i++) {
        y = (mt[i] & UPPER_MASK) | (mt[i + 1] & LOWER_MASK);
        mt[i] = mt[i + (M - N)] ^ (y >> 1) ^ (-(y & 1u) & MATRIX_A);
    }
    y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[N - 1] = mt[M - 1] ^ (y >> 1) ^ (-(y & 1u) & MATRIX_A);
    g->pos = 0;
}

static inline uint32_t next32(dlfs_nprandom *g)
{
    if (g->pos >= N)
        regenerate(g);
    uint32_t y = g->mt[g->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

uint32_t dlfs_nprandom_u32(dlfs_nprandom *g)
{
    return next32(g);
}

static inline double next_double(dlfs_nprandom *g)
{
    const uint32_t a = next32(g) >> 5, b = next32(g) >> 6;
    /* Exact: a * 2^26 + b < 2^53, so a fused or unfused sum is the same. */
    return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}

double dlfs_nprandom_uniform(dlfs_nprandom *g)
{
    return next_double(g);
}

double dlfs_nprandom_normal(dlfs_nprandom *g)
{
    if (g->has_gauss) {
        const double t = g->gauss;
        g->has_gauss = 0;
        g->gauss = 0.0;
        return t;
    }
    double x1, x2, r2;
    do {
        x1 = 2.0 * next_double(g) - 1.0;   /* 2u is exact: nothing to fuse */
        x2 = 2.0 * next_double(g) - 1.0;
        /* Each square rounded on its own, then the sum: through memory the
         * compiler may not fuse either product into the addition. */
        volatile double p1 = x1 * x1, p2 = x2 * x2;
        r2 = p1 + p2;
    } while (r2 >= 1.0 || r2 == 0.0);
    const double f = sqrt(-2.0 * log(r2) / r2);
    g->gauss = f * x1;
    g->has_gauss = 1;
    return f * x2;
}

static inline uint64_t bounded(dlfs_nprandom *g, uint64_t max)
{
    if (max == 0)
        return 0;
    uint64_t mask = max, v;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    if (max <= 0xffffffffu) {
        while ((v = next32(g) & mask) > max)
            ;
    } else {
        do {
            const uint64_t hi = next32(g);
            v = ((hi << 32) | next32(g)) & mask;
        } while (v > max);
    }
    return v;
}

uint64_t dlfs_nprandom_bounded(dlfs_nprandom *g, uint64_t max)
{
    return bounded(g, max);
}

dlfs_status dlfs_nprandom_fill_normal(dlfs_nprandom *g, double *x, size_t n)
{
    if (!g || (!x && n))
        return dlfs__fail(DLFS_ENULL, "dlfs_nprandom_fill_normal: %s is NULL", g ? "x" : "g");
    for (size_t i = 0; i < n; i++)
        x[i] = dlfs_nprandom_normal(g);
    return DLFS_OK;
}

static void shuffle(dlfs_nprandom *g, size_t *x, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        const size_t j = (size_t)bounded(g, i - 1);
        const size_t t = x[i - 1];
        x[i - 1] = x[j];
        x[j] = t;
    }
}

dlfs_status dlfs_nprandom_shuffle(dlfs_nprandom *g, size_t *x, size_t n)
{
    if (!g || (!x && n))
        return dlfs__fail(DLFS_ENULL, "dlfs_nprandom_shuffle: %s is NULL", g ? "x" : "g");
    shuffle(g, x, n);
    return DLFS_OK;
}

dlfs_status dlfs_nprandom_permutation(dlfs_nprandom *g, size_t *idx, size_t n)
{
    if (!g || (!idx && n))
        return dlfs__fail(DLFS_ENULL, "dlfs_nprandom_permutation: %s is NULL", g ? "idx" : "g");
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    shuffle(g, idx, n);
    return DLFS_OK;
}

dlfs_status dlfs_nprandom_take(size_t *x, const size_t *q, size_t n)
{
    static const char fn[] = "dlfs_nprandom_take";
    if (n == 0)
        return DLFS_OK;
    if (!x || !q)
        return dlfs__fail(DLFS_ENULL, "%s: %s is NULL", fn, x ? "q" : "x");
    for (size_t i = 0; i < n; i++)
        if (q[i] >= n)
            return dlfs__fail(DLFS_EINVAL, "%s: q[%zu] = %zu is not below n = %zu", fn, i, q[i], n);
    size_t bytes;
    if (!dlfs__mul(n, sizeof(size_t), &bytes))
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %zu indices overflow", fn, n);
    size_t *old = malloc(bytes);
    if (!old)
        return dlfs__fail(DLFS_ENOMEM, "%s: out of memory for %zu indices", fn, n);
    memcpy(old, x, bytes);
    /* q may be x itself: it is read from the copy then. */
    const size_t *src = q == x ? old : q;
    for (size_t i = 0; i < n; i++)
        x[i] = old[src[i]];
    free(old);
    return DLFS_OK;
}

/* ceil(test_size * n_samples) as scikit-learn's _validate_shuffle_split
 * computes it for a float test_size, and its refusals. */
static dlfs_status split_count(const char *fn, size_t n, double f, size_t *n_test)
{
    if (!(f > 0.0 && f < 1.0))
        return dlfs__fail(DLFS_EINVAL, "%s: test_fraction %g is not in (0, 1)", fn, f);
    const double t = ceil(f * (double)n);
    /* t <= n unless f * n rounded up to n itself; then no training row. */
    const size_t k = t < (double)n ? (size_t)t : n;
    if (k == 0 || k >= n)
        return dlfs__fail(DLFS_EINVAL,
                          "%s: a test fraction of %.17g of %zu rows leaves %zu test and %zu "
                          "training rows (each needs at least one)", fn, f, n, k, n - k);
    *n_test = k;
    return DLFS_OK;
}

dlfs_status dlfs_nprandom_split_count(size_t n, double test_fraction, size_t *n_test)
{
    if (!n_test)
        return dlfs__fail(DLFS_ENULL, "dlfs_nprandom_split_count: n_test is NULL");
    *n_test = 0;
    return split_count("dlfs_nprandom_split_count", n, test_fraction, n_test);
}

dlfs_status dlfs_nprandom_split(size_t n, double test_fraction, uint64_t seed, size_t *idx,
                                size_t *n_test)
{
    static const char fn[] = "dlfs_nprandom_split";
    dlfs_status st;
    if (!n_test)
        return dlfs__fail(DLFS_ENULL, "%s: n_test is NULL", fn);
    *n_test = 0;
    if (!idx)
        return dlfs__fail(DLFS_ENULL, "%s: idx is NULL", fn);
    size_t k = 0;
    if ((st = check_seed(fn, seed)) || (st = split_count(fn, n, test_fraction, &k)))
        return st;
    dlfs_nprandom g;
    seed32(&g, (uint32_t)seed);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    shuffle(&g, idx, n);
    *n_test = k;
    return DLFS_OK;
}
