/* bench/bench_dist.c - dlfs-bench-dist: what a training step gains from P
 * ranks, in one run.
 *
 *     mpirun -np P dlfs-bench-dist --batch B --features K --hidden H --steps N [--json]
 *
 * First rank 0 alone times the one-process step (dlfs_model_train; the other
 * ranks wait), then every rank times the distributed step (dlfs_dist_train)
 * on the same global batch, each rank one OpenBLAS thread. A step is timed as
 * the difference of two runs that differ by N steps only (warm-up W steps,
 * then W + N), so set-up and initialisation cancel and no callback adds a
 * collective to the step; the median of --repeats such differences is
 * reported. The reduction a step makes (the gradient block and the loss,
 * summed in rank order) is timed alone on the same number of doubles, by the
 * path training takes and by messages, and beside them MPI_Allreduce on
 * them, which is what the fixed order costs.
 * Speedup = one-process step / distributed step; efficiency = speedup / P.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>
#include <dlfs/dist.h>

#include "bench_util.h"
#include "cli.h"
#include "dist_impl.h"
#include "json.h"

typedef struct options {
    size_t batch, features, hidden, steps, warmup, repeats;
    const char *model, *backend;
    int json;
} options;

static const char usage[] =
    "Usage: mpirun -np P dlfs-bench-dist [options]\n"
    "\n"
    "Times one training step on rank 0 alone, then on all P ranks with the same\n"
    "global batch (data-parallel: each rank a share of the batch, one gradient\n"
    "reduction per step), and prints both, the reduction's share of the step, the\n"
    "speedup and the efficiency (speedup / P). One OpenBLAS thread per rank.\n";

static int parse(int argc, char **argv, options *o)
{
    *o = (options){.batch = 1024, .features = 256, .hidden = 512, .steps = 50, .warmup = 5,
                   .repeats = 5, .model = "nn", .backend = "blas"};
    cli_option opts[] = {
        { "--batch", "B", CLI_COUNT, &o->batch, "global rows per step (1024)", 0 },
        { "--features", "K", CLI_COUNT, &o->features, "inputs (256)", 0 },
        { "--hidden", "H", CLI_COUNT, &o->hidden, "hidden units of nn (512)", 0 },
        { "--steps", "N", CLI_COUNT, &o->steps, "steps timed per repeat (50)", 0 },
        { "--warmup", "W", CLI_COUNT, &o->warmup, "steps before them (5)", 0 },
        { "--repeats", "R", CLI_COUNT, &o->repeats, "repeats; the median is reported (5)", 0 },
        { "--model", "nn|linreg", CLI_STRING, &o->model, "the model (nn)", 0 },
        { "--backend", "B", CLI_STRING, &o->backend, "blas, naive, xsmm or auto (blas)", 0 },
        { "--json", NULL, CLI_FLAG, &o->json, "one JSON object on the last line", 0 },
        { NULL, NULL, CLI_FLAG, NULL, NULL, 0 },
    };
    int rc = cli_parse(argc, argv, opts, usage);
    if (rc != CLI_PARSED)
        return rc;
    const bench_range r[] = {
        {"--batch", o->batch, 1, 1u << 20}, {"--features", o->features, 1, 65536},
        {"--hidden", o->hidden, 1, 65536}, {"--steps", o->steps, 1, 100000},
        {"--warmup", o->warmup, 1, 100000}, {"--repeats", o->repeats, 1, 1000},
    };
    return bench_check_ranges(r, sizeof r / sizeof r[0]) ? CLI_EXIT_USAGE : CLI_PARSED;
}

/* The run's model, data and options; every rank builds the same global data
 * (4 batches of rows, seeded) and keeps its contiguous share. */
typedef struct setup {
    dlfs_model model;
    dlfs_matrix X, y;                 /* all rows */
    dlfs_matrix X_local, y_local;     /* this rank's */
    dlfs_train_options opt;
} setup;

static int make_setup(const options *o, int rank, int ranks, setup *s)
{
    dlfs_model_kind kind;
    dlfs_backend be;
    const size_t n = 4 * o->batch;
    memset(s, 0, sizeof *s);
    if (dlfs_model_kind_parse(o->model, &kind) || kind == DLFS_MODEL_OLS)
        return cli_error(CLI_EXIT_USAGE, "--model expects nn or linreg, got '%s'", o->model);
    if (dlfs_backend_parse(o->backend, &be))
        return cli_error(CLI_EXIT_USAGE, "--backend expects blas, naive, xsmm or auto, got '%s'",
                         o->backend);
    if (!dlfs_backend_available(be))
        return cli_error(CLI_EXIT_USAGE, "--backend %s: this dlfs was built without libxsmm "
                         "(meson option xsmm)", o->backend);
    dlfs_status st = dlfs_model_alloc(&s->model, kind, o->features,
                                      kind == DLFS_MODEL_NN ? o->hidden : 0, 1);
    if (!st) st = dlfs_model_set_backend(&s->model, be);
    if (!st) st = dlfs_backend_init(be);
    if (!st) st = dlfs_matrix_alloc(&s->X, n, o->features);
    if (!st) st = dlfs_matrix_alloc(&s->y, n, 1);
    if (st)
        return cli_fail(st, "allocating the model and the data");
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 20240611);
    for (size_t i = 0; i < n * o->features; i++)
        s->X.data[i] = dlfs_rng_normal(&rng);
    for (size_t i = 0; i < n; i++)
        s->y.data[i] = s->X.data[i * o->features] + 0.1 * dlfs_rng_normal(&rng);
    const size_t first = n * (size_t)rank / (size_t)ranks;
    const size_t count = n * (size_t)(rank + 1) / (size_t)ranks - first;
    s->X_local = dlfs_matrix_view(count ? s->X.data + first * o->features : NULL, count,
                                  o->features, o->features);
    s->y_local = dlfs_matrix_view(count ? s->y.data + first : NULL, count, 1, 1);
    dlfs_model_train_options_default(&s->model, &s->opt);
    s->opt.batch_size = o->batch;
    s->opt.learning_rate = 1e-4;   /* small: the loss stays finite for any size */
    return CLI_EXIT_OK;
}

static void free_setup(setup *s)
{
    dlfs_model_free(&s->model);
    dlfs_matrix_free(&s->X);
    dlfs_matrix_free(&s->y);
}

/* Seconds of one training run of `iterations` steps, on one process or on
 * all ranks (after a barrier, so they start together). */
static double run_seconds(setup *s, size_t iterations, int dist, dlfs_status *st)
{
    s->opt.iterations = iterations;
    if (dist)
        MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = cli_now();
    *st = dist ? dlfs_dist_train(MPI_COMM_WORLD, &s->model, &s->X_local, &s->y_local, &s->opt,
                                 NULL)
               : dlfs_model_train(&s->model, &s->X, &s->y, &s->opt, NULL);
    return cli_now() - t0;
}

/* The median over repeats of (time of W + N steps - time of W steps) / N. */
static double step_seconds(const options *o, setup *s, int dist, dlfs_status *st)
{
    double *d = calloc(o->repeats, sizeof *d);
    if (!d) {
        *st = DLFS_ENOMEM;
        return NAN;
    }
    *st = DLFS_OK;
    for (size_t r = 0; r < o->repeats && !*st; r++) {
        const double t_w = run_seconds(s, o->warmup, dist, st);
        const double t_wn = *st ? 0 : run_seconds(s, o->warmup + o->steps, dist, st);
        d[r] = (t_wn - t_w) / (double)o->steps;
    }
    const double m = bench_median(d, o->repeats);
    free(d);
    return m;
}

/* The step's reduction alone, on n_params + 1 doubles: summed in rank order
 * by the path dlfs_dist_train takes (shared memory on one node), or by
 * messages (what ranks on several nodes take), or by MPI_Allreduce, which
 * is what the fixed order costs against: Open MPI does not promise the same
 * bits from run to run. */
enum reduction { REDUCE_TRAIN, REDUCE_MESSAGES, REDUCE_MPI };

static double reduce_seconds(const options *o, const setup *s, enum reduction how,
                             const char **path)
{
    size_t n;
    dlfs_model_params(&s->model, &n);
    n += 1;
    dlfs__dist_reducer red;
    if (dlfs__dist_reducer_init(&red, MPI_COMM_WORLD, n,
                                how == REDUCE_TRAIN ? DLFS__DIST_AUTO : DLFS__DIST_MESSAGES,
                                "dlfs-bench-dist"))
        return NAN;
    if (path)
        *path = dlfs__dist_reducer_path(&red);
    double *t = calloc(o->repeats, sizeof *t);
    for (size_t r = 0; t && r < o->repeats; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        const double t0 = cli_now();
        for (size_t i = 0; i < o->steps; i++) {
            if (how == REDUCE_MPI)
                MPI_Allreduce(red.in, red.out, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
            else
                dlfs__dist_reduce(&red);
        }
        t[r] = (cli_now() - t0) / (double)o->steps;
    }
    const double m = t ? bench_median(t, o->repeats) : NAN;
    free(t);
    dlfs__dist_reducer_free(&red);
    return m;
}

typedef struct result {
    int ranks;
    double step_1, step_p, reduce;   /* seconds; reduce by the training's path */
    const char *path;                 /* that path */
    double messages;                  /* the same sum by messages */
    double allreduce;                 /* MPI_Allreduce of the same doubles */
} result;

static void print_result(const options *o, const result *r)
{
    const double speedup = r->step_1 / r->step_p;
    printf("%s %s, global batch %zu, k %zu", o->model, o->backend, o->batch, o->features);
    if (strcmp(o->model, "nn") == 0)
        printf(", h %zu", o->hidden);
    printf("; median of %zu repeats of %zu steps\n", o->repeats, o->steps);
    printf("reduction in rank order by %s; beside it, the same sum by messages and "
           "by MPI_Allreduce\n", r->path);
    printf("ranks   ms/step(1)   ms/step(P)   reduce ms   reduce share   speedup   efficiency"
           "   messages ms   MPI_Allreduce ms\n");
    printf("%5d %12.6f %12.6f %11.6f %13.1f%% %9.3f %12.3f %13.6f %18.6f\n", r->ranks,
           1e3 * r->step_1, 1e3 * r->step_p, 1e3 * r->reduce, 100.0 * r->reduce / r->step_p,
           speedup, speedup / r->ranks, 1e3 * r->messages, 1e3 * r->allreduce);
    if (!o->json)
        return;
    cli_json j;
    cli_json_begin(&j, stdout);
    cli_json_size(&j, "ranks", (size_t)r->ranks);
    cli_json_string(&j, "model", o->model);
    cli_json_string(&j, "backend", o->backend);
    cli_json_size(&j, "batch", o->batch);
    cli_json_size(&j, "features", o->features);
    cli_json_size(&j, "hidden", strcmp(o->model, "nn") == 0 ? o->hidden : 0);
    cli_json_number(&j, "ms_per_step_1", 1e3 * r->step_1);
    cli_json_number(&j, "ms_per_step_p", 1e3 * r->step_p);
    cli_json_number(&j, "allreduce_ms", 1e3 * r->reduce);
    cli_json_number(&j, "allreduce_share", r->reduce / r->step_p);
    cli_json_string(&j, "reduction", r->path);
    cli_json_number(&j, "messages_ms", 1e3 * r->messages);
    cli_json_number(&j, "mpi_allreduce_ms", 1e3 * r->allreduce);
    cli_json_number(&j, "speedup", speedup);
    cli_json_number(&j, "efficiency", speedup / r->ranks);
    cli_json_end(&j);
}

static int bench(const options *o, int rank, int ranks)
{
    setup s;
    dlfs_status st = DLFS_OK;
    result r = {.ranks = ranks};
    int rc = make_setup(o, rank, ranks, &s);
    if (!rc && rank == 0)
        r.step_1 = step_seconds(o, &s, 0, &st);
    /* the others wait for rank 0's one-process timing, and learn how it went */
    int failed = rc || st;
    MPI_Bcast(&failed, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!failed) {
        r.step_p = step_seconds(o, &s, 1, &st);
        r.reduce = reduce_seconds(o, &s, REDUCE_TRAIN, &r.path);
        r.messages = reduce_seconds(o, &s, REDUCE_MESSAGES, NULL);
        r.allreduce = reduce_seconds(o, &s, REDUCE_MPI, NULL);
    }
    if (!rc && st)
        rc = cli_fail(st, "timing the steps");
    if (!rc && !failed && rank == 0)
        print_result(o, &r);
    free_setup(&s);
    return rc ? rc : failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    int rank = 0, ranks = 1;
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS)
        return CLI_EXIT_FAILURE;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    cli_set_program("dlfs-bench-dist");
    cli_set_quiet(rank != 0);
    if (rank != 0 && !freopen("/dev/null", "w", stdout))
        return CLI_EXIT_FAILURE;
    options o;
    int rc = parse(argc - 1, argv + 1, &o);
    dlfs_blas_info info;
    if (rc == CLI_PARSED)
        rc = bench_blas_setup(stdout, 1, &info);
    if (!rc)
        rc = bench(&o, rank, ranks);
    MPI_Finalize();
    return rc == CLI_PARSED ? CLI_EXIT_OK : rc;
}
