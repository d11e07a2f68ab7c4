/* bench/bench_train.c - dlfs-bench-train: one training step against its dgemm floor.
 *
 * A step is what dlfs_linreg_train / dlfs_nn_train do per iteration: gather a
 * batch, forward, loss, backward, check, update. It is timed as the trainer runs
 * it: a loss callback stamps CLOCK_MONOTONIC after every iteration and the gap
 * between two stamps is one step. The first --warmup steps are dropped and the
 * median of the next --steps is reported.
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
 * from B). The floor is the BLAS one for both backends, so a naive row's ratio
 * says how far the reference loop is from what BLAS reaches.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include <dlfs/dlfs.h>

#include "bench_util.h"

#define MAX_CONFIGS 64
#define MAX_DIM 65536

typedef enum model_kind { MODEL_LINREG = 0, MODEL_NN = 1 } model_kind;
static const char *const model_names[2] = {"linreg", "nn"};

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
    model_kind model;
    dlfs_backend backend;
    size_preset size;
    /* results */
    size_t steps;          /* step samples taken */
    double ms_per_step;    /* median */
    double floor_ms;       /* median of the floor */
    size_t rows;           /* rows in the synthetic set */
} config;

typedef struct options {
    int models[2];
    int backends[2];
    int sizes[N_PRESETS];
    int custom;
    size_preset custom_size;
    size_t steps, warmup, repeats, rows;
    int threads;
    dlfs_init init;
    double lr;
    const char *csv;
    int json;
} options;

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: dlfs-bench-train [options]\n"
        "Times one training step (batch gather, forward, loss, backward, update) of the\n"
        "regression and the network as dlfs_*_train runs it, and in the same run the\n"
        "step's cblas_dgemm calls alone (the dgemm floor).\n"
        "\n"
        "  --model M         linreg, nn or all (default all)\n"
        "  --backend B       blas, naive or all (default all)\n"
        "  --sizes LIST      of chapter (B=23 k=13 h=13), medium (B=64 k=64 h=128),\n"
        "                    large (B=256 k=256 h=512); default all three\n"
        "  --batch B --features K --hidden H --outputs M\n"
        "                    a custom size (unset ones from the chapter: 23, 13, 13, 1);\n"
        "                    alone it replaces --sizes, with --sizes it is added\n"
        "  --steps N         steps measured per run, median reported (default 100)\n"
        "  --warmup N        steps dropped before measuring (default 10)\n"
        "  --repeats N       training runs per configuration, steps pooled (default 1)\n"
        "  --rows N          rows of the synthetic set, rounded up to a multiple of B\n"
        "                    (default 8 B)\n"
        "  --init I          normal (the book, default) or scaled\n"
        "  --threads N       OpenBLAS threads (default: OpenBLAS's own choice)\n"
        "  --quick           chapter size, 30 steps, 5 warm-up (for meson test --benchmark)\n"
        "  --csv FILE        also write the table as CSV\n"
        "  --json            print the results as one JSON array on the last line\n"
        "  --help            this text\n"
        "\n"
        "ratio = ms/step / floor ms/step. The floor is the BLAS products for both\n"
        "backends. OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS are read by OpenBLAS at\n"
        "start-up.\n");
}

static int parse_list(const char *list, const char *const *names, size_t n_names,
                      int *flags, const char *what)
{
    char item[32];
    for (size_t i = 0; i < n_names; i++)
        flags[i] = 0;
    int any = 0;
    while (bench_next_item(&list, item, sizeof item)) {
        int found = 0;
        if (strcmp(item, "all") == 0) {
            for (size_t i = 0; i < n_names; i++)
                flags[i] = 1;
            found = 1;
        }
        for (size_t i = 0; i < n_names; i++)
            if (strcmp(item, names[i]) == 0)
                flags[i] = found = 1;
        if (!found) {
            fprintf(stderr, "dlfs-bench-train: unknown %s '%s'\n", what, item);
            return 1;
        }
        any = 1;
    }
    if (!any) {
        fprintf(stderr, "dlfs-bench-train: no %s given\n", what);
        return 1;
    }
    return 0;
}

/* Returns 0 to run, 1 for a usage error, 2 after --help. */
static int parse_args(int argc, char **argv, options *o)
{
    static const char *const backend_names[2] = {"blas", "naive"};
    const char *preset_names[N_PRESETS];
    for (size_t i = 0; i < N_PRESETS; i++)
        preset_names[i] = presets[i].name;
    int sizes_given = 0;
    size_t v;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 2;
        } else if (strcmp(a, "--json") == 0) {
            o->json = 1;
            continue;
        } else if (strcmp(a, "--quick") == 0) {
            for (size_t s = 0; s < N_PRESETS; s++)
                o->sizes[s] = s == 0;
            sizes_given = 1;
            o->steps = 30;
            o->warmup = 5;
            continue;
        } else if (!val) {
            fprintf(stderr, "dlfs-bench-train: unknown option or missing value: %s\n", a);
            return 1;
        }
        i++;
        if (strcmp(a, "--model") == 0) {
            if (parse_list(val, model_names, 2, o->models, "model"))
                return 1;
        } else if (strcmp(a, "--backend") == 0) {
            if (parse_list(val, backend_names, 2, o->backends, "backend"))
                return 1;
        } else if (strcmp(a, "--sizes") == 0) {
            if (parse_list(val, preset_names, N_PRESETS, o->sizes, "size"))
                return 1;
            sizes_given = 1;
        } else if (strcmp(a, "--batch") == 0 || strcmp(a, "--features") == 0
                   || strcmp(a, "--hidden") == 0 || strcmp(a, "--outputs") == 0) {
            if (bench_parse_size(val, MAX_DIM, &v))
                goto bad_value;
            o->custom = 1;
            if (a[2] == 'b')
                o->custom_size.batch = v;
            else if (a[2] == 'f')
                o->custom_size.features = v;
            else if (a[2] == 'h')
                o->custom_size.hidden = v;
            else
                o->custom_size.outputs = v;
        } else if (strcmp(a, "--steps") == 0) {
            if (bench_parse_size(val, 10000000, &o->steps))
                goto bad_value;
        } else if (strcmp(a, "--warmup") == 0) {
            if (strcmp(val, "0") == 0)
                o->warmup = 0;
            else if (bench_parse_size(val, 1000000, &o->warmup))
                goto bad_value;
        } else if (strcmp(a, "--repeats") == 0) {
            if (bench_parse_size(val, 1000, &o->repeats))
                goto bad_value;
        } else if (strcmp(a, "--rows") == 0) {
            if (bench_parse_size(val, (size_t)1 << 40, &o->rows))
                goto bad_value;
        } else if (strcmp(a, "--threads") == 0) {
            if (bench_parse_size(val, 1024, &v))
                goto bad_value;
            o->threads = (int)v;
        } else if (strcmp(a, "--init") == 0) {
            if (strcmp(val, "normal") == 0)
                o->init = DLFS_INIT_NORMAL;
            else if (strcmp(val, "scaled") == 0)
                o->init = DLFS_INIT_SCALED;
            else
                goto bad_value;
        } else if (strcmp(a, "--csv") == 0) {
            o->csv = val;
        } else {
            fprintf(stderr, "dlfs-bench-train: unknown option %s (see --help)\n", a);
            return 1;
        }
        continue;
    bad_value:
        fprintf(stderr, "dlfs-bench-train: bad value for %s: %s\n", a, val);
        return 1;
    }
    if (o->custom && !sizes_given)
        for (size_t s = 0; s < N_PRESETS; s++)
            o->sizes[s] = 0;
    return 0;
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
static void floor_step(const floor_bufs *f, model_kind model, const size_preset *s)
{
    const size_t B = s->batch, k = s->features, h = s->hidden, m = s->outputs;
    if (model == MODEL_NN) {
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
        s->t[s->n++] = bench_now();
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

static dlfs_status run_config(const options *o, config *c)
{
    const size_preset *s = &c->size;
    const size_t per_run = o->warmup + o->steps + 1;  /* stamps: steps gaps after the warm-up */
    size_t n = o->rows ? o->rows : 8 * s->batch;
    n = (n + s->batch - 1) / s->batch * s->batch;
    c->rows = n;

    dlfs_rng rng;
    dlfs_rng_seed(&rng, 180807);
    dlfs_matrix X = {0}, y = {0};
    dlfs_linreg lr = {0};
    dlfs_nn nn = {0};
    floor_bufs fb = {0};
    double *step_s = NULL, *floor_s = NULL, *t = NULL;
    dlfs_status st;

    if ((st = make_data(&X, &y, n, s, &rng)))
        goto done;
    if (c->model == MODEL_NN)
        st = dlfs_nn_alloc(&nn, s->features, s->hidden, s->outputs);
    else
        st = dlfs_linreg_alloc(&lr, s->features, s->outputs);
    if (st)
        goto done;
    nn.backend = lr.backend = c->backend;

    step_s = malloc(o->repeats * o->steps * sizeof *step_s);
    floor_s = malloc(o->repeats * o->steps * sizeof *floor_s);
    t = malloc(per_run * sizeof *t);
    if (!step_s || !floor_s || !t || floor_alloc(&fb, s, &rng)) {
        st = DLFS_ENOMEM;
        goto done;
    }

    dlfs_train_options opt;
    dlfs_train_options_default(&opt);
    opt.iterations = per_run;
    opt.batch_size = s->batch;
    opt.learning_rate = o->lr;
    opt.init_weights = 1;
    opt.init = o->init;
    opt.on_loss = on_loss;

    size_t ns = 0, nf = 0;
    for (size_t r = 0; r < o->repeats; r++) {
        /* The step, as the trainer runs it. */
        stamps sp = {t, 0, per_run};
        opt.user = &sp;
        opt.seed = 180807 + r;
        dlfs_train_result res;
        if (c->model == MODEL_NN)
            st = dlfs_nn_train(&nn, &X, &y, &opt, &res);
        else
            st = dlfs_linreg_train(&lr, &X, &y, &opt, &res);
        if (st)
            goto done;
        for (size_t i = o->warmup + 1; i < sp.n; i++)
            step_s[ns++] = t[i] - t[i - 1];

        /* The floor, timed the same way: gaps between stamps. */
        for (size_t i = 0; i < per_run; i++) {
            floor_step(&fb, c->model, s);
            t[i] = bench_now();
        }
        for (size_t i = o->warmup + 1; i < per_run; i++)
            floor_s[nf++] = t[i] - t[i - 1];
    }
    c->steps = ns;
    c->ms_per_step = 1e3 * bench_median(step_s, ns);
    c->floor_ms = 1e3 * bench_median(floor_s, nf);

done:
    free(t);
    free(step_s);
    free(floor_s);
    free(fb.block);
    dlfs_nn_free(&nn);
    dlfs_linreg_free(&lr);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
    return st;
}

/* ---- output ---------------------------------------------------------------- */

static void print_header(FILE *f)
{
    fprintf(f, "%-7s %-6s %-8s %5s %5s %5s %3s %6s %11s %11s %7s\n", "model", "backend",
            "size", "B", "k", "h", "m", "steps", "ms/step", "floor ms", "ratio");
}

static void print_config(FILE *f, const config *c)
{
    char h[24];
    if (c->model == MODEL_NN)
        snprintf(h, sizeof h, "%zu", c->size.hidden);
    else
        snprintf(h, sizeof h, "-");
    fprintf(f, "%-7s %-7s %-8s %5zu %5zu %5s %3zu %6zu %11.6f %11.6f %7.3f\n",
            model_names[c->model], dlfs_backend_name(c->backend), c->size.name,
            c->size.batch, c->size.features, h, c->size.outputs, c->steps,
            c->ms_per_step, c->floor_ms, c->ms_per_step / c->floor_ms);
}

static int write_csv(const char *path, const config *cs, size_t n, const char *core)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    fprintf(f, "model,backend,size,batch,features,hidden,outputs,rows,steps,ms_per_step,"
               "floor_ms_per_step,ratio,blas_core\n");
    for (size_t i = 0; i < n; i++) {
        const config *c = &cs[i];
        fprintf(f, "%s,%s,%s,%zu,%zu,", model_names[c->model], dlfs_backend_name(c->backend),
                c->size.name, c->size.batch, c->size.features);
        if (c->model == MODEL_NN)
            fprintf(f, "%zu", c->size.hidden);
        fprintf(f, ",%zu,%zu,%zu,%.6g,%.6g,%.6g,%s\n", c->size.outputs, c->rows, c->steps,
                c->ms_per_step, c->floor_ms, c->ms_per_step / c->floor_ms, core);
    }
    if (fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

/* hidden is null for the regression, which has no hidden layer. */
static void write_json(FILE *out, const config *cs, size_t n, const char *core, int threads)
{
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        const config *c = &cs[i];
        fprintf(out, "%s{\"model\":\"%s\",\"backend\":\"%s\",\"size\":", i ? "," : "",
                model_names[c->model], dlfs_backend_name(c->backend));
        bench_json_string(out, c->size.name);
        fprintf(out, ",\"batch\":%zu,\"features\":%zu,\"hidden\":", c->size.batch,
                c->size.features);
        if (c->model == MODEL_NN)
            fprintf(out, "%zu", c->size.hidden);
        else
            fprintf(out, "null");
        fprintf(out, ",\"outputs\":%zu,\"rows\":%zu,\"steps\":%zu,\"ms_per_step\":%.6g,"
                     "\"floor_ms_per_step\":%.6g,\"ratio\":%.6g,\"threads\":%d,\"blas_core\":",
                c->size.outputs, c->rows, c->steps, c->ms_per_step, c->floor_ms,
                c->ms_per_step / c->floor_ms, threads);
        bench_json_string(out, core);
        fputc('}', out);
    }
    fprintf(out, "]\n");
}

/* For each BLAS row with a naive twin: how much faster the BLAS step is. */
static void print_speedups(FILE *f, const config *cs, size_t n)
{
    int header = 0;
    for (size_t i = 0; i < n; i++) {
        if (cs[i].backend != DLFS_BACKEND_BLAS)
            continue;
        for (size_t j = 0; j < n; j++) {
            if (cs[j].backend != DLFS_BACKEND_NAIVE || cs[j].model != cs[i].model
                || strcmp(cs[j].size.name, cs[i].size.name) != 0)
                continue;
            if (!header) {
                fprintf(f, "\nstep time, naive / blas:\n");
                header = 1;
            }
            fprintf(f, "  %-7s %-8s %7.2fx\n", model_names[cs[i].model], cs[i].size.name,
                    cs[j].ms_per_step / cs[i].ms_per_step);
        }
    }
}

int main(int argc, char **argv)
{
    options o = {
        .models = {1, 1}, .backends = {1, 1}, .sizes = {1, 1, 1},
        .custom_size = {"custom", 23, 13, 13, 1},
        .steps = 100, .warmup = 10, .repeats = 1,
        .init = DLFS_INIT_NORMAL,
        /* Small enough that no size here diverges from N(0, 1) weights; the time
         * of a step does not depend on it. */
        .lr = 1e-4,
    };
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc == 2 ? 0 : 2;

    dlfs_blas_info info;
    if (bench_blas_setup(stdout, o.threads, &info))
        return 1;

    config cs[MAX_CONFIGS];
    size_t n = 0;
    for (int m = 0; m < 2; m++)
        for (size_t s = 0; s < N_PRESETS + 1; s++)
            for (int b = 0; b < 2; b++) {
                if (!o.models[m] || !o.backends[b])
                    continue;
                if (s < N_PRESETS ? !o.sizes[s] : !o.custom)
                    continue;
                cs[n++] = (config){.model = (model_kind)m,
                                   .backend = b ? DLFS_BACKEND_NAIVE : DLFS_BACKEND_BLAS,
                                   .size = s < N_PRESETS ? presets[s] : o.custom_size};
            }
    if (n == 0) {
        fprintf(stderr, "dlfs-bench-train: nothing to run\n");
        return 2;
    }

    printf("\none training step vs its dgemm floor; median of %zu steps x %zu run%s after "
           "%zu warm-up, %d BLAS thread%s\n", o.steps, o.repeats, o.repeats == 1 ? "" : "s",
           o.warmup, info.threads, info.threads == 1 ? "" : "s");
    print_header(stdout);
    fflush(stdout);
    for (size_t i = 0; i < n; i++) {
        dlfs_status st = run_config(&o, &cs[i]);
        if (st) {
            fprintf(stderr, "dlfs-bench-train: %s %s %s: %s: %s\n", model_names[cs[i].model],
                    dlfs_backend_name(cs[i].backend), cs[i].size.name, dlfs_strerror(st),
                    dlfs_error_detail());
            return 1;
        }
        print_config(stdout, &cs[i]);
        fflush(stdout);
    }
    print_speedups(stdout, cs, n);

    rc = 0;
    if (o.csv && write_csv(o.csv, cs, n, info.core))
        rc = 1;
    if (o.json)
        write_json(stdout, cs, n, info.core, info.threads);
    return rc;
}
