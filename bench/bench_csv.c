/* bench/bench_csv.c - dlfs-bench-csv: loading a large CSV file.
 *
 * Writes a table of --rows rows by --cols columns (the last one the target)
 * of random numbers with --digits significant digits to a temporary file,
 * then loads it --repeats times with dlfs_csv_read and reports, per load:
 *     time      wall clock of dlfs_csv_read (the file is in the page cache,
 *               having just been written), and of dlfs_csv_parse on the same
 *               bytes already in memory, i.e. without the read;
 *     memory    peak resident memory during the call above what the process
 *               held before it (VmHWM, reset before each load through
 *               /proc/self/clear_refs), next to the file's size and the
 *               rows x cols doubles (the loader maps the file and releases
 *               its pages as it parses them, so it holds about the doubles);
 *     allocations  calls to malloc, calloc and realloc made by the library
 *               during the call (counted by wrapping them at link time; the
 *               library is linked statically), to show that the count does
 *               not grow with the number of fields.
 * Medians over the repeats are printed last.
 */
#define _GNU_SOURCE 1   /* RTLD_NEXT */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dlfs/dlfs.h>

#include "bench_util.h"
#include "cli.h"

/* ---- Counting the library's allocations ---------------------------------- */

/* Linked with -Wl,--wrap=malloc,...: every call to malloc from this program
 * and the static library comes here first. The wrappers reach the allocator
 * through dlsym(RTLD_NEXT), not through --wrap's __real_ symbols, which
 * libxsmm's archive defines (hidden) for its allocation hooks. The program is
 * single-threaded. */
typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
static malloc_fn real_malloc;
static calloc_fn real_calloc;
static realloc_fn real_realloc;
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static size_t n_allocs;

void *__wrap_malloc(size_t n)
{
    n_allocs++;
    if (!real_malloc)
        *(void **)&real_malloc = dlsym(RTLD_NEXT, "malloc");
    return real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    n_allocs++;
    if (!real_calloc)
        *(void **)&real_calloc = dlsym(RTLD_NEXT, "calloc");
    return real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    n_allocs++;
    if (!real_realloc)
        *(void **)&real_realloc = dlsym(RTLD_NEXT, "realloc");
    return real_realloc(p, n);
}

/* ---- Memory figures from /proc ------------------------------------------- */

/* The value in kB of `key` ("VmHWM:", "VmRSS:") in /proc/self/status, or -1. */
static long proc_status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    const size_t n = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0) {
            kb = strtol(line + n, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* Sets the peak (VmHWM) back to the current RSS (Linux >= 4.0). */
static int reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f)
        return -1;
    const int ok = fputs("5", f) >= 0;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* ---- The table ------------------------------------------------------------ */

typedef struct options {
    size_t rows, cols, repeats;
    int digits;
} options;

/* Writes the table to a new temporary file; its name goes to path. Column j
 * is N(0, 1) scaled by 10^(j mod 5 - 2), so the fields have different widths
 * as real data does. Returns the file's size, or 0 after printing an error. */
static size_t write_table(const options *o, char *path, size_t path_size)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, path_size, "%s/dlfs-bench-csv.XXXXXX", dir && *dir ? dir : "/tmp");
    const int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        cli_error(CLI_EXIT_FAILURE, "cannot create %s: %s", path, strerror(errno));
        return 0;
    }
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    for (size_t j = 0; j + 1 < o->cols; j++)
        fprintf(f, "x%zu,", j + 1);
    fputs("y\n", f);
    static const double scale[5] = {1e-2, 1e-1, 1.0, 1e1, 1e2};
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 42);
    for (size_t i = 0; i < o->rows; i++)
        for (size_t j = 0; j < o->cols; j++)
            fprintf(f, "%.*g%c", o->digits, scale[j % 5] * dlfs_rng_normal(&rng),
                    j + 1 < o->cols ? ',' : '\n');
    const long size = ftell(f);
    if (fclose(f) != 0 || size <= 0) {
        cli_error(CLI_EXIT_FAILURE, "cannot write %s: %s", path, strerror(errno));
        unlink(path);
        return 0;
    }
    return (size_t)size;
}

/* Reads the whole file into memory (for the dlfs_csv_parse timing). */
static char *slurp(const char *path, size_t size)
{
    FILE *f = fopen(path, "rb");
    char *b = malloc(size ? size : 1);
    if (!f || !b || fread(b, 1, size, f) != size) {
        if (f)
            fclose(f);
        free(b);
        return NULL;
    }
    fclose(f);
    return b;
}

/* ---- Main ----------------------------------------------------------------- */

static const char usage_text[] =
    "usage: dlfs-bench-csv [options]\n"
    "Writes a CSV of random numbers to a temporary file and times dlfs_csv_read on it.\n";

/* Returns CLI_PARSED to run, else the exit status (after --help or an error). */
static int parse_args(int argc, char **argv, options *o)
{
    size_t rows = 1000000, cols = 20, repeats = 3, digits = 6;
    int quick = 0;
    cli_option table[] = {
        {"--rows", "N", CLI_COUNT, &rows, "data rows (default 1000000)", 0},
        {"--cols", "N", CLI_COUNT, &cols, "columns, the last one the target (default 20)", 0},
        {"--digits", "N", CLI_COUNT, &digits, "significant digits per field, 1 to 17 (default 6;"
            " 17 round-trips" BENCH_HELP_BREAK "every double and sends most fields through "
            "strtod)", 0},
        {"--repeats", "N", CLI_COUNT, &repeats, "loads, median reported (default 3)", 0},
        {"--quick", NULL, CLI_FLAG, &quick, "100000 rows, 1 load (for meson test --benchmark)"
            BENCH_HELP_BREAK "(where --rows, --repeats do not say otherwise)", 0},
        {NULL, NULL, CLI_FLAG, NULL, NULL, 0},
    };
    int rc = cli_parse(argc - 1, argv + 1, table, usage_text);
    if (rc != CLI_PARSED)
        return rc;
    if (quick) {
        rows = cli_given(table, "--rows") ? rows : 100000;
        repeats = cli_given(table, "--repeats") ? repeats : 1;
    }
    const bench_range ranges[] = {
        {"--rows", rows, 1, 100000000}, {"--cols", cols, 2, 10000},
        {"--digits", digits, 1, 17},    {"--repeats", repeats, 1, 100},
    };
    if ((rc = bench_check_ranges(ranges, sizeof ranges / sizeof ranges[0])) != 0)
        return rc;
    *o = (options){rows, cols, repeats, (int)digits};
    return CLI_PARSED;
}

/* Per load: the timings, the memory figures; the allocation counts of the
 * last load (they do not vary). */
typedef struct samples {
    double *t_read, *t_parse, *peak, *kept;
    size_t allocs_read, allocs_parse;
    int bad_shape;   /* a load gave other dimensions than were written */
} samples;

/* Load r: dlfs_csv_read from the file, measured, then dlfs_csv_parse on its
 * bytes in memory; prints the load's row. 0, or CLI_EXIT_FAILURE after
 * printing the error. */
static int one_load(const options *o, const char *path, size_t file_bytes, size_t r,
                    samples *s)
{
    dlfs_dataset ds;
    dlfs_csv_error err;
    reset_peak();
    const long base = proc_status_kb("VmRSS:");
    n_allocs = 0;
    double t = cli_now();
    dlfs_status st = dlfs_csv_read(path, NULL, (size_t)-1, &ds, &err);
    s->t_read[r] = cli_now() - t;
    s->allocs_read = n_allocs;
    if (st != DLFS_OK)
        return cli_error(CLI_EXIT_FAILURE, "%s", err.message);
    s->peak[r] = (double)(proc_status_kb("VmHWM:") - base) * 1024.0;
    s->kept[r] = (double)(proc_status_kb("VmRSS:") - base) * 1024.0;
    if (ds.X.rows != o->rows || ds.X.cols != o->cols - 1) {
        cli_error(CLI_EXIT_FAILURE, "read %zu x %zu, wrote %zu x %zu", ds.X.rows, ds.X.cols,
                  o->rows, o->cols - 1);
        s->bad_shape = 1;
    }
    dlfs_dataset_free(&ds);

    char *text = slurp(path, file_bytes);
    if (!text)
        return cli_error(CLI_EXIT_FAILURE, "cannot read %s back", path);
    n_allocs = 0;
    t = cli_now();
    st = dlfs_csv_parse(text, file_bytes, NULL, (size_t)-1, &ds, &err);
    s->t_parse[r] = cli_now() - t;
    s->allocs_parse = n_allocs;
    free(text);
    if (st != DLFS_OK)
        return cli_error(CLI_EXIT_FAILURE, "%s", err.message);
    dlfs_dataset_free(&ds);
    printf("%-4zu %10.3f %14.1f %14.1f %12.3f\n", r + 1, s->t_read[r], s->peak[r] / 1e6,
           s->kept[r] / 1e6, s->t_parse[r]);
    return 0;
}

/* The medians over the loads. */
static void print_summary(const options *o, size_t file_bytes, samples *s)
{
    const double fields = (double)o->rows * (double)o->cols;
    const double data_bytes = fields * sizeof(double);
    const double med_read = bench_median(s->t_read, o->repeats);
    const double med_parse = bench_median(s->t_parse, o->repeats);
    const double med_peak = bench_median(s->peak, o->repeats);
    printf("\nmedian of %zu: dlfs_csv_read %.3f s (%.0f MB/s of file, %.1f ns per field),"
           " dlfs_csv_parse %.3f s\n", o->repeats, med_read, file_bytes / med_read / 1e6,
           med_read / fields * 1e9, med_parse);
    printf("peak memory above the start of the call: %.1f MB = %.2f x the data (%.1f MB),"
           " %.2f x file + data (%.1f MB)\n", med_peak / 1e6, med_peak / data_bytes,
           data_bytes / 1e6, med_peak / ((double)file_bytes + data_bytes),
           ((double)file_bytes + data_bytes) / 1e6);
    printf("allocations by the library per call: dlfs_csv_read %zu, dlfs_csv_parse %zu"
           " (for %.0f fields)\n", s->allocs_read, s->allocs_parse, fields);
}

/* Writes the table and prints what it is; returns the file's size, or 0
 * after printing the error. */
static size_t make_table(const options *o, char *path, size_t path_size)
{
    const double t0 = cli_now();
    const size_t file_bytes = write_table(o, path, path_size);
    if (!file_bytes)
        return 0;
    const double data_bytes = (double)o->rows * (double)o->cols * sizeof(double);
    printf("table: %zu rows x %zu columns, %d significant digits, written in %.2f s\n",
           o->rows, o->cols, o->digits, cli_now() - t0);
    printf("file:  %s, %.1f MB (%.1f bytes per field)\n", path, file_bytes / 1e6,
           (double)file_bytes / ((double)o->rows * (double)o->cols));
    printf("data:  %zu x %zu doubles = %.1f MB\n", o->rows, o->cols, data_bytes / 1e6);
    return file_bytes;
}

int main(int argc, char **argv)
{
    options o = {0};
    cli_set_program("dlfs-bench-csv");
    int rc = parse_args(argc, argv, &o);
    if (rc != CLI_PARSED)
        return rc;

    char path[4096];
    const size_t file_bytes = make_table(&o, path, sizeof path);
    if (!file_bytes)
        return CLI_EXIT_FAILURE;
    if (reset_peak() != 0)
        printf("note: /proc/self/clear_refs not writable: peaks are since the start\n");

    samples s = {
        .t_read = calloc(o.repeats, sizeof *s.t_read),
        .t_parse = calloc(o.repeats, sizeof *s.t_parse),
        .peak = calloc(o.repeats, sizeof *s.peak),
        .kept = calloc(o.repeats, sizeof *s.kept),
    };
    rc = 0;
    if (!s.t_read || !s.t_parse || !s.peak || !s.kept)
        rc = cli_error(CLI_EXIT_FAILURE, "out of memory");
    if (rc == 0)
        printf("\n%-4s %10s %14s %14s %12s\n", "load", "read (s)", "peak (MB)", "kept (MB)",
               "parse (s)");
    for (size_t r = 0; rc == 0 && r < o.repeats; r++)
        rc = one_load(&o, path, file_bytes, r, &s);
    if (rc == 0) {
        print_summary(&o, file_bytes, &s);
        rc = s.bad_shape ? CLI_EXIT_FAILURE : 0;
    }
    free(s.t_read);
    free(s.t_parse);
    free(s.peak);
    free(s.kept);
    unlink(path);
    return rc;
}
