/* tests/test_rng.c - xoshiro256** seeded by SplitMix64, bounded integers,
 * normals, permutations and weight initialisation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dlfs.h>
#include "testutil.h"

/* ---- an independent reference, written from the authors' published code ---- */

static uint64_t ref_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t ref_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t ref_xoshiro(uint64_t s[4])
{
    const uint64_t result = ref_rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ref_rotl(s[3], 45);
    return result;
}

static void test_known_outputs_seed0(void **state)
{
    (void)state;
    /* SplitMix64 from 0: its well-known first outputs fill the state. */
    uint64_t x = 0, s[4];
    for (int i = 0; i < 4; i++)
        s[i] = ref_splitmix64(&x);
    assert_true(s[0] == UINT64_C(0xe220a8397b1dcdaf));
    assert_true(s[1] == UINT64_C(0x6e789e6aa1b965f4));
    assert_true(s[2] == UINT64_C(0x06c45d188009454f));
    assert_true(s[3] == UINT64_C(0xf88bb8a8724c81ec));

    dlfs_rng rng;
    dlfs_rng_seed(&rng, 0);
    assert_memory_equal(rng.s, s, sizeof s);
    /* The first outputs of xoshiro256** from that state (also computed by a
     * separate implementation of the reference code). */
    const uint64_t want[6] = {
        UINT64_C(0x99ec5f36cb75f2b4), UINT64_C(0xbf6e1f784956452a), UINT64_C(0x1a5f849d4933e6e0),
        UINT64_C(0x6aa594f1262d2d2c), UINT64_C(0xbba5ad4a1f842e59), UINT64_C(0xffef8375d9ebcaca),
    };
    for (int i = 0; i < 6; i++) {
        assert_true(ref_xoshiro(s) == want[i]);
        assert_true(dlfs_rng_u64(&rng) == want[i]);
    }
    /* and a long way on, for a few other seeds */
    const uint64_t seeds[] = {1, 180708, 180807, UINT64_MAX};
    for (size_t k = 0; k < TU_LEN(seeds); k++) {
        x = seeds[k];
        for (int i = 0; i < 4; i++)
            s[i] = ref_splitmix64(&x);
        dlfs_rng_seed(&rng, seeds[k]);
        for (int i = 0; i < 10000; i++)
            assert_true(dlfs_rng_u64(&rng) == ref_xoshiro(s));
    }
}

static void test_determinism(void **state)
{
    (void)state;
    dlfs_rng a, b;
    dlfs_rng_seed(&a, 42);
    dlfs_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++) {
        assert_true(dlfs_rng_u64(&a) == dlfs_rng_u64(&b));
        assert_true(dlfs_rng_normal(&a) == dlfs_rng_normal(&b));
        assert_true(dlfs_rng_uniform(&a) == dlfs_rng_uniform(&b));
        assert_true(dlfs_rng_below(&a, 1000 + (uint64_t)i) == dlfs_rng_below(&b, 1000 + (uint64_t)i));
    }
    /* Re-seeding restarts the stream and drops a pending normal spare. */
    dlfs_rng_seed(&a, 5);
    const double first = dlfs_rng_normal(&a);
    (void)dlfs_rng_normal(&a);
    (void)dlfs_rng_normal(&a);   /* leaves a spare pending */
    dlfs_rng_seed(&a, 5);
    assert_true(dlfs_rng_normal(&a) == first);

    /* Different seeds, different streams. */
    dlfs_rng_seed(&a, 1);
    dlfs_rng_seed(&b, 2);
    int same = 0;
    for (int i = 0; i < 100; i++)
        same += dlfs_rng_u64(&a) == dlfs_rng_u64(&b);
    assert_true(same < 2);

    dlfs_rng_seed(NULL, 3);   /* must not crash */
}

static void test_uniform(void **state)
{
    (void)state;
    dlfs_rng rng, twin;
    dlfs_rng_seed(&rng, 2024);
    twin = rng;
    const size_t n = 1000000;
    double sum = 0.0, mn = 1.0, mx = 0.0;
    size_t bins[10] = {0};
    for (size_t i = 0; i < n; i++) {
        const double u = dlfs_rng_uniform(&rng);
        /* the top 53 bits of the next u64, scaled by 2^-53 */
        assert_true(u == (double)(dlfs_rng_u64(&twin) >> 11) * 0x1.0p-53);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
        mn = u < mn ? u : mn;
        mx = u > mx ? u : mx;
        bins[(size_t)(u * 10.0)]++;
    }
    /* mean 1/2, sd of the mean sqrt(1/12 / n) = 2.9e-4 */
    assert_true(fabs(sum / (double)n - 0.5) < 2e-3);
    assert_true(mn < 1e-4 && mx > 1.0 - 1e-4);
    double chi2 = 0.0;
    for (int b = 0; b < 10; b++) {
        const double e = (double)n / 10.0, d = (double)bins[b] - e;
        chi2 += d * d / e;
    }
    /* 9 degrees of freedom: P(chi2 > 33.7) = 1e-4 */
    assert_true(chi2 < 33.7);
}

/* Chi-square statistic of counts[0..k) against equal expectations. */
static double chi_square(const size_t *counts, size_t k, size_t n)
{
    const double e = (double)n / (double)k;
    double chi2 = 0.0;
    for (size_t i = 0; i < k; i++) {
        const double d = (double)counts[i] - e;
        chi2 += d * d / e;
    }
    return chi2;
}

static void test_below(void **state)
{
    (void)state;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 77);
    assert_true(dlfs_rng_below(&rng, 0) == 0);
    for (int i = 0; i < 100; i++)
        assert_true(dlfs_rng_below(&rng, 1) == 0);

    /* In range and roughly uniform, for a small bound that does not divide 2^64. */
    enum { K = 37 };
    size_t counts[K] = {0};
    const size_t n = 370000;
    for (size_t i = 0; i < n; i++) {
        const uint64_t v = dlfs_rng_below(&rng, K);
        assert_true(v < K);
        counts[v]++;
    }
    /* 36 degrees of freedom: mean 36, sd 8.5; P(chi2 > 80) is about 3e-5.
     * A generator stuck on a few values gives hundreds of thousands. */
    const double chi2 = chi_square(counts, K, n);
    print_message("below(37): chi-square %.1f on 36 degrees of freedom\n", chi2);
    assert_true(chi2 < 80.0);

    /* A bound above 2^63, where a quarter of the raw draws must be rejected:
     * each third of the range must be hit equally often. */
    const uint64_t third = UINT64_C(1) << 62, big = 3 * third;
    size_t thirds[3] = {0};
    const size_t nb = 60000;
    for (size_t i = 0; i < nb; i++) {
        const uint64_t v = dlfs_rng_below(&rng, big);
        assert_true(v < big);
        thirds[v / third]++;
    }
    /* 2 degrees of freedom: P(chi2 > 18.4) = 1e-4 */
    assert_true(chi_square(thirds, 3, nb) < 18.4);

    /* The largest bound. */
    for (int i = 0; i < 1000; i++)
        assert_true(dlfs_rng_below(&rng, UINT64_MAX) < UINT64_MAX);
}

static void test_normal(void **state)
{
    (void)state;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 31337);
    const size_t n = 100000;
    double s1 = 0.0, s2 = 0.0, s4 = 0.0;
    size_t beyond3 = 0;
    for (size_t i = 0; i < n; i++) {
        const double z = dlfs_rng_normal(&rng);
        assert_true(isfinite(z));
        s1 += z;
        s2 += z * z;
        s4 += z * z * z * z;
        beyond3 += fabs(z) > 3.0;
    }
    const double mean = s1 / (double)n, var = s2 / (double)n - mean * mean;
    /* sd of the mean 1/sqrt(n) = 0.0032; of the variance sqrt(2/n) = 0.0045 */
    assert_true(fabs(mean) < 0.016);
    assert_true(fabs(var - 1.0) < 0.023);
    /* fourth moment 3 (sd about sqrt(96/n) = 0.031) */
    assert_true(fabs(s4 / (double)n - 3.0) < 0.16);
    /* P(|z| > 3) = 0.0027: expect 270 */
    assert_true(beyond3 > 190 && beyond3 < 360);
}

static int is_permutation(const size_t *idx, size_t n)
{
    unsigned char *seen = calloc(n ? n : 1, 1);
    int ok = seen != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        if (idx[i] >= n || seen[idx[i]])
            ok = 0;
        else
            seen[idx[i]] = 1;
    }
    free(seen);
    return ok;
}

static void test_permutation(void **state)
{
    (void)state;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 8);
    const size_t n = 1000;
    size_t *idx = malloc(n * sizeof *idx);
    assert_non_null(idx);
    assert_int_equal(dlfs_rng_permutation(&rng, idx, n), DLFS_OK);
    assert_true(is_permutation(idx, n));
    size_t fixed = 0;
    for (size_t i = 0; i < n; i++)
        fixed += idx[i] == i;
    assert_true(fixed < 10);   /* about 1 expected; the identity would give 1000 */

    /* shuffle keeps the elements */
    assert_int_equal(dlfs_rng_shuffle(&rng, idx, n), DLFS_OK);
    assert_true(is_permutation(idx, n));

    /* the same seed gives the same permutation */
    size_t *idx2 = malloc(n * sizeof *idx2);
    assert_non_null(idx2);
    dlfs_rng_seed(&rng, 8);
    assert_int_equal(dlfs_rng_permutation(&rng, idx2, n), DLFS_OK);
    dlfs_rng_seed(&rng, 8);
    assert_int_equal(dlfs_rng_permutation(&rng, idx, n), DLFS_OK);
    assert_memory_equal(idx, idx2, n * sizeof *idx);

    /* All 6 orders of 3 elements equally likely. */
    size_t counts[6] = {0};
    const size_t trials = 60000;
    for (size_t t = 0; t < trials; t++) {
        size_t p[3];
        assert_int_equal(dlfs_rng_permutation(&rng, p, 3), DLFS_OK);
        assert_true(is_permutation(p, 3));
        counts[p[0] * 2 + (p[1] > p[2])]++;
    }
    /* 5 degrees of freedom: P(chi2 > 25.7) = 1e-4 */
    assert_true(chi_square(counts, 6, trials) < 25.7);

    /* edge cases */
    size_t one = 99;
    assert_int_equal(dlfs_rng_permutation(&rng, &one, 1), DLFS_OK);
    assert_int_equal(one, 0);
    assert_int_equal(dlfs_rng_permutation(&rng, NULL, 0), DLFS_OK);
    assert_int_equal(dlfs_rng_shuffle(&rng, NULL, 0), DLFS_OK);
    assert_int_equal(dlfs_rng_permutation(NULL, idx, n), DLFS_ENULL);
    assert_int_equal(dlfs_rng_permutation(&rng, NULL, 3), DLFS_ENULL);
    assert_int_equal(dlfs_rng_shuffle(NULL, idx, n), DLFS_ENULL);
    assert_int_equal(dlfs_rng_shuffle(&rng, NULL, 3), DLFS_ENULL);
    free(idx);
    free(idx2);
}

static void test_fill_init(void **state)
{
    (void)state;
    dlfs_rng rng, twin;
    dlfs_rng_seed(&rng, 11);
    twin = rng;
    enum { N = 20000 };
    double *w = malloc(N * sizeof *w);
    assert_non_null(w);

    /* normal: N(0, 1), the generator's normals in order, fan_in ignored */
    assert_int_equal(dlfs_rng_fill_init(&rng, DLFS_INIT_NORMAL, 13, 0, w, N), DLFS_OK);
    for (size_t i = 0; i < N; i++)
        assert_true(w[i] == dlfs_rng_normal(&twin));
    assert_int_equal(dlfs_rng_fill_init(&rng, DLFS_INIT_NORMAL, 13, 1, w, 5), DLFS_OK);
    for (size_t i = 0; i < 5; i++)
        assert_true(w[i] == dlfs_rng_normal(&twin));

    /* scaled: sd 1/sqrt(fan_in) for weights, zero biases */
    assert_int_equal(dlfs_rng_fill_init(&rng, DLFS_INIT_SCALED, 25, 0, w, N), DLFS_OK);
    double s2 = 0.0;
    for (size_t i = 0; i < N; i++)
        s2 += w[i] * w[i];
    assert_true(fabs(sqrt(s2 / N) - 0.2) < 0.006);
    tu_fill_value(w, 10, 3.0);
    assert_int_equal(dlfs_rng_fill_init(&rng, DLFS_INIT_SCALED, 25, 1, w, 10), DLFS_OK);
    for (size_t i = 0; i < 10; i++)
        assert_true(w[i] == 0.0);

    /* errors write nothing */
    tu_fill_value(w, 10, 3.0);
    assert_int_equal(dlfs_rng_fill_init(&rng, (dlfs_init)5, 25, 0, w, 10), DLFS_EINVAL);
    assert_int_equal(dlfs_rng_fill_init(&rng, DLFS_INIT_SCALED, 0, 0, w, 10), DLFS_EINVAL);
    assert_int_equal(dlfs_rng_fill_init(NULL, DLFS_INIT_NORMAL, 1, 0, w, 10), DLFS_ENULL);
    assert_int_equal(dlfs_rng_fill_init(&rng, DLFS_INIT_NORMAL, 1, 0, NULL, 10), DLFS_ENULL);
    for (size_t i = 0; i < 10; i++)
        assert_true(w[i] == 3.0);

    assert_string_equal(dlfs_init_name(DLFS_INIT_NORMAL), "normal");
    assert_string_equal(dlfs_init_name(DLFS_INIT_SCALED), "scaled");
    assert_null(dlfs_init_name((dlfs_init)9));
    free(w);
}

/* dlfs_init_parse takes exactly the names dlfs_init_name gives, and names a
 * bad value in the error detail, leaving *init as it was. */
static void test_init_parse(void **state)
{
    (void)state;
    dlfs_init init = (dlfs_init)-1;
    assert_int_equal(dlfs_init_parse("scaled", &init), DLFS_OK);
    assert_int_equal(init, DLFS_INIT_SCALED);
    assert_int_equal(dlfs_init_parse("normal", &init), DLFS_OK);
    assert_int_equal(init, DLFS_INIT_NORMAL);
    const dlfs_init all[] = {DLFS_INIT_NORMAL, DLFS_INIT_SCALED};
    for (size_t i = 0; i < TU_LEN(all); i++) {
        dlfs_init back = (dlfs_init)-1;
        assert_int_equal(dlfs_init_parse(dlfs_init_name(all[i]), &back), DLFS_OK);
        assert_int_equal(back, all[i]);
    }

    const char *const bad[] = {"uniform", "Normal", "scaled ", " normal", "", "norm"};
    for (size_t i = 0; i < TU_LEN(bad); i++) {
        init = DLFS_INIT_SCALED;
        assert_int_equal(dlfs_init_parse(bad[i], &init), DLFS_EINVAL);
        assert_int_equal(init, DLFS_INIT_SCALED);
        char quoted[32];
        snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
        assert_non_null(strstr(dlfs_error_detail(), quoted));
        assert_non_null(strstr(dlfs_error_detail(), "dlfs_init_parse"));
    }

    init = DLFS_INIT_NORMAL;
    assert_int_equal(dlfs_init_parse(NULL, &init), DLFS_ENULL);
    assert_int_equal(init, DLFS_INIT_NORMAL);
    assert_non_null(strstr(dlfs_error_detail(), "name"));
    assert_int_equal(dlfs_init_parse("normal", NULL), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "init"));
    assert_int_equal(dlfs_init_parse(NULL, NULL), DLFS_ENULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_outputs_seed0),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_below),
        cmocka_unit_test(test_normal),
        cmocka_unit_test(test_permutation),
        cmocka_unit_test(test_fill_init),
        cmocka_unit_test(test_init_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
