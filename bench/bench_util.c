/* bench/bench_util.c - see bench_util.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "cli.h"
#include "files.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *x, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(x, n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

int bench_next_item(const char **list, char *item, size_t size)
{
    const char *p = *list;
    while (*p == ',')
        p++;
    if (!*p)
        return 0;
    size_t n = strcspn(p, ",");
    size_t c = n < size - 1 ? n : size - 1;
    memcpy(item, p, c);
    item[c] = '\0';
    *list = p + n;
    return 1;
}

int bench_parse_list(const bench_list *l, const char *text, int *flags, size_t n)
{
    char item[64];
    int any = 0;
    for (size_t i = 0; i < n; i++)
        flags[i] = 0;
    while (bench_next_item(&text, item, sizeof item)) {
        any = 1;
        if (l->allow_all && strcmp(item, "all") == 0) {
            for (size_t i = 0; i < n; i++)
                flags[i] = 1;
            continue;
        }
        int i = l->find(item, l->ctx);
        if (i == BENCH_REFUSED)
            return CLI_EXIT_USAGE;
        if (i < 0 || (size_t)i >= n)
            return cli_error(CLI_EXIT_USAGE, "unknown %s '%s' (%s)", l->what, item, l->hint);
        flags[i] = 1;
    }
    if (!any)
        return cli_error(CLI_EXIT_USAGE, "no %s given", l->what);
    return 0;
}

int bench_find_backend(const char *item, const void *ctx)
{
    dlfs_backend b;
    (void)ctx;
    if (dlfs_backend_parse(item, &b) != DLFS_OK)
        return BENCH_UNKNOWN;
    if (!dlfs_backend_available(b)) {
        cli_error(CLI_EXIT_USAGE, "--backend %s: this dlfs was built without libxsmm "
                  "(meson option xsmm)", item);
        return BENCH_REFUSED;
    }
    return (int)b;
}

int bench_find_name(const char *item, const void *names)
{
    const char *const *p = names;
    for (int i = 0; p[i]; i++)
        if (strcmp(item, p[i]) == 0)
            return i;
    return BENCH_UNKNOWN;
}

int bench_check_ranges(const bench_range *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].value < r[i].lo || r[i].value > r[i].hi)
            return cli_error(CLI_EXIT_USAGE, "%s needs an integer in [%llu, %llu]", r[i].name,
                             (unsigned long long)r[i].lo, (unsigned long long)r[i].hi);
    return 0;
}

int bench_blas_setup(FILE *out, int threads, dlfs_blas_info *info)
{
    dlfs_status st;
    if (threads > 0 && (st = dlfs_blas_set_threads(threads)) != DLFS_OK)
        return cli_fail(st, "--threads");
    if ((st = dlfs_blas_info_get(info)) != DLFS_OK
        || (st = dlfs_blas_info_print(out, info)) != DLFS_OK)
        return cli_fail(st, "BLAS information");
    return 0;
}

int bench_write_csv(const char *path, const char *header, bench_csv_row row, const void *rows,
                    size_t n, const char *core)
{
    dlfs_atomic_file a;
    if (cli_output_open(&a, path) != 0)
        return CLI_EXIT_FAILURE;
    fputs(header, a.f);
    for (size_t i = 0; i < n; i++)
        row(a.f, rows, i, core);
    return cli_output_commit(&a) != 0 ? CLI_EXIT_FAILURE : 0;
}

void bench_json_array_begin(cli_json *j, FILE *out)
{
    /* cli_json_begin opens an object; the results are an array of them. */
    j->out = out;
    j->first = 1;
    cli_json_open(j, NULL, '[');
}

void bench_json_array_end(cli_json *j)
{
    cli_json_close(j, ']');
    fputc('\n', j->out);
    fflush(j->out);
}
