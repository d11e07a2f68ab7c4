/* src/csv.c - the CSV reader: a header of column names, then rows of numbers.
 *
 * The reader parses the whole text in place: no allocation per field or
 * per row. Values go straight into two arrays, X (n x k, the non-target
 * columns in file order) and y (n x 1; none with DLFS_CSV_NO_TARGET), sized
 * from the bytes left to parse and handed over as the dataset's matrices.
 * A regular file is not copied: it is mapped read-only, and the pages of the
 * rows already parsed are given back every few MB, so a load holds the
 * arrays plus a few MB of the file, not the file plus the arrays. Pipes,
 * empty files and files that cannot be mapped are read into a buffer.
 * Each field is a decimal number (number.c).
 *
 * The MPI layer's reader (src/dist/csv.c) parses, through csv_shard.h, the
 * header and then only the rows that start in a byte range of the same
 * mapping, numbering lines from the range's first line.
 *
 * Error positions: line is the 1-based physical line of the file, column the
 * 1-based field number within its row.
 */
/* madvise() and MADV_DONTNEED are not POSIX (posix_madvise's DONTNEED is a
 * no-op in glibc); without them the mapping is simply kept whole. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dlfs/csv.h>
#include "csv_shard.h"
#include "internal.h"
#include "names.h"
#include "number.h"

/* ---- Error reporting ------------------------------------------------------ */

/* Records the failure in err (when given) and in dlfs_error_detail(), with the
 * same text: "fn: line L, column C: what". */
static dlfs_status csv_fail(dlfs_csv_error *err, const char *fn, dlfs_status status,
                            size_t line, size_t column, const char *fmt, ...) DLFS_PRINTF(6, 7);

static dlfs_status csv_vfail(dlfs_csv_error *err, const char *fn, dlfs_status status,
                             size_t line, size_t column, const char *fmt, va_list ap)
    DLFS_PRINTF(6, 0);

static dlfs_status csv_vfail(dlfs_csv_error *err, const char *fn, dlfs_status status,
                             size_t line, size_t column, const char *fmt, va_list ap)
{
    /* Truncated to the size of err->message, so both texts are the same. */
    char msg[sizeof err->message];
    int off;
    if (line && column)
        off = snprintf(msg, sizeof msg, "%s: line %zu, column %zu: ", fn, line, column);
    else if (line)
        off = snprintf(msg, sizeof msg, "%s: line %zu: ", fn, line);
    else
        off = snprintf(msg, sizeof msg, "%s: ", fn);
    if (off < 0 || (size_t)off >= sizeof msg)
        off = 0;
    vsnprintf(msg + off, sizeof msg - (size_t)off, fmt, ap);
    if (err) {
        err->line = line;
        err->column = column;
        memcpy(err->message, msg, sizeof msg);
    }
    return dlfs__fail(status, "%s", msg);
}

static dlfs_status csv_fail(dlfs_csv_error *err, const char *fn, dlfs_status status,
                            size_t line, size_t column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dlfs_status s = csv_vfail(err, fn, status, line, column, fmt, ap);
    va_end(ap);
    return s;
}

dlfs_status dlfs__csv_fail(dlfs_csv_error *err, const char *fn, dlfs_status status, size_t line,
                           size_t column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dlfs_status s = csv_vfail(err, fn, status, line, column, fmt, ap);
    va_end(ap);
    return s;
}

/* ---- Tokenising ----------------------------------------------------------- */

typedef struct csv_cursor {
    const char *p;    /* next unread byte */
    const char *end;
    size_t line;      /* 1-based line of p */
} csv_cursor;

/* One field: its text without the surrounding quotes (doubled quotes inside
 * are not yet collapsed) and without unquoted surrounding blanks. */
typedef struct csv_field {
    const char *s;
    size_t len;
    int escaped;      /* holds "" pairs */
} csv_field;

enum { CSV_MORE = 1, CSV_EOL, CSV_EOF };     /* what ended a field */
enum { CSV_UNTERMINATED = -1, CSV_JUNK = -2 }; /* tokeniser errors */


/* Consumes the separator after a field: ',', LF, CRLF, or a CR that ends
 * the input. Anything else is an error. */
static int csv_terminator(csv_cursor *c)
{
    if (c->p == c->end)
        return CSV_EOF;
    switch (*c->p) {
    case ',':
        c->p++;
        return CSV_MORE;
    case '\n':
        c->p++;
        c->line++;
        return CSV_EOL;
    case '\r':
        if (c->p + 1 == c->end) {
            c->p++;
            return CSV_EOF;
        }
        if (c->p[1] == '\n') {
            c->p += 2;
            c->line++;
            return CSV_EOL;
        }
        return CSV_JUNK;
    default:
        return CSV_JUNK;
    }
}

/* Reads one field at c->p. Returns CSV_MORE, CSV_EOL or CSV_EOF, or a
 * negative tokeniser error (with c->p at the offending byte). A quoted field
 * may span lines; callers report errors at the line where it started. */
static int csv_next_field(csv_cursor *c, csv_field *f)
{
    const char *p = c->p, *end = c->end;
    while (p < end && dlfs__is_blank(*p))
        p++;
    f->escaped = 0;
    if (p < end && *p == '"') {
        size_t newlines = 0;
        const char *s = ++p;
        for (;;) {
            if (p == end)
                return CSV_UNTERMINATED;
            if (*p == '"') {
                if (p + 1 < end && p[1] == '"') {
                    f->escaped = 1;
                    p += 2;
                    continue;
                }
                break;
            }
            newlines += *p == '\n';
            p++;
        }
        f->s = s;
        f->len = (size_t)(p - s);
        p++;
        while (p < end && dlfs__is_blank(*p))
            p++;
        c->p = p;
        c->line += newlines;
        return csv_terminator(c);
    }
    const char *s = p;
    /* A CR belongs to the line ending only before LF or at the very end;
     * elsewhere it stays in the field (and makes a number malformed). */
    while (p < end && *p != ',' && *p != '\n' &&
           !(*p == '\r' && (p + 1 == end || p[1] == '\n')))
        p++;
    const char *e = p;
    while (e > s && dlfs__is_blank(e[-1]))
        e--;
    f->s = s;
    f->len = (size_t)(e - s);
    c->p = p;
    return csv_terminator(c);
}

/* Skips lines holding nothing but blanks. Returns 0 at the end of input. */
static int csv_skip_blank_lines(csv_cursor *c)
{
    for (;;) {
        const char *q = c->p;
        while (q < c->end && dlfs__is_blank(*q))
            q++;
        if (q == c->end) {
            c->p = q;
            return 0;
        }
        if (*q == '\n') {
            c->p = q + 1;
        } else if (*q == '\r' && q + 1 == c->end) {
            c->p = c->end;
            return 0;
        } else if (*q == '\r' && q[1] == '\n') {
            c->p = q + 2;
        } else {
            return 1;
        }
        c->line++;
    }
}

/* ---- The CSV parser ------------------------------------------------------- */

/* A NUL-terminated copy of a field's text, with "" collapsed to ". */
static char *field_string(const csv_field *f)
{
    char *s = malloc(f->len + 1);
    if (!s)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < f->len; i++) {
        s[n++] = f->s[i];
        if (f->escaped && f->s[i] == '"')
            i++;
    }
    s[n] = '\0';
    return s;
}

static int field_equals(const csv_field *f, const char *name)
{
    size_t i = 0, j = 0;
    for (; i < f->len; i++, j++) {
        if (f->s[i] != name[j] || !name[j])
            return 0;
        if (f->escaped && f->s[i] == '"')
            i++;
    }
    return !name[j];
}

typedef struct csv_state {
    const char *fn;
    dlfs_csv_error *err;
    csv_cursor cur;
    /* Rows are read while they start before stop: the end of the text, or
     * of a shard (dlfs__csv_parse_shard), whose last row may run past it. */
    const char *stop;
    int shard;             /* a shard may have no rows */
    size_t ncol;           /* fields per row */
    size_t target;         /* 0-based column of y; NO_COLUMN without a target */
    size_t k;              /* feature columns: ncol - 1, or ncol without a target */
    csv_field *header;     /* ncol fields */
    double *xs;            /* rows_cap x k */
    double *ys;            /* rows_cap; NULL without a target */
    size_t rows, rows_cap;
    dlfs__num_scratch scratch;
    /* When the text is a private read-only mapping (dlfs_csv_read): the
     * address of the first page not yet given back, and the page size.
     * release_from is 0 for text in the caller's memory. */
    uintptr_t release_from;
    size_t page;
} csv_state;

/* Parsed pages are given back in steps of this many bytes: one madvise()
 * call per step, and at most this much of the file resident at a time. */
#define CSV_RELEASE_STEP ((size_t)4 << 20)

/* The target index of a file without one: equal to no column index and
 * greater than all, so `j == target` never holds and `j - (j > target)` is j. */
#define NO_COLUMN SIZE_MAX

static dlfs_status parse_header(csv_state *st, const char *target, size_t target_index)
{
    size_t cap = 16, header_line;
    csv_cursor *c = &st->cur;
    if (!csv_skip_blank_lines(c))
        return csv_fail(st->err, st->fn, DLFS_EEMPTY, 0, 0, "no header row (the input is empty)");
    header_line = c->line;
    st->header = malloc(cap * sizeof *st->header);
    if (!st->header)
        return csv_fail(st->err, st->fn, DLFS_ENOMEM, 0, 0, "out of memory for the header");
    for (;;) {
        csv_field f;
        size_t line = c->line;
        int t = csv_next_field(c, &f);
        if (t == CSV_UNTERMINATED)
            return csv_fail(st->err, st->fn, DLFS_EPARSE, line, st->ncol + 1,
                            "unterminated quoted field");
        if (t == CSV_JUNK)
            return csv_fail(st->err, st->fn, DLFS_EPARSE, line, st->ncol + 1,
                            "unexpected character '%c' after the field", *c->p);
        if (st->ncol == cap) {
            csv_field *nh = NULL;
            size_t bytes;
            if (dlfs__mul(cap, 2 * sizeof *nh, &bytes))
                nh = realloc(st->header, bytes);
            if (!nh)
                return csv_fail(st->err, st->fn, DLFS_ENOMEM, 0, 0, "out of memory for the header");
            st->header = nh;
            cap *= 2;
        }
        st->header[st->ncol++] = f;
        if (t != CSV_MORE)
            break;
    }

    if (target) {
        size_t j = 0;
        while (j < st->ncol && !field_equals(&st->header[j], target))
            j++;
        if (j == st->ncol)
            return csv_fail(st->err, st->fn, DLFS_ENOTFOUND, header_line, 0,
                            "no column named \"%.60s\" in the header", target);
        st->target = j;
    } else if (target_index == DLFS_CSV_NO_TARGET) {
        st->target = NO_COLUMN;
        st->k = st->ncol;
        return DLFS_OK;
    } else if (target_index == (size_t)-1) {
        st->target = st->ncol - 1;
    } else if (target_index >= st->ncol) {
        return csv_fail(st->err, st->fn, DLFS_ENOTFOUND, header_line, 0,
                        "target column index %zu is out of range (%zu columns)",
                        target_index, st->ncol);
    } else {
        st->target = target_index;
    }
    if (st->ncol < 2)
        return csv_fail(st->err, st->fn, DLFS_EEMPTY, header_line, 0,
                        "only the target column: no feature columns");
    st->k = st->ncol - 1;
    return DLFS_OK;
}

/* Makes room for one more row. The new capacity is estimated from the bytes
 * per row read so far, and is at least 1.5 times the old one. */
static dlfs_status grow_rows(csv_state *st, const char *data_start)
{
    size_t k = st->k, cap = st->rows_cap, want, bytes;
    if (cap == 0) {
        want = 64;
    } else {
        size_t used = (size_t)(st->cur.p - data_start);
        size_t left = st->cur.p < st->stop ? (size_t)(st->stop - st->cur.p) : 0;
        size_t per_row = used / st->rows + 1;
        size_t est = left / per_row;
        want = cap + cap / 2;
        if (est > SIZE_MAX / 2 || cap > SIZE_MAX / 2)
            return csv_fail(st->err, st->fn, DLFS_EOVERFLOW, 0, 0, "too many rows");
        est = st->rows + est + est / 16 + 16;
        if (est > want)
            want = est;
    }
    if (!dlfs__mul(want, k, &bytes) || !dlfs__mul(bytes, sizeof(double), &bytes))
        return csv_fail(st->err, st->fn, DLFS_EOVERFLOW, 0, 0,
                        "%zu rows x %zu columns overflow", want, k);
    double *nx = realloc(st->xs, bytes);
    if (!nx)
        return csv_fail(st->err, st->fn, DLFS_ENOMEM, 0, 0, "out of memory at row %zu", st->rows);
    st->xs = nx;
    if (st->target != NO_COLUMN) {
        double *ny = realloc(st->ys, want * sizeof(double));  /* want * k did not overflow */
        if (!ny)
            return csv_fail(st->err, st->fn, DLFS_ENOMEM, 0, 0, "out of memory at row %zu",
                            st->rows);
        st->ys = ny;
    }
    st->rows_cap = want;
    return DLFS_OK;
}

/* Gives back the whole pages of a mapped file that lie between the header
 * and the start of the current row: the text is read once, front to back,
 * so they are not read again; without this they would stay resident until
 * the end. (Were one read again, it would come back from the file: the
 * mapping is private and never written.) The header's pages stay: its
 * fields are read again at the end for the column names. */
static void release_parsed(csv_state *st)
{
#ifdef MADV_DONTNEED
    uintptr_t to = (uintptr_t)st->cur.p & ~(uintptr_t)(st->page - 1);
    if (to > st->release_from) {
        /* A failure only leaves the pages resident. */
        (void)madvise((void *)st->release_from, (size_t)(to - st->release_from), MADV_DONTNEED);
        st->release_from = to;
    }
#else
    (void)st;
#endif
}

/* Field j of the current row: the target, or the next feature of xrow. */
static inline void store_field(csv_state *st, double *xrow, size_t j, double v)
{
    if (j == st->target)
        st->ys[st->rows] = v;
    else
        xrow[j - (j > st->target)] = v;
}

/* The value of field f (column j, starting on line fline) when the fast
 * path did not take it, or the failure: empty, malformed, not finite. */
static dlfs_status field_value(csv_state *st, const csv_field *f, size_t fline, size_t j,
                               double *v)
{
    int r = f->escaped ? DLFS__NUM_BAD : dlfs__parse_number(f->s, f->len, &st->scratch, v);
    if (r == DLFS__NUM_NOMEM)
        return csv_fail(st->err, st->fn, DLFS_ENOMEM, fline, j + 1, "out of memory");
    if (r == DLFS__NUM_BAD && f->len == 0)
        return csv_fail(st->err, st->fn, DLFS_EPARSE, fline, j + 1, "empty field");
    if (r == DLFS__NUM_BAD)
        return csv_fail(st->err, st->fn, DLFS_EPARSE, fline, j + 1,
                        "\"%.*s%s\" is not a decimal number",
                        (int)(f->len > 40 ? 40 : f->len), f->s, f->len > 40 ? "..." : "");
    if (r == DLFS__NUM_NONFINITE)
        return csv_fail(st->err, st->fn, DLFS_ENONFINITE, fline, j + 1,
                        "\"%.*s%s\" is not a finite number",
                        (int)(f->len > 40 ? 40 : f->len), f->s, f->len > 40 ? "..." : "");
    return DLFS_OK;
}

/* Reads field *j of the current row into xrow and advances *j (past the
 * last column, the field is only counted). *t is what ended the field. */
static dlfs_status parse_field(csv_state *st, double *xrow, size_t *j, int *t)
{
    csv_cursor *c = &st->cur;
    csv_field f;
    size_t fline = c->line;
    if (*j < st->ncol) {
        /* The common case in one scan: a plain number, directly
         * followed by a separator, that needs no strtod. */
        dlfs__decimal d;
        double v;
        const char *q = dlfs__scan_decimal(c->p, c->end, &d);
        if (q && (q == c->end || *q == ',' || *q == '\n' ||
                  (*q == '\r' && (q + 1 == c->end || q[1] == '\n'))) &&
            dlfs__decimal_fast(&d, &v)) {
            c->p = q;
            *t = csv_terminator(c);
            store_field(st, xrow, (*j)++, v);
            return DLFS_OK;
        }
    }
    *t = csv_next_field(c, &f);
    if (*t == CSV_UNTERMINATED)
        return csv_fail(st->err, st->fn, DLFS_EPARSE, fline, *j + 1,
                        "unterminated quoted field");
    if (*t == CSV_JUNK)
        return csv_fail(st->err, st->fn, DLFS_EPARSE, fline, *j + 1,
                        "unexpected character '%c' after the field", *c->p);
    if (*j >= st->ncol) {
        /* Too many fields: count them for the message. */
        (*j)++;
        return DLFS_OK;
    }
    double v = 0.0;
    dlfs_status s = field_value(st, &f, fline, *j, &v);
    if (s)
        return s;
    store_field(st, xrow, (*j)++, v);
    return DLFS_OK;
}

/* Reads the row at the cursor (not a blank line) into row st->rows. */
static dlfs_status parse_row(csv_state *st, const char *data_start)
{
    csv_cursor *c = &st->cur;
    if (st->release_from && (uintptr_t)c->p > st->release_from &&
        (uintptr_t)c->p - st->release_from >= CSV_RELEASE_STEP)
        release_parsed(st);
    if (st->rows == st->rows_cap) {
        dlfs_status s = grow_rows(st, data_start);
        if (s)
            return s;
    }
    double *xrow = st->xs + st->rows * st->k;
    size_t line = c->line, j = 0;
    int t;
    do {
        dlfs_status s = parse_field(st, xrow, &j, &t);
        if (s)
            return s;
    } while (t == CSV_MORE);
    if (j != st->ncol)
        return csv_fail(st->err, st->fn, DLFS_EPARSE, line,
                        j < st->ncol ? j + 1 : st->ncol + 1,
                        "expected %zu fields, found %zu", st->ncol, j);
    st->rows++;
    return DLFS_OK;
}

static dlfs_status parse_rows(csv_state *st)
{
    const char *data_start = st->cur.p;
    if (st->release_from) {
        /* The first page boundary after the header (the mapping starts on one). */
        st->release_from = ((uintptr_t)data_start + st->page - 1) & ~(uintptr_t)(st->page - 1);
    }
    while (csv_skip_blank_lines(&st->cur) && st->cur.p < st->stop) {
        dlfs_status s = parse_row(st, data_start);
        if (s)
            return s;
    }
    if (st->rows == 0 && !st->shard)
        return csv_fail(st->err, st->fn, DLFS_EEMPTY, 0, 0, "a header but no data rows");
    return DLFS_OK;
}

/* The column names from the header: the k feature names in *names_out and
 * the target's in *tname_out (NULL without a target). On failure nothing is
 * left allocated. */
static dlfs_status column_names(csv_state *st, char ***names_out, char **tname_out)
{
    const size_t k = st->k;
    char **names = calloc(k, sizeof *names);
    char *tname = NULL;
    if (st->target != NO_COLUMN)
        tname = field_string(&st->header[st->target]);
    int ok = names && (st->target == NO_COLUMN || tname);
    for (size_t j = 0, i = 0; ok && j < st->ncol; j++)
        if (j != st->target)
            ok = (names[i++] = field_string(&st->header[j])) != NULL;
    if (!ok) {
        dlfs_status s = csv_fail(st->err, st->fn, DLFS_ENOMEM, 0, 0,
                                 "out of memory for the column names");
        dlfs__free_names(names, k);
        free(tname);
        return s;
    }
    *names_out = names;
    *tname_out = tname;
    return DLFS_OK;
}

/* Hands the parsed rows and the names over to out and frees the rest. */
static void hand_over(csv_state *st, char **names, char *tname, dlfs_dataset *out)
{
    const size_t k = st->k;
    /* Give back the unused tail of the estimate; keep the block if that fails. */
    if (st->rows < st->rows_cap) {
        double *nx = realloc(st->xs, st->rows * k * sizeof(double));
        double *ny = st->ys ? realloc(st->ys, st->rows * sizeof(double)) : NULL;
        if (nx)
            st->xs = nx;
        if (ny)
            st->ys = ny;
    }
    free(st->header);
    free(st->scratch.big);
    out->X = dlfs_matrix_view(st->xs, st->rows, k, k);
    if (st->target != NO_COLUMN)
        out->y = dlfs_matrix_view(st->ys, st->rows, 1, 1);
    else
        out->y = dlfs_matrix_view(NULL, st->rows, 0, 0);
    out->feature_names = names;
    out->target_name = tname;
}

/* Sets st up to parse text from its start (past a byte order mark); fn
 * names the public entry point in messages. page is 0, or the page size when
 * text is the start of a private read-only mapping whose parsed pages may be
 * given back. The text is never written. */
static void csv_init(csv_state *st, const char *fn, const char *text, size_t len, size_t page,
                     dlfs_csv_error *err)
{
    memset(st, 0, sizeof *st);
    st->page = page;
    st->release_from = page ? (uintptr_t)text : 0;
    st->fn = fn;
    st->err = err;
    st->cur.p = text;
    st->cur.end = text + len;
    st->stop = st->cur.end;
    st->cur.line = 1;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        st->cur.p += 3;   /* UTF-8 byte order mark */
}

static void csv_state_free(csv_state *st)
{
    free(st->header);
    free(st->scratch.big);
    free(st->xs);
    free(st->ys);
}

/* Parses the rows at the cursor (the header parsed) into out, with the names. */
static dlfs_status csv_rows(csv_state *st, dlfs_dataset *out)
{
    char **names = NULL;
    char *tname = NULL;
    dlfs_status s;
    if ((s = parse_rows(st)) || (s = column_names(st, &names, &tname))) {
        csv_state_free(st);
        return s;
    }
    hand_over(st, names, tname, out);
    return DLFS_OK;
}

/* Parses text into out (see csv_init for fn and page). */
static dlfs_status csv_parse(const char *fn, const char *text, size_t len, const char *target,
                             size_t target_index, dlfs_dataset *out, dlfs_csv_error *err,
                             size_t page)
{
    csv_state st;
    csv_init(&st, fn, text, len, page, err);
    dlfs_status s = parse_header(&st, target, target_index);
    if (s) {
        csv_state_free(&st);
        return s;
    }
    return csv_rows(&st, out);
}

dlfs_status dlfs__csv_header(const char *fn, const dlfs__csv_text *t, const char *target,
                             size_t target_index, size_t *body, size_t *body_line,
                             dlfs_csv_error *err)
{
    csv_state st;
    csv_init(&st, fn, t->text, t->len, 0, err);
    dlfs_status s = parse_header(&st, target, target_index);
    *body = (size_t)(st.cur.p - t->text);
    *body_line = st.cur.line;
    csv_state_free(&st);
    return s;
}

dlfs_status dlfs__csv_parse_shard(const char *fn, const dlfs__csv_text *t, const char *target,
                                  size_t target_index, size_t begin, size_t stop, size_t line,
                                  dlfs_dataset *out, dlfs_csv_error *err)
{
    csv_state st;
    memset(out, 0, sizeof *out);
    csv_init(&st, fn, t->text, t->len, t->page, err);
    st.shard = 1;
    dlfs_status s = parse_header(&st, target, target_index);
    if (s) {
        csv_state_free(&st);
        return s;
    }
    /* The header is read again at the end for the names; the rows start at
     * begin (never inside the header: a shard before it starts at its end). */
    if (stop > t->len)
        stop = t->len;
    if (t->text + begin > st.cur.p) {
        st.cur.p = t->text + begin;
        st.cur.line = line;
    }
    st.stop = t->text + stop;
    return csv_rows(&st, out);
}

static void csv_begin(dlfs_dataset *out, dlfs_csv_error *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (err)
        memset(err, 0, sizeof *err);
}

dlfs_status dlfs_csv_parse(const char *text, size_t len, const char *target,
                           size_t target_index, dlfs_dataset *out, dlfs_csv_error *err)
{
    csv_begin(out, err);
    if (!out || !text)
        return csv_fail(err, "dlfs_csv_parse", DLFS_ENULL, 0, 0, "%s is NULL", out ? "text" : "out");
    return csv_parse("dlfs_csv_parse", text, len, target, target_index, out, err, 0);
}

/* The system's text for errno value e, in the caller's buffer (strerror
 * itself may share one buffer between threads). */
static const char *errno_text(int e, char *buf, size_t size)
{
    if (strerror_r(e, buf, size) != 0)
        snprintf(buf, size, "error %d", e);
    return buf;
}

/* Reads the whole of f (whose fstat is sb) into a buffer of *len bytes,
 * owned by the caller. */
static dlfs_status read_all(const char *fn, FILE *f, const struct stat *sb, const char *path,
                            char **buf_out, size_t *len, dlfs_csv_error *err)
{
    size_t cap = 1 << 16, used = 0;
    char why[64];
    /* One byte more than the file, so the read that sees EOF needs no
     * growth. Pipes and devices have no size: their buffer grows. */
    if (S_ISREG(sb->st_mode))
        cap = (size_t)sb->st_size + 1;
    char *buf = malloc(cap);
    if (!buf)
        return csv_fail(err, fn, DLFS_ENOMEM, 0, 0, "cannot allocate %zu bytes for \"%.80s\"",
                        cap, path);
    for (;;) {
        if (used == cap) {
            char *nb = NULL;
            if (cap <= SIZE_MAX / 2)
                nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return csv_fail(err, fn, cap <= SIZE_MAX / 2 ? DLFS_ENOMEM : DLFS_EOVERFLOW, 0, 0,
                                "\"%.80s\" does not fit in memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + used, 1, cap - used, f);
        used += n;
        if (n == 0) {
            if (ferror(f)) {
                int e = errno;
                free(buf);
                return csv_fail(err, fn, DLFS_EIO, 0, 0, "cannot read \"%.80s\": %s", path,
                                errno_text(e, why, sizeof why));
            }
            break;
        }
    }
    *buf_out = buf;
    *len = used;
    return DLFS_OK;
}

/* Checks the opened f (path) is a file that can be read whole. */
static dlfs_status check_file(const char *fn, FILE *f, const char *path, struct stat *sb,
                              dlfs_csv_error *err)
{
    char why[64];
    if (fstat(fileno(f), sb) != 0)
        return csv_fail(err, fn, DLFS_EIO, 0, 0, "cannot stat \"%.80s\": %s", path,
                        errno_text(errno, why, sizeof why));
    if (S_ISDIR(sb->st_mode))
        return csv_fail(err, fn, DLFS_EIO, 0, 0, "\"%.80s\" is a directory", path);
    if (S_ISREG(sb->st_mode) && (uintmax_t)sb->st_size >= SIZE_MAX)
        return csv_fail(err, fn, DLFS_EOVERFLOW, 0, 0, "\"%.80s\" is too large", path);
    return DLFS_OK;
}

dlfs_status dlfs__csv_open(const char *fn, const char *path, dlfs__csv_text *t,
                           dlfs_csv_error *err)
{
    char why[64];
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f)   /* ENOMEM: stdio could not allocate the stream; the file is not at fault */
        return csv_fail(err, fn, errno == ENOMEM ? DLFS_ENOMEM : DLFS_EIO, 0, 0,
                        "cannot open \"%.80s\": %s", path, errno_text(errno, why, sizeof why));
    struct stat sb;
    dlfs_status s = check_file(fn, f, path, &sb, err);
    if (s) {
        fclose(f);
        return s;
    }

    /* A regular file is parsed where it lies, in a private read-only mapping
     * (length 0 cannot be mapped: an empty file, or one that, like those
     * under /proc, reports no size, is read). The mapping outlives the
     * descriptor. */
    long page = sysconf(_SC_PAGESIZE);
    if (S_ISREG(sb.st_mode) && sb.st_size > 0 && page > 0 && (page & (page - 1)) == 0) {
        size_t len = (size_t)sb.st_size;
        void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fileno(f), 0);
        if (map != MAP_FAILED) {
            fclose(f);
            *t = (dlfs__csv_text){.text = map, .len = len, .page = (size_t)page, .map = map};
            return DLFS_OK;
        }
        /* A file system that cannot map files: read it instead. */
    }
    char *buf = NULL;
    size_t len = 0;
    s = read_all(fn, f, &sb, path, &buf, &len, err);
    fclose(f);
    if (!s)
        *t = (dlfs__csv_text){.text = buf, .len = len, .buf = buf};
    return s;
}

void dlfs__csv_close(dlfs__csv_text *t)
{
    if (t->map)
        munmap(t->map, t->len);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

void dlfs__csv_release(const dlfs__csv_text *t, size_t from, size_t to)
{
#ifdef MADV_DONTNEED
    if (!t->map || to > t->len || from >= to)
        return;
    uintptr_t a = ((uintptr_t)t->text + from + t->page - 1) & ~(uintptr_t)(t->page - 1);
    uintptr_t b = ((uintptr_t)t->text + to) & ~(uintptr_t)(t->page - 1);
    if (b > a)   /* a failure only leaves the pages resident */
        (void)madvise((void *)a, (size_t)(b - a), MADV_DONTNEED);
#else
    (void)t;
    (void)from;
    (void)to;
#endif
}

dlfs_status dlfs_csv_read(const char *path, const char *target, size_t target_index,
                          dlfs_dataset *out, dlfs_csv_error *err)
{
    static const char fn[] = "dlfs_csv_read";
    csv_begin(out, err);
    if (!out || !path)
        return csv_fail(err, fn, DLFS_ENULL, 0, 0, "%s is NULL", out ? "path" : "out");
    dlfs__csv_text t;
    dlfs_status s = dlfs__csv_open(fn, path, &t, err);
    if (s)
        return s;
    s = csv_parse(fn, t.text, t.len, target, target_index, out, err, t.page);
    dlfs__csv_close(&t);
    return s;
}

void dlfs_dataset_free(dlfs_dataset *ds)
{
    if (!ds)
        return;
    dlfs__free_names(ds->feature_names, ds->X.cols);
    dlfs_matrix_free(&ds->X);
    dlfs_matrix_free(&ds->y);
    free(ds->target_name);
    memset(ds, 0, sizeof *ds);
}
