/* tests/dist_train/test_dist_train.c - the MPI layer's training, split,
 * standardiser, metrics and least squares against the one-process functions
 * on the whole data. Run under mpirun (run.sh) on 1 to 4 ranks: every rank
 * makes the same global data set from a seed, keeps a contiguous shard,
 * runs the distributed function, and runs the one-process function on the
 * whole data itself to compare.
 *
 * Shards come in two layouts: even (rank r holds rows n r / P .. n (r+1) / P)
 * and skewed (rank 0 holds 2 rows, fewer than the k + 2 columns of TSQR, the
 * last rank none when there are 3 ranks or more, the others the rest). With n = 50 and batches of 7, most
 * batches leave some rank without a row.
 *
 * Checkpoints: a run stopped by one rank's callback stops on every rank,
 * rank 0's checkpoint resumes on every rank to the uninterrupted run's
 * weights bit for bit, and one made at another number of ranks is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <mpi.h>
#include <dlfs/dist.h>
#include <dlfs/dlfs.h>
#include "dist/dist_impl.h"
#include "../testutil.h"

enum { N = 50, K = 4, H = 5, BATCH = 7 };

static int rank, nproc;

/* The global data: X from N(0,1) shifted off zero, y a smooth function of X
 * plus noise; column 2 of X is constant when `constant` (for the standardiser). */
static void make_data(uint64_t seed, int constant, dlfs_matrix *X, dlfs_matrix *y)
{
    dlfs_rng rng;
    dlfs_rng_seed(&rng, seed);
    assert_int_equal(dlfs_matrix_alloc(X, N, K), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(y, N, 1), DLFS_OK);
    for (size_t i = 0; i < N; i++) {
        double v = 0.1 * dlfs_rng_normal(&rng) + 2.0;
        for (size_t a = 0; a < K; a++) {
            double x = dlfs_rng_normal(&rng) + 0.5 * (double)(a + 1);
            if (constant && a == 2)
                x = 3.25;
            X->data[i * K + a] = x;
            v += sin(x * (double)(a + 1)) / (double)(a + 1) + 0.3 * x;
        }
        y->data[i] = v;
    }
}

/* This rank's rows [*first, *first + *count) in layout `skewed`. */
static void shard(int skewed, size_t *first, size_t *count)
{
    size_t lo, hi;
    if (!skewed || nproc == 1) {
        lo = N * (size_t)rank / (size_t)nproc;
        hi = N * (size_t)(rank + 1) / (size_t)nproc;
    } else if (rank == 0) {
        lo = 0;
        hi = 2;
    } else if (nproc == 2) {   /* too few ranks for an empty one */
        lo = 2;
        hi = N;
    } else if (rank == nproc - 1) {
        lo = hi = N;
    } else {
        const size_t middle = (size_t)nproc - 2, rest = N - 2;
        lo = 2 + rest * (size_t)(rank - 1) / middle;
        hi = 2 + rest * (size_t)rank / middle;
    }
    *first = lo;
    *count = hi - lo;
}

/* A view of rows [first, first + count) of M (data NULL for no rows). */
static dlfs_matrix rows_of(const dlfs_matrix *M, size_t first, size_t count)
{
    return (dlfs_matrix){.rows = count, .cols = M->cols, .ld = M->ld,
                         .data = count ? M->data + first * M->ld : NULL};
}

/* max |a - b| / max(|a|, |b|) over n pairs (0 where both are 0), the same on every rank. */
static double max_rel(const double *a, const double *b, size_t n)
{
    double worst = 0.0, all;
    for (size_t i = 0; i < n; i++) {
        const double s = fmax(fabs(a[i]), fabs(b[i]));
        if (s > 0.0)
            worst = fmax(worst, fabs(a[i] - b[i]) / s);
        else if (a[i] != b[i])
            worst = INFINITY;
    }
    MPI_Allreduce(&worst, &all, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return all;
}

/* Nonzero: check_train's runs draw with NumPy's generator and step along
 * the summed loss's gradient (which the ranks add up unscaled). */
static int book_options;

static void options(const dlfs_model *model, dlfs_train_options *opt)
{
    assert_int_equal(dlfs_model_train_options_default(model, opt), DLFS_OK);
    opt->iterations = 300;
    opt->batch_size = BATCH;
    opt->learning_rate = model->kind == DLFS_MODEL_NN ? 0.02 : 0.01;
    if (book_options) {
        opt->generator = DLFS_GENERATOR_NUMPY;
        opt->loss_reduction = DLFS_LOSS_SUM;
        opt->learning_rate /= BATCH;
    }
}

/* 1 if every rank passed the same x (bit for bit). */
static int same_everywhere(const void *x, size_t bytes)
{
    char *all = malloc(bytes * (size_t)nproc);
    assert_non_null(all);
    MPI_Allgather(x, (int)bytes, MPI_BYTE, all, (int)bytes, MPI_BYTE, MPI_COMM_WORLD);
    int same = 1;
    for (int p = 1; p < nproc; p++)
        same &= memcmp(all, all + (size_t)p * bytes, bytes) == 0;
    free(all);
    return same;
}

static const char *kind_name(dlfs_model_kind kind)
{
    return kind == DLFS_MODEL_NN ? "nn" : kind == DLFS_MODEL_OLS ? "ols" : "linreg";
}

static void model_alloc(dlfs_model *model, dlfs_model_kind kind, dlfs_backend backend)
{
    assert_int_equal(dlfs_model_alloc(model, kind, K, kind == DLFS_MODEL_NN ? H : 0, 1), DLFS_OK);
    assert_int_equal(dlfs_model_set_backend(model, backend), DLFS_OK);
}

/* The step's reduction by both paths against every rank's values summed
 * here in rank order: the same bits, over calls that reuse the buffers.
 * The values make the order matter (1e16 + 1 - 1e16 is 0 or 1 by order). */
static void check_reducer(dlfs__dist_path path, size_t n, const char **taken)
{
    dlfs__dist_reducer red;
    assert_int_equal(dlfs__dist_reducer_init(&red, MPI_COMM_WORLD, n, path, "test"), DLFS_OK);
    *taken = dlfs__dist_reducer_path(&red);
    double *all = malloc(n * (size_t)nproc * sizeof *all), *want = malloc(n * sizeof *want);
    assert_non_null(all);
    assert_non_null(want);
    for (int call = 0; call < 5; call++) {
        for (size_t j = 0; j < n; j++) {
            const int r = (rank + call + (int)j) % 3;
            red.in[j] = r == 0 ? 1e16 : r == 1 ? 1.0 + 0.125 * (double)rank : -1e16;
        }
        MPI_Allgather(red.in, (int)n, MPI_DOUBLE, all, (int)n, MPI_DOUBLE, MPI_COMM_WORLD);
        for (size_t j = 0; j < n; j++) {
            double s = all[j];
            for (int q = 1; q < nproc; q++)
                s += all[(size_t)q * n + j];
            want[j] = s;
        }
        const double *got = dlfs__dist_reduce(&red);
        assert_memory_equal(got, want, n * sizeof *want);
    }
    free(all);
    free(want);
    dlfs__dist_reducer_free(&red);
}

static void test_reducer(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 7, 13, 196, 1001};
    const char *auto_path = "", *msg_path = "";
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        check_reducer(DLFS__DIST_AUTO, sizes[i], &auto_path);
        check_reducer(DLFS__DIST_MESSAGES, sizes[i], &msg_path);
    }
    if (rank == 0)
        printf("# P=%d reduction by %s (and by %s)\n", nproc, auto_path, msg_path);
    /* mpirun.sh says which path the run's transports allow. */
    const char *expect = getenv("DLFS_TEST_REDUCE_PATH");
    if (expect && nproc > 1)
        assert_string_equal(auto_path, expect);
    assert_string_equal(msg_path, nproc > 1 ? "messages" : "one rank");
}

/* One process on the whole data against the ranks on their shards, twice. */
static void check_train(dlfs_model_kind kind, dlfs_backend backend, int skewed)
{
    dlfs_matrix X, y;
    size_t first, count, np;
    make_data(11, 0, &X, &y);
    shard(skewed, &first, &count);
    dlfs_matrix Xl = rows_of(&X, first, count), yl = rows_of(&y, first, count);
    dlfs_model one, dist, again;
    dlfs_train_options opt;
    dlfs_train_result r1, rd, ra;
    model_alloc(&one, kind, backend);
    model_alloc(&dist, kind, backend);
    model_alloc(&again, kind, backend);
    static double h1[300], hd[300];
    options(&one, &opt);
    opt.loss_history_len = 300;
    opt.loss_history = h1;
    assert_int_equal(dlfs_model_train(&one, &X, &y, &opt, &r1), DLFS_OK);
    opt.loss_history = hd;
    assert_int_equal(dlfs_dist_train(MPI_COMM_WORLD, &dist, &Xl, &yl, &opt, &rd), DLFS_OK);
    assert_true(max_rel(hd, h1, 300) <= 1e-10);   /* every batch's global loss */
    assert_int_equal(dlfs_dist_train(MPI_COMM_WORLD, &again, &Xl, &yl, &opt, &ra), DLFS_OK);
    const double *p1 = dlfs_model_params(&one, &np);
    const double *pd = dlfs_model_params(&dist, NULL), *pa = dlfs_model_params(&again, NULL);
    const double d = max_rel(pd, p1, np), dl = max_rel(&rd.final_loss, &r1.final_loss, 1);
    if (rank == 0)
        printf("# P=%d %-6s %-5s %-6s: max rel weight diff %.3g, loss diff %.3g\n", nproc,
               kind_name(kind), dlfs_backend_name(backend), skewed ? "skewed" : "even", d, dl);
    assert_true(d <= 1e-10);
    assert_true(dl <= 1e-10);
    if (nproc == 1)   /* one rank owns every batch: the one-process step bit for bit */
        assert_memory_equal(pd, p1, np * sizeof(double));
    assert_memory_equal(pd, pa, np * sizeof(double));   /* reruns at the same P */
    assert_true(same_everywhere(pd, np * sizeof(double)));
    assert_int_equal(rd.iterations, r1.iterations);
    assert_int_equal(ra.iterations, rd.iterations);
    dlfs_model_free(&one);
    dlfs_model_free(&dist);
    dlfs_model_free(&again);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

static void test_train_linreg(void **state)
{
    (void)state;
    for (int skewed = 0; skewed < 2; skewed++) {
        check_train(DLFS_MODEL_LINREG, DLFS_BACKEND_BLAS, skewed);
        check_train(DLFS_MODEL_LINREG, DLFS_BACKEND_NAIVE, skewed);
    }
}

/* The NumPy generator and the summed loss, as book mode trains. */
static void test_train_book_options(void **state)
{
    (void)state;
    book_options = 1;
    for (int skewed = 0; skewed < 2; skewed++) {
        check_train(DLFS_MODEL_LINREG, DLFS_BACKEND_BLAS, skewed);
        check_train(DLFS_MODEL_NN, DLFS_BACKEND_BLAS, skewed);
    }
    book_options = 0;
}

static void test_train_nn(void **state)
{
    (void)state;
    for (int skewed = 0; skewed < 2; skewed++) {
        check_train(DLFS_MODEL_NN, DLFS_BACKEND_BLAS, skewed);
        check_train(DLFS_MODEL_NN, DLFS_BACKEND_NAIVE, skewed);
    }
}

/* A huge learning rate: every rank stops at the iteration one process stops
 * at, with the same status and detail. */
static void check_diverge(dlfs_model_kind kind)
{
    dlfs_matrix X, y;
    size_t first, count;
    char detail[512] = {0};
    make_data(11, 0, &X, &y);
    shard(1, &first, &count);
    dlfs_matrix Xl = rows_of(&X, first, count), yl = rows_of(&y, first, count);
    dlfs_model one, dist;
    dlfs_train_options opt;
    dlfs_train_result r1, rd;
    model_alloc(&one, kind, DLFS_BACKEND_BLAS);
    model_alloc(&dist, kind, DLFS_BACKEND_BLAS);
    options(&one, &opt);
    opt.learning_rate = 1e8;
    assert_int_equal(dlfs_model_train(&one, &X, &y, &opt, &r1), DLFS_EDIVERGED);
    assert_int_equal(dlfs_dist_train(MPI_COMM_WORLD, &dist, &Xl, &yl, &opt, &rd), DLFS_EDIVERGED);
    snprintf(detail, sizeof detail, "%s", dlfs_error_detail());
    if (rank == 0)
        printf("# P=%d %s diverges at iteration %zu (one process: %zu)\n", nproc, kind_name(kind),
               rd.failed_iteration, r1.failed_iteration);
    assert_int_equal(rd.failed_iteration, r1.failed_iteration);
    assert_int_equal(rd.iterations, r1.iterations);
    assert_true(same_everywhere(&rd.failed_iteration, sizeof rd.failed_iteration));
    assert_true(same_everywhere(detail, sizeof detail));
    dlfs_model_free(&one);
    dlfs_model_free(&dist);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

static void test_diverge(void **state)
{
    (void)state;
    check_diverge(DLFS_MODEL_LINREG);
    check_diverge(DLFS_MODEL_NN);
}

static int stop_at_5(size_t it, double loss, void *user)
{
    (void)loss;
    (void)user;
    return it == 5 && rank == 0;   /* one rank's wish is every rank's */
}

/* A callback asks to stop: every rank stops after the same iteration. */
static void test_callback_stop(void **state)
{
    (void)state;
    dlfs_matrix X, y;
    size_t first, count;
    make_data(11, 0, &X, &y);
    shard(1, &first, &count);
    dlfs_matrix Xl = rows_of(&X, first, count), yl = rows_of(&y, first, count);
    dlfs_model dist;
    dlfs_train_options opt;
    dlfs_train_result rd;
    model_alloc(&dist, DLFS_MODEL_LINREG, DLFS_BACKEND_BLAS);
    options(&dist, &opt);
    opt.on_loss = stop_at_5;
    assert_int_equal(dlfs_dist_train(MPI_COMM_WORLD, &dist, &Xl, &yl, &opt, &rd), DLFS_OK);
    assert_int_equal(rd.iterations, 6);
    assert_true(rd.stopped_early);
    dlfs_model_free(&dist);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

/* A rank's NaN, or a rank's different seed, is every rank's error. */
static void test_errors_agree(void **state)
{
    (void)state;
    dlfs_matrix X, y, Xc;
    size_t first, count;
    char detail[512] = {0};
    make_data(11, 0, &X, &y);
    shard(0, &first, &count);
    assert_int_equal(dlfs_matrix_alloc(&Xc, count, K), DLFS_OK);
    memcpy(Xc.data, X.data + first * K, count * K * sizeof(double));
    if (rank == nproc - 1)
        Xc.data[count * K - 1] = NAN;
    dlfs_matrix yl = rows_of(&y, first, count);
    dlfs_model dist;
    dlfs_train_options opt;
    dlfs_train_result rd;
    model_alloc(&dist, DLFS_MODEL_NN, DLFS_BACKEND_BLAS);
    options(&dist, &opt);
    assert_int_equal(dlfs_dist_train(MPI_COMM_WORLD, &dist, &Xc, &yl, &opt, &rd), DLFS_ENONFINITE);
    snprintf(detail, sizeof detail, "%s", dlfs_error_detail());
    assert_true(same_everywhere(detail, sizeof detail));
    if (rank == 0)
        printf("# P=%d NaN on the last rank: every rank: %s\n", nproc, detail);
    Xc.data[count * K - 1] = 1.0;
    if (nproc > 1) {
        if (rank == 0)
            opt.seed += 1;
        assert_int_equal(dlfs_dist_train(MPI_COMM_WORLD, &dist, &Xc, &yl, &opt, &rd), DLFS_EINVAL);
    }
    dlfs_model_free(&dist);
    dlfs_matrix_free(&Xc);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

/* A shard as dlfs_dist_csv_read gives it: owned copies of this rank's rows. */
static void make_shard(const dlfs_matrix *X, const dlfs_matrix *y, size_t first, size_t count,
                       dlfs_dist_dataset *ds)
{
    memset(ds, 0, sizeof *ds);
    ds->n_global = X->rows;
    ds->first_row = first;
    ds->local.X = (dlfs_matrix){.cols = X->cols, .ld = X->cols};
    ds->local.y = (dlfs_matrix){.cols = 1, .ld = 1};
    if (count == 0)
        return;
    assert_int_equal(dlfs_matrix_alloc(&ds->local.X, count, X->cols), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&ds->local.y, count, 1), DLFS_OK);
    memcpy(ds->local.X.data, X->data + first * X->ld, count * X->cols * sizeof(double));
    memcpy(ds->local.y.data, y->data + first, count * sizeof(double));
}

static void shard_free(dlfs_dist_dataset *ds)
{
    if (ds->local.X.rows) {
        dlfs_matrix_free(&ds->local.X);
        dlfs_matrix_free(&ds->local.y);
    }
}

static void check_split(int skewed, double fraction, uint64_t seed)
{
    dlfs_matrix X, y, Xtr, ytr, Xte, yte;
    size_t first, count;
    unsigned long long n_test_mine, first_test = 0;
    dlfs_dist_dataset ds;
    dlfs_dist_split sp;
    make_data(21, 0, &X, &y);
    shard(skewed, &first, &count);
    make_shard(&X, &y, first, count, &ds);
    assert_int_equal(dlfs_split(&X, &y, fraction, seed, &Xtr, &ytr, &Xte, &yte), DLFS_OK);
    assert_int_equal(dlfs_dist_split_in_place(MPI_COMM_WORLD, &ds, fraction, seed, &sp), DLFS_OK);
    assert_int_equal(sp.n_train_global, Xtr.rows);
    assert_int_equal(sp.n_test_global, Xte.rows);
    assert_int_equal(sp.n_train + sp.n_test, count);
    n_test_mine = sp.n_test;
    MPI_Exscan(&n_test_mine, &first_test, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        first_test = 0;
    for (size_t i = 0; i < sp.n_train; i++) {
        assert_memory_equal(ds.local.X.data + i * K, Xtr.data + (sp.first_train + i) * K,
                            K * sizeof(double));
        assert_true(ds.local.y.data[i] == ytr.data[sp.first_train + i]);
    }
    for (size_t i = 0; i < sp.n_test; i++) {
        assert_memory_equal(ds.local.X.data + (sp.n_train + i) * K,
                            Xte.data + (first_test + i) * K, K * sizeof(double));
        assert_true(ds.local.y.data[sp.n_train + i] == yte.data[first_test + i]);
    }
    shard_free(&ds);
    dlfs_matrix *all[] = {&X, &y, &Xtr, &ytr, &Xte, &yte};
    for (size_t i = 0; i < 6; i++)
        dlfs_matrix_free(all[i]);
}

static void test_split(void **state)
{
    (void)state;
    for (int skewed = 0; skewed < 2; skewed++) {
        check_split(skewed, 0.3, 180708);
        check_split(skewed, 0.07, 42);
    }
}

static void test_standardizer(void **state)
{
    (void)state;
    for (int skewed = 0; skewed < 2; skewed++) {
        dlfs_matrix X, y;
        size_t first, count;
        dlfs_standardizer one, dist;
        make_data(31, 1, &X, &y);
        shard(skewed, &first, &count);
        dlfs_matrix Xl = rows_of(&X, first, count);
        assert_int_equal(dlfs_standardizer_fit(&one, &X), DLFS_OK);
        assert_int_equal(dlfs_dist_standardizer_fit(MPI_COMM_WORLD, &dist, &Xl), DLFS_OK);
        assert_int_equal(dist.k, K);
        const double dm = max_rel(dist.mean, one.mean, K), ds = max_rel(dist.sd, one.sd, K);
        if (rank == 0)
            printf("# P=%d standardizer %s: max rel diff mean %.3g, sd %.3g\n", nproc,
                   skewed ? "skewed" : "even", dm, ds);
        assert_true(dm <= 1e-14 && ds <= 1e-14);
        assert_true(dist.mean[2] == 3.25 && dist.sd[2] == 1.0);   /* the constant column */
        assert_true(same_everywhere(dist.mean, K * sizeof(double)));
        assert_true(same_everywhere(dist.sd, K * sizeof(double)));
        dlfs_standardizer_free(&one);
        dlfs_standardizer_free(&dist);
        dlfs_matrix_free(&X);
        dlfs_matrix_free(&y);
    }
}

static void test_metrics(void **state)
{
    (void)state;
    for (int skewed = 0; skewed < 2; skewed++) {
        dlfs_matrix X, y, P;
        size_t first, count;
        dlfs_metrics one, dist;
        make_data(41, 0, &X, &y);
        assert_int_equal(dlfs_matrix_alloc(&P, N, 1), DLFS_OK);
        for (size_t i = 0; i < N; i++)
            P.data[i] = y.data[i] + 0.3 * sin((double)i);
        shard(skewed, &first, &count);
        dlfs_matrix Pl = rows_of(&P, first, count), yl = rows_of(&y, first, count);
        assert_int_equal(dlfs_metrics_compute(&P, &y, &one), DLFS_OK);
        assert_int_equal(dlfs_dist_metrics(MPI_COMM_WORLD, &Pl, &yl, &dist), DLFS_OK);
        const double a[4] = {dist.mae, dist.rmse, dist.r2, dist.mean_target};
        const double b[4] = {one.mae, one.rmse, one.r2, one.mean_target};
        const double d = max_rel(a, b, 4);
        if (rank == 0)
            printf("# P=%d metrics %s: max rel diff %.3g\n", nproc, skewed ? "skewed" : "even", d);
        assert_true(d <= 1e-14);
        assert_true(same_everywhere(a, sizeof a));
        dlfs_matrix_free(&P);
        dlfs_matrix_free(&X);
        dlfs_matrix_free(&y);
    }
}

static void test_ols(void **state)
{
    (void)state;
    for (int skewed = 0; skewed < 2; skewed++) {
        dlfs_matrix X, y;
        size_t first, count, np;
        dlfs_model one, dist;
        dlfs_train_result res;
        make_data(51, 0, &X, &y);
        shard(skewed, &first, &count);
        dlfs_matrix Xl = rows_of(&X, first, count), yl = rows_of(&y, first, count);
        model_alloc(&one, DLFS_MODEL_OLS, DLFS_BACKEND_BLAS);
        model_alloc(&dist, DLFS_MODEL_OLS, DLFS_BACKEND_BLAS);
        assert_int_equal(dlfs_model_train(&one, &X, &y, NULL, NULL), DLFS_OK);
        assert_int_equal(dlfs_dist_train(MPI_COMM_WORLD, &dist, &Xl, &yl, NULL, &res), DLFS_OK);
        const double *p1 = dlfs_model_params(&one, &np), *pd = dlfs_model_params(&dist, NULL);
        const double d = max_rel(pd, p1, np);
        if (rank == 0)
            printf("# P=%d ols (TSQR) %s: max rel diff %.3g\n", nproc, skewed ? "skewed" : "even", d);
        assert_true(d <= 1e-10);
        assert_true(same_everywhere(pd, np * sizeof(double)));
        assert_int_equal(res.iterations, 0);
        dlfs_model_free(&one);
        dlfs_model_free(&dist);
        dlfs_matrix_free(&X);
        dlfs_matrix_free(&y);
    }
}

/* A design whose last feature repeats the first: rank-deficient on every rank. */
static void test_ols_rank_deficient(void **state)
{
    (void)state;
    dlfs_matrix X, y;
    size_t first, count;
    dlfs_model dist;
    make_data(51, 0, &X, &y);
    for (size_t i = 0; i < N; i++)
        X.data[i * K + K - 1] = 2.0 * X.data[i * K];
    shard(0, &first, &count);
    dlfs_matrix Xl = rows_of(&X, first, count), yl = rows_of(&y, first, count);
    model_alloc(&dist, DLFS_MODEL_OLS, DLFS_BACKEND_BLAS);
    assert_int_equal(dlfs_dist_train(MPI_COMM_WORLD, &dist, &Xl, &yl, NULL, NULL), DLFS_ELAPACK);
    dlfs_model_free(&dist);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

/* ---- checkpoints and resuming over the ranks ------------------------------- */

enum { CK_ITERS = 30 };

/* on_loss: rank on_rank asks for `flags` after the at-th iteration (the
 * others never); rank 0 reads the checkpoint file in the callback of
 * iteration read_at. */
struct ck_ask {
    size_t at;
    int flags;
    int on_rank;
    const char *path;
    size_t read_at;
    unsigned long long seen;   /* the file's iteration then (ULLONG_MAX: none) */
    size_t calls, first_it;
};

static int ck_ask(size_t it, double loss, void *user)
{
    (void)loss;
    struct ck_ask *a = user;
    if (a->calls++ == 0)
        a->first_it = it;
    if (a->path && rank == 0 && it == a->read_at) {
        dlfs_checkpoint c;
        a->seen = dlfs_checkpoint_load(&c, a->path) == DLFS_OK ? c.iteration : ULLONG_MAX;
        dlfs_checkpoint_free(&c);
    }
    return rank == a->on_rank && a->at && it + 1 == a->at ? a->flags : 0;
}

/* A new directory made by rank 0, its name every rank's. */
static void ck_shared_dir(char dir[64])
{
    memset(dir, 0, 64);
    if (rank == 0) {
        snprintf(dir, 64, "/tmp/dlfs_test_dist_train_XXXXXX");
        if (!mkdtemp(dir))
            dir[0] = 0;
    }
    MPI_Bcast(dir, 64, MPI_CHAR, 0, MPI_COMM_WORLD);
    assert_true(dir[0] != 0);
}

static void ck_shared_dir_remove(const char *dir)
{
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0)
        tu_remove_tree(dir);
    MPI_Barrier(MPI_COMM_WORLD);
}

static void ck_path(char out[512], const char *dir, const char *name)
{
    const int len = snprintf(out, 512, "%s/%s", dir, name);
    assert_true(len > 0 && len < 512);
}

/* Garbage weights, not the same on every rank. */
static void ck_garbage(dlfs_model *model)
{
    size_t np;
    double *p = (double *)dlfs_model_params(model, &np);
    for (size_t i = 0; i < np; i++)
        p[i] = 3.0 + (double)rank + 0.25 * (double)i;
}

/* What follows the function's name in a detail (after "rank r: " too). */
static const char *ck_body(const char *detail)
{
    const char *b = strstr(detail, "_train: ");
    return b ? b + 8 : detail;
}

/* A resume that must be refused on every rank with DLFS_EMISMATCH naming
 * `what`, the weights untouched, no callback made, nothing written. */
static void ck_refused(dlfs_model_kind kind, const dlfs_matrix *Xl, const dlfs_matrix *yl,
                       const dlfs_train_options *opt, const dlfs_checkpoint *c, const char *what,
                       const char *dir)
{
    dlfs_model b;
    dlfs_train_result r;
    size_t np;
    char detail[512] = {0}, out[512];
    struct ck_ask ask = {.on_rank = -1};
    model_alloc(&b, kind, DLFS_BACKEND_BLAS);
    ck_garbage(&b);
    const double *pb = dlfs_model_params(&b, &np);
    double *p0 = malloc(np * sizeof *p0);
    assert_non_null(p0);
    memcpy(p0, pb, np * sizeof *p0);
    ck_path(out, dir, "refused.ckpt");
    dlfs_train_options o = *opt;
    o.resume = c;
    o.on_loss = ck_ask;
    o.user = &ask;
    o.checkpoint_path = out;
    o.checkpoint_every = 1;
    const dlfs_status st = dlfs_dist_train(MPI_COMM_WORLD, &b, Xl, yl, &o, &r);
    snprintf(detail, sizeof detail, "%s", dlfs_error_detail());
    if (st != DLFS_EMISMATCH || !strstr(ck_body(detail), what))
        printf("# P=%d rank %d: resume with a different %s: %s, \"%s\"\n", nproc, rank, what,
               dlfs_strerror(st), detail);
    assert_int_equal(st, DLFS_EMISMATCH);
    assert_non_null(strstr(ck_body(detail), what));
    assert_true(same_everywhere(detail, sizeof detail));
    assert_int_equal(r.iterations, 0);
    assert_int_equal(ask.calls, 0);
    assert_memory_equal(dlfs_model_params(&b, NULL), p0, np * sizeof *p0);
    struct stat sb;
    assert_int_not_equal(stat(out, &sb), 0);
    free(p0);
    dlfs_model_free(&b);
}

static void check_dist_resume(dlfs_model_kind kind, int skewed)
{
    dlfs_matrix X, y;
    size_t first, count, np;
    char dir[64], path[512], other[512], one_path[512], end_path[512];
    make_data(11, 0, &X, &y);
    shard(skewed, &first, &count);
    dlfs_matrix Xl = rows_of(&X, first, count), yl = rows_of(&y, first, count);
    ck_shared_dir(dir);

    dlfs_model ref, ref2;
    dlfs_train_options opt, opt2;
    dlfs_train_result r;
    model_alloc(&ref, kind, DLFS_BACKEND_BLAS);
    model_alloc(&ref2, kind, DLFS_BACKEND_BLAS);
    options(&ref, &opt);
    opt.iterations = CK_ITERS;
    opt2 = opt;
    opt2.iterations = 2 * CK_ITERS;
    assert_int_equal(dlfs_dist_train(MPI_COMM_WORLD, &ref, &Xl, &yl, &opt, &r), DLFS_OK);
    assert_int_equal(r.iterations, CK_ITERS);
    assert_int_equal(dlfs_dist_train(MPI_COMM_WORLD, &ref2, &Xl, &yl, &opt2, &r), DLFS_OK);
    const double *want = dlfs_model_params(&ref, &np), *want2 = dlfs_model_params(&ref2, NULL);

    /* Stopped by one rank's callback after the s-th iteration (8 batches a
     * pass: its last, the next's first, one later; rank 0, the last rank,
     * rank 0 with a checkpoint asked for as well), then resumed on every
     * rank from rank 0's file in fresh handles. */
    static const size_t stops[] = {8, 9, 17};
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        const size_t s = stops[i];
        char name[32];
        snprintf(name, sizeof name, "s%zu.ckpt", s);
        ck_path(path, dir, name);
        dlfs_model a, b;
        struct ck_ask ask = {.at = s, .on_rank = i == 1 ? nproc - 1 : 0,
                             .flags = i == 2 ? DLFS_TRAIN_STOP | DLFS_TRAIN_CHECKPOINT
                                             : DLFS_TRAIN_STOP};
        dlfs_train_options oa = opt;
        oa.checkpoint_path = path;
        oa.on_loss = ck_ask;
        oa.user = &ask;
        model_alloc(&a, kind, DLFS_BACKEND_BLAS);
        assert_int_equal(dlfs_dist_train(MPI_COMM_WORLD, &a, &Xl, &yl, &oa, &r), DLFS_OK);
        assert_int_equal(r.iterations, s);
        assert_true(r.stopped_early);
        assert_int_equal(ask.calls, s);
        assert_true(same_everywhere(&r.iterations, sizeof r.iterations));

        dlfs_checkpoint c;
        assert_int_equal(dlfs_checkpoint_load(&c, path), DLFS_OK);
        assert_int_equal(c.ranks, (size_t)nproc);
        assert_int_equal(c.iteration, s);
        assert_int_equal(c.iterations, CK_ITERS);
        assert_int_equal(c.rows, N);
        assert_int_equal(c.model.kind, kind);
        assert_memory_equal(dlfs_model_params(&c.model, NULL), dlfs_model_params(&a, NULL),
                            np * sizeof(double));

        struct ck_ask seen = {.on_rank = -1};
        dlfs_train_options ob = opt;
        ob.resume = &c;
        ob.on_loss = ck_ask;
        ob.user = &seen;
        model_alloc(&b, kind, DLFS_BACKEND_BLAS);
        ck_garbage(&b);
        const dlfs_status st = dlfs_dist_train(MPI_COMM_WORLD, &b, &Xl, &yl, &ob, &r);
        if (st)
            printf("# P=%d rank %d: resume from %zu: %s\n", nproc, rank, s, dlfs_error_detail());
        assert_int_equal(st, DLFS_OK);
        assert_int_equal(r.iterations, CK_ITERS);
        assert_false(r.stopped_early);
        assert_int_equal(seen.calls, CK_ITERS - s);
        assert_int_equal(seen.first_it, s);
        const double *pb = dlfs_model_params(&b, NULL);
        const int same = memcmp(pb, want, np * sizeof(double)) == 0;
        if (rank == 0)
            printf("# P=%d %-6s %-6s stopped at %2zu on rank %d, resumed: %s\n", nproc,
                   kind_name(kind), skewed ? "skewed" : "even", s, ask.on_rank,
                   same ? "bit-identical" : "DIFFERENT");
        assert_memory_equal(pb, want, np * sizeof(double));
        assert_true(same_everywhere(pb, np * sizeof(double)));
        dlfs_checkpoint_free(&c);
        dlfs_model_free(&a);
        dlfs_model_free(&b);
    }

    /* From 9, checkpointing every 10: the file holds 30 after the run (10
     * divides it), and that resumes into 60 as the 60-iteration run. */
    ck_path(path, dir, "s9.ckpt");
    ck_path(end_path, dir, "end.ckpt");
    {
        dlfs_checkpoint c, e;
        dlfs_model b;
        assert_int_equal(dlfs_checkpoint_load(&c, path), DLFS_OK);
        dlfs_train_options ob = opt;
        ob.resume = &c;
        ob.checkpoint_path = end_path;
        ob.checkpoint_every = 10;
        model_alloc(&b, kind, DLFS_BACKEND_BLAS);
        assert_int_equal(dlfs_dist_train(MPI_COMM_WORLD, &b, &Xl, &yl, &ob, &r), DLFS_OK);
        assert_memory_equal(dlfs_model_params(&b, NULL), want, np * sizeof(double));
        assert_int_equal(dlfs_checkpoint_load(&e, end_path), DLFS_OK);
        assert_int_equal(e.iteration, CK_ITERS);
        assert_int_equal(e.ranks, (size_t)nproc);
        ck_garbage(&b);
        dlfs_train_options oe = opt2;
        oe.resume = &e;
        assert_int_equal(dlfs_dist_train(MPI_COMM_WORLD, &b, &Xl, &yl, &oe, &r), DLFS_OK);
        assert_int_equal(r.iterations, 2 * CK_ITERS);
        assert_memory_equal(dlfs_model_params(&b, NULL), want2, np * sizeof(double));
        dlfs_checkpoint_free(&c);
        dlfs_checkpoint_free(&e);
        dlfs_model_free(&b);
    }

    /* A checkpoint asked for by the last rank alone, without a stop: written
     * (rank 0 sees it in the next callback), the run goes on to the end and
     * writes none there. */
    ck_path(end_path, dir, "asked.ckpt");
    {
        dlfs_model b;
        struct ck_ask ask = {.at = 5, .flags = DLFS_TRAIN_CHECKPOINT, .on_rank = nproc - 1,
                             .path = end_path, .read_at = 5, .seen = ULLONG_MAX};
        dlfs_train_options ob = opt;
        ob.checkpoint_path = end_path;
        ob.on_loss = ck_ask;
        ob.user = &ask;
        model_alloc(&b, kind, DLFS_BACKEND_BLAS);
        assert_int_equal(dlfs_dist_train(MPI_COMM_WORLD, &b, &Xl, &yl, &ob, &r), DLFS_OK);
        assert_int_equal(r.iterations, CK_ITERS);
        assert_false(r.stopped_early);
        MPI_Bcast(&ask.seen, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
        assert_int_equal(ask.seen, 5);
        dlfs_checkpoint c;
        assert_int_equal(dlfs_checkpoint_load(&c, end_path), DLFS_OK);
        assert_int_equal(c.iteration, 5);
        assert_memory_equal(dlfs_model_params(&b, NULL), want, np * sizeof(double));
        dlfs_checkpoint_free(&c);
        dlfs_model_free(&b);
    }

    /* Another number of ranks: in memory, in a file saved so, and a
     * one-process checkpoint (accepted, and the same, on one rank). */
    {
        dlfs_checkpoint c;
        assert_int_equal(dlfs_checkpoint_load(&c, path), DLFS_OK);
        c.ranks = (size_t)nproc + 1;
        ck_refused(kind, &Xl, &yl, &opt, &c, "ranks", dir);
        ck_path(other, dir, "other-ranks.ckpt");
        dlfs_status st = DLFS_OK;
        if (rank == 0)
            st = dlfs_checkpoint_save(&c, other);
        MPI_Bcast(&st, sizeof st, MPI_BYTE, 0, MPI_COMM_WORLD);
        assert_int_equal(st, DLFS_OK);
        dlfs_checkpoint_free(&c);
        assert_int_equal(dlfs_checkpoint_load(&c, other), DLFS_OK);
        assert_int_equal(c.ranks, (size_t)nproc + 1);
        ck_refused(kind, &Xl, &yl, &opt, &c, "ranks", dir);
        dlfs_checkpoint_free(&c);

        char name[32];
        snprintf(name, sizeof name, "one-%d.ckpt", rank);
        ck_path(one_path, dir, name);
        dlfs_model one;
        struct ck_ask ask = {.at = 9, .flags = DLFS_TRAIN_STOP, .on_rank = rank};
        dlfs_train_options oo = opt;
        oo.checkpoint_path = one_path;
        oo.on_loss = ck_ask;
        oo.user = &ask;
        model_alloc(&one, kind, DLFS_BACKEND_BLAS);
        assert_int_equal(dlfs_model_train(&one, &X, &y, &oo, &r), DLFS_OK);
        assert_int_equal(r.iterations, 9);
        assert_int_equal(dlfs_checkpoint_load(&c, one_path), DLFS_OK);
        assert_int_equal(c.ranks, 1);
        if (nproc > 1) {
            ck_refused(kind, &Xl, &yl, &opt, &c, "ranks", dir);
        } else {
            /* one rank owns every batch: the one-process run, bit for bit,
             * and the same file */
            size_t l1, ld;
            unsigned char *b1 = tu_read_file(one_path, &l1), *bd = tu_read_file(path, &ld);
            assert_int_equal(l1, ld);
            assert_memory_equal(b1, bd, ld);
            free(b1);
            free(bd);
            dlfs_model b;
            dlfs_train_options ob = opt;
            ob.resume = &c;
            model_alloc(&b, kind, DLFS_BACKEND_BLAS);
            assert_int_equal(dlfs_dist_train(MPI_COMM_WORLD, &b, &Xl, &yl, &ob, &r), DLFS_OK);
            assert_memory_equal(dlfs_model_params(&b, NULL), want, np * sizeof(double));
            dlfs_model_free(&b);
        }
        dlfs_checkpoint_free(&c);
        dlfs_model_free(&one);
    }

    /* Other options than the checkpoint's, on every rank: refused. */
    {
        dlfs_checkpoint c;
        assert_int_equal(dlfs_checkpoint_load(&c, path), DLFS_OK);
        dlfs_train_options om = opt;
        om.batch_size = BATCH + 1;
        ck_refused(kind, &Xl, &yl, &om, &c, "batch size", dir);
        om = opt;
        om.seed += 1;
        ck_refused(kind, &Xl, &yl, &om, &c, "seed", dir);
        om = opt;
        om.iterations = 8;
        ck_refused(kind, &Xl, &yl, &om, &c, "iteration 9", dir);
        dlfs_checkpoint_free(&c);
    }

    /* The ranks given different checkpoints, each matching the run. */
    if (nproc > 1) {
        dlfs_checkpoint c;
        dlfs_model b;
        ck_path(path, dir, rank == 0 ? "s8.ckpt" : "s9.ckpt");
        assert_int_equal(dlfs_checkpoint_load(&c, path), DLFS_OK);
        dlfs_train_options ob = opt;
        ob.resume = &c;
        model_alloc(&b, kind, DLFS_BACKEND_BLAS);
        ck_garbage(&b);
        const dlfs_status st = dlfs_dist_train(MPI_COMM_WORLD, &b, &Xl, &yl, &ob, &r);
        assert_int_equal(st, DLFS_EMISMATCH);
        assert_int_equal(r.iterations, 0);
        dlfs_checkpoint_free(&c);
        dlfs_model_free(&b);
    }

    dlfs_model_free(&ref);
    dlfs_model_free(&ref2);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
    ck_shared_dir_remove(dir);
}

static void test_checkpoint_resume(void **state)
{
    (void)state;
    for (int skewed = 0; skewed < 2; skewed++) {
        check_dist_resume(DLFS_MODEL_LINREG, skewed);
        check_dist_resume(DLFS_MODEL_NN, skewed);
    }
}

/* A checkpoint path rank 0 cannot write to: every rank fails with DLFS_EIO
 * before the first iteration. */
static void test_checkpoint_bad_directory(void **state)
{
    (void)state;
    dlfs_matrix X, y;
    size_t first, count, np;
    char dir[64], path[512];
    make_data(11, 0, &X, &y);
    shard(1, &first, &count);
    dlfs_matrix Xl = rows_of(&X, first, count), yl = rows_of(&y, first, count);
    ck_shared_dir(dir);
    ck_path(path, dir, "missing/run.ckpt");
    dlfs_model b;
    dlfs_train_options opt;
    dlfs_train_result r;
    struct ck_ask ask = {.on_rank = -1};
    model_alloc(&b, DLFS_MODEL_NN, DLFS_BACKEND_BLAS);
    ck_garbage(&b);
    const double *pb = dlfs_model_params(&b, &np);
    double *p0 = malloc(np * sizeof *p0);
    assert_non_null(p0);
    memcpy(p0, pb, np * sizeof *p0);
    options(&b, &opt);
    opt.iterations = CK_ITERS;
    opt.checkpoint_path = path;
    opt.on_loss = ck_ask;
    opt.user = &ask;
    assert_int_equal(dlfs_dist_train(MPI_COMM_WORLD, &b, &Xl, &yl, &opt, &r), DLFS_EIO);
    assert_int_equal(r.iterations, 0);
    assert_int_equal(ask.calls, 0);
    assert_memory_equal(dlfs_model_params(&b, NULL), p0, np * sizeof *p0);
    free(p0);
    dlfs_model_free(&b);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
    ck_shared_dir_remove(dir);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nproc);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reducer),
        cmocka_unit_test(test_train_linreg),
        cmocka_unit_test(test_train_nn),
        cmocka_unit_test(test_train_book_options),
        cmocka_unit_test(test_diverge),
        cmocka_unit_test(test_callback_stop),
        cmocka_unit_test(test_errors_agree),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_standardizer),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_ols),
        cmocka_unit_test(test_ols_rank_deficient),
        cmocka_unit_test(test_checkpoint_resume),
        cmocka_unit_test(test_checkpoint_bad_directory),
    };
    const int failed = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Finalize();
    return failed != 0;
}
