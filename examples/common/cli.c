/* examples/common/cli.c - errors, option table, strict numbers, clock and
 * progress line; see cli.h. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *program_name = "dlfs";
static int quiet;
static char last_error[1024];

void cli_set_program(const char *name)
{
    program_name = name;
}

const char *cli_program(void)
{
    return program_name;
}

void cli_set_quiet(int on)
{
    quiet = on;
}

int cli_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    if (!quiet)
        fprintf(stderr, "%s: %s\n", program_name, last_error);
    return code;
}

const char *cli_last_error(void)
{
    return last_error;
}

void cli_print_error(const char *message)
{
    fprintf(stderr, "%s: %s\n", program_name, message);
}

const char *cli_without_function(const char *detail)
{
    const char *p = detail;

    if (strncmp(p, "dlfs_", 5) != 0)
        return detail;
    while (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
        p++;
    return strncmp(p, ": ", 2) == 0 ? p + 2 : detail;
}

const char *cli_detail(dlfs_status st)
{
    const char *detail = cli_without_function(dlfs_error_detail());
    return detail[0] ? detail : dlfs_strerror(st);
}

int cli_fail(dlfs_status st, const char *context)
{
    return cli_error(CLI_EXIT_FAILURE, "%s: %s", context, cli_detail(st));
}

/* ---- Numbers ------------------------------------------------------------ */

/* strtoull accepts leading spaces and a minus sign (wrapping "-1" to the
 * largest value); a count or a seed must be plain digits. */
static int is_plain_unsigned(const char *text)
{
    return text[0] >= '0' && text[0] <= '9';
}

int cli_parse_u64(const char *text, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!is_plain_unsigned(text))
        return -1;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno == ERANGE || *end != '\0')
        return -1;
#if ULLONG_MAX > UINT64_MAX
    if (v > UINT64_MAX)
        return -1;
#endif
    *out = (uint64_t)v;
    return 0;
}

int cli_parse_size(const char *text, size_t min, size_t *out)
{
    uint64_t v;

    if (cli_parse_u64(text, &v) != 0 || v < min)
        return -1;
#if SIZE_MAX < UINT64_MAX
    if (v > SIZE_MAX)
        return -1;
#endif
    *out = (size_t)v;
    return 0;
}

int cli_parse_double(const char *text, double *out)
{
    char *end;
    double v;

    if (text[0] == '\0' || text[0] == ' ' || text[0] == '\t')
        return -1;
    errno = 0;
    v = strtod(text, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* ---- Options ------------------------------------------------------------ */

static const char *kind_expects(cli_kind kind)
{
    switch (kind) {
    case CLI_COUNT: return "a whole number >= 1";
    case CLI_U64: return "a whole number >= 0";
    case CLI_POSITIVE: return "a positive number";
    case CLI_FRACTION: return "a number between 0 and 1 (exclusive)";
    default: return "a value";
    }
}

/* Stores text into the option's destination; 0, or -1 if it does not parse. */
static int store_value(cli_option *opt, const char *text)
{
    double d;

    switch (opt->kind) {
    case CLI_FLAG:
        *(int *)opt->value = 1;
        return 0;
    case CLI_STRING:
        if (text[0] == '\0')
            return -1;
        *(const char **)opt->value = text;
        return 0;
    case CLI_COUNT:
        return cli_parse_size(text, 1, (size_t *)opt->value);
    case CLI_U64:
        return cli_parse_u64(text, (uint64_t *)opt->value);
    case CLI_POSITIVE:
        if (cli_parse_double(text, &d) != 0 || !(d > 0))
            return -1;
        *(double *)opt->value = d;
        return 0;
    case CLI_FRACTION:
        if (cli_parse_double(text, &d) != 0 || !(d > 0 && d < 1))
            return -1;
        *(double *)opt->value = d;
        return 0;
    }
    return -1;
}

static cli_option *find_option(cli_option *table, const char *name, size_t len)
{
    for (cli_option *o = table; o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

int cli_parse(int argc, char **argv, cli_option *table, const char *usage)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq, *text;
        size_t len;
        cli_option *opt;

        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            cli_print_help(stdout, usage, table);
            return CLI_EXIT_OK;
        }
        if (strncmp(arg, "--", 2) != 0)
            return cli_error(CLI_EXIT_USAGE, "unexpected argument '%s' (see --help)", arg);

        eq = strchr(arg, '=');
        len = eq ? (size_t)(eq - arg) : strlen(arg);
        opt = find_option(table, arg, len);
        if (!opt)
            return cli_error(CLI_EXIT_USAGE, "unknown option '%.*s' (see --help)",
                             (int)len, arg);
        if (opt->seen)
            return cli_error(CLI_EXIT_USAGE, "%s given twice", opt->name);
        opt->seen = 1;

        if (opt->kind == CLI_FLAG) {
            if (eq)
                return cli_error(CLI_EXIT_USAGE, "%s takes no value", opt->name);
            store_value(opt, NULL);
            continue;
        }
        if (eq) {
            text = eq + 1;
        } else {
            if (i + 1 >= argc)
                return cli_error(CLI_EXIT_USAGE, "%s needs a value (%s)", opt->name,
                                 opt->metavar);
            text = argv[++i];
        }
        if (store_value(opt, text) != 0) {
            if (opt->kind == CLI_STRING)
                return cli_error(CLI_EXIT_USAGE, "%s needs a value (%s)", opt->name,
                                 opt->metavar);
            return cli_error(CLI_EXIT_USAGE, "%s expects %s, got '%s'", opt->name,
                             kind_expects(opt->kind), text);
        }
    }
    return CLI_PARSED;
}

void cli_print_help(FILE *out, const char *usage, const cli_option *table)
{
    fputs(usage, out);
    fputs("\nOptions:\n", out);
    for (const cli_option *o = table; o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
        fprintf(out, "  %-26s %s\n", left, o->help);
    }
    fprintf(out, "  %-26s %s\n", "-h, --help", "show this help");
}

int cli_given(const cli_option *table, const char *name)
{
    for (const cli_option *o = table; o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o->seen;
    return 0;
}

/* ---- Progress ----------------------------------------------------------- */

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Writes seconds as "4.2s", "3m05s" or "1h02m". */
static void format_duration(char *buf, size_t size, double s)
{
    if (!(s >= 0))
        s = 0;
    if (s < 60)
        snprintf(buf, size, "%.1fs", s);
    else if (s < 3600)
        snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

void cli_progress_start(cli_progress *p, const char *label, size_t total, int wanted)
{
    p->enabled = wanted && isatty(fileno(stderr));
    p->label = label;
    p->total = total;
    p->start = cli_now();
    p->last_draw = p->start;  /* the first line appears after 0.2 s: short runs draw nothing */
    p->drawn = 0;
}

int cli_progress_on_loss(size_t iteration, double loss, void *user)
{
    cli_progress *p = user;
    double now, elapsed, remaining;
    size_t done = iteration + 1;
    char el[32], rem[32];

    if (!p || !p->enabled)
        return 0;
    now = cli_now();
    if (now - p->last_draw < 0.2)
        return 0;
    p->last_draw = now;
    elapsed = now - p->start;
    remaining = done < p->total ? elapsed * (double)(p->total - done) / (double)done : 0;
    format_duration(el, sizeof el, elapsed);
    format_duration(rem, sizeof rem, remaining);
    /* \033[K clears what a longer previous line left behind. */
    fprintf(stderr, "\r%s: iteration %zu/%zu  loss %.4g  elapsed %s  remaining %s\033[K",
            p->label, done, p->total, loss, el, rem);
    fflush(stderr);
    p->drawn = 1;
    return 0;
}

void cli_progress_finish(cli_progress *p)
{
    if (p->enabled && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = 0;
}
