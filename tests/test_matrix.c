/* tests/test_matrix.c - matrix descriptors and the matrix product (both backends). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dlfs.h>
#include "internal.h"
#include "testutil.h"

static const dlfs_backend backends[] = {DLFS_BACKEND_BLAS, DLFS_BACKEND_NAIVE};

/* ---- descriptors ---------------------------------------------------------- */

static void test_backend_names(void **state)
{
    (void)state;
    assert_string_equal(dlfs_backend_name(DLFS_BACKEND_BLAS), "blas");
    assert_string_equal(dlfs_backend_name(DLFS_BACKEND_NAIVE), "naive");
    assert_null(dlfs_backend_name((dlfs_backend)7));

    dlfs_backend b = (dlfs_backend)-1;
    assert_int_equal(dlfs_backend_parse("naive", &b), DLFS_OK);
    assert_int_equal(b, DLFS_BACKEND_NAIVE);
    assert_int_equal(dlfs_backend_parse("blas", &b), DLFS_OK);
    assert_int_equal(b, DLFS_BACKEND_BLAS);
    assert_int_equal(dlfs_backend_parse("BLAS ", &b), DLFS_EINVAL);
    assert_int_equal(dlfs_backend_parse("", &b), DLFS_EINVAL);
    assert_int_equal(b, DLFS_BACKEND_BLAS);
    assert_int_equal(dlfs_backend_parse(NULL, &b), DLFS_ENULL);
    assert_int_equal(dlfs_backend_parse("blas", NULL), DLFS_ENULL);
}

static void test_alloc_free(void **state)
{
    (void)state;
    dlfs_matrix m;
    assert_int_equal(dlfs_matrix_alloc(&m, 3, 4), DLFS_OK);
    assert_int_equal(m.rows, 3);
    assert_int_equal(m.cols, 4);
    assert_int_equal(m.ld, 4);
    assert_non_null(m.data);
    for (size_t i = 0; i < 12; i++)
        assert_true(m.data[i] == 0.0);
    assert_int_equal(dlfs_matrix_check(&m, "m"), DLFS_OK);
    dlfs_matrix_free(&m);
    assert_null(m.data);
    assert_int_equal(m.rows, 0);
    assert_int_equal(m.cols, 0);
    assert_int_equal(m.ld, 0);
    dlfs_matrix_free(&m);     /* freeing an emptied matrix again is fine */
    dlfs_matrix_free(NULL);

    assert_int_equal(dlfs_matrix_alloc(&m, 1, 1), DLFS_OK);
    assert_int_equal(m.ld, 1);
    dlfs_matrix_free(&m);
}

static void test_alloc_bad_sizes(void **state)
{
    (void)state;
    double dummy;
    dlfs_matrix m = dlfs_matrix_view(&dummy, 5, 5, 5);

    assert_int_equal(dlfs_matrix_alloc(&m, 0, 3), DLFS_EEMPTY);
    assert_null(m.data);
    assert_int_equal(m.rows, 0);
    m = dlfs_matrix_view(&dummy, 5, 5, 5);
    assert_int_equal(dlfs_matrix_alloc(&m, 3, 0), DLFS_EEMPTY);
    assert_null(m.data);
    assert_int_equal(dlfs_matrix_alloc(&m, 0, 0), DLFS_EEMPTY);

    /* rows * cols overflows size_t: refused before any allocation is tried
     * (an attempted huge calloc would give DLFS_ENOMEM instead). */
    m = dlfs_matrix_view(&dummy, 5, 5, 5);
    assert_int_equal(dlfs_matrix_alloc(&m, SIZE_MAX / 2, 3), DLFS_EOVERFLOW);
    assert_null(m.data);
    assert_int_equal(m.rows, 0);
    assert_non_null(strstr(dlfs_error_detail(), "dlfs_matrix_alloc"));
    assert_int_equal(dlfs_matrix_alloc(&m, 3, SIZE_MAX / 2), DLFS_EOVERFLOW);
    assert_int_equal(dlfs_matrix_alloc(&m, SIZE_MAX, SIZE_MAX), DLFS_EOVERFLOW);
    /* rows * cols fits, the byte count does not. */
    assert_int_equal(dlfs_matrix_alloc(&m, SIZE_MAX / 8 + 1, 1), DLFS_EOVERFLOW);
    assert_null(m.data);

    assert_int_equal(dlfs_matrix_alloc(NULL, 2, 2), DLFS_ENULL);
}

static void test_view(void **state)
{
    (void)state;
    double buf[12];
    dlfs_matrix v = dlfs_matrix_view(buf, 2, 5, 6);
    assert_ptr_equal(v.data, buf);
    assert_int_equal(v.rows, 2);
    assert_int_equal(v.cols, 5);
    assert_int_equal(v.ld, 6);
    assert_int_equal(dlfs_matrix_check(&v, "v"), DLFS_OK);
}

/* Data held as const: a view without casts, usable wherever a matrix is read. */
static void test_const_view(void **state)
{
    (void)state;
    static const double a[6] = {1, 2, 3, 4, 5, 6};
    static const double b[2] = {1, -1};
    dlfs_matrix_const_view A = dlfs_matrix_view_const(a, 3, 2, 2);
    dlfs_matrix_const_view B = dlfs_matrix_view_const(b, 2, 1, 1);
    const dlfs_matrix *pa = &A.matrix;
    assert_ptr_equal(pa->data, a);
    assert_int_equal(pa->rows, 3);
    assert_int_equal(pa->cols, 2);
    assert_int_equal(pa->ld, 2);
    assert_int_equal(dlfs_matrix_check(&A.matrix, "A"), DLFS_OK);
    double c[3];
    dlfs_matrix C = dlfs_matrix_view(c, 3, 1, 1);
    assert_int_equal(dlfs_gemm(DLFS_BACKEND_NAIVE, DLFS_NO_TRANS, DLFS_NO_TRANS, 1.0, &A.matrix,
                               &B.matrix, 0.0, &C), DLFS_OK);
    assert_true(c[0] == -1.0 && c[1] == -1.0 && c[2] == -1.0);
    assert_true(a[0] == 1.0 && b[1] == -1.0);
}

static void test_block(void **state)
{
    (void)state;
    double buf[4 * 6];
    for (size_t i = 0; i < TU_LEN(buf); i++)
        buf[i] = (double)i;
    /* a 4 x 5 matrix inside rows of 6 */
    dlfs_matrix m = dlfs_matrix_view(buf, 4, 5, 6);
    dlfs_matrix b;
    assert_int_equal(dlfs_matrix_block(&m, 1, 2, 3, 3, &b), DLFS_OK);
    assert_ptr_equal(b.data, buf + 1 * 6 + 2);
    assert_int_equal(b.rows, 3);
    assert_int_equal(b.cols, 3);
    assert_int_equal(b.ld, 6);
    assert_true(b.data[2 * b.ld + 2] == buf[3 * 6 + 4]);

    /* A block of a block keeps the outer leading dimension. */
    dlfs_matrix bb;
    assert_int_equal(dlfs_matrix_block(&b, 1, 1, 2, 2, &bb), DLFS_OK);
    assert_ptr_equal(bb.data, buf + 2 * 6 + 3);
    assert_int_equal(bb.ld, 6);

    /* The whole matrix is a block of itself. */
    assert_int_equal(dlfs_matrix_block(&m, 0, 0, 4, 5, &b), DLFS_OK);
    assert_ptr_equal(b.data, buf);

    /* Blocks that do not fit leave *block as it was. */
    const dlfs_matrix before = b;
    const size_t bad[][4] = {
        {0, 0, 5, 1}, {0, 0, 1, 6}, {4, 0, 1, 1}, {0, 5, 1, 1}, {3, 0, 2, 1}, {0, 3, 1, 3},
        {0, 0, 0, 1}, {0, 0, 1, 0}, {SIZE_MAX, 0, 1, 1}, {1, 0, SIZE_MAX, 1}, {0, 1, 1, SIZE_MAX},
    };
    for (size_t i = 0; i < TU_LEN(bad); i++) {
        assert_int_equal(dlfs_matrix_block(&m, bad[i][0], bad[i][1], bad[i][2], bad[i][3], &b),
                         DLFS_ESHAPE);
        assert_memory_equal(&b, &before, sizeof b);
    }
    assert_int_equal(dlfs_matrix_block(NULL, 0, 0, 1, 1, &b), DLFS_ENULL);
    assert_int_equal(dlfs_matrix_block(&m, 0, 0, 1, 1, NULL), DLFS_ENULL);
}

static void test_check(void **state)
{
    (void)state;
    double buf[4];
    dlfs_matrix m = dlfs_matrix_view(buf, 2, 2, 2);
    assert_int_equal(dlfs_matrix_check(&m, "m"), DLFS_OK);
    assert_int_equal(dlfs_matrix_check(NULL, "argX"), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "argX"));

    m = dlfs_matrix_view(NULL, 2, 2, 2);
    assert_int_equal(dlfs_matrix_check(&m, "m"), DLFS_ENULL);
    m = dlfs_matrix_view(buf, 0, 2, 2);
    assert_int_equal(dlfs_matrix_check(&m, "m"), DLFS_EEMPTY);
    m = dlfs_matrix_view(buf, 2, 0, 2);
    assert_int_equal(dlfs_matrix_check(&m, "m"), DLFS_EEMPTY);
    m = dlfs_matrix_view(buf, 2, 2, 1);
    assert_int_equal(dlfs_matrix_check(&m, "argY"), DLFS_ESHAPE);
    assert_non_null(strstr(dlfs_error_detail(), "argY"));
    /* rows * ld (in bytes) does not fit in size_t. */
    m = dlfs_matrix_view(buf, SIZE_MAX / 2, 2, 3);
    assert_int_equal(dlfs_matrix_check(&m, "m"), DLFS_EOVERFLOW);
    m = dlfs_matrix_view(buf, SIZE_MAX / 16 + 1, 2, 2);   /* elements fit, bytes do not */
    assert_int_equal(dlfs_matrix_check(&m, "m"), DLFS_EOVERFLOW);
    /* NULL name is allowed. */
    assert_int_equal(dlfs_matrix_check(NULL, NULL), DLFS_ENULL);
}

static void test_check_finite(void **state)
{
    (void)state;
    /* 3 x 4 inside rows of 5: the padding column holds NaN and must be ignored. */
    double buf[15];
    for (size_t i = 0; i < 15; i++)
        buf[i] = (i % 5 == 4) ? NAN : (double)i;
    dlfs_matrix m = dlfs_matrix_view(buf, 3, 4, 5);
    assert_int_equal(dlfs_matrix_check_finite(&m, "m"), DLFS_OK);

    buf[1 * 5 + 2] = NAN;
    assert_int_equal(dlfs_matrix_check_finite(&m, "Xname"), DLFS_ENONFINITE);
    const char *d = dlfs_error_detail();
    assert_non_null(strstr(d, "Xname"));
    assert_non_null(strstr(d, "row 1"));
    assert_non_null(strstr(d, "column 2"));

    buf[1 * 5 + 2] = 0.0;
    buf[2 * 5 + 3] = -INFINITY;
    assert_int_equal(dlfs_matrix_check_finite(&m, "m"), DLFS_ENONFINITE);
    assert_non_null(strstr(dlfs_error_detail(), "row 2"));
    assert_non_null(strstr(dlfs_error_detail(), "column 3"));
    buf[2 * 5 + 3] = DBL_MAX;
    buf[0] = INFINITY;
    assert_int_equal(dlfs_matrix_check_finite(&m, "m"), DLFS_ENONFINITE);
    assert_non_null(strstr(dlfs_error_detail(), "row 0, column 0"));
    buf[0] = -DBL_MAX;
    assert_int_equal(dlfs_matrix_check_finite(&m, "m"), DLFS_OK);

    /* Invalid descriptors are reported as by dlfs_matrix_check. */
    assert_int_equal(dlfs_matrix_check_finite(NULL, "m"), DLFS_ENULL);
    m.rows = 0;
    assert_int_equal(dlfs_matrix_check_finite(&m, "m"), DLFS_EEMPTY);
}

static void test_copy(void **state)
{
    (void)state;
    /* src: 2 x 3 in rows of 4; dst: 2 x 3 in rows of 5. Padding untouched. */
    double s[8] = {1, 2, 3, -1, 4, 5, 6, -1};
    double d[10];
    tu_fill_value(d, 10, 99.0);
    dlfs_matrix src = dlfs_matrix_view(s, 2, 3, 4);
    dlfs_matrix dst = dlfs_matrix_view(d, 2, 3, 5);
    assert_int_equal(dlfs_matrix_copy(&dst, &src), DLFS_OK);
    const double want[10] = {1, 2, 3, 99, 99, 4, 5, 6, 99, 99};
    assert_memory_equal(d, want, sizeof want);

    /* Shape mismatch: dst untouched. */
    tu_fill_value(d, 10, 7.0);
    double d0[10];
    memcpy(d0, d, sizeof d);
    dlfs_matrix wrong = dlfs_matrix_view(d, 3, 3, 3);
    assert_int_equal(dlfs_matrix_copy(&wrong, &src), DLFS_ESHAPE);
    wrong = dlfs_matrix_view(d, 2, 2, 5);
    assert_int_equal(dlfs_matrix_copy(&wrong, &src), DLFS_ESHAPE);
    assert_memory_equal(d, d0, sizeof d);
    assert_int_equal(dlfs_matrix_copy(NULL, &src), DLFS_ENULL);
    assert_int_equal(dlfs_matrix_copy(&dst, NULL), DLFS_ENULL);
    dlfs_matrix empty = dlfs_matrix_view(s, 0, 3, 4);
    assert_int_equal(dlfs_matrix_copy(&dst, &empty), DLFS_EEMPTY);
    assert_memory_equal(d, d0, sizeof d);
}

/* ---- dlfs_gemm: hand-computed products ------------------------------------ */

/* A = [1 2 3; 4 5 6] (2 x 3), B = [7 8; 9 10; 11 12] (3 x 2), A.B = [58 64; 139 154]. */
static const double A23[6] = {1, 2, 3, 4, 5, 6};
static const double At32[6] = {1, 4, 2, 5, 3, 6};  /* A^T stored, 3 x 2 */
static const double B32[6] = {7, 8, 9, 10, 11, 12};
static const double Bt23[6] = {7, 9, 11, 8, 10, 12}; /* B^T stored, 2 x 3 */
static const double AB[4] = {58, 64, 139, 154};

static void test_gemm_hand_all_transposes(void **state)
{
    (void)state;
    for (size_t be = 0; be < TU_LEN(backends); be++) {
        for (int ta = 0; ta < 2; ta++) {
            for (int tb = 0; tb < 2; tb++) {
                dlfs_matrix A = ta ? dlfs_matrix_view((double *)At32, 3, 2, 2)
                                   : dlfs_matrix_view((double *)A23, 2, 3, 3);
                dlfs_matrix B = tb ? dlfs_matrix_view((double *)Bt23, 2, 3, 3)
                                   : dlfs_matrix_view((double *)B32, 3, 2, 2);
                double c[4] = {-1, -1, -1, -1};
                dlfs_matrix C = dlfs_matrix_view(c, 2, 2, 2);
                assert_int_equal(dlfs_gemm(backends[be], ta ? DLFS_TRANS : DLFS_NO_TRANS,
                                           tb ? DLFS_TRANS : DLFS_NO_TRANS, 1.0, &A, &B, 0.0, &C),
                                 DLFS_OK);
                assert_memory_equal(c, AB, sizeof AB);
            }
        }
        /* B.A is 3 x 3: row i of B combines the rows of A. */
        dlfs_matrix A = dlfs_matrix_view((double *)A23, 2, 3, 3);
        dlfs_matrix B = dlfs_matrix_view((double *)B32, 3, 2, 2);
        double c[9];
        dlfs_matrix C = dlfs_matrix_view(c, 3, 3, 3);
        assert_int_equal(dlfs_gemm(backends[be], DLFS_NO_TRANS, DLFS_NO_TRANS, 1.0, &B, &A, 0.0, &C),
                         DLFS_OK);
        const double BA[9] = {39, 54, 69, 49, 68, 87, 59, 82, 105};
        assert_memory_equal(c, BA, sizeof BA);
        /* A^T.A (TRANS, NO_TRANS on the same matrix): 3 x 3 Gram matrix. */
        assert_int_equal(dlfs_gemm(backends[be], DLFS_TRANS, DLFS_NO_TRANS, 1.0, &A, &A, 0.0, &C),
                         DLFS_OK);
        const double AtA[9] = {17, 22, 27, 22, 29, 36, 27, 36, 45};
        assert_memory_equal(c, AtA, sizeof AtA);
        /* A.A^T (NO_TRANS, TRANS): 2 x 2. */
        C = dlfs_matrix_view(c, 2, 2, 2);
        assert_int_equal(dlfs_gemm(backends[be], DLFS_NO_TRANS, DLFS_TRANS, 1.0, &A, &A, 0.0, &C),
                         DLFS_OK);
        const double AAt[4] = {14, 32, 32, 77};
        assert_memory_equal(c, AAt, sizeof AAt);
    }
}

static void test_gemm_alpha_beta(void **state)
{
    (void)state;
    for (size_t be = 0; be < TU_LEN(backends); be++) {
        dlfs_matrix A = dlfs_matrix_view((double *)A23, 2, 3, 3);
        dlfs_matrix B = dlfs_matrix_view((double *)B32, 3, 2, 2);
        double c[4] = {1, 2, 3, 4};
        dlfs_matrix C = dlfs_matrix_view(c, 2, 2, 2);
        /* C = 2 A.B + 3 C */
        assert_int_equal(dlfs_gemm(backends[be], DLFS_NO_TRANS, DLFS_NO_TRANS, 2.0, &A, &B, 3.0, &C),
                         DLFS_OK);
        const double want[4] = {2 * 58 + 3, 2 * 64 + 6, 2 * 139 + 9, 2 * 154 + 12};
        assert_memory_equal(c, want, sizeof want);

        /* beta = 1 accumulates; alpha = -1 subtracts: back to the start values. */
        assert_int_equal(dlfs_gemm(backends[be], DLFS_NO_TRANS, DLFS_NO_TRANS, -2.0, &A, &B, 1.0, &C),
                         DLFS_OK);
        const double back[4] = {3, 6, 9, 12};
        assert_memory_equal(c, back, sizeof back);

        /* beta = 0: whatever C held (NaN, Inf) does not reach the result. */
        double cn[4] = {NAN, INFINITY, -NAN, -INFINITY};
        dlfs_matrix Cn = dlfs_matrix_view(cn, 2, 2, 2);
        assert_int_equal(dlfs_gemm(backends[be], DLFS_NO_TRANS, DLFS_NO_TRANS, 1.0, &A, &B, 0.0, &Cn),
                         DLFS_OK);
        assert_memory_equal(cn, AB, sizeof AB);
        /* alpha = 0.5 with beta = 0 */
        assert_int_equal(dlfs_gemm(backends[be], DLFS_NO_TRANS, DLFS_NO_TRANS, 0.5, &A, &B, 0.0, &Cn),
                         DLFS_OK);
        const double half[4] = {29, 32, 69.5, 77};
        assert_memory_equal(cn, half, sizeof half);
    }
}

/* Operands that are blocks of larger arrays (ld > cols), with NaN in the
 * padding and sentinels around the output block: only the block is read and
 * only C's block is written. */
static void test_gemm_sub_blocks(void **state)
{
    (void)state;
    for (size_t be = 0; be < TU_LEN(backends); be++) {
        for (int ta = 0; ta < 2; ta++) {
            for (int tb = 0; tb < 2; tb++) {
                double abuf[5 * 7], bbuf[6 * 9], cbuf[4 * 6];
                tu_fill_value(abuf, TU_LEN(abuf), NAN);
                tu_fill_value(bbuf, TU_LEN(bbuf), NAN);
                tu_fill_value(cbuf, TU_LEN(cbuf), -777.0);
                /* op(A) = the 2 x 3 A above, stored from (1, 2) of a 5 x 7 array. */
                const double *asrc = ta ? At32 : A23;
                const size_t ar = ta ? 3 : 2, ac = ta ? 2 : 3;
                for (size_t i = 0; i < ar; i++)
                    for (size_t j = 0; j < ac; j++)
                        abuf[(1 + i) * 7 + 2 + j] = asrc[i * ac + j];
                const double *bsrc = tb ? Bt23 : B32;
                const size_t br = tb ? 2 : 3, bc = tb ? 3 : 2;
                for (size_t i = 0; i < br; i++)
                    for (size_t j = 0; j < bc; j++)
                        bbuf[(2 + i) * 9 + 4 + j] = bsrc[i * bc + j];
                dlfs_matrix Abig = dlfs_matrix_view(abuf, 5, 7, 7);
                dlfs_matrix Bbig = dlfs_matrix_view(bbuf, 6, 9, 9);
                dlfs_matrix Cbig = dlfs_matrix_view(cbuf, 4, 6, 6);
                dlfs_matrix A, B, C;
                assert_int_equal(dlfs_matrix_block(&Abig, 1, 2, ar, ac, &A), DLFS_OK);
                assert_int_equal(dlfs_matrix_block(&Bbig, 2, 4, br, bc, &B), DLFS_OK);
                assert_int_equal(dlfs_matrix_block(&Cbig, 1, 3, 2, 2, &C), DLFS_OK);
                assert_int_equal(dlfs_gemm(backends[be], ta ? DLFS_TRANS : DLFS_NO_TRANS,
                                           tb ? DLFS_TRANS : DLFS_NO_TRANS, 1.0, &A, &B, 0.0, &C),
                                 DLFS_OK);
                for (size_t i = 0; i < 4; i++)
                    for (size_t j = 0; j < 6; j++) {
                        const int inside = i >= 1 && i < 3 && j >= 3 && j < 5;
                        const double want = inside ? AB[(i - 1) * 2 + (j - 3)] : -777.0;
                        assert_true(cbuf[i * 6 + j] == want);
                    }
            }
        }
    }
}

/* ---- BLAS against the naive reference on many shapes ----------------------- */

/* Fills an r x c matrix stored with ld = c + pad, padding NaN. */
static double *random_matrix(dlfs_matrix *m, size_t r, size_t c, size_t pad, dlfs_rng *rng)
{
    const size_t ld = c + pad;
    double *buf = malloc(r * ld * sizeof *buf);
    assert_non_null(buf);
    tu_fill_value(buf, r * ld, NAN);
    *m = dlfs_matrix_view(buf, r, c, ld);
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < c; j++)
            buf[i * ld + j] = 2.0 * dlfs_rng_uniform(rng) - 1.0 + (dlfs_rng_below(rng, 4) == 0 ? 3.0 : 0.0);
    return buf;
}

static void test_gemm_blas_vs_naive(void **state)
{
    (void)state;
    /* (r, n, c): op(A) is r x n, op(B) n x c */
    const size_t shapes[][3] = {
        {1, 1, 1}, {23, 13, 13}, {23, 13, 1}, {13, 23, 13}, {1, 1000, 1}, {50, 1, 40},
        {64, 257, 31}, {2, 3, 4}, {100, 100, 100}, {7, 1, 1}, {1, 1, 9}, {3, 513, 2},
    };
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 12345);
    size_t tried = 0;
    for (size_t s = 0; s < TU_LEN(shapes); s++) {
        const size_t r = shapes[s][0], n = shapes[s][1], c = shapes[s][2];
        for (int ta = 0; ta < 2; ta++) {
            for (int tb = 0; tb < 2; tb++) {
                for (size_t pad = 0; pad <= 3; pad += 3) {
                    dlfs_matrix A, B, Cb, Cn;
                    double *ab = random_matrix(&A, ta ? n : r, ta ? r : n, pad, &rng);
                    double *bb = random_matrix(&B, tb ? c : n, tb ? n : c, pad, &rng);
                    double *cb = random_matrix(&Cb, r, c, pad, &rng);
                    double *cn = tu_dup_doubles(cb, r * Cb.ld);
                    Cn = dlfs_matrix_view(cn, r, c, Cb.ld);
                    const dlfs_transpose tA = ta ? DLFS_TRANS : DLFS_NO_TRANS;
                    const dlfs_transpose tB = tb ? DLFS_TRANS : DLFS_NO_TRANS;
                    /* beta = 0.5 when padded, so the old C takes part too. */
                    const double beta = pad ? 0.5 : 0.0;
                    assert_int_equal(dlfs_gemm(DLFS_BACKEND_BLAS, tA, tB, 1.25, &A, &B, beta, &Cb), DLFS_OK);
                    assert_int_equal(dlfs_gemm(DLFS_BACKEND_NAIVE, tA, tB, 1.25, &A, &B, beta, &Cn), DLFS_OK);
                    const double err = tu_rel_err(&Cb, &Cn);
                    if (!(err <= 1e-12))
                        print_error("shape %zu x %zu x %zu, ta %d tb %d pad %zu: rel err %g\n",
                                    r, n, c, ta, tb, pad, err);
                    assert_true(err <= 1e-12);
                    assert_true(tu_max_abs(&Cn) > 0.0);
                    /* the padding of C (NaN) is untouched by both */
                    for (size_t i = 0; i < r; i++)
                        for (size_t j = c; j < Cb.ld; j++) {
                            assert_true(isnan(cb[i * Cb.ld + j]));
                            assert_true(isnan(cn[i * Cb.ld + j]));
                        }
                    free(ab);
                    free(bb);
                    free(cb);
                    free(cn);
                    tried++;
                }
            }
        }
    }
    assert_int_equal(tried, TU_LEN(shapes) * 8);
}

/* ---- dlfs_gemm errors ------------------------------------------------------ */

static void test_gemm_errors(void **state)
{
    (void)state;
    double a[6], b[6], c[4] = {1, 2, 3, 4};
    memcpy(a, A23, sizeof a);
    memcpy(b, B32, sizeof b);
    const double c0[4] = {1, 2, 3, 4};
    dlfs_matrix A = dlfs_matrix_view(a, 2, 3, 3);
    dlfs_matrix B = dlfs_matrix_view(b, 3, 2, 2);
    dlfs_matrix C = dlfs_matrix_view(c, 2, 2, 2);

    for (size_t be = 0; be < TU_LEN(backends); be++) {
        const dlfs_backend bk = backends[be];
        /* inner dimensions disagree: A.A is 2x3 . 2x3 */
        assert_int_equal(dlfs_gemm(bk, DLFS_NO_TRANS, DLFS_NO_TRANS, 1, &A, &A, 0, &C), DLFS_ESHAPE);
        assert_non_null(strstr(dlfs_error_detail(), "dlfs_gemm"));
        /* wrong transposes for these operands */
        assert_int_equal(dlfs_gemm(bk, DLFS_TRANS, DLFS_NO_TRANS, 1, &A, &B, 0, &C), DLFS_ESHAPE);
        assert_int_equal(dlfs_gemm(bk, DLFS_NO_TRANS, DLFS_TRANS, 1, &A, &B, 0, &C), DLFS_ESHAPE);
        /* C of the wrong shape */
        dlfs_matrix C3 = dlfs_matrix_view(c, 2, 1, 1);
        assert_int_equal(dlfs_gemm(bk, DLFS_NO_TRANS, DLFS_NO_TRANS, 1, &A, &B, 0, &C3), DLFS_ESHAPE);
        C3 = dlfs_matrix_view(c, 1, 2, 2);
        assert_int_equal(dlfs_gemm(bk, DLFS_NO_TRANS, DLFS_NO_TRANS, 1, &A, &B, 0, &C3), DLFS_ESHAPE);
        /* NULLs and empties */
        assert_int_equal(dlfs_gemm(bk, DLFS_NO_TRANS, DLFS_NO_TRANS, 1, NULL, &B, 0, &C), DLFS_ENULL);
        assert_int_equal(dlfs_gemm(bk, DLFS_NO_TRANS, DLFS_NO_TRANS, 1, &A, NULL, 0, &C), DLFS_ENULL);
        assert_int_equal(dlfs_gemm(bk, DLFS_NO_TRANS, DLFS_NO_TRANS, 1, &A, &B, 0, NULL), DLFS_ENULL);
        dlfs_matrix E = dlfs_matrix_view(a, 0, 3, 3);
        assert_int_equal(dlfs_gemm(bk, DLFS_NO_TRANS, DLFS_NO_TRANS, 1, &E, &B, 0, &C), DLFS_EEMPTY);
        dlfs_matrix Nd = dlfs_matrix_view(NULL, 2, 3, 3);
        assert_int_equal(dlfs_gemm(bk, DLFS_NO_TRANS, DLFS_NO_TRANS, 1, &Nd, &B, 0, &C), DLFS_ENULL);
        dlfs_matrix Bad = dlfs_matrix_view(a, 2, 3, 2);   /* ld < cols */
        assert_int_equal(dlfs_gemm(bk, DLFS_NO_TRANS, DLFS_NO_TRANS, 1, &Bad, &B, 0, &C), DLFS_ESHAPE);
        /* bad transpose flags */
        assert_int_equal(dlfs_gemm(bk, (dlfs_transpose)2, DLFS_NO_TRANS, 1, &A, &B, 0, &C), DLFS_EINVAL);
        assert_int_equal(dlfs_gemm(bk, DLFS_NO_TRANS, (dlfs_transpose)-1, 1, &A, &B, 0, &C), DLFS_EINVAL);
        assert_memory_equal(c, c0, sizeof c0);
    }
    /* unknown backend */
    assert_int_equal(dlfs_gemm((dlfs_backend)9, DLFS_NO_TRANS, DLFS_NO_TRANS, 1, &A, &B, 0, &C), DLFS_EINVAL);
    assert_non_null(strstr(dlfs_error_detail(), "backend"));
    assert_int_equal(dlfs_gemm((dlfs_backend)-1, DLFS_NO_TRANS, DLFS_NO_TRANS, 1, &A, &B, 0, &C), DLFS_EINVAL);
    assert_memory_equal(c, c0, sizeof c0);

    /* A dimension beyond the BLAS integer: refused before any element is read
     * (the descriptors point at a few doubles only). */
    const size_t big = (size_t)INT_MAX + 1;
    dlfs_matrix Ab = dlfs_matrix_view(a, big, 1, 1);
    dlfs_matrix Bb = dlfs_matrix_view(b, 1, 1, 1);
    dlfs_matrix Cb = dlfs_matrix_view(c, big, 1, 1);
    for (size_t be = 0; be < TU_LEN(backends); be++)
        assert_int_equal(dlfs_gemm(backends[be], DLFS_NO_TRANS, DLFS_NO_TRANS, 1, &Ab, &Bb, 0, &Cb),
                         DLFS_EOVERFLOW);
    dlfs_matrix Bw = dlfs_matrix_view(b, 1, 1, big);   /* leading dimension too large */
    dlfs_matrix A1 = dlfs_matrix_view(a, 1, 1, 1);
    dlfs_matrix C1 = dlfs_matrix_view(c, 1, 1, 1);
    assert_int_equal(dlfs_gemm(DLFS_BACKEND_BLAS, DLFS_NO_TRANS, DLFS_NO_TRANS, 1, &A1, &Bw, 0, &C1),
                     DLFS_EOVERFLOW);
    assert_memory_equal(c, c0, sizeof c0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backend_names),
        cmocka_unit_test(test_alloc_free),
        cmocka_unit_test(test_alloc_bad_sizes),
        cmocka_unit_test(test_view),
        cmocka_unit_test(test_const_view),
        cmocka_unit_test(test_block),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_check_finite),
        cmocka_unit_test(test_copy),
        cmocka_unit_test(test_gemm_hand_all_transposes),
        cmocka_unit_test(test_gemm_alpha_beta),
        cmocka_unit_test(test_gemm_sub_blocks),
        cmocka_unit_test(test_gemm_blas_vs_naive),
        cmocka_unit_test(test_gemm_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
