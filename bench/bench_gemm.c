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
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dlfs.h>

#include "bench_util.h"

#ifdef DLFS_HAVE_PLPLOT
#include <plplot.h>
#endif

#define MAX_SIZES 64
#define MAX_DIM 16384

static const char *const op_names[3] = {"NN", "TN", "NT"};
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

static const char *const default_sizes =
    "23x13x13,32,64,128,256,256x512x256,512,1024,2048";
static const char *const quick_sizes = "23x13x13,64,256";

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: dlfs-bench-gemm [options]\n"
        "Times op(A).op(B) with the BLAS and the naive backend of dlfs_gemm for the\n"
        "three product shapes of the models (NN: X.W, TN: X^T.G, NT: G.W^T).\n"
        "\n"
        "  --ops LIST        NN,TN,NT (default all three)\n"
        "  --sizes LIST      comma-separated n (n x n x n) or MxNxK, op(A) M x K,\n"
        "                    op(B) K x N (default %s)\n"
        "  --max-naive N     skip the naive loop when cbrt(M*N*K) > N (default 512)\n"
        "  --repeats N       samples per time, the median is reported (default 7)\n"
        "  --min-time MS     each sample lasts at least this long (default 2)\n"
        "  --threads N       OpenBLAS threads (default: OpenBLAS's own choice)\n"
        "  --quick           sizes %s, 3 repeats, naive up to 256\n"
        "  --csv FILE        also write the table as CSV\n"
        "  --json            print the results as one JSON array on the last line\n"
        "  --png FILE        draw the BLAS/naive speedup against size (needs PLplot)\n"
        "  --help            this text\n"
        "\n"
        "Speedup is naive time / BLAS time. 'diff' is max|C_blas - C_naive| / max|C|.\n"
        "OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS are read by OpenBLAS at start-up.\n",
        default_sizes, quick_sizes);
}

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
        if (bench_parse_size(buf, MAX_DIM, &v[n++]))
            return 1;
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
        if (o->n_sizes == MAX_SIZES || parse_shape(item, &o->sizes[o->n_sizes])) {
            fprintf(stderr, "dlfs-bench-gemm: bad size '%s' (n or MxNxK, each 1..%d)\n",
                    item, MAX_DIM);
            return 1;
        }
        o->n_sizes++;
    }
    if (o->n_sizes == 0) {
        fprintf(stderr, "dlfs-bench-gemm: --sizes is empty\n");
        return 1;
    }
    return 0;
}

static int parse_ops(const char *list, options *o)
{
    char item[16];
    o->ops[0] = o->ops[1] = o->ops[2] = 0;
    while (bench_next_item(&list, item, sizeof item)) {
        int found = 0;
        for (int i = 0; i < 3; i++)
            if (strcmp(item, op_names[i]) == 0)
                o->ops[i] = found = 1;
        if (!found) {
            fprintf(stderr, "dlfs-bench-gemm: unknown op '%s' (NN, TN or NT)\n", item);
            return 1;
        }
    }
    return 0;
}

/* Returns 0 to run, 1 for a usage error, 2 after --help. */
static int parse_args(int argc, char **argv, options *o)
{
    size_t v;
    if (parse_sizes(default_sizes, o))
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 2;
        } else if (strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (strcmp(a, "--quick") == 0) {
            if (parse_sizes(quick_sizes, o))
                return 1;
            o->repeats = 3;
            o->max_naive = 256;
        } else if (!val) {
            fprintf(stderr, "dlfs-bench-gemm: unknown option or missing value: %s\n", a);
            return 1;
        } else if (strcmp(a, "--ops") == 0) {
            if (parse_ops(val, o))
                return 1;
            i++;
        } else if (strcmp(a, "--sizes") == 0) {
            if (parse_sizes(val, o))
                return 1;
            i++;
        } else if (strcmp(a, "--max-naive") == 0) {
            if (bench_parse_size(val, MAX_DIM, &o->max_naive))
                goto bad_value;
            i++;
        } else if (strcmp(a, "--repeats") == 0) {
            if (bench_parse_size(val, 1000, &o->repeats))
                goto bad_value;
            i++;
        } else if (strcmp(a, "--min-time") == 0) {
            if (bench_parse_size(val, 10000, &v))
                goto bad_value;
            o->min_time = 1e-3 * (double)v;
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if (bench_parse_size(val, 1024, &v))
                goto bad_value;
            o->threads = (int)v;
            i++;
        } else if (strcmp(a, "--csv") == 0) {
            o->csv = val;
            i++;
        } else if (strcmp(a, "--png") == 0) {
            o->png = val;
            i++;
        } else {
            fprintf(stderr, "dlfs-bench-gemm: unknown option %s (see --help)\n", a);
            return 1;
        }
        continue;
    bad_value:
        fprintf(stderr, "dlfs-bench-gemm: bad value for %s: %s\n", a, val);
        return 1;
    }
    if (!o->ops[0] && !o->ops[1] && !o->ops[2]) {
        fprintf(stderr, "dlfs-bench-gemm: --ops selects nothing\n");
        return 1;
    }
    return 0;
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
    double t0 = bench_now();
    if ((st = dlfs_gemm(be, op_ta[op], op_tb[op], 1.0, A, B, 0.0, C)) != DLFS_OK)
        return st;
    double first = bench_now() - t0;

    size_t inner = 1, n = 0;
    if (first < o->min_time)
        inner = (size_t)(o->min_time / (first > 1e-8 ? first : 1e-8)) + 1;
    /* A warm-up that alone exceeds a quarter of the budget counts as a sample:
     * repeating it would make the naive sweep far too long. */
    if (first > o->budget / 4)
        samples[n++] = first;

    double start = bench_now();
    while (n < o->repeats && !(n >= 3 && bench_now() - start > o->budget)) {
        t0 = bench_now();
        for (size_t r = 0; r < inner; r++)
            dlfs_gemm(be, op_ta[op], op_tb[op], 1.0, A, B, 0.0, C);
        samples[n++] = (bench_now() - t0) / (double)inner;
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

static int write_csv(const char *path, const row *rows, size_t n, const char *core)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    fprintf(f, "op,m,n,k,blas_ms,blas_gflops,naive_ms,naive_gflops,speedup,max_rel_diff,blas_core\n");
    for (size_t i = 0; i < n; i++) {
        const row *r = &rows[i];
        fprintf(f, "%s,%zu,%zu,%zu,%.6g,%.6g,", op_names[r->op], r->s.m, r->s.n, r->s.k,
                1e3 * r->blas_s, gflops(r->s, r->blas_s));
        if (isnan(r->naive_s))
            fprintf(f, ",,,,%s\n", core);
        else
            fprintf(f, "%.6g,%.6g,%.6g,%.3g,%s\n", 1e3 * r->naive_s,
                    gflops(r->s, r->naive_s), r->naive_s / r->blas_s, r->max_diff, core);
    }
    if (fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

static void write_json(FILE *out, const row *rows, size_t n, const char *core)
{
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        const row *r = &rows[i];
        fprintf(out, "%s{\"op\":\"%s\",\"m\":%zu,\"n\":%zu,\"k\":%zu,\"blas_ms\":%.6g,"
                     "\"blas_gflops\":%.6g,", i ? "," : "", op_names[r->op],
                r->s.m, r->s.n, r->s.k, 1e3 * r->blas_s, gflops(r->s, r->blas_s));
        if (isnan(r->naive_s))
            fprintf(out, "\"naive_ms\":null,\"naive_gflops\":null,\"speedup\":null,");
        else
            fprintf(out, "\"naive_ms\":%.6g,\"naive_gflops\":%.6g,\"speedup\":%.6g,",
                    1e3 * r->naive_s, gflops(r->s, r->naive_s), r->naive_s / r->blas_s);
        fprintf(out, "\"blas_core\":");
        bench_json_string(out, core);
        fputc('}', out);
    }
    fprintf(out, "]\n");
}

#ifdef DLFS_HAVE_PLPLOT
/* Speedup against cbrt(M N K), log-log, one line per op. */
static int write_png(const char *path, const row *rows, size_t n, const char *core)
{
    const char *menu_a[128], *dev_a[128];
    const char **menu = menu_a, **devs = dev_a;
    int ndev = 128, have_cairo = 0;
    plgDevs(&menu, &devs, &ndev);
    for (int i = 0; i < ndev; i++)
        if (strcmp(devs[i], "pngcairo") == 0)
            have_cairo = 1;
    if (!have_cairo) {
        fprintf(stderr, "dlfs-bench-gemm: PLplot has no pngcairo driver; no PNG written\n");
        return 1;
    }

    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    size_t points = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(rows[i].naive_s))
            continue;
        double x = log10(cube_side(rows[i].s)), y = log10(rows[i].naive_s / rows[i].blas_s);
        xmin = fmin(xmin, x);
        xmax = fmax(xmax, x);
        ymin = fmin(ymin, y);
        ymax = fmax(ymax, y);
        points++;
    }
    if (points == 0) {
        fprintf(stderr, "dlfs-bench-gemm: no naive timings to plot; no PNG written\n");
        return 1;
    }
    ymin = fmin(floor(ymin), 0.0);
    ymax = ceil(ymax + 0.05);
    xmin -= 0.1;
    xmax += 0.1;

    /* PLplot would end the program on a file it cannot open. */
    FILE *probe = fopen(path, "wb");
    if (!probe) {
        fprintf(stderr, "dlfs-bench-gemm: cannot write %s: %s; no PNG written\n", path, strerror(errno));
        return 1;
    }
    fclose(probe);

    plsdev("pngcairo");
    plsfnam(path);
    plsetopt("geometry", "900x600");
    /* White page, black frame, darker line colours than the defaults. */
    plscolbg(255, 255, 255);
    plscol0(15, 0, 0, 0);
    plscol0(1, 200, 30, 30);
    plscol0(3, 20, 140, 40);
    plscol0(9, 30, 60, 200);
    plinit();
    plcol0(15);
    plenv(xmin, xmax, ymin, ymax, 0, 30);
    char title[128];
    snprintf(title, sizeof title, "dlfs_gemm: BLAS (%s) over the naive loop", core);
    pllab("size (cube root of M*N*K)", "speedup (naive time / BLAS time)", title);

    static const PLINT colors[3] = {1, 3, 9};
    double xs[MAX_SIZES], ys[MAX_SIZES];
    PLINT opt_array[3], line_colors[3], line_styles[3] = {1, 1, 1}, text_colors[3];
    PLINT symbol_colors[3], symbol_numbers[3] = {1, 1, 1};
    PLFLT line_widths[3] = {2, 2, 2}, symbol_scales[3] = {1, 1, 1};
    const char *text[3], *symbols[3] = {"#(728)", "#(728)", "#(728)"};
    PLINT n_legend = 0;
    for (int op = 0; op < 3; op++) {
        PLINT np = 0;
        for (size_t i = 0; i < n && np < MAX_SIZES; i++) {
            if (rows[i].op != op || isnan(rows[i].naive_s))
                continue;
            xs[np] = log10(cube_side(rows[i].s));
            ys[np] = log10(rows[i].naive_s / rows[i].blas_s);
            np++;
        }
        if (np == 0)
            continue;
        plcol0(colors[op]);
        plwidth(2);
        plline(np, xs, ys);
        plstring(np, xs, ys, "#(728)");
        opt_array[n_legend] = PL_LEGEND_LINE | PL_LEGEND_SYMBOL;
        line_colors[n_legend] = text_colors[n_legend] = symbol_colors[n_legend] = colors[op];
        text[n_legend] = op == 0 ? "NN  X.W" : op == 1 ? "TN  X^T.G" : "NT  G.W^T";
        n_legend++;
    }
    plcol0(15);
    PLFLT lw, lh;
    pllegend(&lw, &lh, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             PL_POSITION_TOP | PL_POSITION_LEFT | PL_POSITION_INSIDE, 0.02, 0.02, 0.1,
             0, 15, 1, 0, 0, n_legend, opt_array, 1.0, 1.0, 2.0, 0.0, text_colors, text,
             NULL, NULL, NULL, NULL, line_colors, line_styles, line_widths,
             symbol_colors, symbol_scales, symbol_numbers, symbols);
    plend();
    return 0;
}
#endif

int main(int argc, char **argv)
{
    options o = {.ops = {1, 1, 1}, .max_naive = 512, .repeats = 7, .min_time = 2e-3,
                 .budget = 2.0};
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc == 2 ? 0 : 2;

    dlfs_blas_info info;
    if (bench_blas_setup(stdout, o.threads, &info))
        return 1;
#ifndef DLFS_HAVE_PLPLOT
    if (o.png) {
        fprintf(stderr, "dlfs-bench-gemm: built without PLplot (meson option plots); "
                        "--png ignored\n");
        o.png = NULL;
    }
#endif

    row *rows = calloc(3 * o.n_sizes, sizeof *rows);
    if (!rows) {
        fprintf(stderr, "dlfs-bench-gemm: out of memory\n");
        return 1;
    }
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 2019);

    printf("\nproducts C = op(A).op(B), MxNxK: op(A) M x K, op(B) K x N; median of %zu; "
           "naive up to %zu\n", o.repeats, o.max_naive);
    printf("%-3s %-14s %12s %9s %12s %9s %9s %9s\n", "op", "MxNxK", "blas us", "GFLOP/s",
           "naive us", "GFLOP/s", "speedup", "diff");
    fflush(stdout);
    size_t n_rows = 0;
    for (int op = 0; op < 3; op++) {
        if (!o.ops[op])
            continue;
        for (size_t i = 0; i < o.n_sizes; i++) {
            dlfs_status st = run_one(&o, op, o.sizes[i], &rng, &rows[n_rows]);
            if (st) {
                fprintf(stderr, "dlfs-bench-gemm: %s: %s\n", dlfs_strerror(st),
                        dlfs_error_detail());
                free(rows);
                return 1;
            }
            print_row(stdout, &rows[n_rows++]);
            fflush(stdout);
        }
    }

    rc = 0;
    if (o.csv && write_csv(o.csv, rows, n_rows, info.core))
        rc = 1;
#ifdef DLFS_HAVE_PLPLOT
    if (o.png) {
        if (write_png(o.png, rows, n_rows, info.core))
            rc = 1;
        else
            printf("wrote %s\n", o.png);
    }
#endif
    if (o.json)
        write_json(stdout, rows, n_rows, info.core);
    free(rows);
    return rc;
}
