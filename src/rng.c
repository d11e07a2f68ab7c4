/* src/rng.c - xoshiro256** seeded by SplitMix64; normals by the polar method. */
#include <math.h>
#include <string.h>

#include <dlfs/rng.h>
#include "internal.h"

__extension__ typedef unsigned __int128 u128;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void dlfs_rng_seed(dlfs_rng *rng, uint64_t seed)
{
    if (!rng)
        return;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&seed);
    rng->spare = 0.0;
    rng->has_spare = 0;
}

static inline uint64_t next(dlfs_rng *rng)
{
    uint64_t *s = rng->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t dlfs_rng_u64(dlfs_rng *rng)
{
    return next(rng);
}

double dlfs_rng_uniform(dlfs_rng *rng)
{
    return (double)(next(rng) >> 11) * 0x1.0p-53;
}

static inline uint64_t below(dlfs_rng *rng, uint64_t bound)
{
    if (bound == 0)
        return 0;
    /* Lemire's nearly divisionless method: multiply, reject the biased sliver. */
    u128 prod = (u128)next(rng) * bound;
    uint64_t low = (uint64_t)prod;
    if (low < bound) {
        const uint64_t threshold = (0 - bound) % bound;
        while (low < threshold) {
            prod = (u128)next(rng) * bound;
            low = (uint64_t)prod;
        }
    }
    return (uint64_t)(prod >> 64);
}

uint64_t dlfs_rng_below(dlfs_rng *rng, uint64_t bound)
{
    return below(rng, bound);
}

double dlfs_rng_normal(dlfs_rng *rng)
{
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * dlfs_rng_uniform(rng) - 1.0;
        v = 2.0 * dlfs_rng_uniform(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = sqrt(-2.0 * log(s) / s);
    rng->spare = v * f;
    rng->has_spare = 1;
    return u * f;
}

/* 32 random bits: the two halves of one generator output in turn. */
struct halves {
    uint64_t bits;
    int left;
};

static inline uint32_t next32(dlfs_rng *rng, struct halves *h)
{
    if (h->left) {
        h->left = 0;
        return (uint32_t)(h->bits >> 32);
    }
    h->bits = next(rng);
    h->left = 1;
    return (uint32_t)h->bits;
}

/* Lemire's method on 32 bits: uniform on [0, bound), 0 < bound < 2^32. */
static inline uint32_t below32(dlfs_rng *rng, struct halves *h, uint32_t bound)
{
    uint64_t prod = (uint64_t)next32(rng, h) * bound;
    uint32_t low = (uint32_t)prod;
    if (low < bound) {
        const uint32_t threshold = (0u - bound) % bound;
        while (low < threshold) {
            prod = (uint64_t)next32(rng, h) * bound;
            low = (uint32_t)prod;
        }
    }
    return (uint32_t)(prod >> 32);
}

/* Fisher-Yates. Positions below 2^32 draw 32 bits each, two to a generator
 * output, which halves the cost of the shuffle the training loop makes every
 * epoch; larger ones draw 64. */
dlfs_status dlfs_rng_shuffle(dlfs_rng *rng, size_t *idx, size_t n)
{
    if (!rng || (!idx && n))
        return dlfs__fail(DLFS_ENULL, "dlfs_rng_shuffle: %s is NULL", rng ? "idx" : "rng");
    /* The state in a local, which the compiler keeps in registers (idx, a
     * size_t, might alias the uint64_t state as far as it knows). */
    dlfs_rng r = *rng;
    struct halves h = {0, 0};
    for (size_t i = n; i > 1; i--) {
        const size_t j = i > UINT32_MAX ? (size_t)below(&r, i) : below32(&r, &h, (uint32_t)i);
        const size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
    *rng = r;
    return DLFS_OK;
}

dlfs_status dlfs_rng_permutation(dlfs_rng *rng, size_t *idx, size_t n)
{
    if (!rng || (!idx && n))
        return dlfs__fail(DLFS_ENULL, "dlfs_rng_permutation: %s is NULL", rng ? "idx" : "rng");
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    return dlfs_rng_shuffle(rng, idx, n);
}

const char *dlfs_init_name(dlfs_init init)
{
    switch (init) {
    case DLFS_INIT_NORMAL: return "normal";
    case DLFS_INIT_SCALED: return "scaled";
    }
    return NULL;
}

dlfs_status dlfs_init_parse(const char *name, dlfs_init *init)
{
    if (!name || !init)
        return dlfs__fail(DLFS_ENULL, "dlfs_init_parse: %s is NULL", name ? "init" : "name");
    if (strcmp(name, "normal") == 0)
        *init = DLFS_INIT_NORMAL;
    else if (strcmp(name, "scaled") == 0)
        *init = DLFS_INIT_SCALED;
    else
        return dlfs__fail(DLFS_EINVAL, "dlfs_init_parse: unknown init '%s' (expected normal or scaled)", name);
    return DLFS_OK;
}

dlfs_status dlfs_rng_fill_init(dlfs_rng *rng, dlfs_init init, size_t fan_in,
                               int is_bias, double *w, size_t n)
{
    if (!rng || (!w && n))
        return dlfs__fail(DLFS_ENULL, "dlfs_rng_fill_init: %s is NULL", rng ? "w" : "rng");
    if (init != DLFS_INIT_NORMAL && init != DLFS_INIT_SCALED)
        return dlfs__fail(DLFS_EINVAL, "dlfs_rng_fill_init: unknown init %d", (int)init);
    if (init == DLFS_INIT_SCALED && fan_in == 0)
        return dlfs__fail(DLFS_EINVAL, "dlfs_rng_fill_init: scaled init needs fan_in >= 1");
    if (init == DLFS_INIT_SCALED && is_bias) {
        for (size_t i = 0; i < n; i++)
            w[i] = 0.0;
        return DLFS_OK;
    }
    const double sd = init == DLFS_INIT_SCALED ? 1.0 / sqrt((double)fan_in) : 1.0;
    for (size_t i = 0; i < n; i++)
        w[i] = sd * dlfs_rng_normal(rng);
    return DLFS_OK;
}
