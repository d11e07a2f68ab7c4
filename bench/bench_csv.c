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
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dlfs/dlfs.h>

#include "bench_util.h"

/* ---- Counting the library's allocations ---------------------------------- */

/* Linked with -Wl,--wrap=malloc,...: every call to malloc from this program
 * and the static library comes here first. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static size_t n_allocs;

void *__wrap_malloc(size_t n)
{
    n_allocs++;
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    n_allocs++;
    return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    n_allocs++;
    return __real_realloc(p, n);
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
        fprintf(stderr, "dlfs-bench-csv: cannot create %s: %s\n", path, strerror(errno));
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
        fprintf(stderr, "dlfs-bench-csv: cannot write %s: %s\n", path, strerror(errno));
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

static void usage(FILE *out)
{
    fprintf(out,
        "usage: dlfs-bench-csv [options]\n"
        "Writes a CSV of random numbers to a temporary file and times dlfs_csv_read on it.\n"
        "  --rows N      data rows (default 1000000)\n"
        "  --cols N      columns, the last one the target (default 20)\n"
        "  --digits N    significant digits per field, 1 to 17 (default 6; 17 round-trips\n"
        "                every double and sends most fields through strtod)\n"
        "  --repeats N   loads, median reported (default 3)\n"
        "  --quick       100000 rows, 1 load (for meson test --benchmark)\n"
        "  --help        this text\n");
}

/* Reads the value of option `name` into *out; 0 on success. */
static int size_value(const char *name, const char *val, size_t lo, size_t hi, size_t *out)
{
    if (bench_parse_size(val, hi, out) != 0 || *out < lo) {
        fprintf(stderr, "dlfs-bench-csv: %s needs an integer in [%zu, %zu]\n", name, lo, hi);
        return 1;
    }
    return 0;
}

/* Returns 0 to run, 1 for a usage error, 2 after --help. */
static int parse_args(int argc, char **argv, options *o)
{
    *o = (options){1000000, 20, 3, 6};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        size_t digits;
        int bad;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 2;
        } else if (strcmp(a, "--quick") == 0) {
            o->rows = 100000;
            o->repeats = 1;
            continue;
        } else if (strcmp(a, "--rows") == 0) {
            bad = size_value(a, val, 1, 100000000, &o->rows);
        } else if (strcmp(a, "--cols") == 0) {
            bad = size_value(a, val, 2, 10000, &o->cols);
        } else if (strcmp(a, "--repeats") == 0) {
            bad = size_value(a, val, 1, 100, &o->repeats);
        } else if (strcmp(a, "--digits") == 0) {
            bad = size_value(a, val, 1, 17, &digits);
            o->digits = (int)digits;
        } else {
            fprintf(stderr, "dlfs-bench-csv: unknown option %s (see --help)\n", a);
            return 1;
        }
        if (bad)
            return 1;
        i++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    const int pa = parse_args(argc, argv, &o);
    if (pa)
        return pa == 2 ? 0 : 2;

    char path[4096];
    double t0 = bench_now();
    const size_t file_bytes = write_table(&o, path, sizeof path);
    if (!file_bytes)
        return 1;
    const double data_bytes = (double)o.rows * (double)o.cols * sizeof(double);
    printf("table: %zu rows x %zu columns, %d significant digits, written in %.2f s\n",
           o.rows, o.cols, o.digits, bench_now() - t0);
    printf("file:  %s, %.1f MB (%.1f bytes per field)\n", path, file_bytes / 1e6,
           (double)file_bytes / ((double)o.rows * (double)o.cols));
    printf("data:  %zu x %zu doubles = %.1f MB\n", o.rows, o.cols, data_bytes / 1e6);

    const int can_reset = reset_peak() == 0;
    if (!can_reset)
        printf("note: /proc/self/clear_refs not writable: peaks are since the start\n");

    double *t_read = calloc(o.repeats, sizeof *t_read);
    double *t_parse = calloc(o.repeats, sizeof *t_parse);
    double *peak = calloc(o.repeats, sizeof *peak);
    double *kept = calloc(o.repeats, sizeof *kept);
    size_t allocs_read = 0, allocs_parse = 0;
    int rc = 0;
    if (!t_read || !t_parse || !peak || !kept) {
        fprintf(stderr, "dlfs-bench-csv: out of memory\n");
        rc = 1;
        goto done;
    }
    printf("\n%-4s %10s %14s %14s %12s\n", "load", "read (s)", "peak (MB)", "kept (MB)",
           "parse (s)");
    for (size_t r = 0; r < o.repeats; r++) {
        dlfs_dataset ds;
        dlfs_csv_error err;
        reset_peak();
        const long base = proc_status_kb("VmRSS:");
        n_allocs = 0;
        double t = bench_now();
        dlfs_status st = dlfs_csv_read(path, NULL, (size_t)-1, &ds, &err);
        t_read[r] = bench_now() - t;
        allocs_read = n_allocs;
        if (st != DLFS_OK) {
            fprintf(stderr, "dlfs-bench-csv: %s\n", err.message);
            rc = 1;
            goto done;
        }
        peak[r] = (double)(proc_status_kb("VmHWM:") - base) * 1024.0;
        kept[r] = (double)(proc_status_kb("VmRSS:") - base) * 1024.0;
        if (ds.X.rows != o.rows || ds.X.cols != o.cols - 1) {
            fprintf(stderr, "dlfs-bench-csv: read %zu x %zu, wrote %zu x %zu\n", ds.X.rows,
                    ds.X.cols, o.rows, o.cols - 1);
            rc = 1;
        }
        dlfs_dataset_free(&ds);

        char *text = slurp(path, file_bytes);
        if (!text) {
            fprintf(stderr, "dlfs-bench-csv: cannot read %s back\n", path);
            rc = 1;
            goto done;
        }
        n_allocs = 0;
        t = bench_now();
        st = dlfs_csv_parse(text, file_bytes, NULL, (size_t)-1, &ds, &err);
        t_parse[r] = bench_now() - t;
        allocs_parse = n_allocs;
        free(text);
        if (st != DLFS_OK) {
            fprintf(stderr, "dlfs-bench-csv: %s\n", err.message);
            rc = 1;
            goto done;
        }
        dlfs_dataset_free(&ds);
        printf("%-4zu %10.3f %14.1f %14.1f %12.3f\n", r + 1, t_read[r], peak[r] / 1e6,
               kept[r] / 1e6, t_parse[r]);
    }
    const double fields = (double)o.rows * (double)o.cols;
    const double med_read = bench_median(t_read, o.repeats);
    const double med_parse = bench_median(t_parse, o.repeats);
    const double med_peak = bench_median(peak, o.repeats);
    printf("\nmedian of %zu: dlfs_csv_read %.3f s (%.0f MB/s of file, %.1f ns per field),"
           " dlfs_csv_parse %.3f s\n", o.repeats, med_read, file_bytes / med_read / 1e6,
           med_read / fields * 1e9, med_parse);
    printf("peak memory above the start of the call: %.1f MB = %.2f x the data (%.1f MB),"
           " %.2f x file + data (%.1f MB)\n", med_peak / 1e6, med_peak / data_bytes,
           data_bytes / 1e6, med_peak / ((double)file_bytes + data_bytes),
           ((double)file_bytes + data_bytes) / 1e6);
    printf("allocations by the library per call: dlfs_csv_read %zu, dlfs_csv_parse %zu"
           " (for %.0f fields)\n", allocs_read, allocs_parse, fields);
done:
    free(t_read);
    free(t_parse);
    free(peak);
    free(kept);
    unlink(path);
    return rc;
}
