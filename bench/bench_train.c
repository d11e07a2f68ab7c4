/* bench/bench_train.c - dlfs-bench-train: one training step against its dgemm floor.
 *
 * A step is what dlfs_model_train runs per iteration for the regression and the
 * network: gather a batch, forward, loss, backward, check, update. It is timed
 * as the trainer runs it: a loss callback stamps CLOCK_MONOTONIC after every
 * iteration and the gap between two stamps is one step. The first --warmup
 * steps are dropped and the median of the next --steps is reported. A
 * closed-form fit (DLFS_MODEL_OLS) has no steps, so it is not benchmarked here.
 *
 * The floor, timed in the same run, is the step's matrix products alone: the
 * same cblas_dgemm calls with the same shapes and transposes on preallocated
 * buffers, nothing else. No implementation of the step on this BLAS can beat
 * it, so step / floor is what the rest of the step costs. For the network
 * (X: B x k, W1: k x h, W2: h x m):
 *     M1   = X . W1        NN  B x h from k
 *     M2   = O1 . W2       NN  B x m from h
 *     dW2  = O1^T . dP     TN  h x m from B
 *     dO1  = dP . W2^T     NT  B x h from m
 *     dW1  = X^T . dN1     TN  k x h from B
 * and for the regression N = X . W (NN, B x m from k), dW = X^T . dP (TN, k x m
 * from B). The floor is the BLAS one for every backend, so a naive row's ratio
 * says how far the reference loop is from what BLAS reaches, and an xsmm or
 * auto row's ratio below 1 says its step beats BLAS's products alone.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include <dlfs/dlfs.h>

#include "bench_util.h"
#include "cli.h"
#include "files.h"
#include "json.h"
#include "step_parts.h"

#define MAX_CONFIGS 64
#define MAX_DIM 65536

/* The kinds with training steps, in the order of the table. */
static const dlfs_model_kind bench_kinds[2] = {DLFS_MODEL_LINREG, DLFS_MODEL_NN};

typedef struct size_preset {
    const char *name;
    size_t batch, features, hidden, outputs;
} size_preset;

static const size_preset presets[] = {
    {"chapter", 23, 13, 13, 1},
    {"medium", 64, 64, 128, 1},
    {"large", 256, 256, 512, 1},
};
#define N_PRESETS (sizeof presets / sizeof presets[0])

typedef struct config {
    dlfs_model_kind model;
    dlfs_backend backend;
    size_preset size;
    /* results */
    size_t steps;          /* step samples taken */
    double ms_per_step;    /* median */
    double mean_ms;        /* the timed steps' total over their number, median over runs */
    double floor_ms;       /* median of the floor */
    size_t rows;           /* rows in the synthetic set */
} config;

typedef struct options {
    int models[2];         /* of bench_kinds */
    int backends[BENCH_BACKENDS];  /* by dlfs_backend value */
    int sizes[N_PRESETS];
    int custom;
    size_preset custom_size;
    size_t steps, warmup, repeats, rows;
    int threads;
    dlfs_init init;
    double lr;
    const char *csv;
    int json;
    int parts;             /* --parts: where each step's time goes, instead */
} options;

static const char usage_text[] =
    "Usage: dlfs-bench-train [options]\n"
    "Times one training step (batch gather, forward, loss, backward, update) of the\n"
    "regression and the network as dlfs_*_train runs it, and in the same run the\n"
    "step's cblas_dgemm calls alone (the dgemm floor).\n"
    "\n"
    "--batch, --features, --hidden and --outputs give a custom size (unset ones from\n"
    "the chapter: 23, 13, 13, 1); alone it replaces --sizes, with --sizes it is added.\n"
    "\n"
    "ms/step is the median step; mean ms is the timed steps' total over their\n"
    "number (each pass's reshuffle and short last batch included): what an\n"
    "iteration costs in a run. ratio = ms/step / floor ms/step. The floor is the step's products through\n"
    "cblas_dgemm for every backend, so a ratio below 1 is a step faster than BLAS's\n"
    "products alone (xsmm, auto). OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS are\n"
    "read by OpenBLAS at start-up.\n";

/* The option values as given, before --quick and the checks. */
typedef struct raw_args {
    const char *models, *backends, *sizes, *init;
    size_t dims[4];        /* --batch, --features, --hidden, --outputs */
    size_t steps, repeats, rows, threads;
    uint64_t warmup;
    int quick;
} raw_args;

static int find_model(const char *item, const void *ctx)
{
    dlfs_model_kind kind;
    (void)ctx;
    if (dlfs_model_kind_parse(item, &kind) != DLFS_OK)
        return BENCH_UNKNOWN;
    if (kind == DLFS_MODEL_OLS) {
        cli_error(CLI_EXIT_USAGE, "--model ols: a closed-form fit has no training steps to "
                                  "time (linreg, nn or all)");
        return BENCH_REFUSED;
    }
    return kind == bench_kinds[0] ? 0 : 1;
}

static int find_preset(const char *item, const void *ctx)
{
    (void)ctx;
    for (size_t i = 0; i < N_PRESETS; i++)
        if (strcmp(item, presets[i].name) == 0)
            return (int)i;
    return BENCH_UNKNOWN;
}

/* The lists, the custom size, the ranges and --quick's values where no option
 * gave them. Returns CLI_PARSED or the exit status after an error. */
static int finish_args(const cli_option *table, raw_args *a, options *o)
{
    static const bench_list model_list = {"model", "linreg, nn or all", find_model, NULL, 1};
    static const bench_list backend_list = {"backend", "blas, naive, xsmm, auto or all",
                                            bench_find_backend, NULL, 1};
    static const bench_list size_list = {"size", "chapter, medium, large or all", find_preset,
                                         NULL, 1};
    if (a->quick) {
        a->sizes = cli_given(table, "--sizes") ? a->sizes : "chapter";
        a->steps = cli_given(table, "--steps") ? a->steps : 30;
        a->warmup = cli_given(table, "--warmup") ? a->warmup : 5;
    }
    const bench_range ranges[] = {
        {"--batch", a->dims[0], 1, MAX_DIM},   {"--features", a->dims[1], 1, MAX_DIM},
        {"--hidden", a->dims[2], 1, MAX_DIM},  {"--outputs", a->dims[3], 1, MAX_DIM},
        {"--steps", a->steps, 1, 10000000},    {"--warmup", a->warmup, 0, 1000000},
        {"--repeats", a->repeats, 1, 1000},    {"--rows", a->rows, 0, (uint64_t)1 << 40},
        {"--threads", a->threads, 0, 1024},
    };
    int rc = bench_check_ranges(ranges, sizeof ranges / sizeof ranges[0]);
    if (rc || (rc = bench_parse_list(&model_list, a->models, o->models, 2))
        || (rc = bench_parse_list(&backend_list, a->backends, o->backends, BENCH_BACKENDS))
        || (rc = bench_parse_list(&size_list, a->sizes, o->sizes, N_PRESETS)))
        return rc;
    if (strcmp(a->init, "normal") != 0 && strcmp(a->init, "scaled") != 0)
        return cli_error(CLI_EXIT_USAGE, "--init expects normal or scaled, got '%s'", a->init);
    o->init = a->init[0] == 'n' ? DLFS_INIT_NORMAL : DLFS_INIT_SCALED;
    o->custom = cli_given(table, "--batch") || cli_given(table, "--features")
                || cli_given(table, "--hidden") || cli_given(table, "--outputs");
    o->custom_size = (size_preset){"custom", a->dims[0], a->dims[1], a->dims[2], a->dims[3]};
    if (o->custom && !a->quick && !cli_given(table, "--sizes"))
        memset(o->sizes, 0, sizeof o->sizes);
    o->steps = a->steps;
    o->warmup = (size_t)a->warmup;
    o->repeats = a->repeats;
    o->rows = a->rows;
    o->threads = (int)a->threads;
    return CLI_PARSED;
}

/* Returns CLI_PARSED to run, else the exit status (after --help or an error). */
static int parse_args(int argc, char **argv, options *o)
{
    raw_args a = {"all", "all", "all", "normal", {23, 13, 13, 1}, 100, 1, 0, 0, 10, 0};
    cli_option table[] = {
        {"--model", "M", CLI_STRING, &a.models,
            "linreg, nn or all (default all); ols has no steps to time", 0},
        {"--backend", "B", CLI_STRING, &a.backends, "blas, naive, xsmm, auto or all (default all;"
            BENCH_HELP_BREAK "xsmm only when built with libxsmm)", 0},
        {"--sizes", "LIST", CLI_STRING, &a.sizes, "of chapter (B=23 k=13 h=13), medium "
            "(B=64 k=64 h=128)," BENCH_HELP_BREAK "large (B=256 k=256 h=512); default all three",
            0},
        {"--batch", "B", CLI_COUNT, &a.dims[0], "a custom size: rows per batch (chapter: 23)", 0},
        {"--features", "K", CLI_COUNT, &a.dims[1], "a custom size: inputs (chapter: 13)", 0},
        {"--hidden", "H", CLI_COUNT, &a.dims[2], "a custom size: hidden units (chapter: 13)", 0},
        {"--outputs", "M", CLI_COUNT, &a.dims[3], "a custom size: outputs (chapter: 1)", 0},
        {"--steps", "N", CLI_COUNT, &a.steps,
            "steps measured per run, median reported (default 100)", 0},
        {"--warmup", "N", CLI_U64, &a.warmup, "steps dropped before measuring (default 10)", 0},
        {"--repeats", "N", CLI_COUNT, &a.repeats,
            "training runs per configuration, steps pooled (default 1)", 0},
        {"--rows", "N", CLI_COUNT, &a.rows, "rows of the synthetic set, rounded up to a "
            "multiple of B" BENCH_HELP_BREAK "(default 8 B)", 0},
        {"--init", "I", CLI_STRING, &a.init, "normal (the book, default) or scaled", 0},
        {"--threads", "N", CLI_COUNT, &a.threads,
            "BLAS threads (default: the library's own choice)", 0},
        {"--quick", NULL, CLI_FLAG, &a.quick, "chapter size, 30 steps, 5 warm-up (for meson "
            "test --benchmark)" BENCH_HELP_BREAK "(where --sizes, --steps, --warmup do not "
            "say otherwise)", 0},
        {"--parts", NULL, CLI_FLAG, &o->parts, "time each part of the step alone instead, in"
            BENCH_HELP_BREAK "samples of --steps calls (gather, products, passes)", 0},
        {"--csv", "FILE", CLI_STRING, &o->csv, "also write the table as CSV", 0},
        {"--json", NULL, CLI_FLAG, &o->json,
            "print the results as one JSON array on the last line", 0},
        {NULL, NULL, CLI_FLAG, NULL, NULL, 0},
    };
    int rc = cli_parse(argc - 1, argv + 1, table, usage_text);
    if (rc != CLI_PARSED)
        return rc;
    return finish_args(table, &a, o);
}

/* ---- the dgemm floor ----------------------------------------------------- */

/* Row-major cblas_dgemm, C (r x c) = op(A) . op(B), inner dimension n. The
 * leading dimensions are those of the stored (untransposed) arrays. */
static void dgemm(int ta, int tb, size_t r, size_t c, size_t n,
                  const double *A, const double *B, double *C)
{
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (blasint)r, (blasint)c, (blasint)n, 1.0, A, (blasint)(ta ? r : n),
                B, (blasint)(tb ? n : c), 0.0, C, (blasint)c);
}

/* Buffers for every operand of the step's products, in one block. */
#define N_BUFS 14
typedef struct floor_bufs {
    double *block;
    /* network */
    double *X, *W1, *M1, *O1, *W2, *M2, *dP, *dW2, *dO1, *dN1, *dW1;
    /* regression (X and dP shared) */
    double *W, *N, *dW;
} floor_bufs;

static int floor_alloc(floor_bufs *f, const size_preset *s, dlfs_rng *rng)
{
    const size_t B = s->batch, k = s->features, h = s->hidden, m = s->outputs;
    const size_t sizes[N_BUFS] = {B * k, k * h, B * h, B * h, h * m, B * m, B * m, h * m,
                                  B * h, B * h, k * h, k * m, B * m, k * m};
    double **ptrs[N_BUFS] = {&f->X, &f->W1, &f->M1, &f->O1, &f->W2, &f->M2, &f->dP,
                             &f->dW2, &f->dO1, &f->dN1, &f->dW1, &f->W, &f->N, &f->dW};
    /* Each operand starts on a 64-byte boundary and a cache line apart, as
     * separately allocated arrays would. */
    size_t total = 0;
    for (int i = 0; i < N_BUFS; i++)
        total += (sizes[i] + 7) / 8 * 8 + 8;
    f->block = aligned_alloc(64, total * sizeof(double));
    if (!f->block)
        return 1;
    double *p = f->block;
    for (int i = 0; i < N_BUFS; i++) {
        *ptrs[i] = p;
        p += (sizes[i] + 7) / 8 * 8 + 8;
    }
    for (size_t i = 0; i < total; i++)
        f->block[i] = dlfs_rng_normal(rng);
    return 0;
}

/* One step's products (see the top of this file). */
static void floor_step(const floor_bufs *f, dlfs_model_kind model, const size_preset *s)
{
    const size_t B = s->batch, k = s->features, h = s->hidden, m = s->outputs;
    if (model == DLFS_MODEL_NN) {
        dgemm(0, 0, B, h, k, f->X, f->W1, f->M1);   /* M1 = X . W1 */
        dgemm(0, 0, B, m, h, f->O1, f->W2, f->M2);  /* M2 = O1 . W2 */
        dgemm(1, 0, h, m, B, f->O1, f->dP, f->dW2); /* dW2 = O1^T . dP */
        dgemm(0, 1, B, h, m, f->dP, f->W2, f->dO1); /* dO1 = dP . W2^T */
        dgemm(1, 0, k, h, B, f->X, f->dN1, f->dW1); /* dW1 = X^T . dN1 */
    } else {
        dgemm(0, 0, B, m, k, f->X, f->W, f->N);     /* N = X . W */
        dgemm(1, 0, k, m, B, f->X, f->dP, f->dW);   /* dW = X^T . dP */
    }
}

/* ---- the step, timed by the trainer's loss callback ------------------------ */

typedef struct stamps {
    double *t;
    size_t n, cap;
} stamps;

static int on_loss(size_t iteration, double loss, void *user)
{
    (void)iteration;
    (void)loss;
    stamps *s = user;
    if (s->n < s->cap)
        s->t[s->n++] = cli_now();
    return 0;
}

/* Synthetic regression data: X ~ N(0, 1), y = X . w + noise, w ~ N(0, 1/k). */
static dlfs_status make_data(dlfs_matrix *X, dlfs_matrix *y, size_t n, const size_preset *s,
                             dlfs_rng *rng)
{
    dlfs_status st;
    const size_t k = s->features, m = s->outputs;
    if ((st = dlfs_matrix_alloc(X, n, k)) || (st = dlfs_matrix_alloc(y, n, m)))
        return st;
    double *w = malloc(k * m * sizeof *w);
    if (!w)
        return DLFS_ENOMEM;
    for (size_t i = 0; i < k * m; i++)
        w[i] = dlfs_rng_normal(rng) / sqrt((double)k);
    for (size_t i = 0; i < n; i++) {
        double *xi = X->data + i * X->ld;
        for (size_t j = 0; j < k; j++)
            xi[j] = dlfs_rng_normal(rng);
        for (size_t c = 0; c < m; c++) {
            double sum = 0.1 * dlfs_rng_normal(rng);
            for (size_t j = 0; j < k; j++)
                sum += xi[j] * w[j * m + c];
            y->data[i * y->ld + c] = sum;
        }
    }
    free(w);
    return DLFS_OK;
}

/* What one configuration's runs use: the data, the model, the stamps and the
 * samples, the floor's buffers. */
typedef struct run_bufs {
    dlfs_matrix X, y;
    dlfs_model model;
    floor_bufs fb;
    double *step_s, *floor_s, *t;
} run_bufs;

static dlfs_status run_alloc(const options *o, config *c, run_bufs *r)
{
    const size_preset *s = &c->size;
    const size_t h = c->model == DLFS_MODEL_NN ? s->hidden : 0;
    size_t n = o->rows ? o->rows : 8 * s->batch;
    n = (n + s->batch - 1) / s->batch * s->batch;
    c->rows = n;

    dlfs_rng rng;
    dlfs_rng_seed(&rng, 180807);
    dlfs_status st;
    if ((st = make_data(&r->X, &r->y, n, s, &rng))
        || (st = dlfs_model_alloc(&r->model, c->model, s->features, h, s->outputs))
        || (st = dlfs_model_set_backend(&r->model, c->backend)))
        return st;
    r->step_s = malloc(o->repeats * o->steps * sizeof *r->step_s);
    r->floor_s = malloc(o->repeats * o->steps * sizeof *r->floor_s);
    r->t = malloc((o->warmup + o->steps + 1) * sizeof *r->t);
    if (!r->step_s || !r->floor_s || !r->t || floor_alloc(&r->fb, s, &rng))
        return DLFS_ENOMEM;
    return DLFS_OK;
}

static void run_free(run_bufs *r)
{
    free(r->t);
    free(r->step_s);
    free(r->floor_s);
    free(r->fb.block);
    dlfs_model_free(&r->model);
    dlfs_matrix_free(&r->X);
    dlfs_matrix_free(&r->y);
}

/* --repeats training runs of warmup + steps + 1 iterations, each followed by
 * as many floors; the medians of the gaps after the warm-up go to *c. */
static dlfs_status run_time(const options *o, config *c, run_bufs *r)
{
    const size_t per_run = o->warmup + o->steps + 1;  /* stamps: steps gaps after the warm-up */
    dlfs_train_options opt;
    dlfs_status st = dlfs_model_train_options_default(&r->model, &opt);
    if (st)
        return st;
    opt.iterations = per_run;
    opt.epochs = 0;
    opt.batch_size = c->size.batch;
    opt.learning_rate = o->lr;
    opt.init_weights = 1;
    opt.init = o->init;
    opt.on_loss = on_loss;

    size_t ns = 0, nf = 0;
    double means[1000];
    for (size_t k = 0; k < o->repeats; k++) {
        /* The step, as the trainer runs it. */
        stamps sp = {r->t, 0, per_run};
        opt.user = &sp;
        opt.seed = 180807 + k;
        dlfs_train_result res;
        if ((st = dlfs_model_train(&r->model, &r->X, &r->y, &opt, &res)))
            return st;
        for (size_t i = o->warmup + 1; i < sp.n; i++)
            r->step_s[ns++] = r->t[i] - r->t[i - 1];
        means[k] = sp.n > o->warmup + 1 ? (r->t[sp.n - 1] - r->t[o->warmup])
                                              / (double)(sp.n - 1 - o->warmup) : NAN;

        /* The floor, timed the same way: gaps between stamps. */
        for (size_t i = 0; i < per_run; i++) {
            floor_step(&r->fb, c->model, &c->size);
            r->t[i] = cli_now();
        }
        for (size_t i = o->warmup + 1; i < per_run; i++)
            r->floor_s[nf++] = r->t[i] - r->t[i - 1];
    }
    c->steps = ns;
    c->ms_per_step = 1e3 * bench_median(r->step_s, ns);
    c->mean_ms = 1e3 * bench_median(means, o->repeats);
    c->floor_ms = 1e3 * bench_median(r->floor_s, nf);
    return DLFS_OK;
}

static dlfs_status run_config(const options *o, config *c)
{
    run_bufs r = {0};
    dlfs_status st = run_alloc(o, c, &r);
    if (!st)
        st = run_time(o, c, &r);
    run_free(&r);
    return st;
}

/* ---- output ---------------------------------------------------------------- */

static void print_header(FILE *f)
{
    fprintf(f, "%-7s %-6s %-8s %5s %5s %5s %3s %6s %11s %11s %11s %7s\n", "model", "backend",
            "size", "B", "k", "h", "m", "steps", "ms/step", "mean ms", "floor ms", "ratio");
}

static void print_config(FILE *f, const config *c)
{
    char h[24];
    if (c->model == DLFS_MODEL_NN)
        snprintf(h, sizeof h, "%zu", c->size.hidden);
    else
        snprintf(h, sizeof h, "-");
    fprintf(f, "%-7s %-7s %-8s %5zu %5zu %5s %3zu %6zu %11.6f %11.6f %11.6f %7.3f\n",
            dlfs_model_kind_name(c->model), dlfs_backend_name(c->backend), c->size.name,
            c->size.batch, c->size.features, h, c->size.outputs, c->steps,
            c->ms_per_step, c->mean_ms, c->floor_ms, c->ms_per_step / c->floor_ms);
}

static const char csv_header[] =
    "model,backend,size,batch,features,hidden,outputs,rows,steps,ms_per_step,"
    "floor_ms_per_step,ratio,blas_core,mean_ms_per_step\n";

/* A row of the CSV table (bench_csv_row); hidden is empty for the regression. */
static void csv_row(FILE *f, const void *rows, size_t i, const char *core)
{
    const config *c = (const config *)rows + i;
    fprintf(f, "%s,%s,%s,%zu,%zu,", dlfs_model_kind_name(c->model),
            dlfs_backend_name(c->backend), c->size.name, c->size.batch, c->size.features);
    if (c->model == DLFS_MODEL_NN)
        fprintf(f, "%zu", c->size.hidden);
    fprintf(f, ",%zu,%zu,%zu,%.6g,%.6g,%.6g,%s,%.6g\n", c->size.outputs, c->rows, c->steps,
            c->ms_per_step, c->floor_ms, c->ms_per_step / c->floor_ms, core, c->mean_ms);
}

/* hidden is null for the regression, which has no hidden layer. */
static void write_json(FILE *out, const config *cs, size_t n, const char *core, int threads)
{
    cli_json j;
    bench_json_array_begin(&j, out);
    for (size_t i = 0; i < n; i++) {
        const config *c = &cs[i];
        cli_json_open(&j, NULL, '{');
        cli_json_string(&j, "model", dlfs_model_kind_name(c->model));
        cli_json_string(&j, "backend", dlfs_backend_name(c->backend));
        cli_json_string(&j, "size", c->size.name);
        cli_json_size(&j, "batch", c->size.batch);
        cli_json_size(&j, "features", c->size.features);
        if (c->model == DLFS_MODEL_NN)
            cli_json_size(&j, "hidden", c->size.hidden);
        else
            cli_json_null(&j, "hidden");
        cli_json_size(&j, "outputs", c->size.outputs);
        cli_json_size(&j, "rows", c->rows);
        cli_json_size(&j, "steps", c->steps);
        cli_json_number(&j, "ms_per_step", c->ms_per_step);
        cli_json_number(&j, "mean_ms_per_step", c->mean_ms);
        cli_json_number(&j, "floor_ms_per_step", c->floor_ms);
        cli_json_number(&j, "ratio", c->ms_per_step / c->floor_ms);
        cli_json_number(&j, "threads", threads);
        cli_json_string(&j, "blas_core", core);
        cli_json_close(&j, '}');
    }
    bench_json_array_end(&j);
}

/* For each row of another backend with a BLAS twin: its step time over
 * BLAS's (naive: how much slower the loop is; xsmm, auto: below 1 is faster). */
static void print_speedups(FILE *f, const config *cs, size_t n)
{
    int header = 0;
    for (size_t i = 0; i < n; i++) {
        if (cs[i].backend == DLFS_BACKEND_BLAS)
            continue;
        for (size_t j = 0; j < n; j++) {
            if (cs[j].backend != DLFS_BACKEND_BLAS || cs[j].model != cs[i].model
                || strcmp(cs[j].size.name, cs[i].size.name) != 0)
                continue;
            if (!header) {
                fprintf(f, "\nstep time over blas's:\n");
                header = 1;
            }
            fprintf(f, "  %-7s %-8s %-6s %8.3fx\n", dlfs_model_kind_name(cs[i].model),
                    cs[i].size.name, dlfs_backend_name(cs[i].backend),
                    cs[i].ms_per_step / cs[j].ms_per_step);
        }
    }
}

/* The configurations to run, model by model, size by size, backend by
 * backend; returns how many. */
static size_t make_configs(const options *o, config *cs)
{
    size_t n = 0;
    for (int m = 0; m < 2; m++)
        for (size_t s = 0; s < N_PRESETS + 1; s++)
            for (int b = 0; b < BENCH_BACKENDS; b++) {
                if (!o->models[m] || !o->backends[b] || !dlfs_backend_available((dlfs_backend)b))
                    continue;
                if (s < N_PRESETS ? !o->sizes[s] : !o->custom)
                    continue;
                cs[n++] = (config){.model = bench_kinds[m],
                                   .backend = (dlfs_backend)b,
                                   .size = s < N_PRESETS ? presets[s] : o->custom_size};
            }
    return n;
}

int main(int argc, char **argv)
{
    options o = {
        /* Small enough that no size here diverges from N(0, 1) weights; the time
         * of a step does not depend on it. */
        .lr = 1e-4,
    };
    cli_set_program("dlfs-bench-train");
    int rc = parse_args(argc, argv, &o);
    if (rc != CLI_PARSED)
        return rc;
    config cs[MAX_CONFIGS];
    const size_t n = make_configs(&o, cs);
    if (n == 0)
        return cli_error(CLI_EXIT_USAGE, "nothing to run");
    if (o.csv && cli_check_output_path(o.csv, "the CSV table") != 0)
        return CLI_EXIT_FAILURE;

    dlfs_blas_info info;
    if ((rc = bench_blas_setup(stdout, o.threads, &info)) != 0)
        return rc;
    if (o.parts) {
        for (size_t i = 0; i < n; i++) {
            const config *c = &cs[i];
            const size_t rows = o.rows ? o.rows : 8 * c->size.batch;
            if ((rc = bench_step_parts(stdout, c->model, c->backend, c->size.name, rows,
                                       c->size.batch, c->size.features, c->size.hidden,
                                       c->size.outputs, o.steps)) != 0)
                return rc;
        }
        return 0;
    }
    printf("\none training step vs its dgemm floor; median of %zu steps x %zu run%s after "
           "%zu warm-up, %d BLAS thread%s\n", o.steps, o.repeats, o.repeats == 1 ? "" : "s",
           o.warmup, info.threads, info.threads == 1 ? "" : "s");
    print_header(stdout);
    fflush(stdout);
    for (size_t i = 0; i < n; i++) {
        dlfs_status st = run_config(&o, &cs[i]);
        if (st)
            return cli_error(CLI_EXIT_FAILURE, "%s %s %s: %s",
                             dlfs_model_kind_name(cs[i].model), dlfs_backend_name(cs[i].backend),
                             cs[i].size.name, cli_detail(st));
        print_config(stdout, &cs[i]);
        fflush(stdout);
    }
    print_speedups(stdout, cs, n);

    rc = 0;
    if (o.csv && bench_write_csv(o.csv, csv_header, csv_row, cs, n, info.core))
        rc = CLI_EXIT_FAILURE;
    if (o.json)
        write_json(stdout, cs, n, info.core, info.threads);
    return rc;
}
