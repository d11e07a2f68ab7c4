/* bench/bench_gemm.c - dlfs-bench-gemm: what BLAS buys over the naive loop.
 *
 * Times C = op(A) . op(B) through dlfs_gemm() with each backend, for the three
 * product shapes the models use:
 *     NN  X . W      op(A) = A,   op(B) = B
 *     TN  X^T . G    op(A) = A^T, op(B) = B
 *     NT  G . W^T    op(A) = A,   op(B) = B^T
 * A size MxNxK means op(A) is M x K, op(B) is K x N, C is M x N; a single
 * number n means n x n x n. Each time is the median of several samples; each
 * sample repeats the product until it lasts at least --min-time, so tiny
 * products are not lost in the clock's resolution. The naive loop is skipped
 * above --max-naive (its cost grows as n^3 and would dominate the sweep).
 *
 * xsmm and auto are timed as the training loop runs them: the kernel made
 * once before the timing, then called. A product libxsmm has no kernel for
 * (auto above its crossover; NT unless K is 1) is timed through dlfs_gemm,
 * which is cblas_dgemm then, and marked "(blas)". --crossover sweeps cubes
 * with blas and xsmm and prints, per op, the largest size at which libxsmm
 * is still the faster: what DLFS_XSMM_CROSSOVER is set from.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dlfs.h>

#include "bench_util.h"
#include "xsmm.h"
#include "cli.h"
#include "files.h"
#include "json.h"
#include "plot.h"

#define MAX_SIZES 64
#define MAX_DIM 16384

static const char *const op_names[4] = {"NN", "TN", "NT", NULL};
static const char *const op_labels[3] = {"NN  X.W", "TN  X^T.G", "NT  G.W^T"};
static const dlfs_transpose op_ta[3] = {DLFS_NO_TRANS, DLFS_TRANS, DLFS_NO_TRANS};
static const dlfs_transpose op_tb[3] = {DLFS_NO_TRANS, DLFS_NO_TRANS, DLFS_TRANS};

typedef struct shape {
    size_t m, n, k;
} shape;

typedef struct row {
    int op;
    shape s;
    double blas_s;    /* median seconds per product */
    double naive_s;   /* NaN when skipped */
    double max_diff;  /* max |C_blas - C_naive| / max |C_blas|; NaN when skipped */
    double xsmm_s, auto_s;        /* NaN when not run */
    double xsmm_diff, auto_diff;  /* max |C - C_blas| / max |C_blas| */
    int xsmm_kernel, auto_kernel; /* 1: a libxsmm kernel, 0: cblas_dgemm */
} row;

typedef struct options {
    int ops[3];             /* which of NN, TN, NT to run */
    int backends[BENCH_BACKENDS];  /* by dlfs_backend value; blas always runs */
    int crossover;          /* --crossover: print where xsmm stops winning */
    shape sizes[MAX_SIZES];
    size_t n_sizes;
    size_t max_naive;       /* skip naive when cbrt(M N K) exceeds this */
    size_t repeats;         /* samples per time */
    double min_time;        /* seconds per sample, at least */
    double budget;          /* stop sampling after this many seconds (>= 3 samples) */
    int threads;
    const char *csv;
    const char *png;
    int json;
} options;

#define DEFAULT_SIZES "23x13x13,32,64,128,256,256x512x256,512,1024,2048"
#define QUICK_SIZES "23x13x13,64,256"
#define CROSSOVER_SIZES "4,8,12,16,24,32,48,64,96,128,160,192,256,320,384,448,512,640,768"

static const char usage_text[] =
    "Usage: dlfs-bench-gemm [options]\n"
    "Times op(A).op(B) with the backends of dlfs_gemm (blas always, the others as\n"
    "--backend says) for the three product shapes of the models (NN: X.W,\n"
    "TN: X^T.G, NT: G.W^T).\n"
    "\n"
    "Speedup is naive time / BLAS time; 'x blas' is BLAS time / xsmm (or auto) time,\n"
    "above 1 where libxsmm is faster. 'diff' is max|C - C_blas| / max|C_blas|.\n"
    "xsmm and auto call a kernel made before the timing, as training does; where\n"
    "there is none the time is cblas_dgemm's, marked (blas).\n"
    "OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS are read by OpenBLAS at start-up.\n";

static int parse_shape(const char *s, shape *out)
{
    char buf[64];
    size_t v[3], n = 0;
    const char *p = s;
    while (n < 3) {
        size_t len = strcspn(p, "x");
        if (len == 0 || len >= sizeof buf)
            return 1;
        memcpy(buf, p, len);
        buf[len] = '\0';
        if (cli_parse_size(buf, 1, &v[n]) || v[n] > MAX_DIM)
            return 1;
        n++;
        p += len;
        if (!*p)
            break;
        p++;
    }
    if (*p)
        return 1;
    if (n == 1)
        *out = (shape){v[0], v[0], v[0]};
    else if (n == 3)
        *out = (shape){v[0], v[1], v[2]};
    else
        return 1;
    return 0;
}

static int parse_sizes(const char *list, options *o)
{
    char item[64];
    o->n_sizes = 0;
    while (bench_next_item(&list, item, sizeof item)) {
        if (o->n_sizes == MAX_SIZES || parse_shape(item, &o->sizes[o->n_sizes]))
            return cli_error(CLI_EXIT_USAGE, "bad size '%s' (n or MxNxK, each 1..%d)", item,
                             MAX_DIM);
        o->n_sizes++;
    }
    if (o->n_sizes == 0)
        return cli_error(CLI_EXIT_USAGE, "--sizes is empty");
    return 0;
}

/* --quick's values where no option gave them; then the ranges and lists. */
static int finish_args(const cli_option *table, int quick, const char *ops, const char *sizes,
                       const char *backends, const size_t v[4], options *o)
{
    static const bench_list op_list = {"op", "NN, TN or NT", bench_find_name, op_names, 0};
    static const bench_list backend_list = {"backend", "blas, naive, xsmm, auto or all",
                                            bench_find_backend, NULL, 1};
    size_t max_naive = v[0], repeats = v[1], min_time = v[2], threads = v[3];
    if (quick) {
        sizes = cli_given(table, "--sizes") ? sizes : QUICK_SIZES;
        repeats = cli_given(table, "--repeats") ? repeats : 3;
        max_naive = cli_given(table, "--max-naive") ? max_naive : 256;
    }
    if (o->crossover) {
        if (!dlfs_have_xsmm())
            return cli_error(CLI_EXIT_USAGE, "--crossover: this dlfs was built without "
                             "libxsmm (meson option xsmm)");
        sizes = cli_given(table, "--sizes") ? sizes : CROSSOVER_SIZES;
        backends = cli_given(table, "--backend") ? backends : "blas,xsmm";
    }
    const bench_range ranges[] = {
        {"--max-naive", max_naive, 1, MAX_DIM}, {"--repeats", repeats, 1, 1000},
        {"--min-time", min_time, 1, 10000},     {"--threads", threads, 0, 1024},
    };
    int rc = bench_check_ranges(ranges, sizeof ranges / sizeof ranges[0]);
    if (rc || (rc = bench_parse_list(&op_list, ops, o->ops, 3)) || (rc = parse_sizes(sizes, o))
        || (rc = bench_parse_list(&backend_list, backends, o->backends, BENCH_BACKENDS)))
        return rc;
    if (!dlfs_have_xsmm())   /* "all" without libxsmm */
        o->backends[DLFS_BACKEND_XSMM] = 0;
    if (o->crossover && !o->backends[DLFS_BACKEND_XSMM])
        return cli_error(CLI_EXIT_USAGE, "--crossover compares xsmm with blas: --backend "
                         "must include xsmm");
    o->max_naive = max_naive;
    o->repeats = repeats;
    o->min_time = 1e-3 * (double)min_time;
    o->threads = (int)threads;
    return CLI_PARSED;
}

/* Returns CLI_PARSED to run, else the exit status (after --help or an error). */
static int parse_args(int argc, char **argv, options *o)
{
    const char *ops = "NN,TN,NT", *sizes = DEFAULT_SIZES, *backends = "all";
    size_t v[4] = {512, 7, 2, 0};  /* max-naive, repeats, min-time (ms), threads */
    int quick = 0;
    cli_option table[] = {
        {"--ops", "LIST", CLI_STRING, &ops, "NN,TN,NT (default all three)", 0},
        {"--backend", "LIST", CLI_STRING, &backends, "of blas, naive, xsmm, auto, or all (the "
            "default; xsmm" BENCH_HELP_BREAK "when built with libxsmm); blas always runs", 0},
        {"--crossover", NULL, CLI_FLAG, &o->crossover, "cubes from 4 to 768 with blas and xsmm;"
            BENCH_HELP_BREAK "prints where libxsmm stops winning", 0},
        {"--sizes", "LIST", CLI_STRING, &sizes, "comma-separated n (n x n x n) or MxNxK, "
            "op(A) M x K," BENCH_HELP_BREAK "op(B) K x N (default " DEFAULT_SIZES ")", 0},
        {"--max-naive", "N", CLI_COUNT, &v[0],
            "skip the naive loop when cbrt(M*N*K) > N (default 512)", 0},
        {"--repeats", "N", CLI_COUNT, &v[1],
            "samples per time, the median is reported (default 7)", 0},
        {"--min-time", "MS", CLI_COUNT, &v[2], "each sample lasts at least this long (default 2)", 0},
        {"--threads", "N", CLI_COUNT, &v[3], "BLAS threads (default: the library's own choice)", 0},
        {"--quick", NULL, CLI_FLAG, &quick, "sizes " QUICK_SIZES ", 3 repeats, naive up to 256"
            BENCH_HELP_BREAK "(where --sizes, --repeats, --max-naive do not say otherwise)", 0},
        {"--csv", "FILE", CLI_STRING, &o->csv, "also write the table as CSV", 0},
        {"--json", NULL, CLI_FLAG, &o->json,
            "print the results as one JSON array on the last line", 0},
        {"--png", "FILE", CLI_STRING, &o->png,
            "draw the BLAS/naive speedup against size (needs PLplot)", 0},
        {NULL, NULL, CLI_FLAG, NULL, NULL, 0},
    };
    int rc = cli_parse(argc - 1, argv + 1, table, usage_text);
    if (rc != CLI_PARSED)
        return rc;
    return finish_args(table, quick, ops, sizes, backends, v, o);
}

static double cube_side(shape s)
{
    return cbrt((double)s.m * (double)s.n * (double)s.k);
}

static double gflops(shape s, double seconds)
{
    return 2.0 * (double)s.m * (double)s.n * (double)s.k / seconds * 1e-9;
}

static void fill(dlfs_matrix *a, dlfs_rng *rng)
{
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++)
            a->data[i * a->ld + j] = 2.0 * dlfs_rng_uniform(rng) - 1.0;
}

/* One product as a backend computes it: k's kernel when it has one, else dlfs_gemm. */
static void product(dlfs_backend be, const dlfs__mm *k, int op, const dlfs_matrix *A,
                    const dlfs_matrix *B, dlfs_matrix *C)
{
    if (k && k->fn)
        k->fn(B->data, A->data, C->data);
    else
        dlfs_gemm(be, op_ta[op], op_tb[op], 1.0, A, B, 0.0, C);
}

/* Median seconds per product. One untimed warm-up call (it also loads OpenBLAS's
 * buffers and threads), then samples of `inner` calls each, inner chosen from
 * the warm-up so a sample lasts about o->min_time. */
static dlfs_status time_product(const options *o, dlfs_backend be, const dlfs__mm *k, int op,
                                const dlfs_matrix *A, const dlfs_matrix *B, dlfs_matrix *C,
                                double *seconds)
{
    double samples[1000];
    dlfs_status st;
    double t0 = cli_now();
    if ((st = dlfs_gemm(be, op_ta[op], op_tb[op], 1.0, A, B, 0.0, C)) != DLFS_OK)
        return st;
    product(be, k, op, A, B, C);
    double first = cli_now() - t0;

    size_t inner = 1, n = 0;
    if (first < o->min_time)
        inner = (size_t)(o->min_time / (first > 1e-8 ? first : 1e-8)) + 1;
    /* A warm-up that alone exceeds a quarter of the budget counts as a sample:
     * repeating it would make the naive sweep far too long. */
    if (first > o->budget / 4)
        samples[n++] = first;

    double start = cli_now();
    while (n < o->repeats && !(n >= 3 && cli_now() - start > o->budget)) {
        t0 = cli_now();
        for (size_t r = 0; r < inner; r++)
            product(be, k, op, A, B, C);
        samples[n++] = (cli_now() - t0) / (double)inner;
    }
    *seconds = bench_median(samples, n);
    return DLFS_OK;
}

/* max |C - ref| / max |ref| */
static double rel_diff(const dlfs_matrix *C, const dlfs_matrix *ref)
{
    double diff = 0.0, scale = 0.0;
    for (size_t i = 0; i < C->rows * C->cols; i++) {
        diff = fmax(diff, fabs(C->data[i] - ref->data[i]));
        scale = fmax(scale, fabs(ref->data[i]));
    }
    return scale > 0 ? diff / scale : diff;
}

/* Times the xsmm or auto backend on the product: its kernel made first. */
static dlfs_status time_xsmm(const options *o, dlfs_backend be, int op, shape s,
                             const dlfs_matrix *A, const dlfs_matrix *B, dlfs_matrix *C,
                             const dlfs_matrix *Cb, double *seconds, double *diff, int *kernel)
{
    const dlfs__mm k = dlfs__mm_make(be, op_ta[op], op_tb[op], s.m, s.n, s.k, A->ld, B->ld,
                                     C->ld);
    dlfs_status st = time_product(o, be, &k, op, A, B, C, seconds);
    if (!st) {
        *diff = rel_diff(C, Cb);
        *kernel = k.fn != NULL;
    }
    return st;
}

static dlfs_status run_one(const options *o, int op, shape s, dlfs_rng *rng, row *out)
{
    /* Stored shapes: op(A) = A^T for TN so A is K x M; op(B) = B^T for NT. */
    dlfs_matrix A = {0}, B = {0}, C = {0}, Cb = {0};
    dlfs_status st;
    size_t ar = op_ta[op] == DLFS_TRANS ? s.k : s.m, ac = op_ta[op] == DLFS_TRANS ? s.m : s.k;
    size_t br = op_tb[op] == DLFS_TRANS ? s.n : s.k, bc = op_tb[op] == DLFS_TRANS ? s.k : s.n;

    *out = (row){.op = op, .s = s, .naive_s = NAN, .max_diff = NAN, .xsmm_s = NAN,
                 .auto_s = NAN, .xsmm_diff = NAN, .auto_diff = NAN};
    if ((st = dlfs_matrix_alloc(&A, ar, ac)) || (st = dlfs_matrix_alloc(&B, br, bc))
        || (st = dlfs_matrix_alloc(&C, s.m, s.n)) || (st = dlfs_matrix_alloc(&Cb, s.m, s.n)))
        goto done;
    fill(&A, rng);
    fill(&B, rng);

    if ((st = time_product(o, DLFS_BACKEND_BLAS, NULL, op, &A, &B, &C, &out->blas_s)))
        goto done;
    if ((st = dlfs_matrix_copy(&Cb, &C)))
        goto done;

    if (o->backends[DLFS_BACKEND_NAIVE] && cube_side(s) <= (double)o->max_naive + 1e-9) {
        if ((st = time_product(o, DLFS_BACKEND_NAIVE, NULL, op, &A, &B, &C, &out->naive_s)))
            goto done;
        out->max_diff = rel_diff(&C, &Cb);
    }
    if (o->backends[DLFS_BACKEND_XSMM]
        && (st = time_xsmm(o, DLFS_BACKEND_XSMM, op, s, &A, &B, &C, &Cb, &out->xsmm_s,
                           &out->xsmm_diff, &out->xsmm_kernel)))
        goto done;
    if (o->backends[DLFS_BACKEND_AUTO])
        st = time_xsmm(o, DLFS_BACKEND_AUTO, op, s, &A, &B, &C, &Cb, &out->auto_s,
                       &out->auto_diff, &out->auto_kernel);
done:
    dlfs_matrix_free(&A);
    dlfs_matrix_free(&B);
    dlfs_matrix_free(&C);
    dlfs_matrix_free(&Cb);
    return st;
}

/* The columns of the backends o runs, after op and shape. */
static void print_header(FILE *f, const options *o)
{
    fprintf(f, "%-3s %-14s %12s %9s", "op", "MxNxK", "blas us", "GFLOP/s");
    if (o->backends[DLFS_BACKEND_NAIVE])
        fprintf(f, " %12s %9s %9s %9s", "naive us", "GFLOP/s", "speedup", "diff");
    for (int b = DLFS_BACKEND_XSMM; b <= DLFS_BACKEND_AUTO; b++)
        if (o->backends[b])
            fprintf(f, " | %5s %10s %8s %7s %8s", dlfs_backend_name((dlfs_backend)b), "us",
                    "GFLOP/s", "x blas", "diff");
    fputc('\n', f);
}

static void print_row(FILE *f, const options *o, const row *r)
{
    char dims[48];
    snprintf(dims, sizeof dims, "%zux%zux%zu", r->s.m, r->s.n, r->s.k);
    fprintf(f, "%-3s %-14s %12.3f %9.2f", op_names[r->op], dims, 1e6 * r->blas_s,
            gflops(r->s, r->blas_s));
    if (o->backends[DLFS_BACKEND_NAIVE]) {
        if (isnan(r->naive_s))
            fprintf(f, " %12s %9s %9s %9s", "skipped", "-", "-", "-");
        else
            fprintf(f, " %12.3f %9.2f %8.1fx %9.1e", 1e6 * r->naive_s,
                    gflops(r->s, r->naive_s), r->naive_s / r->blas_s, r->max_diff);
    }
    for (int b = DLFS_BACKEND_XSMM; b <= DLFS_BACKEND_AUTO; b++) {
        if (!o->backends[b])
            continue;
        const int xsmm = b == DLFS_BACKEND_XSMM;
        const double t = xsmm ? r->xsmm_s : r->auto_s;
        fprintf(f, " | %-6s %9.3f %8.2f %6.2fx %8.1e",
                (xsmm ? r->xsmm_kernel : r->auto_kernel) ? "" : "(blas)", 1e6 * t,
                gflops(r->s, t), r->blas_s / t, xsmm ? r->xsmm_diff : r->auto_diff);
    }
    fputc('\n', f);
}

static const char csv_header[] =
    "op,m,n,k,blas_ms,blas_gflops,naive_ms,naive_gflops,speedup,max_rel_diff,"
    "xsmm_ms,xsmm_gflops,xsmm_kernel,auto_ms,auto_gflops,auto_kernel,blas_core\n";

/* A value of the CSV table: empty for NaN (not run). */
static void csv_value(FILE *f, double v)
{
    if (isnan(v))
        fputc(',', f);
    else
        fprintf(f, "%.6g,", v);
}

/* A row of the CSV table (bench_csv_row). */
static void csv_row(FILE *f, const void *rows, size_t i, const char *core)
{
    const row *r = (const row *)rows + i;
    fprintf(f, "%s,%zu,%zu,%zu,", op_names[r->op], r->s.m, r->s.n, r->s.k);
    csv_value(f, 1e3 * r->blas_s);
    csv_value(f, gflops(r->s, r->blas_s));
    csv_value(f, 1e3 * r->naive_s);
    csv_value(f, gflops(r->s, r->naive_s));
    csv_value(f, r->naive_s / r->blas_s);
    csv_value(f, r->max_diff);
    csv_value(f, 1e3 * r->xsmm_s);
    csv_value(f, gflops(r->s, r->xsmm_s));
    fprintf(f, "%s,", isnan(r->xsmm_s) ? "" : r->xsmm_kernel ? "xsmm" : "blas");
    csv_value(f, 1e3 * r->auto_s);
    csv_value(f, gflops(r->s, r->auto_s));
    fprintf(f, "%s,%s\n", isnan(r->auto_s) ? "" : r->auto_kernel ? "xsmm" : "blas", core);
}

/* Per op, of the cubes timed with both: the largest n at which libxsmm was
 * faster than cblas_dgemm, and the smallest above which it never was. */
static void print_crossover(FILE *f, const row *rows, size_t n)
{
    fprintf(f, "\ncrossover, xsmm against blas (cubes n x n x n):\n");
    for (int op = 0; op < 3; op++) {
        size_t last_win = 0, first_loss = 0, runs = 0;
        for (size_t i = 0; i < n; i++) {
            const row *r = &rows[i];
            if (r->op != op || r->s.m != r->s.n || r->s.n != r->s.k || isnan(r->xsmm_s)
                || !r->xsmm_kernel)
                continue;
            runs++;
            if (r->xsmm_s < r->blas_s)
                last_win = r->s.m;
        }
        for (size_t i = 0; i < n; i++) {
            const row *r = &rows[i];
            if (r->op == op && r->s.m == r->s.n && r->s.n == r->s.k && !isnan(r->xsmm_s)
                && r->xsmm_kernel && r->s.m > last_win && (!first_loss || r->s.m < first_loss))
                first_loss = r->s.m;
        }
        if (!runs)
            fprintf(f, "  %-3s no libxsmm kernel at these sizes\n", op_names[op]);
        else if (!first_loss)
            fprintf(f, "  %-3s xsmm faster up to the largest size, %zu (r n c %zu)\n",
                    op_names[op], last_win, last_win * last_win * last_win);
        else
            fprintf(f, "  %-3s xsmm faster up to n = %zu (r n c %zu), blas from n = %zu\n",
                    op_names[op], last_win, last_win * last_win * last_win, first_loss);
    }
    fprintf(f, "auto takes libxsmm up to r n c = %zu\n", (size_t)DLFS_XSMM_CROSSOVER);
}

/* One object per row; a backend not run (or a skipped naive loop) leaves
 * its members null (NaN). */
static void write_json(FILE *out, const row *rows, size_t n, const char *core)
{
    cli_json j;
    bench_json_array_begin(&j, out);
    for (size_t i = 0; i < n; i++) {
        const row *r = &rows[i];
        cli_json_open(&j, NULL, '{');
        cli_json_string(&j, "op", op_names[r->op]);
        cli_json_size(&j, "m", r->s.m);
        cli_json_size(&j, "n", r->s.n);
        cli_json_size(&j, "k", r->s.k);
        cli_json_number(&j, "blas_ms", 1e3 * r->blas_s);
        cli_json_number(&j, "blas_gflops", gflops(r->s, r->blas_s));
        cli_json_number(&j, "naive_ms", 1e3 * r->naive_s);
        cli_json_number(&j, "naive_gflops", gflops(r->s, r->naive_s));
        cli_json_number(&j, "speedup", r->naive_s / r->blas_s);
        cli_json_number(&j, "xsmm_ms", 1e3 * r->xsmm_s);
        cli_json_number(&j, "xsmm_gflops", gflops(r->s, r->xsmm_s));
        if (isnan(r->xsmm_s))
            cli_json_null(&j, "xsmm_kernel");
        else
            cli_json_string(&j, "xsmm_kernel", r->xsmm_kernel ? "xsmm" : "blas");
        cli_json_number(&j, "auto_ms", 1e3 * r->auto_s);
        cli_json_number(&j, "auto_gflops", gflops(r->s, r->auto_s));
        if (isnan(r->auto_s))
            cli_json_null(&j, "auto_kernel");
        else
            cli_json_string(&j, "auto_kernel", r->auto_kernel ? "xsmm" : "blas");
        cli_json_string(&j, "blas_core", core);
        cli_json_close(&j, '}');
    }
    bench_json_array_end(&j);
}

/* Splits path into its directory (".", "/" or the part before the last '/')
 * and its file name, for plot_dir_open and plot_figure.name. */
static int split_path(const char *path, char *dir, size_t size, const char **base)
{
    const char *slash = strrchr(path, '/');
    size_t len = !slash ? 0 : slash == path ? 1 : (size_t)(slash - path);
    if (len >= size)
        return cli_error(CLI_EXIT_FAILURE, "cannot write %s: name too long", path);
    memcpy(dir, slash ? path : ".", slash ? len : 1);
    dir[slash ? len : 1] = '\0';
    *base = slash ? slash + 1 : path;
    return 0;
}

/* The speedup against cbrt(M N K), log-log, one line with markers per op, in
 * a window 0.1 decade wider than the sizes and from 1x (or below) to the
 * decade above the largest speedup. */
static int write_png(const char *path, const row *rows, size_t n, const char *core)
{
    double xs[3][MAX_SIZES], ys[3][MAX_SIZES];
    plot_series series[3];
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int op = 0; op < 3; op++) {
        size_t np = 0;
        for (size_t i = 0; i < n && np < MAX_SIZES; i++) {
            if (rows[i].op != op || isnan(rows[i].naive_s))
                continue;
            xs[op][np] = cube_side(rows[i].s);
            ys[op][np] = rows[i].naive_s / rows[i].blas_s;
            x0 = fmin(x0, log10(xs[op][np]));
            x1 = fmax(x1, log10(xs[op][np]));
            y0 = fmin(y0, log10(ys[op][np]));
            y1 = fmax(y1, log10(ys[op][np]));
            np++;
        }
        /* An op not run keeps its place, so each op keeps its colour. */
        series[op] = (plot_series){np ? op_labels[op] : NULL, xs[op], ys[op], np,
                                   PLOT_LINE_POINTS};
    }
    if (!(x0 <= x1))
        return cli_error(CLI_EXIT_FAILURE, "no naive timings to plot; no PNG written");
    char title[128], dir_path[4096];
    snprintf(title, sizeof title, "dlfs_gemm: BLAS (%s) over the naive loop", core);
    plot_figure fig = {
        .title = title,
        .x = {"size (cube root of M*N*K)", pow(10, x0 - 0.1), pow(10, x1 + 0.1), 1},
        .y = {"speedup (naive time / BLAS time)", pow(10, fmin(floor(y0), 0.0)),
              pow(10, ceil(y1 + 0.05)), 1},
        .legend = PLOT_LEGEND_TOP_LEFT, .series = series, .n_series = 3,
    };
    plot_dir dir;
    if (split_path(path, dir_path, sizeof dir_path, &fig.name) || plot_dir_open(&dir, dir_path))
        return 1;
    int rc = plot_draw(&dir, &fig);
    plot_dir_close(&dir);
    return rc;
}

/* What the run will write, checked before the sweep. Returns 0 or an exit
 * status; a --png that cannot be drawn is dropped with a warning. */
static int check_outputs(options *o)
{
    if (o->csv && cli_check_output_path(o->csv, "the CSV table") != 0)
        return CLI_EXIT_FAILURE;
    if (o->png && cli_check_output_path(o->png, "the figure") != 0)
        return CLI_EXIT_FAILURE;
    if (o->png && !plot_available()) {
        cli_error(0, "figures are %s; --png ignored", plot_status());
        o->png = NULL;
    }
    return 0;
}

/* Times every op and size in turn, printing each row as it is done. */
static int run_all(const options *o, row *rows, size_t *n_rows)
{
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 2019);
    printf("\nproducts C = op(A).op(B), MxNxK: op(A) M x K, op(B) K x N; median of %zu; "
           "naive up to %zu\n", o->repeats, o->max_naive);
    print_header(stdout, o);
    fflush(stdout);
    *n_rows = 0;
    for (int op = 0; op < 3; op++) {
        if (!o->ops[op])
            continue;
        for (size_t i = 0; i < o->n_sizes; i++) {
            dlfs_status st = run_one(o, op, o->sizes[i], &rng, &rows[*n_rows]);
            if (st)
                return cli_fail(st, op_names[op]);
            print_row(stdout, o, &rows[(*n_rows)++]);
            fflush(stdout);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o = {.budget = 2.0};
    cli_set_program("dlfs-bench-gemm");
    int rc = parse_args(argc, argv, &o);
    if (rc != CLI_PARSED)
        return rc;
    if ((rc = check_outputs(&o)) != 0)
        return rc;

    dlfs_blas_info info;
    if ((rc = bench_blas_setup(stdout, o.threads, &info)) != 0)
        return rc;
    row *rows = calloc(3 * o.n_sizes, sizeof *rows);
    if (!rows)
        return cli_error(CLI_EXIT_FAILURE, "out of memory");
    size_t n_rows;
    if ((rc = run_all(&o, rows, &n_rows)) != 0) {
        free(rows);
        return rc;
    }
    if (o.crossover)
        print_crossover(stdout, rows, n_rows);
    if (o.csv && bench_write_csv(o.csv, csv_header, csv_row, rows, n_rows, info.core))
        rc = CLI_EXIT_FAILURE;
    if (o.png) {
        if (write_png(o.png, rows, n_rows, info.core))
            rc = CLI_EXIT_FAILURE;
        else
            printf("wrote %s\n", o.png);
    }
    if (o.json)
        write_json(stdout, rows, n_rows, info.core);
    free(rows);
    return rc;
}
