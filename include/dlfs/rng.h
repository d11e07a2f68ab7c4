/* dlfs/rng.h - an explicit, seeded random number generator.
 *
 * Algorithm: xoshiro256** 1.0 (Blackman and Vigna, 2018), its 256-bit state
 * filled from the 64-bit seed by SplitMix64, as its authors recommend. Uniform
 * doubles take the top 53 bits. Normal deviates use the Marsaglia polar method
 * (the spare value is kept in the generator). Permutations use Fisher-Yates
 * with unbiased bounded integers (Lemire's method).
 *
 * The library keeps no hidden generator: every function that draws takes a
 * dlfs_rng. The same seed gives the same stream on every platform with IEEE
 * doubles and a correctly rounded sqrt and a libm log that agrees.
 */
#ifndef DLFS_RNG_H
#define DLFS_RNG_H

#include <stddef.h>
#include <stdint.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dlfs_rng {
    uint64_t s[4];
    double spare;      /* second normal deviate of the last polar pair */
    int has_spare;
} dlfs_rng;

/* Seeds the generator. Any seed is valid, including 0. */
void dlfs_rng_seed(dlfs_rng *rng, uint64_t seed);

/* Next 64 random bits. */
uint64_t dlfs_rng_u64(dlfs_rng *rng);

/* Uniform double in [0, 1). */
double dlfs_rng_uniform(dlfs_rng *rng);

/* Uniform integer in [0, bound); bound must be > 0 (0 gives 0). */
uint64_t dlfs_rng_below(dlfs_rng *rng, uint64_t bound);

/* Standard normal deviate N(0, 1). */
double dlfs_rng_normal(dlfs_rng *rng);

/* Fills idx[0..n) with a uniformly random permutation of 0..n-1. */
dlfs_status dlfs_rng_permutation(dlfs_rng *rng, size_t *idx, size_t n);

/* Shuffles idx[0..n) in place (Fisher-Yates; a position below 2^32 takes 32
 * random bits, two to a generator output, by Lemire's unbiased method). */
dlfs_status dlfs_rng_shuffle(dlfs_rng *rng, size_t *idx, size_t n);

/* How initial weights are drawn. */
typedef enum dlfs_init {
    DLFS_INIT_NORMAL = 0,  /* every weight and bias from N(0, 1), as the book does */
    DLFS_INIT_SCALED = 1   /* weights from N(0, 1/fan_in) (LeCun), biases 0 */
} dlfs_init;

/* "normal" or "scaled"; NULL for an unknown value. */
const char *dlfs_init_name(dlfs_init init);
/* Parses "normal" or "scaled" into *init. DLFS_ENULL for a NULL argument,
 * DLFS_EINVAL (naming the value) for anything else; *init is then unchanged. */
dlfs_status dlfs_init_parse(const char *name, dlfs_init *init);

/* Fills w[0..n) with draws for a layer with `fan_in` inputs (biases: pass
 * is_bias != 0). DLFS_ENULL, DLFS_EINVAL for an unknown init. */
dlfs_status dlfs_rng_fill_init(dlfs_rng *rng, dlfs_init init, size_t fan_in,
                               int is_bias, double *w, size_t n);

#ifdef __cplusplus
}
#endif
#endif
