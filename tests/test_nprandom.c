/* tests/test_nprandom.c - NumPy's legacy generator (MT19937 seeded by
 * init_genrand, 53-bit doubles, polar normals with the kept deviate, masked
 * bounded integers, permutations) and scikit-learn's train_test_split, checked
 * bit for bit against values NumPy and scikit-learn printed.
 *
 * Every table below was produced by NumPy 1.24.2 and scikit-learn 1.2.1
 * (Debian's python3-numpy and python3-sklearn), with
 *     np.random.RandomState(s)._bit_generator.random_raw(k)   32-bit outputs
 *     np.random.RandomState(s).random_sample(k)               doubles
 *     np.random.RandomState(s).randn(k)                       normal deviates
 *     np.random.RandomState(s).randint(0, max + 1, size=6, dtype=np.uint64)
 *         (the legacy masked rejection: the draws of bounded(max))
 *     np.random.RandomState(s).permutation(n)
 *     train_test_split(np.arange(n), test_size=f, random_state=s)
 * and pasted here as literals (doubles as hexadecimal floats, compared as bit
 * patterns). Long sequences are compared through a 64-bit FNV-1a-style hash
 * of their values (of the bit patterns, for doubles): h = 14695981039346656037;
 * for each value v: h = (h ^ v) * 1099511628211 mod 2^64. */
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

static uint64_t hash_init(void)
{
    return UINT64_C(14695981039346656037);
}

static uint64_t hash_step(uint64_t h, uint64_t v)
{
    return (h ^ v) * UINT64_C(1099511628211);
}

static uint64_t bits(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

/* Exact equality, bit for bit (so -0.0 != 0.0 and a NaN equals itself). */
#define assert_same_double(a, b) assert_true(bits(a) == bits(b))

static uint64_t hash_indices(const size_t *x, size_t n)
{
    uint64_t h = hash_init();
    for (size_t i = 0; i < n; i++)
        h = hash_step(h, (uint64_t)x[i]);
    return h;
}

static void seed_ok(dlfs_nprandom *g, uint64_t s)
{
    assert_int_equal(dlfs_nprandom_seed(g, s), DLFS_OK);
}

/* 1 if the generators are in the same state (same next draws). */
static int same_state(const dlfs_nprandom *a, const dlfs_nprandom *b)
{
    return a->pos == b->pos && a->has_gauss == b->has_gauss &&
           bits(a->gauss) == bits(b->gauss) && memcmp(a->mt, b->mt, sizeof a->mt) == 0;
}

/* ---- the 32-bit outputs ---- */

static const struct {
    uint32_t seed;
    uint32_t v[9];   /* outputs 0..5, 623, 624 (first of the second block), 9999 */
} u32_cases[] = {
{0u, {2357136044u, 2546248239u, 3071714933u, 3626093760u, 2588848963u, 3684848379u, 3791854820u, 341544762u, 1543171712u}},
{1u, {1791095845u, 4282876139u, 3093770124u, 4005303368u, 491263u, 550290313u, 2006116153u, 1104314680u, 1237896635u}},
{42u, {1608637542u, 3421126067u, 4083286876u, 787846414u, 3143890026u, 3348747335u, 1077437785u, 108880612u, 1399405940u}},
{80718u, {1706047511u, 823368273u, 4249052685u, 357694855u, 3146186194u, 936761806u, 103405646u, 802197982u, 2507704279u}},
{180708u, {1950597821u, 3329546519u, 3862905246u, 1307278100u, 1985810504u, 2320558832u, 1626916694u, 1920583632u, 3213131281u}},
{180807u, {3306328108u, 65849286u, 3377010546u, 471052614u, 399139376u, 490617189u, 2436678040u, 523616714u, 1448589070u}},
{4294967295u, {419326371u, 479346978u, 3918654476u, 2416749639u, 3388880820u, 2260532800u, 1027084080u, 3860652269u, 1117955853u}},
};

static void test_u32(void **state)
{
    (void)state;
    dlfs_nprandom g;
    for (size_t k = 0; k < TU_LEN(u32_cases); k++) {
        seed_ok(&g, u32_cases[k].seed);
        uint32_t out[10000];
        for (size_t i = 0; i < TU_LEN(out); i++)
            out[i] = dlfs_nprandom_u32(&g);
        for (int i = 0; i < 6; i++)
            assert_int_equal(out[i], u32_cases[k].v[i]);
        assert_int_equal(out[623], u32_cases[k].v[6]);
        assert_int_equal(out[624], u32_cases[k].v[7]);
        assert_int_equal(out[9999], u32_cases[k].v[8]);
    }
    /* the book's seed (NumPy's values) */
    static const uint32_t want[5] = {1950597821u, 3329546519u, 3862905246u, 1307278100u,
                                     1985810504u};
    seed_ok(&g, 180708);
    for (int i = 0; i < 5; i++)
        assert_int_equal(dlfs_nprandom_u32(&g), want[i]);
}

/* ---- seeding ---- */

static void test_seed_range(void **state)
{
    (void)state;
    dlfs_nprandom g, before;
    /* both ends of the range */
    seed_ok(&g, 0);
    assert_int_equal(dlfs_nprandom_u32(&g), 2357136044u);
    seed_ok(&g, UINT64_C(4294967295));
    assert_int_equal(dlfs_nprandom_u32(&g), 419326371u);
    /* init_genrand's state: mt[0] is the seed itself, then the recurrence */
    seed_ok(&g, 5489);
    assert_int_equal(g.mt[0], 5489u);
    assert_int_equal(g.mt[1], 1812433253u * (5489u ^ (5489u >> 30)) + 1u);
    assert_int_equal(g.pos, DLFS_NPRANDOM_N);
    /* MT19937's reference output for the default seed 5489 */
    assert_int_equal(dlfs_nprandom_u32(&g), 3499211612u);

    /* 2^32 and above are refused, naming the value; the generator is kept */
    static const uint64_t bad[] = {UINT64_C(4294967296), UINT64_C(4294967297),
                                   UINT64_C(1) << 63, UINT64_MAX};
    static const char *const bad_text[] = {"4294967296", "4294967297", "9223372036854775808",
                                           "18446744073709551615"};
    seed_ok(&g, 42);
    (void)dlfs_nprandom_normal(&g);   /* a kept deviate, too */
    for (size_t k = 0; k < TU_LEN(bad); k++) {
        before = g;
        assert_int_equal(dlfs_nprandom_seed(&g, bad[k]), DLFS_EINVAL);
        assert_non_null(strstr(dlfs_error_detail(), bad_text[k]));
        assert_non_null(strstr(dlfs_error_detail(), "dlfs_nprandom_seed"));
        assert_true(same_state(&g, &before));
    }
    assert_int_equal(dlfs_nprandom_seed(NULL, 1), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "dlfs_nprandom_seed"));
}

/* ---- uniform doubles ---- */

static const struct {
    uint32_t seed;
    double v[5];   /* random_sample 0..3, 4999 */
} uniform_cases[] = {
{0u, {0x1.18fe1565f12a8p-1, 0x1.6e2d4cf608733p-1, 0x1.349d66b6e894bp-1, 0x1.16faedb6395f5p-1, 0x1.eaccb716febbap-1}},
{1u, {0x1.ab07d0ffa3c06p-2, 0x1.70ce5f3baf051p-1, 0x1.dfb906661c000p-14, 0x1.3596ab7fe08f4p-2, 0x1.00530224e466cp-2}},
{42u, {0x1.7f8771e5f51ecp-2, 0x1.e6c4068bbd654p-1, 0x1.76c7e8f1e6751p-1, 0x1.32835d6632cb0p-1, 0x1.31d2ed94da4f5p-1}},
{80718u, {0x1.96c0e01889cd2p-2, 0x1.fa86cc05547f6p-1, 0x1.770dfb8df5767p-1, 0x1.8d6622fd66da6p-1, 0x1.7771732af10f8p-4}},
{180708u, {0x1.d10f0ae33a6c8p-2, 0x1.cc7e83137adecp-1, 0x1.d974414528756p-2, 0x1.7188c65965c18p-1, 0x1.ebfa117f08fc0p-4}},
{180807u, {0x1.8a252040fb31fp-1, 0x1.92922ec704ec5p-1, 0x1.7ca6223a7c728p-4, 0x1.0a03a798b9900p-3, 0x1.61a43b5657b70p-3}},
{4294967295u, {0x1.8fe69a3924820p-4, 0x1.d323d824032b1p-1, 0x1.93fc6f61af3f9p-1, 0x1.8f5ca1b151c07p-1, 0x1.1b5e2b42a2a70p-3}},
};

static void test_uniform(void **state)
{
    (void)state;
    dlfs_nprandom g;
    for (size_t k = 0; k < TU_LEN(uniform_cases); k++) {
        seed_ok(&g, uniform_cases[k].seed);
        double x = 0.0;
        for (int i = 0; i < 5000; i++) {
            x = dlfs_nprandom_uniform(&g);
            assert_true(x >= 0.0 && x < 1.0);
            if (i < 4)
                assert_same_double(x, uniform_cases[k].v[i]);
        }
        assert_same_double(x, uniform_cases[k].v[4]);
    }
    /* the formula, from two outputs of a second generator */
    dlfs_nprandom h;
    seed_ok(&g, 7);
    seed_ok(&h, 7);
    for (int i = 0; i < 1000; i++) {
        const uint32_t a = dlfs_nprandom_u32(&h) >> 5, b = dlfs_nprandom_u32(&h) >> 6;
        assert_same_double(dlfs_nprandom_uniform(&g),
                           ((double)a * 67108864.0 + (double)b) / 9007199254740992.0);
    }
}

/* ---- normal deviates ---- */

static const struct {
    uint32_t seed;
    double v[7];    /* randn 0..5, 9999 */
    uint64_t hash;  /* of the bit patterns of the first 200000 */
} normal_cases[] = {
{0u, {0x1.c398ef3e5cfa5p+0, 0x1.99c2cfacc8953p-2, 0x1.f51d25222c9abp-1, 0x1.1ed5969e3314ep+1, 0x1.de1847cb13ddap+0, -0x1.f45dc42a58c82p-1, 0x1.4c5107e32281ap+0}, UINT64_C(0x107caf70dc24dcbc)},
{1u, {0x1.9fd5190657c50p+0, -0x1.393822fb7d9adp-1, -0x1.0e6c872548fd2p-1, -0x1.12ae1255cb80cp+0, 0x1.bb16b5735117dp-1, -0x1.2698d1ecca259p+1, -0x1.70183dc4f5796p+0}, UINT64_C(0xfdb9029452340a9e)},
{42u, {0x1.fca2a28a9307cp-2, -0x1.1b2a505de052ap-3, 0x1.4b9dd50245e68p-1, 0x1.85e548e01aa2bp+0, -0x1.df8bcdf57a640p-3, -0x1.df8332670db3bp-3, 0x1.49ed488bbba6fp-1}, UINT64_C(0xdeed889deadfbe29)},
{80718u, {0x1.3eb87384b1040p-7, -0x1.0bca390e781f6p-9, 0x1.bf037375a0f33p-1, 0x1.785ff7adf92b4p-1, -0x1.286da41c76692p-3, -0x1.dcb1b10f26783p-1, 0x1.ba44229113707p-1}, UINT64_C(0x68eb89433f49aea8)},
{180708u, {0x1.db184a47f01bdp-1, -0x1.b43a7858726c0p-4, 0x1.c32b121bafc56p+0, -0x1.3259e33fcb602p-2, 0x1.939bc3841c883p-1, -0x1.18b103ea82066p-2, 0x1.1ad2907ce94adp+0}, UINT64_C(0x7ec1ae0de52b33c0)},
{180807u, {0x1.6ced024fd9be3p-1, 0x1.57f277d83e62ap-1, 0x1.b76a820d4f35dp-3, -0x1.3f8db79c32fdap-2, -0x1.b7d5673c99ef5p-1, 0x1.c2f88d89ef221p-1, 0x1.329fbf972a340p-1}, UINT64_C(0x0e33c9fbae09bc6e)},
{4294967295u, {0x1.4bfc38c486d8ap-1, 0x1.56b192e507eeep-1, -0x1.149e836f192fdp+0, 0x1.23543dec5a0fcp-2, 0x1.d27bf27c6aaafp-4, 0x1.bc38efd644bd1p-1, 0x1.04a383e81de05p+0}, UINT64_C(0x7bacac90b47c0e7c)},
};

enum { NORMAL_HASHED = 200000 };

static void test_normal(void **state)
{
    (void)state;
    dlfs_nprandom g;
    for (size_t k = 0; k < TU_LEN(normal_cases); k++) {
        seed_ok(&g, normal_cases[k].seed);
        uint64_t h = hash_init();
        for (int i = 0; i < NORMAL_HASHED; i++) {
            const double x = dlfs_nprandom_normal(&g);
            h = hash_step(h, bits(x));
            if (i < 6)
                assert_same_double(x, normal_cases[k].v[i]);
            if (i == 9999)
                assert_same_double(x, normal_cases[k].v[6]);
        }
        assert_true(h == normal_cases[k].hash);
    }
    /* the same values in decimal, as NumPy prints them */
    static const double want[5] = {0.9279196942152833, -0.10650107393226005, 1.7623759572595836,
                                   -0.2991710193335565, 0.7882977579850067};
    seed_ok(&g, 180708);
    for (int i = 0; i < 5; i++)
        assert_same_double(dlfs_nprandom_normal(&g), want[i]);
    seed_ok(&g, 0);
    assert_same_double(dlfs_nprandom_normal(&g), 1.764052345967664);

    /* fill_normal is randn(rows, cols): the same sequence */
    double x[7];
    seed_ok(&g, 180708);
    assert_int_equal(dlfs_nprandom_fill_normal(&g, x, 7), DLFS_OK);
    for (int i = 0; i < 6; i++)
        assert_same_double(x[i], normal_cases[4].v[i]);
    assert_int_equal(dlfs_nprandom_fill_normal(&g, NULL, 0), DLFS_OK);
    assert_int_equal(dlfs_nprandom_fill_normal(&g, NULL, 1), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "x is NULL"));
    assert_int_equal(dlfs_nprandom_fill_normal(NULL, x, 1), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "g is NULL"));
}

/* The polar method by hand from the library's uniforms, with r2 rounded
 * twice (fused = 0) or computed by one fma (fused = 1): the former must give
 * NumPy's deviates, and the latter must not, or the hashes above could not
 * tell a contracted build from a correct one. Returns the hash of `count`
 * deviates and counts in *differ the pairs whose r2 the two ways disagree on. */
static uint64_t polar_by_hand(uint32_t seed, int fused, int count, int *differ)
{
    dlfs_nprandom g;
    seed_ok(&g, seed);
    uint64_t h = hash_init();
    *differ = 0;
    for (int i = 0; i < count; i += 2) {
        double x1, x2, r2;
        do {
            x1 = 2.0 * dlfs_nprandom_uniform(&g) - 1.0;
            x2 = 2.0 * dlfs_nprandom_uniform(&g) - 1.0;
            volatile double p1 = x1 * x1, p2 = x2 * x2;
            const double plain = p1 + p2, fma_r2 = fma(x1, x1, p2);
            *differ += plain != fma_r2;
            r2 = fused ? fma_r2 : plain;
        } while (r2 >= 1.0 || r2 == 0.0);
        const double f = sqrt(-2.0 * log(r2) / r2);
        h = hash_step(h, bits(f * x2));
        h = hash_step(h, bits(f * x1));
    }
    return h;
}

static void test_normal_not_fused(void **state)
{
    (void)state;
    for (size_t k = 0; k < TU_LEN(normal_cases); k++) {
        int differ = 0;
        assert_true(polar_by_hand(normal_cases[k].seed, 0, NORMAL_HASHED, &differ) ==
                    normal_cases[k].hash);
        /* r2 by one fma differs in a good share of the pairs (about one in
         * six), and the deviates then differ from NumPy's */
        assert_true(differ > NORMAL_HASHED / 2 / 10);
        assert_true(polar_by_hand(normal_cases[k].seed, 1, NORMAL_HASHED, &differ) !=
                    normal_cases[k].hash);
    }
    /* and the first difference shows early: among the first 20 deviates of
     * the book's seed (so a contracted build fails the first five above, or
     * these) */
    dlfs_nprandom g;
    int differ = 0;
    seed_ok(&g, 180708);
    double lib[20];
    assert_int_equal(dlfs_nprandom_fill_normal(&g, lib, 20), DLFS_OK);
    uint64_t h = hash_init();
    for (int i = 0; i < 20; i++)
        h = hash_step(h, bits(lib[i]));
    assert_true(polar_by_hand(180708, 0, 20, &differ) == h);
    assert_true(polar_by_hand(180708, 1, 20, &differ) != h);
}

static void test_kept_deviate(void **state)
{
    (void)state;
    dlfs_nprandom g, before;
    /* randn(13, 1), then randn(1, 1) is the kept deviate: no draws */
    seed_ok(&g, 180708);
    double w[13];
    assert_int_equal(dlfs_nprandom_fill_normal(&g, w, 13), DLFS_OK);
    assert_int_equal(g.has_gauss, 1);
    before = g;
    const double b = dlfs_nprandom_normal(&g);
    assert_same_double(b, -0.2154910986992005);
    assert_same_double(b, -0x1.b95365abeff91p-3);
    assert_int_equal(g.pos, before.pos);
    assert_memory_equal(g.mt, before.mt, sizeof g.mt);
    assert_int_equal(g.has_gauss, 0);
    /* then permutation(354) */
    size_t p[354];
    static const size_t want[10] = {4, 13, 204, 22, 125, 18, 40, 335, 235, 196};
    assert_int_equal(dlfs_nprandom_permutation(&g, p, 354), DLFS_OK);
    assert_memory_equal(p, want, sizeof want);

    /* The kept deviate survives other draws: seed 42, randn, permutation(10),
     * randn (the kept one), randn (a new pair). */
    seed_ok(&g, 42);
    assert_same_double(dlfs_nprandom_normal(&g), 0x1.fca2a28a9307cp-2);
    size_t q[10];
    static const size_t want_q[10] = {3, 9, 0, 8, 5, 2, 1, 6, 4, 7};
    assert_int_equal(dlfs_nprandom_permutation(&g, q, 10), DLFS_OK);
    assert_memory_equal(q, want_q, sizeof want_q);
    (void)dlfs_nprandom_u32(&g);
    (void)dlfs_nprandom_uniform(&g);
    (void)dlfs_nprandom_bounded(&g, 1000);
    assert_same_double(dlfs_nprandom_normal(&g), -0x1.1b2a505de052ap-3);

    /* Seeding drops it: seed, one deviate (one kept), seed again: the first
     * deviate again, not the kept one. (A refused seed changes nothing, the
     * kept deviate included: test_seed_range.) */
    seed_ok(&g, 42);
    const double first = dlfs_nprandom_normal(&g);
    assert_int_equal(g.has_gauss, 1);
    seed_ok(&g, 42);
    assert_int_equal(g.has_gauss, 0);
    assert_same_double(dlfs_nprandom_normal(&g), first);
    assert_same_double(dlfs_nprandom_normal(&g), normal_cases[2].v[1]);
    /* and another seed's first deviate after a kept one of seed 42 */
    seed_ok(&g, 42);
    (void)dlfs_nprandom_normal(&g);
    seed_ok(&g, 0);
    assert_same_double(dlfs_nprandom_normal(&g), normal_cases[0].v[0]);
}

/* ---- bounded integers ---- */

static const struct {
    uint32_t seed;
    uint64_t max;
    uint64_t v[6];
} bounded_cases[] = {
{0u, UINT64_C(1), {UINT64_C(0), UINT64_C(1), UINT64_C(1), UINT64_C(0), UINT64_C(1), UINT64_C(1)}},
{0u, UINT64_C(2), {UINT64_C(0), UINT64_C(1), UINT64_C(0), UINT64_C(1), UINT64_C(1), UINT64_C(2)}},
{0u, UINT64_C(5), {UINT64_C(4), UINT64_C(5), UINT64_C(0), UINT64_C(3), UINT64_C(3), UINT64_C(3)}},
{0u, UINT64_C(100), {UINT64_C(44), UINT64_C(47), UINT64_C(64), UINT64_C(67), UINT64_C(67), UINT64_C(9)}},
{0u, UINT64_C(353), {UINT64_C(172), UINT64_C(47), UINT64_C(117), UINT64_C(192), UINT64_C(323), UINT64_C(251)}},
{0u, UINT64_C(2147483648), {UINT64_C(1819583497), UINT64_C(1650906866), UINT64_C(1879422756), UINT64_C(1277901399), UINT64_C(243580376), UINT64_C(1171049868)}},
{0u, UINT64_C(4294967294), {UINT64_C(2357136044), UINT64_C(2546248239), UINT64_C(3071714933), UINT64_C(3626093760), UINT64_C(2588848963), UINT64_C(3684848379)}},
{0u, UINT64_C(4294967295), {UINT64_C(2357136044), UINT64_C(2546248239), UINT64_C(3071714933), UINT64_C(3626093760), UINT64_C(2588848963), UINT64_C(3684848379)}},
{0u, UINT64_C(4294967296), {UINT64_C(2546248239), UINT64_C(1277901399), UINT64_C(243580376), UINT64_C(1171049868), UINT64_C(2051556033), UINT64_C(3488238119)}},
{0u, UINT64_C(1099511640121), {UINT64_C(741280623151), UINT64_C(506137267392), UINT64_C(841157541223), UINT64_C(41332891347), UINT64_C(300891291096), UINT64_C(379128171916)}},
{0u, UINT64_C(9223372036854775808), {UINT64_C(7815051614634499795), UINT64_C(8072059273656089175), UINT64_C(7073247613084517057), UINT64_C(1310383996493862984), UINT64_C(1607251845270378388), UINT64_C(372963635737465808)}},
{0u, UINT64_C(18446744073709551615), {UINT64_C(10123822223749065263), UINT64_C(13192915183495924928), UINT64_C(11119021634053362427), UINT64_C(10051320526890433895), UINT64_C(7815051614634499795), UINT64_C(11914643441472427762)}},
{180708u, UINT64_C(1), {UINT64_C(1), UINT64_C(1), UINT64_C(0), UINT64_C(0), UINT64_C(0), UINT64_C(0)}},
{180708u, UINT64_C(2), {UINT64_C(1), UINT64_C(2), UINT64_C(0), UINT64_C(0), UINT64_C(0), UINT64_C(1)}},
{180708u, UINT64_C(5), {UINT64_C(5), UINT64_C(4), UINT64_C(0), UINT64_C(0), UINT64_C(5), UINT64_C(5)}},
{180708u, UINT64_C(100), {UINT64_C(61), UINT64_C(23), UINT64_C(30), UINT64_C(20), UINT64_C(72), UINT64_C(61)}},
{180708u, UINT64_C(353), {UINT64_C(189), UINT64_C(279), UINT64_C(276), UINT64_C(72), UINT64_C(240), UINT64_C(317)}},
{180708u, UINT64_C(2147483648), {UINT64_C(1950597821), UINT64_C(1307278100), UINT64_C(1985810504), UINT64_C(1704396301), UINT64_C(1554891979), UINT64_C(284532794)}},
{180708u, UINT64_C(4294967294), {UINT64_C(1950597821), UINT64_C(3329546519), UINT64_C(3862905246), UINT64_C(1307278100), UINT64_C(1985810504), UINT64_C(2320558832)}},
{180708u, UINT64_C(4294967295), {UINT64_C(1950597821), UINT64_C(3329546519), UINT64_C(3862905246), UINT64_C(1307278100), UINT64_C(1985810504), UINT64_C(2320558832)}},
{180708u, UINT64_C(4294967296), {UINT64_C(1307278100), UINT64_C(2320558832), UINT64_C(4059237513), UINT64_C(128900259), UINT64_C(2463142636), UINT64_C(3252768735)}},
{180708u, UINT64_C(1099511640121), {UINT64_C(815078365463), UINT64_C(311558204144), UINT64_C(876143798822), UINT64_C(81888911418), UINT64_C(175857929353), UINT64_C(890292101530)}},
{180708u, UINT64_C(9223372036854775808), {UINT64_C(8377753852173408535), UINT64_C(8528991173053836016), UINT64_C(6678210202883156518), UINT64_C(42992055213697406), UINT64_C(6446733924723491254), UINT64_C(7372088750091882463)}},
{180708u, UINT64_C(18446744073709551615), {UINT64_C(8377753852173408535), UINT64_C(16591051700424112916), UINT64_C(8528991173053836016), UINT64_C(13313875513762579981), UINT64_C(6678210202883156518), UINT64_C(16542788039499685946)}},
};

static void test_bounded(void **state)
{
    (void)state;
    dlfs_nprandom g, before;
    for (size_t k = 0; k < TU_LEN(bounded_cases); k++) {
        seed_ok(&g, bounded_cases[k].seed);
        for (int i = 0; i < 6; i++)
            assert_true(dlfs_nprandom_bounded(&g, bounded_cases[k].max) == bounded_cases[k].v[i]);
    }
    /* bounded(0) is 0 and draws nothing */
    seed_ok(&g, 180708);
    (void)dlfs_nprandom_normal(&g);
    before = g;
    for (int i = 0; i < 10; i++)
        assert_true(dlfs_nprandom_bounded(&g, 0) == 0);
    assert_true(same_state(&g, &before));
    assert_int_equal(dlfs_nprandom_u32(&g), dlfs_nprandom_u32(&before));
    /* masked rejection: a 32-bit draw masked to max's bit length, kept if <= max */
    dlfs_nprandom h;
    seed_ok(&g, 3);
    seed_ok(&h, 3);
    for (uint64_t max = 1; max < 5000; max += 7) {
        uint64_t mask = 1;
        while (mask < max)
            mask = mask << 1 | 1;
        uint64_t v;
        while ((v = dlfs_nprandom_u32(&h) & mask) > max)
            ;
        assert_true(dlfs_nprandom_bounded(&g, max) == v);
    }
    /* above 2^32 - 1: two outputs, the first the high half */
    seed_ok(&g, 3);
    seed_ok(&h, 3);
    const uint64_t max = (UINT64_C(1) << 33) + 5;
    for (int i = 0; i < 1000; i++) {
        uint64_t v;
        do {
            const uint64_t hi = dlfs_nprandom_u32(&h);
            v = (hi << 32 | dlfs_nprandom_u32(&h)) & ((UINT64_C(1) << 34) - 1);
        } while (v > max);
        assert_true(dlfs_nprandom_bounded(&g, max) == v);
    }
}

/* ---- permutations ---- */

static const struct {
    uint32_t seed;
    size_t n;
    size_t first[8];   /* the first min(n, 8) */
    uint64_t hash;     /* of all n */
} permutation_cases[] = {
{0u, 1, {0}, UINT64_C(0xaf63bd4c8601b7df)},
{0u, 2, {1, 0}, UINT64_C(0x082f2207b4e88cc4)},
{0u, 3, {2, 1, 0}, UINT64_C(0xea9ca21875dc49e4)},
{0u, 10, {2, 8, 4, 9, 1, 6, 7, 3}, UINT64_C(0x7ab46b0c5c0fc6a2)},
{0u, 354, {6, 140, 300, 218, 90, 252, 114, 60}, UINT64_C(0x4aacc347b0092962)},
{0u, 100000, {3582, 60498, 53227, 21333, 3885, 51521, 84261, 10685}, UINT64_C(0x141694935fe7b52f)},
{1u, 1, {0}, UINT64_C(0xaf63bd4c8601b7df)},
{1u, 2, {0, 1}, UINT64_C(0x08328707b4eb6e3a)},
{1u, 3, {0, 2, 1}, UINT64_C(0xd94645186c0967b2)},
{1u, 10, {2, 9, 6, 4, 0, 3, 1, 7}, UINT64_C(0x77e85ff3eeb00d0c)},
{1u, 354, {150, 169, 91, 299, 298, 315, 330, 286}, UINT64_C(0xbd552581215263d2)},
{1u, 100000, {43660, 87278, 14317, 81932, 95321, 5405, 33188, 63421}, UINT64_C(0xf2e40368a3c59689)},
{42u, 1, {0}, UINT64_C(0xaf63bd4c8601b7df)},
{42u, 2, {1, 0}, UINT64_C(0x082f2207b4e88cc4)},
{42u, 3, {0, 1, 2}, UINT64_C(0xd949aa186c0c4928)},
{42u, 10, {8, 1, 5, 0, 7, 2, 9, 4}, UINT64_C(0xc52dda6de76b25b2)},
{42u, 354, {220, 42, 286, 181, 56, 272, 15, 57}, UINT64_C(0x1dfe70389bda0cec)},
{42u, 100000, {75721, 80184, 19864, 76699, 92991, 76434, 84004, 80917}, UINT64_C(0xda482e525a9e8beb)},
{180708u, 1, {0}, UINT64_C(0xaf63bd4c8601b7df)},
{180708u, 2, {0, 1}, UINT64_C(0x08328707b4eb6e3a)},
{180708u, 3, {0, 2, 1}, UINT64_C(0xd94645186c0967b2)},
{180708u, 10, {1, 6, 8, 2, 3, 5, 9, 0}, UINT64_C(0x03705813c2ea925c)},
{180708u, 354, {4, 126, 205, 77, 62, 352, 201, 57}, UINT64_C(0x4bc845bb3ffdb584)},
{180708u, 100000, {32578, 21079, 92439, 76322, 35300, 91848, 34222, 18259}, UINT64_C(0x5cefc875a86f7da9)},
{4294967295u, 1, {0}, UINT64_C(0xaf63bd4c8601b7df)},
{4294967295u, 2, {0, 1}, UINT64_C(0x08328707b4eb6e3a)},
{4294967295u, 3, {1, 0, 2}, UINT64_C(0xd0a3991867273472)},
{4294967295u, 10, {6, 9, 5, 1, 8, 0, 7, 4}, UINT64_C(0xb7fcf09f4535755e)},
{4294967295u, 354, {272, 315, 176, 158, 322, 160, 341, 85}, UINT64_C(0xe2559e719377b8ae)},
{4294967295u, 100000, {85117, 19600, 4648, 56853, 35772, 22343, 76167, 23775}, UINT64_C(0x0762cfcd61952bc3)},
};

static void test_permutation(void **state)
{
    (void)state;
    dlfs_nprandom g, before;
    size_t *p = malloc(100000 * sizeof *p), *q = malloc(100000 * sizeof *q);
    assert_non_null(p);
    assert_non_null(q);
    for (size_t k = 0; k < TU_LEN(permutation_cases); k++) {
        const size_t n = permutation_cases[k].n;
        seed_ok(&g, permutation_cases[k].seed);
        assert_int_equal(dlfs_nprandom_permutation(&g, p, n), DLFS_OK);
        assert_memory_equal(p, permutation_cases[k].first, (n < 8 ? n : 8) * sizeof *p);
        assert_true(hash_indices(p, n) == permutation_cases[k].hash);
        /* shuffle of 0..n-1 is the same permutation */
        for (size_t i = 0; i < n; i++)
            q[i] = i;
        seed_ok(&g, permutation_cases[k].seed);
        assert_int_equal(dlfs_nprandom_shuffle(&g, q, n), DLFS_OK);
        assert_memory_equal(p, q, n * sizeof *p);
    }
    /* permutation(0) and permutation(1) draw nothing */
    seed_ok(&g, 9);
    before = g;
    assert_int_equal(dlfs_nprandom_permutation(&g, NULL, 0), DLFS_OK);
    assert_int_equal(dlfs_nprandom_permutation(&g, p, 1), DLFS_OK);
    assert_int_equal(p[0], 0);
    assert_true(same_state(&g, &before));
    /* shuffle moves values, whatever they are */
    size_t v[5] = {50, 51, 52, 53, 54};
    seed_ok(&g, 0);
    assert_int_equal(dlfs_nprandom_shuffle(&g, v, 5), DLFS_OK);
    seed_ok(&g, 0);
    assert_int_equal(dlfs_nprandom_permutation(&g, p, 5), DLFS_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(v[i], 50 + p[i]);
    /* NULLs */
    assert_int_equal(dlfs_nprandom_permutation(&g, NULL, 3), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "idx is NULL"));
    assert_int_equal(dlfs_nprandom_permutation(NULL, p, 3), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "g is NULL"));
    assert_int_equal(dlfs_nprandom_shuffle(&g, NULL, 3), DLFS_ENULL);
    assert_int_equal(dlfs_nprandom_shuffle(NULL, v, 3), DLFS_ENULL);
    free(p);
    free(q);
}

/* ---- x = x[q] ---- */

static void test_take(void **state)
{
    (void)state;
    /* The book's batch order: seed 180708, randn(13, 1), randn(1, 1), then
     * order = arange(354)[q1], order = order[q2] for two permutations. */
    dlfs_nprandom g;
    seed_ok(&g, 180708);
    double w[14];
    assert_int_equal(dlfs_nprandom_fill_normal(&g, w, 14), DLFS_OK);
    size_t order[354], q[354];
    for (size_t i = 0; i < 354; i++)
        order[i] = i;
    for (int r = 0; r < 2; r++) {
        assert_int_equal(dlfs_nprandom_permutation(&g, q, 354), DLFS_OK);
        assert_int_equal(dlfs_nprandom_take(order, q, 354), DLFS_OK);
    }
    static const size_t want[10] = {287, 150, 100, 230, 342, 151, 232, 51, 228, 245};
    assert_memory_equal(order, want, sizeof want);
    assert_true(hash_indices(order, 354) == UINT64_C(0x42cd6e47091fad14));
    /* the draws after them (no deviate was kept: 14 is even) */
    assert_same_double(dlfs_nprandom_normal(&g), 0x1.d8b688f507635p-2);
    assert_same_double(dlfs_nprandom_normal(&g), -0x1.4e909135be1edp+0);
    assert_same_double(dlfs_nprandom_normal(&g), 0x1.2ff3d75d8755ap+0);

    /* q need not be a permutation, and may be x itself: x = x[x] */
    size_t x[5] = {10, 11, 12, 13, 14};
    const size_t rep[5] = {4, 4, 0, 2, 0};
    assert_int_equal(dlfs_nprandom_take(x, rep, 5), DLFS_OK);
    assert_int_equal(x[0], 14);
    assert_int_equal(x[1], 14);
    assert_int_equal(x[2], 10);
    assert_int_equal(x[3], 12);
    assert_int_equal(x[4], 10);
    size_t y[4] = {2, 0, 3, 1};
    assert_int_equal(dlfs_nprandom_take(y, y, 4), DLFS_OK);
    assert_int_equal(y[0], 3);   /* old y[2] */
    assert_int_equal(y[1], 2);   /* old y[0] */
    assert_int_equal(y[2], 1);   /* old y[3] */
    assert_int_equal(y[3], 0);   /* old y[1] */

    /* refusals leave x alone */
    size_t z[3] = {7, 8, 9};
    const size_t bad[3] = {0, 3, 1};
    assert_int_equal(dlfs_nprandom_take(z, bad, 3), DLFS_EINVAL);
    assert_non_null(strstr(dlfs_error_detail(), "q[1] = 3"));
    assert_int_equal(z[0], 7);
    assert_int_equal(z[1], 8);
    assert_int_equal(z[2], 9);
    assert_int_equal(dlfs_nprandom_take(NULL, bad, 3), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "x is NULL"));
    assert_int_equal(dlfs_nprandom_take(z, NULL, 3), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "q is NULL"));
    assert_int_equal(dlfs_nprandom_take(NULL, NULL, 0), DLFS_OK);
}

/* ---- train_test_split ---- */

static const struct {
    size_t n;
    double f;
    uint32_t seed;
    size_t n_test;
    size_t test[5], train[5];   /* the first of each */
    uint64_t hash;              /* of test then train, all n */
} split_cases[] = {
{10, 0.3, 0u, 3, {2, 8, 4}, {9, 1, 6, 7, 3}, UINT64_C(0x7ab46b0c5c0fc6a2)},
{10, 0.3, 1u, 3, {2, 9, 6}, {4, 0, 3, 1, 7}, UINT64_C(0x77e85ff3eeb00d0c)},
{10, 0.3, 42u, 3, {8, 1, 5}, {0, 7, 2, 9, 4}, UINT64_C(0xc52dda6de76b25b2)},
{10, 0.3, 80718u, 3, {3, 0, 8}, {4, 6, 9, 2, 5}, UINT64_C(0x4fa9b814c1ce63ce)},
{10, 0.3, 4294967295u, 3, {6, 9, 5}, {1, 8, 0, 7, 4}, UINT64_C(0xb7fcf09f4535755e)},
{10, 0.25, 0u, 3, {2, 8, 4}, {9, 1, 6, 7, 3}, UINT64_C(0x7ab46b0c5c0fc6a2)},
{10, 0.25, 1u, 3, {2, 9, 6}, {4, 0, 3, 1, 7}, UINT64_C(0x77e85ff3eeb00d0c)},
{10, 0.25, 42u, 3, {8, 1, 5}, {0, 7, 2, 9, 4}, UINT64_C(0xc52dda6de76b25b2)},
{10, 0.25, 80718u, 3, {3, 0, 8}, {4, 6, 9, 2, 5}, UINT64_C(0x4fa9b814c1ce63ce)},
{10, 0.25, 4294967295u, 3, {6, 9, 5}, {1, 8, 0, 7, 4}, UINT64_C(0xb7fcf09f4535755e)},
{10, 0.5, 0u, 5, {2, 8, 4, 9, 1}, {6, 7, 3, 0, 5}, UINT64_C(0x7ab46b0c5c0fc6a2)},
{10, 0.5, 1u, 5, {2, 9, 6, 4, 0}, {3, 1, 7, 8, 5}, UINT64_C(0x77e85ff3eeb00d0c)},
{10, 0.5, 42u, 5, {8, 1, 5, 0, 7}, {2, 9, 4, 3, 6}, UINT64_C(0xc52dda6de76b25b2)},
{10, 0.5, 80718u, 5, {3, 0, 8, 4, 6}, {9, 2, 5, 1, 7}, UINT64_C(0x4fa9b814c1ce63ce)},
{10, 0.5, 4294967295u, 5, {6, 9, 5, 1, 8}, {0, 7, 4, 2, 3}, UINT64_C(0xb7fcf09f4535755e)},
{100, 0.3, 0u, 30, {26, 86, 2, 55, 75}, {60, 80, 90, 68, 51}, UINT64_C(0xd9cb2312e18d84db)},
{100, 0.3, 1u, 30, {80, 84, 33, 81, 93}, {67, 99, 54, 95, 88}, UINT64_C(0x8a42fc652d1de641)},
{100, 0.3, 42u, 30, {83, 53, 70, 45, 44}, {11, 47, 85, 28, 93}, UINT64_C(0x6c39700c2c496cfd)},
{100, 0.3, 80718u, 30, {97, 6, 76, 3, 75}, {54, 43, 39, 44, 35}, UINT64_C(0x02e733d5e0fd27d9)},
{100, 0.3, 4294967295u, 30, {92, 36, 80, 77, 31}, {46, 70, 10, 94, 8}, UINT64_C(0xacb6832f012fc731)},
{100, 0.25, 0u, 25, {26, 86, 2, 55, 75}, {48, 6, 99, 82, 76}, UINT64_C(0xd9cb2312e18d84db)},
{100, 0.25, 1u, 25, {80, 84, 33, 81, 93}, {35, 94, 27, 46, 38}, UINT64_C(0x8a42fc652d1de641)},
{100, 0.25, 42u, 25, {83, 53, 70, 45, 44}, {15, 40, 96, 9, 72}, UINT64_C(0x6c39700c2c496cfd)},
{100, 0.25, 80718u, 25, {97, 6, 76, 3, 75}, {45, 15, 96, 33, 2}, UINT64_C(0x02e733d5e0fd27d9)},
{100, 0.25, 4294967295u, 25, {92, 36, 80, 77, 31}, {88, 58, 19, 90, 53}, UINT64_C(0xacb6832f012fc731)},
{100, 0.5, 0u, 50, {26, 86, 2, 55, 75}, {91, 59, 0, 34, 28}, UINT64_C(0xd9cb2312e18d84db)},
{100, 0.5, 1u, 50, {80, 84, 33, 81, 93}, {43, 55, 24, 4, 58}, UINT64_C(0x8a42fc652d1de641)},
{100, 0.5, 42u, 50, {83, 53, 70, 45, 44}, {24, 3, 17, 38, 8}, UINT64_C(0x6c39700c2c496cfd)},
{100, 0.5, 80718u, 50, {97, 6, 76, 3, 75}, {93, 10, 17, 77, 36}, UINT64_C(0x02e733d5e0fd27d9)},
{100, 0.5, 4294967295u, 50, {92, 36, 80, 77, 31}, {91, 68, 7, 15, 40}, UINT64_C(0xacb6832f012fc731)},
{506, 0.3, 0u, 152, {329, 371, 219, 403, 78}, {141, 272, 135, 298, 122}, UINT64_C(0xb17e7ca3ab139dc6)},
{506, 0.3, 1u, 152, {307, 343, 47, 67, 362}, {13, 61, 377, 39, 365}, UINT64_C(0xb7b8f761285328ec)},
{506, 0.3, 42u, 152, {173, 274, 491, 72, 452}, {5, 116, 45, 16, 468}, UINT64_C(0x1d18e43cf2fc9ac4)},
{506, 0.3, 80718u, 152, {203, 379, 451, 438, 11}, {4, 410, 380, 378, 10}, UINT64_C(0x437e1abf3f58b7e8)},
{506, 0.3, 4294967295u, 152, {464, 236, 339, 362, 265}, {269, 458, 180, 199, 125}, UINT64_C(0xf20e3ac0bd1af536)},
{506, 0.25, 0u, 127, {329, 371, 219, 403, 78}, {245, 59, 276, 395, 416}, UINT64_C(0xb17e7ca3ab139dc6)},
{506, 0.25, 1u, 127, {307, 343, 47, 67, 362}, {502, 172, 80, 46, 318}, UINT64_C(0xb7b8f761285328ec)},
{506, 0.25, 42u, 127, {173, 274, 491, 72, 452}, {182, 155, 280, 126, 329}, UINT64_C(0x1d18e43cf2fc9ac4)},
{506, 0.25, 80718u, 127, {203, 379, 451, 438, 11}, {55, 58, 494, 305, 503}, UINT64_C(0x437e1abf3f58b7e8)},
{506, 0.25, 4294967295u, 127, {464, 236, 339, 362, 265}, {38, 370, 285, 403, 9}, UINT64_C(0xf20e3ac0bd1af536)},
{506, 0.5, 0u, 253, {329, 371, 219, 403, 78}, {232, 133, 33, 482, 44}, UINT64_C(0xb17e7ca3ab139dc6)},
{506, 0.5, 1u, 253, {307, 343, 47, 67, 362}, {432, 403, 349, 433, 410}, UINT64_C(0xb7b8f761285328ec)},
{506, 0.5, 42u, 253, {173, 274, 491, 72, 452}, {475, 299, 296, 198, 377}, UINT64_C(0x1d18e43cf2fc9ac4)},
{506, 0.5, 80718u, 253, {203, 379, 451, 438, 11}, {272, 265, 480, 166, 111}, UINT64_C(0x437e1abf3f58b7e8)},
{506, 0.5, 4294967295u, 253, {464, 236, 339, 362, 265}, {18, 487, 306, 276, 333}, UINT64_C(0xf20e3ac0bd1af536)},
{1000, 0.3, 0u, 300, {993, 859, 298, 553, 672}, {105, 68, 479, 399, 434}, UINT64_C(0xec1900e185b845cd)},
{1000, 0.3, 1u, 300, {507, 818, 452, 368, 242}, {731, 716, 640, 804, 737}, UINT64_C(0x95ff52b25075433b)},
{1000, 0.3, 42u, 300, {521, 737, 740, 660, 411}, {541, 440, 482, 422, 778}, UINT64_C(0x11ee0fefd9b3298f)},
{1000, 0.3, 80718u, 300, {461, 454, 73, 631, 471}, {345, 640, 9, 974, 99}, UINT64_C(0x54e56ac7e5fc77a7)},
{1000, 0.3, 4294967295u, 300, {94, 405, 819, 632, 217}, {666, 122, 355, 862, 70}, UINT64_C(0x9a2f9dd53251418d)},
{1000, 0.25, 0u, 250, {993, 859, 298, 553, 672}, {253, 667, 85, 969, 75}, UINT64_C(0xec1900e185b845cd)},
{1000, 0.25, 1u, 250, {507, 818, 452, 368, 242}, {298, 160, 268, 658, 996}, UINT64_C(0x95ff52b25075433b)},
{1000, 0.25, 42u, 250, {521, 737, 740, 660, 411}, {82, 991, 789, 894, 398}, UINT64_C(0x11ee0fefd9b3298f)},
{1000, 0.25, 80718u, 250, {461, 454, 73, 631, 471}, {243, 179, 583, 990, 951}, UINT64_C(0x54e56ac7e5fc77a7)},
{1000, 0.25, 4294967295u, 250, {94, 405, 819, 632, 217}, {491, 192, 312, 745, 661}, UINT64_C(0x9a2f9dd53251418d)},
{1000, 0.5, 0u, 500, {993, 859, 298, 553, 672}, {631, 185, 732, 404, 194}, UINT64_C(0xec1900e185b845cd)},
{1000, 0.5, 1u, 500, {507, 818, 452, 368, 242}, {789, 179, 27, 33, 334}, UINT64_C(0x95ff52b25075433b)},
{1000, 0.5, 42u, 500, {521, 737, 740, 660, 411}, {680, 177, 395, 911, 793}, UINT64_C(0x11ee0fefd9b3298f)},
{1000, 0.5, 80718u, 500, {461, 454, 73, 631, 471}, {601, 302, 623, 797, 589}, UINT64_C(0x54e56ac7e5fc77a7)},
{1000, 0.5, 4294967295u, 500, {94, 405, 819, 632, 217}, {521, 903, 205, 30, 655}, UINT64_C(0x9a2f9dd53251418d)},
};

static void test_split(void **state)
{
    (void)state;
    size_t idx[1000], n_test = 0;
    for (size_t k = 0; k < TU_LEN(split_cases); k++) {
        const size_t n = split_cases[k].n;
        assert_int_equal(dlfs_nprandom_split(n, split_cases[k].f, split_cases[k].seed, idx, &n_test),
                         DLFS_OK);
        assert_int_equal(n_test, split_cases[k].n_test);
        const size_t nt = n_test < 5 ? n_test : 5;
        assert_memory_equal(idx, split_cases[k].test, nt * sizeof *idx);
        assert_memory_equal(idx + n_test, split_cases[k].train, 5 * sizeof *idx);
        assert_true(hash_indices(idx, n) == split_cases[k].hash);
    }
    /* the book's split: Boston's 506 rows, test_size=0.3, random_state=80718 */
    static const size_t test10[10] = {203, 379, 451, 438, 11, 45, 443, 77, 299, 214};
    static const size_t train10[10] = {4, 410, 380, 378, 10, 457, 251, 300, 194, 199};
    assert_int_equal(dlfs_nprandom_split(506, 0.3, 80718, idx, &n_test), DLFS_OK);
    assert_int_equal(n_test, 152);
    assert_memory_equal(idx, test10, sizeof test10);
    assert_memory_equal(idx + 152, train10, sizeof train10);
    /* which is permutation(506) of a fresh generator */
    dlfs_nprandom g;
    size_t p[506];
    seed_ok(&g, 80718);
    assert_int_equal(dlfs_nprandom_permutation(&g, p, 506), DLFS_OK);
    assert_memory_equal(idx, p, sizeof p);
    /* 2^32 - 1 is a valid seed */
    assert_int_equal(dlfs_nprandom_split(10, 0.3, UINT64_C(4294967295), idx, &n_test), DLFS_OK);
}

static void test_split_count(void **state)
{
    (void)state;
    /* scikit-learn's counts, ceil(f * n) with no tolerance: 0.07 * 100 is
     * 7.000000000000001, so 8 */
    static const struct {
        size_t n;
        double f;
        size_t n_test;
    } cases[] = {
        {100, 0.07, 8}, {10, 0.01, 1}, {3, 0.5, 2}, {7, 0.1, 1}, {1000, 0.001, 1}, {506, 0.3, 152},
        {506, 0.25, 127}, {10, 0.25, 3}, {2, 0.5, 1},
    };
    size_t n_test = 99;
    for (size_t k = 0; k < TU_LEN(cases); k++) {
        assert_int_equal(dlfs_nprandom_split_count(cases[k].n, cases[k].f, &n_test), DLFS_OK);
        assert_int_equal(n_test, cases[k].n_test);
    }
#if SIZE_MAX > UINT32_MAX
    /* n converted to a double first, as Python converts it: 2^64 - 1 becomes
     * 2^64 and 2^53 + 3 becomes 2^53 + 4 (scikit-learn gives these counts) */
    assert_int_equal(dlfs_nprandom_split_count(SIZE_MAX, 1.0 - 0x1p-53, &n_test), DLFS_OK);
    assert_true(n_test == (size_t)UINT64_C(18446744073709549568));
    assert_int_equal(dlfs_nprandom_split_count((size_t)(UINT64_C(1) << 53) + 3, 0.5, &n_test),
                     DLFS_OK);
    assert_true(n_test == (size_t)UINT64_C(4503599627370498));
#endif
    /* 100 at 0.07 through the split itself (scikit-learn: 8 test rows) */
    size_t idx[100];
    assert_int_equal(dlfs_nprandom_split(100, 0.07, 5, idx, &n_test), DLFS_OK);
    assert_int_equal(n_test, 8);

    /* refusals: fraction outside (0, 1), or no row on one side (scikit-learn
     * refuses n = 0, 1 at 0.5 and 2 at 0.99: "the resulting train set will be
     * empty") */
    static const struct {
        size_t n;
        double f;
        const char *detail;
    } bad[] = {
        {10, 0.0, "test_fraction 0 is not in (0, 1)"},
        {10, 1.0, "test_fraction 1 is not in (0, 1)"},
        {10, -0.25, "test_fraction -0.25 is not in (0, 1)"},
        {10, 1.5, "test_fraction 1.5 is not in (0, 1)"},
        {10, NAN, "is not in (0, 1)"},
        {10, INFINITY, "is not in (0, 1)"},
        {0, 0.5, "of 0 rows leaves 0 test and 0 training rows"},
        {1, 0.5, "of 1 rows leaves 1 test and 0 training rows"},
        {2, 0.99, "of 2 rows leaves 2 test and 0 training rows"},
    };
    for (size_t k = 0; k < TU_LEN(bad); k++) {
        n_test = 99;
        assert_int_equal(dlfs_nprandom_split_count(bad[k].n, bad[k].f, &n_test), DLFS_EINVAL);
        assert_int_equal(n_test, 0);
        assert_non_null(strstr(dlfs_error_detail(), bad[k].detail));
        assert_non_null(strstr(dlfs_error_detail(), "dlfs_nprandom_split_count"));
        if (bad[k].n <= 2) {
            size_t i2[2] = {77, 77};
            n_test = 99;
            assert_int_equal(dlfs_nprandom_split(bad[k].n, bad[k].f, 1, i2, &n_test), DLFS_EINVAL);
            assert_int_equal(n_test, 0);
            assert_int_equal(i2[0], 77);
            assert_int_equal(i2[1], 77);
            assert_non_null(strstr(dlfs_error_detail(), bad[k].detail));
            assert_non_null(strstr(dlfs_error_detail(), "dlfs_nprandom_split:"));
        }
    }
    assert_int_equal(dlfs_nprandom_split_count(10, 0.3, NULL), DLFS_ENULL);

    /* the split's own refusals */
    size_t i3[3] = {77, 77, 77};
    n_test = 99;
    assert_int_equal(dlfs_nprandom_split(3, 0.5, UINT64_C(4294967296), i3, &n_test), DLFS_EINVAL);
    assert_non_null(strstr(dlfs_error_detail(), "seed 4294967296"));
    assert_int_equal(n_test, 0);
    assert_int_equal(i3[0], 77);
    assert_int_equal(dlfs_nprandom_split(3, 0.5, 1, NULL, &n_test), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "idx is NULL"));
    assert_int_equal(dlfs_nprandom_split(3, 0.5, 1, i3, NULL), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "n_test is NULL"));
    assert_int_equal(i3[0], 77);
}

/* The library's own generator is another one: the same seed, other draws. */
static void test_default_generator_unchanged(void **state)
{
    (void)state;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 0);
    assert_true(dlfs_rng_u64(&rng) == UINT64_C(0x99ec5f36cb75f2b4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u32),
        cmocka_unit_test(test_seed_range),
        cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_normal),
        cmocka_unit_test(test_normal_not_fused),
        cmocka_unit_test(test_kept_deviate),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_permutation),
        cmocka_unit_test(test_take),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_split_count),
        cmocka_unit_test(test_default_generator_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
