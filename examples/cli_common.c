/* examples/cli_common.c - option table, strict numbers, progress line, JSON,
 * output files, bundled data; see cli_common.h. */
#include "cli_common.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *program_name = "dlfs";

void cli_set_program(const char *name)
{
    program_name = name;
}

int cli_error(int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", program_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
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

/* ---- JSON --------------------------------------------------------------- */

static void json_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* The separator and the key of the next member (no key inside arrays). */
static void json_key(cli_json *j, const char *key)
{
    if (!j->first)
        fputc(',', j->out);
    j->first = 0;
    if (key) {
        json_quoted(j->out, key);
        fputc(':', j->out);
    }
}

void cli_json_begin(cli_json *j, FILE *out)
{
    j->out = out;
    j->first = 1;
    fputc('{', out);
}

void cli_json_string(cli_json *j, const char *key, const char *value)
{
    json_key(j, key);
    if (value)
        json_quoted(j->out, value);
    else
        fputs("null", j->out);
}

void cli_json_number(cli_json *j, const char *key, double value)
{
    json_key(j, key);
    if (isfinite(value))
        fprintf(j->out, "%.17g", value);
    else
        fputs("null", j->out);
}

void cli_json_size(cli_json *j, const char *key, size_t value)
{
    json_key(j, key);
    fprintf(j->out, "%zu", value);
}

void cli_json_u64(cli_json *j, const char *key, uint64_t value)
{
    json_key(j, key);
    fprintf(j->out, "%llu", (unsigned long long)value);
}

void cli_json_bool(cli_json *j, const char *key, int value)
{
    json_key(j, key);
    fputs(value ? "true" : "false", j->out);
}

void cli_json_null(cli_json *j, const char *key)
{
    json_key(j, key);
    fputs("null", j->out);
}

void cli_json_open(cli_json *j, const char *key, char bracket)
{
    json_key(j, key);
    fputc(bracket, j->out);
    j->first = 1;
}

void cli_json_close(cli_json *j, char bracket)
{
    fputc(bracket, j->out);
    j->first = 0;  /* the container just closed is a member of its parent */
}

void cli_json_end(cli_json *j)
{
    fputs("}\n", j->out);
    fflush(j->out);
}

/* ---- Output files ------------------------------------------------------- */

int cli_check_output_path(const char *path, const char *what)
{
    const char *slash = strrchr(path, '/');
    struct stat sb;
    char *dir;
    int ok;

    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        cli_error(CLI_EXIT_FAILURE, "cannot write %s to %s: it is a directory", what, path);
        return -1;
    }
    if (!slash)
        return 0;  /* the current directory */
    if (slash == path)
        return 0;  /* "/name": the root */
    dir = malloc((size_t)(slash - path) + 1);
    if (!dir) {
        cli_error(CLI_EXIT_FAILURE, "out of memory");
        return -1;
    }
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    ok = stat(dir, &sb) == 0;
    if (!ok)
        cli_error(CLI_EXIT_FAILURE, "cannot write %s to %s: directory %s: %s", what, path,
                  dir, strerror(errno));
    else if (!S_ISDIR(sb.st_mode)) {
        cli_error(CLI_EXIT_FAILURE, "cannot write %s to %s: %s is not a directory", what,
                  path, dir);
        ok = 0;
    }
    free(dir);
    return ok ? 0 : -1;
}

int cli_atomic_open(cli_atomic_file *a, const char *path)
{
    static const char suffix[] = ".XXXXXX";
    size_t len = strlen(path);
    mode_t mask;
    int fd;

    a->f = NULL;
    a->path = path;
    a->tmp = malloc(len + sizeof suffix);
    if (!a->tmp) {
        cli_error(CLI_EXIT_FAILURE, "out of memory");
        return -1;
    }
    memcpy(a->tmp, path, len);
    memcpy(a->tmp + len, suffix, sizeof suffix);
    fd = mkstemp(a->tmp);
    if (fd < 0) {
        cli_error(CLI_EXIT_FAILURE, "cannot create %s: %s", a->tmp, strerror(errno));
        free(a->tmp);
        a->tmp = NULL;
        return -1;
    }
    /* mkstemp makes the file 0600; an output file gets the usual mode. */
    mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || !(a->f = fdopen(fd, "w"))) {
        cli_error(CLI_EXIT_FAILURE, "cannot write %s: %s", a->tmp, strerror(errno));
        close(fd);
        unlink(a->tmp);
        free(a->tmp);
        a->tmp = NULL;
        return -1;
    }
    return 0;
}

int cli_atomic_commit(cli_atomic_file *a)
{
    const char *step = NULL;
    int err = 0;

    /* fflush reports a failed write of buffered text; ferror one of before. */
    if (fflush(a->f) != 0 || ferror(a->f))
        step = "write";
    else if (fsync(fileno(a->f)) != 0)
        step = "sync";
    if (step)
        err = errno;
    if (fclose(a->f) != 0 && !step) {
        step = "close";
        err = errno;
    }
    a->f = NULL;
    if (!step && rename(a->tmp, a->path) != 0) {
        step = "rename";
        err = errno;
    }
    if (step) {
        cli_error(CLI_EXIT_FAILURE, "cannot write %s (%s of %s failed): %s", a->path, step,
                  a->tmp, err ? strerror(err) : "I/O error");
        unlink(a->tmp);
    }
    free(a->tmp);
    a->tmp = NULL;
    return step ? -1 : 0;
}

void cli_atomic_abort(cli_atomic_file *a)
{
    if (a->f)
        fclose(a->f);
    a->f = NULL;
    if (a->tmp)
        unlink(a->tmp);
    free(a->tmp);
    a->tmp = NULL;
}

/* ---- The bundled data --------------------------------------------------- */

#ifndef DLFS_DATADIR
#define DLFS_DATADIR ""
#endif
#ifndef DLFS_SOURCE_DATADIR
#define DLFS_SOURCE_DATADIR ""
#endif

int cli_find_data(const char *name, char *buf, size_t size)
{
    const char *env = getenv("DLFS_DATA_DIR");
    const char *dirs[3];
    const char *what[3] = { "$DLFS_DATA_DIR", "installed data", "source tree" };
    char looked[1024] = "";
    size_t used = 0;

    dirs[0] = env && env[0] ? env : NULL;
    dirs[1] = DLFS_DATADIR[0] ? DLFS_DATADIR : NULL;
    dirs[2] = DLFS_SOURCE_DATADIR[0] ? DLFS_SOURCE_DATADIR : NULL;

    for (int i = 0; i < 3; i++) {
        int n;
        if (!dirs[i])
            continue;
        n = snprintf(buf, size, "%s/%s", dirs[i], name);
        if (n > 0 && (size_t)n < size && access(buf, R_OK) == 0)
            return 0;
        n = snprintf(looked + used, sizeof looked - used, "%s%s (%s)",
                     used ? ", " : "", buf, what[i]);
        if (n > 0 && (size_t)n < sizeof looked - used)
            used += (size_t)n;
    }
    cli_error(CLI_EXIT_FAILURE, "cannot find the bundled %s; looked in: %s; "
              "set DLFS_DATA_DIR or pass --data FILE.csv", name,
              used ? looked : "nowhere (no data directory configured)");
    return -1;
}
