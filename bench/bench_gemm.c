/* bench/bench_gemm.c - dlfs-bench-gemm: what BLAS buys over the naive loop.
 *
 * Times C = op(A) . op(B) through dlfs_gemm() with both backends, for the three
 * product shapes the models use:
 *     NN  X . W      op(A) = A,   op(B) = B
 *     TN  X^T . G    op(A) = A^T, op(B) = B
 *     NT  G . W^T    op(A) = A,   op(B) = B^T
 * A size MxNxK means op(A) is M x K, op(B) is K x N, C is M x N; a single
 * number n means n x n x n. Each time is the median of several samples; each
 * sample repeats the product until it lasts at least --min-time, so tiny
 * products are not lost in the clock's resolution. The naive loop is skipped
 * above --max-naive (its cost grows as n^3 and would dominate the sweep).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dlfs.h>

#include "bench_util.h"
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
} row;

typedef struct options {
    int ops[3];             /* which of NN, TN, NT to run */
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

static const char usage_text[] =
    "Usage: dlfs-bench-gemm [options]\n"
    "Times op(A).op(B) with the BLAS and the naive backend of dlfs_gemm for the\n"
    "three product shapes of the models (NN: X.W, TN: X^T.G, NT: G.W^T).\n"
    "\n"
    "Speedup is naive time / BLAS time. 'diff' is max|C_blas - C_naive| / max|C|.\n"
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
                       const size_t v[4], options *o)
{
    static const bench_list op_list = {"op", "NN, TN or NT", bench_find_name, op_names, 0};
    size_t max_naive = v[0], repeats = v[1], min_time = v[2], threads = v[3];
    if (quick) {
        sizes = cli_given(table, "--sizes") ? sizes : QUICK_SIZES;
        repeats = cli_given(table, "--repeats") ? repeats : 3;
        max_naive = cli_given(table, "--max-naive") ? max_naive : 256;
    }
    const bench_range ranges[] = {
        {"--max-naive", max_naive, 1, MAX_DIM}, {"--repeats", repeats, 1, 1000},
        {"--min-time", min_time, 1, 10000},     {"--threads", threads, 0, 1024},
    };
    int rc = bench_check_ranges(ranges, sizeof ranges / sizeof ranges[0]);
    if (rc || (rc = bench_parse_list(&op_list, ops, o->ops, 3)) || (rc = parse_sizes(sizes, o)))
        return rc;
    o->max_naive = max_naive;
    o->repeats = repeats;
    o->min_time = 1e-3 * (double)min_time;
    o->threads = (int)threads;
    return CLI_PARSED;
}

/* Returns CLI_PARSED to run, else the exit status (after --help or an error). */
static int parse_args(int argc, char **argv, options *o)
{
    const char *ops = "NN,TN,NT", *sizes = DEFAULT_SIZES;
    size_t v[4] = {512, 7, 2, 0};  /* max-naive, repeats, min-time (ms), threads */
    int quick = 0;
    cli_option table[] = {
        {"--ops", "LIST", CLI_STRING, &ops, "NN,TN,NT (default all three)", 0},
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
    return finish_args(table, quick, ops, sizes, v, o);
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

/* Median seconds per product. One untimed warm-up call (it also loads OpenBLAS's
 * buffers and threads), then samples of `inner` calls each, inner chosen from
 * the warm-up so a sample lasts about o->min_time. */
static dlfs_status time_product(const options *o, dlfs_backend be, int op,
                                const dlfs_matrix *A, const dlfs_matrix *B, dlfs_matrix *C,
                                double *seconds)
{
    double samples[1000];
    dlfs_status st;
    double t0 = cli_now();
    if ((st = dlfs_gemm(be, op_ta[op], op_tb[op], 1.0, A, B, 0.0, C)) != DLFS_OK)
        return st;
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
            dlfs_gemm(be, op_ta[op], op_tb[op], 1.0, A, B, 0.0, C);
        samples[n++] = (cli_now() - t0) / (double)inner;
    }
    *seconds = bench_median(samples, n);
    return DLFS_OK;
}

static dlfs_status run_one(const options *o, int op, shape s, dlfs_rng *rng, row *out)
{
    /* Stored shapes: op(A) = A^T for TN so A is K x M; op(B) = B^T for NT. */
    dlfs_matrix A = {0}, B = {0}, C = {0}, Cb = {0};
    dlfs_status st;
    size_t ar = op_ta[op] == DLFS_TRANS ? s.k : s.m, ac = op_ta[op] == DLFS_TRANS ? s.m : s.k;
    size_t br = op_tb[op] == DLFS_TRANS ? s.n : s.k, bc = op_tb[op] == DLFS_TRANS ? s.k : s.n;

    out->op = op;
    out->s = s;
    out->naive_s = NAN;
    out->max_diff = NAN;
    if ((st = dlfs_matrix_alloc(&A, ar, ac)) || (st = dlfs_matrix_alloc(&B, br, bc))
        || (st = dlfs_matrix_alloc(&C, s.m, s.n)) || (st = dlfs_matrix_alloc(&Cb, s.m, s.n)))
        goto done;
    fill(&A, rng);
    fill(&B, rng);

    if ((st = time_product(o, DLFS_BACKEND_BLAS, op, &A, &B, &C, &out->blas_s)))
        goto done;
    if ((st = dlfs_matrix_copy(&Cb, &C)))
        goto done;

    if (cube_side(s) <= (double)o->max_naive + 1e-9) {
        if ((st = time_product(o, DLFS_BACKEND_NAIVE, op, &A, &B, &C, &out->naive_s)))
            goto done;
        double diff = 0.0, scale = 0.0;
        for (size_t i = 0; i < s.m * s.n; i++) {
            diff = fmax(diff, fabs(C.data[i] - Cb.data[i]));
            scale = fmax(scale, fabs(Cb.data[i]));
        }
        out->max_diff = scale > 0 ? diff / scale : diff;
    }
done:
    dlfs_matrix_free(&A);
    dlfs_matrix_free(&B);
    dlfs_matrix_free(&C);
    dlfs_matrix_free(&Cb);
    return st;
}

static void print_row(FILE *f, const row *r)
{
    char dims[48];
    snprintf(dims, sizeof dims, "%zux%zux%zu", r->s.m, r->s.n, r->s.k);
    fprintf(f, "%-3s %-14s %12.3f %9.2f", op_names[r->op], dims, 1e6 * r->blas_s,
            gflops(r->s, r->blas_s));
    if (isnan(r->naive_s))
        fprintf(f, " %12s %9s %9s %9s\n", "skipped", "-", "-", "-");
    else
        fprintf(f, " %12.3f %9.2f %8.1fx %9.1e\n", 1e6 * r->naive_s,
                gflops(r->s, r->naive_s), r->naive_s / r->blas_s, r->max_diff);
}

static const char csv_header[] =
    "op,m,n,k,blas_ms,blas_gflops,naive_ms,naive_gflops,speedup,max_rel_diff,blas_core\n";

/* A row of the CSV table (bench_csv_row). */
static void csv_row(FILE *f, const void *rows, size_t i, const char *core)
{
    const row *r = (const row *)rows + i;
    fprintf(f, "%s,%zu,%zu,%zu,%.6g,%.6g,", op_names[r->op], r->s.m, r->s.n, r->s.k,
            1e3 * r->blas_s, gflops(r->s, r->blas_s));
    if (isnan(r->naive_s))
        fprintf(f, ",,,,%s\n", core);
    else
        fprintf(f, "%.6g,%.6g,%.6g,%.3g,%s\n", 1e3 * r->naive_s, gflops(r->s, r->naive_s),
                r->naive_s / r->blas_s, r->max_diff, core);
}

/* One object per row; a skipped naive loop leaves its members null (NaN). */
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
    printf("%-3s %-14s %12s %9s %12s %9s %9s %9s\n", "op", "MxNxK", "blas us", "GFLOP/s",
           "naive us", "GFLOP/s", "speedup", "diff");
    fflush(stdout);
    *n_rows = 0;
    for (int op = 0; op < 3; op++) {
        if (!o->ops[op])
            continue;
        for (size_t i = 0; i < o->n_sizes; i++) {
            dlfs_status st = run_one(o, op, o->sizes[i], &rng, &rows[*n_rows]);
            if (st)
                return cli_fail(st, op_names[op]);
            print_row(stdout, &rows[(*n_rows)++]);
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
