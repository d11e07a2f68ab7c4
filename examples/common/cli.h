/* examples/common/cli.h - what every dlfs program needs to talk to its user:
 * one-line errors, an option table and its parser, strict number parsing, a
 * monotonic clock and a progress line.
 *
 * Exit statuses: 0 success, 1 a data, file or training failure, 2 a usage
 * error. Every error is one line on stderr, "PROG: what went wrong".
 */
#ifndef DLFS_EXAMPLES_CLI_H
#define DLFS_EXAMPLES_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <dlfs/dlfs.h>

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILURE = 1, CLI_EXIT_USAGE = 2 };

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* ---- Errors ------------------------------------------------------------- */

/* Prints "PROG: <message>" on stderr (PROG is "dlfs" unless set by
 * cli_set_program). Returns `code`, so a command can say
 * `return cli_error(CLI_EXIT_USAGE, "...")`. */
int cli_error(int code, const char *fmt, ...) CLI_PRINTF(2, 3);

/* The name cli_error puts before its messages; `name` must outlive its use. */
void cli_set_program(const char *name);
const char *cli_program(void);

/* on: cli_error prints nothing (it still returns its code). The ranks of a
 * program on MPI other than rank 0 run so: every rank meets the same errors,
 * and one of them says so. */
void cli_set_quiet(int on);

/* The message of the last cli_error (printed or not; at most 1023 bytes),
 * without the program's name; "" before any. A quiet rank's failure reaches
 * rank 0 through it. */
const char *cli_last_error(void);

/* "PROG: <message>" on stderr, quiet or not. */
void cli_print_error(const char *message);

/* A library detail without the function it starts with ("dlfs_csv_read: line
 * 3, ..." gives "line 3, ..."): the function means nothing to a program's user. */
const char *cli_without_function(const char *detail);

/* What the library said about its last failure, without the function; the
 * status's sentence when it left no detail. */
const char *cli_detail(dlfs_status st);

/* "PROG: <context>: <cli_detail(st)>" on stderr; returns CLI_EXIT_FAILURE. */
int cli_fail(dlfs_status st, const char *context);

/* ---- Options ------------------------------------------------------------ */

/* What an option's value must be. Numbers are parsed whole (no trailing
 * characters, no sign where none is allowed) and range-checked. */
typedef enum cli_kind {
    CLI_FLAG,      /* no value; sets an int to 1 */
    CLI_STRING,    /* const char *, as given */
    CLI_COUNT,     /* size_t >= 1 */
    CLI_U64,       /* uint64_t, any value (seeds) */
    CLI_POSITIVE,  /* finite double > 0 */
    CLI_FRACTION   /* double strictly between 0 and 1 */
} cli_kind;

/* One row of an option table. `value` points to an int, const char *, size_t,
 * uint64_t or double according to `kind`; the parser writes it and sets `seen`.
 * A table ends with a row whose name is NULL. */
typedef struct cli_option {
    const char *name;     /* "--lr" */
    const char *metavar;  /* shown in help: "X"; NULL for flags */
    cli_kind kind;
    void *value;
    const char *help;     /* one line */
    int seen;             /* set by cli_parse */
} cli_option;

enum { CLI_PARSED = -1 };

/* Parses argv[0..argc) (the arguments after the subcommand) against the table.
 * Accepts "--name value" and "--name=value"; "-h" or "--help" prints `usage`
 * and the table to stdout. Returns CLI_PARSED to go on, CLI_EXIT_OK after
 * help, or CLI_EXIT_USAGE after printing the error (unknown option, missing
 * value, bad number, an option given twice, a stray argument). */
int cli_parse(int argc, char **argv, cli_option *table, const char *usage);

/* Prints `usage` and one line per option. */
void cli_print_help(FILE *out, const char *usage, const cli_option *table);
/* Continues an option's help on the next line, under its first. */
#define CLI_HELP_BREAK "\n                             "

/* 1 if the option named `name` was given on the command line. */
int cli_given(const cli_option *table, const char *name);

/* Strict conversions; 0 on success, -1 if text is not a whole number in range. */
int cli_parse_size(const char *text, size_t min, size_t *out);
int cli_parse_u64(const char *text, uint64_t *out);
int cli_parse_double(const char *text, double *out);

/* ---- Progress ----------------------------------------------------------- */

/* A line on stderr updated in place ("\r"): iteration/total, current loss,
 * elapsed and estimated remaining time, at most five times a second. Enabled
 * only when asked and stderr is a terminal. */
typedef struct cli_progress {
    int enabled;
    const char *label;
    size_t total;
    double start;      /* seconds, monotonic */
    double last_draw;
    int drawn;         /* something is on the line and must be cleared */
} cli_progress;

/* Seconds on a monotonic clock. */
double cli_now(void);

void cli_progress_start(cli_progress *p, const char *label, size_t total, int wanted);
/* Has the signature of dlfs_loss_fn: pass it as on_loss with the progress as
 * user. Never asks training to stop (returns 0). */
int cli_progress_on_loss(size_t iteration, double loss, void *user);
/* Clears the line. */
void cli_progress_finish(cli_progress *p);

#endif
