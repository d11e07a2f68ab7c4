/* tests/testutil.h - comparisons, random fills, copies, files and finite-difference
 * gradient checks shared by the test programs. Header-only; include after
 * cmocka.h. */
#ifndef DLFS_TESTUTIL_H
#define DLFS_TESTUTIL_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dlfs/csv.h>
#include <dlfs/matrix.h>
#include <dlfs/rng.h>
#include <dlfs/split.h>
#include <dlfs/standardize.h>

/* The chapter's data as the tests use it: the Boston rows of the CSV at path
 * (target medv) split 70/30 with seed 180708, the features standardised on
 * the training rows (the test rows with the same scaler). */
typedef struct tu_boston {
    dlfs_dataset ds;
    dlfs_matrix X_train, y_train, X_test, y_test;
    dlfs_standardizer st;
} tu_boston;

static inline void tu_boston_free(tu_boston *b)
{
    dlfs_dataset_free(&b->ds);
    dlfs_matrix_free(&b->X_train);
    dlfs_matrix_free(&b->y_train);
    dlfs_matrix_free(&b->X_test);
    dlfs_matrix_free(&b->y_test);
    dlfs_standardizer_free(&b->st);
}

/* 0, or -1 with the reason printed (b then holds nothing to free). */
static inline int tu_boston_load(tu_boston *b, const char *path)
{
    dlfs_csv_error err;
    memset(b, 0, sizeof *b);
    memset(&err, 0, sizeof err);
    const dlfs_status s = dlfs_csv_read(path, "medv", 0, &b->ds, &err);
    if (s != DLFS_OK) {
        fprintf(stderr, "cannot load the Boston data: %s (line %zu: %s)\n", dlfs_strerror(s),
                err.line, err.message);
        return -1;
    }
    if (dlfs_split(&b->ds.X, &b->ds.y, 0.3, 180708, &b->X_train, &b->y_train, &b->X_test,
                   &b->y_test) ||
        dlfs_standardizer_fit(&b->st, &b->X_train) ||
        dlfs_standardizer_apply(&b->st, &b->X_train) ||
        dlfs_standardizer_apply(&b->st, &b->X_test)) {
        fprintf(stderr, "cannot split and standardise the Boston data: %s\n", dlfs_error_detail());
        tu_boston_free(b);
        return -1;
    }
    return 0;
}

/* Number of elements in a fixed array. */
#define TU_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* max |a - b| over an r x c pair of matrices (each with its own ld). */
static inline double tu_max_abs_diff(const dlfs_matrix *a, const dlfs_matrix *b)
{
    double d = 0.0;
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++) {
            const double e = fabs(a->data[i * a->ld + j] - b->data[i * b->ld + j]);
            if (!(e <= d))   /* NaN counts as the largest difference */
                d = e;
        }
    return d;
}

static inline double tu_max_abs(const dlfs_matrix *a)
{
    double d = 0.0;
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++) {
            const double e = fabs(a->data[i * a->ld + j]);
            if (!(e <= d))
                d = e;
        }
    return d;
}

/* max |a - b| / max(max |b|, tiny): the relative error of a against the
 * reference b, measured on the scale of the whole matrix. */
static inline double tu_rel_err(const dlfs_matrix *a, const dlfs_matrix *b)
{
    const double scale = tu_max_abs(b);
    return tu_max_abs_diff(a, b) / (scale > 1e-300 ? scale : 1e-300);
}

/* The same for plain arrays of n doubles. */
static inline double tu_rel_err_n(const double *a, const double *b, size_t n)
{
    dlfs_matrix ma = dlfs_matrix_view((double *)a, 1, n, n);
    dlfs_matrix mb = dlfs_matrix_view((double *)b, 1, n, n);
    return tu_rel_err(&ma, &mb);
}

/* Distance in units in the last place between two doubles of the same sign
 * (or zeros): the number of representable doubles between them. */
static inline uint64_t tu_ulp_diff(double a, double b)
{
    if (a == b)
        return 0;
    if (isnan(a) || isnan(b))
        return UINT64_MAX;
    int64_t ia, ib;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    /* Map the sign-magnitude bit patterns onto a monotonic integer line. */
    if (ia < 0)
        ia = INT64_MIN - ia;
    if (ib < 0)
        ib = INT64_MIN - ib;
    return ia > ib ? (uint64_t)ia - (uint64_t)ib : (uint64_t)ib - (uint64_t)ia;
}

/* |a - b| <= tol, in doubles (cmocka's assert_float_equal rounds to float). */
#define assert_close(a, b, tol) tu_assert_close_((a), (b), (tol), #a, __FILE__, __LINE__)

static inline void tu_assert_close_(double a, double b, double tol, const char *expr,
                                    const char *file, int line)
{
    if (!(fabs(a - b) <= tol)) {
        print_error("%s is %.17g, expected %.17g (tolerance %g)\n", expr, a, b, tol);
        _fail(file, line);
    }
}

/* Fills every element of m (its r x c part only) with N(0, sd^2) draws. */
static inline void tu_fill_normal(dlfs_matrix *m, dlfs_rng *rng, double sd)
{
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++)
            m->data[i * m->ld + j] = sd * dlfs_rng_normal(rng);
}

/* X: n x k from N(0, 1); y: n x m, a smooth function of X plus a little noise. */
static inline void tu_make_data(size_t n, size_t k, size_t m, uint64_t seed, dlfs_matrix *X, dlfs_matrix *y)
{
    dlfs_rng rng;
    dlfs_rng_seed(&rng, seed);
    assert_int_equal(dlfs_matrix_alloc(X, n, k), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(y, n, m), DLFS_OK);
    tu_fill_normal(X, &rng, 1.0);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            double v = 0.1 * dlfs_rng_normal(&rng) + (double)j;
            for (size_t a = 0; a < k; a++)
                v += sin(X->data[i * k + a] * (double)(a + 1)) / (double)(a + j + 1);
            y->data[i * m + j] = v;
        }
}

/* Fills n doubles with the same value (padding, sentinels). */
static inline void tu_fill_value(double *x, size_t n, double v)
{
    for (size_t i = 0; i < n; i++)
        x[i] = v;
}

/* A malloc'd copy of n doubles; fails the test if there is no memory. */
static inline double *tu_dup_doubles(const double *p, size_t n)
{
    double *c = malloc(n * sizeof *c);
    assert_non_null(c);
    memcpy(c, p, n * sizeof *c);
    return c;
}

/* ---- files ---------------------------------------------------------------- */

/* Removes dir and everything below it; fails the test if dir cannot be
 * read or removed. */
static inline void tu_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    char path[512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        const int len = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        assert_true(len > 0 && (size_t)len < sizeof path);
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            tu_remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    assert_int_equal(rmdir(dir), 0);
}

/* A new directory /tmp/dlfs_test_<tag>_XXXXXX, its name in dir (at most
 * 63 bytes); fails the test if it cannot be made. */
static inline void tu_make_dir(char dir[64], const char *tag)
{
    const int len = snprintf(dir, 64, "/tmp/dlfs_test_%s_XXXXXX", tag);
    assert_true(len > 0 && len < 64);
    assert_non_null(mkdtemp(dir));
}

/* The entries of dir other than "." and "..". */
static inline size_t tu_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* The whole file at path, malloc'd (at least one byte, so never NULL); its
 * size in *len. Fails the test if the file cannot be opened or read. */
static inline unsigned char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 4096, n = 0, got;
    unsigned char *b = malloc(cap);
    assert_non_null(b);
    while ((got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            b = realloc(b, cap);
            assert_non_null(b);
        }
    }
    assert_int_equal(ferror(f), 0);
    fclose(f);
    *len = n;
    return b;
}

/* Writes len bytes to path, replacing what was there; fails the test on error. */
static inline void tu_write_file(const char *path, const void *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* ---- finite-difference gradient check ------------------------------------
 *
 * loss(ctx) evaluates the scalar loss at the current value of the parameters;
 * the check perturbs params[i] by +-h, h = 1e-6 * max(1, |params[i]|), and
 * compares (L(+h) - L(-h)) / 2h with the analytic gradient grads[i].
 * The error of a group of parameters is
 *     max |analytic - numeric| / max(max |analytic|, tiny)
 * so each group (W, B, ...) is judged on its own scale. params is restored.
 */
typedef double (*tu_loss_fn)(void *ctx);

static inline double tu_grad_check(tu_loss_fn loss, void *ctx, double *params,
                                   const double *grads, size_t n)
{
    double max_diff = 0.0, max_grad = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double p = params[i];
        const double h = 1e-6 * (fabs(p) > 1.0 ? fabs(p) : 1.0);
        params[i] = p + h;
        const double up = loss(ctx);
        params[i] = p - h;
        const double down = loss(ctx);
        params[i] = p;
        /* (p + h) - (p - h) is the step actually taken, after rounding. */
        const double numeric = (up - down) / ((p + h) - (p - h));
        const double diff = fabs(numeric - grads[i]);
        if (!(diff <= max_diff))
            max_diff = diff;
        if (fabs(grads[i]) > max_grad)
            max_grad = fabs(grads[i]);
    }
    return max_diff / (max_grad > 1e-300 ? max_grad : 1e-300);
}

#endif
