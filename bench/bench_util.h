/* bench/bench_util.h - timing, medians and argument parsing for the bench programs. */
#ifndef DLFS_BENCH_UTIL_H
#define DLFS_BENCH_UTIL_H

#include <stddef.h>
#include <stdio.h>

#include <dlfs/dlfs.h>

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

/* Median of x[0..n) (sorts x in place); NaN when n == 0. */
double bench_median(double *x, size_t n);

/* Parses a positive decimal integer <= max. Returns 0 on success. */
int bench_parse_size(const char *s, size_t max, size_t *out);

/* Copies the next comma-separated item of *list into item[size] and advances
 * *list past it. Returns 0 when the list is exhausted; items longer than the
 * buffer are truncated. */
int bench_next_item(const char **list, char *item, size_t size);

/* Writes s as a JSON string literal (quotes and escapes included). */
void bench_json_string(FILE *out, const char *s);

/* Prints the BLAS paragraph (dlfs_blas_info_print) to out after an optional
 * dlfs_blas_set_threads(threads) (threads 0: leave OpenBLAS's choice), and
 * fills *info. Returns 0, or 1 after printing the error. */
int bench_blas_setup(FILE *out, int threads, dlfs_blas_info *info);

#endif
