/* dlfs/nprandom.h - NumPy's legacy generator (np.random.seed, RandomState),
 * bit for bit, and scikit-learn's train_test_split on top of it.
 *
 * The library's own generator is dlfs_rng (xoshiro256**, dlfs/rng.h). This
 * one exists to reproduce, to the last bit, runs made in Python with
 * np.random.seed(s) or RandomState(s) for an integer s: the same uniform
 * doubles, normal deviates and permutations, and so the same initial
 * weights, batch orders and train/test split.
 *
 * Algorithm: MT19937 (Matsumoto and Nishimura, 1998) seeded by init_genrand
 * with a 32-bit seed, as NumPy's legacy seeding does for an integer.
 *   - uniform double: two outputs a, b give
 *     ((a >> 5) * 67108864.0 + (b >> 6)) / 9007199254740992.0;
 *   - normal deviate: Marsaglia's polar method on two such doubles; of each
 *     pair f*x2 is returned and f*x1 kept for the next call. The kept value
 *     survives every other draw and is dropped only by seeding. x1*x1 + x2*x2
 *     is rounded twice (never fused into an FMA), as NumPy computes it, and
 *     log is the C library's;
 *   - bounded integer in [0, max]: the next 32-bit output (64-bit, two
 *     outputs high then low, when max > 0xFFFFFFFF) masked to the bit length
 *     of max, rejected while above max;
 *   - permutation(n): 0..n-1 shuffled by Fisher-Yates from the end: for
 *     i = n-1 down to 1, j = bounded(i), swap positions i and j.
 *
 * No hidden state: everything lives in the dlfs_nprandom the caller passes.
 * The drawing functions take a generator that has been seeded successfully
 * (they do not check it); the functions taking arrays check their pointers
 * and return a status.
 */
#ifndef DLFS_NPRANDOM_H
#define DLFS_NPRANDOM_H

#include <stddef.h>
#include <stdint.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DLFS_NPRANDOM_N 624

typedef struct dlfs_nprandom {
    uint32_t mt[DLFS_NPRANDOM_N];  /* MT19937 state */
    int pos;                       /* next output is mt[pos]; N: regenerate first */
    int has_gauss;                 /* 1 when gauss holds the second deviate of a pair */
    double gauss;
} dlfs_nprandom;

/* Seeds as np.random.seed(seed) / RandomState(seed) with an integer seed and
 * drops the kept normal deviate. seed must be in 0..4294967295 (2^32 - 1), as
 * NumPy requires: DLFS_EINVAL, naming the value, otherwise (and the generator
 * is unchanged). DLFS_ENULL for a NULL generator. */
dlfs_status dlfs_nprandom_seed(dlfs_nprandom *g, uint64_t seed);

/* Next 32-bit output of MT19937 (tempered). */
uint32_t dlfs_nprandom_u32(dlfs_nprandom *g);

/* Uniform double in [0, 1) with 53 random bits, from two outputs: NumPy's
 * random_sample() / rand(). */
double dlfs_nprandom_uniform(dlfs_nprandom *g);

/* Standard normal deviate: NumPy's legacy randn() / standard_normal(), one
 * call per element. Returns the kept deviate (drawing nothing) if there is
 * one. */
double dlfs_nprandom_normal(dlfs_nprandom *g);

/* Integer uniform on [0, max], max included, by masked rejection; draws
 * nothing when max is 0. */
uint64_t dlfs_nprandom_bounded(dlfs_nprandom *g, uint64_t max);

/* Fills x[0..n) with normal deviates in order, as randn(rows, cols) fills a
 * rows x cols array row by row (n = rows * cols). DLFS_ENULL for a NULL
 * generator, or a NULL x with n > 0. */
dlfs_status dlfs_nprandom_fill_normal(dlfs_nprandom *g, double *x, size_t n);

/* Shuffles x[0..n) in place as NumPy's RandomState.shuffle does a 1-d array
 * (Fisher-Yates from the end, above). DLFS_ENULL as for fill_normal. */
dlfs_status dlfs_nprandom_shuffle(dlfs_nprandom *g, size_t *x, size_t n);

/* idx[0..n) = NumPy's permutation(n): 0..n-1, shuffled. DLFS_ENULL as for
 * fill_normal. */
dlfs_status dlfs_nprandom_permutation(dlfs_nprandom *g, size_t *idx, size_t n);

/* x = x[q] as NumPy indexes an array with an index array: afterwards x[i] is
 * what x[q[i]] was, for i in 0..n-1 (q need not be a permutation; it may be
 * x itself). Keeps track of rows that are reordered again and again, e.g.
 * order = order[q] for each new q = permutation(n). DLFS_ENULL for a NULL x
 * or q with n > 0, DLFS_EINVAL naming the first q[i] >= n (x is then
 * unchanged), DLFS_EOVERFLOW / DLFS_ENOMEM for the copy of x it makes. */
dlfs_status dlfs_nprandom_take(size_t *x, const size_t *q, size_t n);

/* Number of test rows scikit-learn's train_test_split gives n rows for a
 * float test_size f: ceil(f * n), in double arithmetic, exactly as it
 * computes it (so 100 rows at 0.07 give 8: 0.07 * 100 is 7.000000000000001).
 * DLFS_EINVAL, with the numbers, unless 0 < f < 1 and the split leaves at
 * least one row on each side; DLFS_ENULL for a NULL n_test. On failure
 * *n_test is 0. */
dlfs_status dlfs_nprandom_split_count(size_t n, double test_fraction, size_t *n_test);

/* scikit-learn's train_test_split(rows 0..n-1, test_size=test_fraction,
 * random_state=seed) for an integer seed: a fresh generator seeded with seed
 * (no other generator is touched) gives p = permutation(n), which is written
 * to idx[0..n) (the caller's array of n entries). The test rows are
 * idx[0 .. *n_test), the training rows idx[*n_test .. n), each in the order
 * of p, as train_test_split returns them:
 *     size_t *test = idx, *train = idx + n_test;   (n - n_test of them)
 * *n_test is dlfs_nprandom_split_count(n, test_fraction). Errors: DLFS_ENULL
 * for a NULL idx or n_test; DLFS_EINVAL for a seed above 2^32 - 1 or a
 * fraction as in dlfs_nprandom_split_count. On failure idx is unchanged and
 * *n_test is 0. (dlfs_split draws its split with dlfs_rng instead: a
 * different split of the same rows.) */
dlfs_status dlfs_nprandom_split(size_t n, double test_fraction, uint64_t seed, size_t *idx,
                                size_t *n_test);

#ifdef __cplusplus
}
#endif
#endif
