/* bench/bench_util.c - see bench_util.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

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

int bench_parse_size(const char *s, size_t max, size_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return 1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v == 0 || v > max)
        return 1;
    *out = (size_t)v;
    return 0;
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

void bench_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

int bench_blas_setup(FILE *out, int threads, dlfs_blas_info *info)
{
    dlfs_status st;
    if (threads > 0 && (st = dlfs_blas_set_threads(threads)) != DLFS_OK) {
        fprintf(stderr, "error: %s\n", dlfs_error_detail());
        return 1;
    }
    if ((st = dlfs_blas_info_get(info)) != DLFS_OK
        || (st = dlfs_blas_info_print(out, info)) != DLFS_OK) {
        fprintf(stderr, "error: %s: %s\n", dlfs_strerror(st), dlfs_error_detail());
        return 1;
    }
    return 0;
}
