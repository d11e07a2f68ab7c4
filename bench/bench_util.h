/* bench/bench_util.h - what the bench programs share beyond examples/common:
 * medians, the BLAS banner, lists of names and ranges of option values, and
 * the JSON array of result rows.
 *
 * Errors are printed with cli_error (examples/common/cli.h), so each program
 * calls cli_set_program first.
 */
#ifndef DLFS_BENCH_UTIL_H
#define DLFS_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <dlfs/dlfs.h>

#include "cli.h"
#include "json.h"

/* Continues an option's help on the next line, under the help column of
 * cli_print_help ("  %-26s "). */
#define BENCH_HELP_BREAK CLI_HELP_BREAK

/* Median of x[0..n) (sorts x in place); NaN when n == 0. */
double bench_median(double *x, size_t n);

/* Copies the next comma-separated item of *list into item[size] and advances
 * *list past it. Returns 0 when the list is exhausted; items longer than the
 * buffer are truncated. */
int bench_next_item(const char **list, char *item, size_t size);

/* Finds one item of a list: its index in the flags, BENCH_UNKNOWN, or
 * BENCH_REFUSED after printing why (cli_error). */
enum { BENCH_UNKNOWN = -1, BENCH_REFUSED = -2 };
typedef int (*bench_lookup)(const char *item, const void *ctx);

/* A list of names: what to run. */
typedef struct bench_list {
    const char *what;    /* "model": in "unknown model 'x'" and "no model given" */
    const char *hint;    /* the names it takes: "linreg, nn or all" */
    bench_lookup find;
    const void *ctx;     /* passed to find */
    int allow_all;       /* "all" sets every flag */
} bench_list;

/* Sets flags[i] (of n, all cleared first) for each item of the comma-separated
 * text. Returns 0, or CLI_EXIT_USAGE after printing the error (an unknown or
 * refused item, an empty list). */
int bench_parse_list(const bench_list *l, const char *text, int *flags, size_t n);

/* A bench_lookup over a NULL-terminated array of names (ctx). */
int bench_find_name(const char *item, const void *names);

/* A bench_lookup of backends (ctx unused): the dlfs_backend value; xsmm in a
 * build without libxsmm is refused, saying so. */
int bench_find_backend(const char *item, const void *ctx);
#define BENCH_BACKENDS 4   /* blas, naive, xsmm, auto: by dlfs_backend value */

/* The range an option's value must lie in (cli_parse checks only its form). */
typedef struct bench_range {
    const char *name;  /* "--repeats" */
    uint64_t value, lo, hi;
} bench_range;

/* Returns 0 when every value of r[0..n) is in its range, else CLI_EXIT_USAGE
 * after "PROG: --repeats needs an integer in [1, 1000]". */
int bench_check_ranges(const bench_range *r, size_t n);

/* Prints the BLAS paragraph (dlfs_blas_info_print) to out after an optional
 * dlfs_blas_set_threads(threads) (threads 0: leave the library's choice), and
 * fills *info. Returns 0, or CLI_EXIT_FAILURE after printing the error. */
int bench_blas_setup(FILE *out, int threads, dlfs_blas_info *info);

/* Writes one row of a results table as CSV (its line, newline included):
 * rows[i] of the caller's array, core the BLAS kernel core for the last column. */
typedef void (*bench_csv_row)(FILE *f, const void *rows, size_t i, const char *core);

/* Writes the table to path whole or not at all (cli_output_open/commit): the
 * header line, then row(f, rows, i, core) for i < n. Returns 0, or
 * CLI_EXIT_FAILURE after printing the error. */
int bench_write_csv(const char *path, const char *header, bench_csv_row row, const void *rows,
                    size_t n, const char *core);

/* The results as one JSON array of objects on one line (json.h writes one
 * object a line): begin, then per row cli_json_open(j, NULL, '{'), its
 * members and cli_json_close(j, '}'), then end. */
void bench_json_array_begin(cli_json *j, FILE *out);
void bench_json_array_end(cli_json *j);

#endif
